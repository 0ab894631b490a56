"""One home for photo inputs: walking folders (every skip reported), the member-folder rule
that train, enrol and evaluate share, and the enrolment face of a solo photo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from inference.inputs import STRANGERS_DIR, FamilyDirError, read_member_folders, walk_photos
from inference.pipeline import Pipeline
from inference.types import PhotoError

ROOT = Path(__file__).resolve().parents[1]


def _photo(data: Path, target: Path, name: str = "bbt1.jpg") -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data / "family-dev/photos" / name, target)
    return target


def test_walk_reports_every_skip(data, tmp_path):
    root = tmp_path / "trip"
    a = _photo(data, root / "day1/a.jpg")
    b = _photo(data, root / "b.JPG")
    (root / "notes.txt").write_text("not a photo")
    (root / "gone.jpg").symlink_to(root / "nowhere.jpg")
    os.mkfifo(root / "pipe.jpg")
    (root / "loop").symlink_to(root, target_is_directory=True)
    walk = walk_photos([root, tmp_path / "missing.jpg"])
    assert walk.photos == sorted([a, b])
    why = {s.path.name: (s.reason, s.error) for s in walk.skipped}
    assert why["notes.txt"] == ("not a photo (by its suffix)", False)
    assert why["gone.jpg"] == ("broken link", True)
    assert why["pipe.jpg"][1] and "not a regular file" in why["pipe.jpg"][0]
    assert why["missing.jpg"] == ("no such file or folder", True)
    assert why["loop"][1] is False  # a link to a folder is said, not followed (no endless walk)
    assert walk.not_photos == 2 and len(walk.errors) == 3


def test_walk_reports_an_unreadable_folder(data, tmp_path, monkeypatch):
    _photo(data, tmp_path / "ok/a.jpg")
    _photo(data, tmp_path / "locked/b.jpg")
    real_scandir = os.scandir

    def scandir(path):  # as a folder without read permission answers (root is never refused one)
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    walk = walk_photos([tmp_path])
    assert [p.name for p in walk.photos] == ["a.jpg"]
    assert [(s.path.name, s.reason, s.error) for s in walk.errors] == [("locked", "cannot read folder: Permission denied", True)]


def test_a_pipe_given_by_name_is_refused_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "fifo.jpg")
    walk = walk_photos([tmp_path / "fifo.jpg"])
    assert walk.photos == [] and "not a regular file" in walk.errors[0].reason


def _family(data: Path, root: Path) -> Path:
    for member in ("sheldon", "leonard"):
        for i, src in enumerate(sorted((data / "family-dev/enroll" / member).iterdir())[:3]):
            _photo(data, root / member / f"{i}{src.suffix}", name=f"../enroll/{member}/{src.name}")
    _photo(data, root / STRANGERS_DIR / "celeb.jpg", name="bbt1.jpg")
    _photo(data, root / "_drafts/x.jpg")
    _photo(data, root / "loose.jpg")
    (root / "empty").mkdir()
    return root


def test_member_folder_rule(data, tmp_path):
    folders = read_member_folders(_family(data, tmp_path / "family"))
    assert list(folders.members) == ["leonard", "sheldon"]
    assert [p.name for p in folders.strangers] == ["celeb.jpg"]
    skipped = {s.path.name: s.reason for s in folders.skipped}
    assert "not a member" in skipped["_drafts"]
    assert "not in a member folder" in skipped["loose.jpg"]
    assert "without photos" in skipped["empty"]
    with pytest.raises(FamilyDirError, match="no member folders"):
        read_member_folders(tmp_path / "family" / "empty").require_members()
    with pytest.raises(FamilyDirError, match="not a folder"):
        read_member_folders(tmp_path / "nope")


@pytest.mark.slow  # two CLI runs in subprocesses, one of them training
def test_train_enrol_and_evaluate_read_strangers_alike(data, tmp_path):
    """_strangers/ is nobody of the family everywhere: train calibrates against it, evaluate
    scores it as a stranger photo, and enrol accepts the folder that train accepts."""
    from training.labelled import load_labelled

    family = _family(data, tmp_path / "family")
    labelled = load_labelled(family)
    by_name = {p.path.name: p.members for p in labelled.photos}
    assert by_name["celeb.jpg"] == frozenset()
    assert not any(p.path.parent.name == "_drafts" for p in labelled.photos)  # never read as a member "_drafts"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cli = [sys.executable, "-m", "cli.main"]
    train = subprocess.run(
        [*cli, "train", str(family), "--weights", str(tmp_path / "w"), "--workers", "1"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert train.returncode == 0, train.stderr
    assert "_drafts" in train.stderr and "loose.jpg" in train.stderr  # every skip is said
    from inference.manifest import Manifest

    assert Manifest.read(tmp_path / "w").calibration["stranger_faces"] == 1
    enrol = subprocess.run(
        [*cli, "enrol", str(family), "--data", str(tmp_path / "data"), "--no-train"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert enrol.returncode == 0, enrol.stderr
    from api.services.store import FamilyStore

    store = FamilyStore(tmp_path / "data")
    assert [f.source for f in store.faces(None)] == ["celeb.jpg"]  # a stranger example, as train used it
    assert {m: len(store.faces(m)) for m in store.members()} == {"leonard": 3, "sheldon": 3}


def test_enrolment_face_is_the_largest_or_says_why(data, settings, tmp_path):
    pipeline = Pipeline(settings)
    photo = data / "family-dev/photos/bbt1.jpg"
    faces = pipeline.analyze(photo, crops=False).result.faces
    face = pipeline.enrolment_face(photo, chip=True)
    assert face.box == max(faces, key=lambda f: f.box.area).box
    size = pipeline.embedder.chip_size
    assert face.embedding.shape == (128,) and face.chip.shape == (size, size, 3) and face.crop_jpeg
    assert isinstance(pipeline.enrolment_face(photo, min_face_size=5000), PhotoError)
    (tmp_path / "x.jpg").write_bytes(b"not a photo")
    error = pipeline.enrolment_face(tmp_path / "x.jpg")
    assert isinstance(error, PhotoError) and error.kind == "not_image"


def test_member_names_are_folder_names_everywhere():
    from inference.inputs import SORT_OWN_NAMES, member_folder_name, member_name_problem

    for good in ("grandma", "Léo", "Mary Ann", "😀" * 50):
        assert member_name_problem(good) is None and member_folder_name(good) == good
    for bad in ("manifest.csv", "INDEX.HTML", "con", "Nul.txt", "a/b", "a:b", "dad.", " x", "_x", ".x", "😀" * 64, "x" * 65, ""):
        assert member_name_problem(bad), bad
        folder = member_folder_name(bad)  # what a sort makes of it: a folder any disk takes
        assert folder != bad and len(folder.encode()) <= 200 and not set(folder) & set('<>:"/\\|?*')
        assert folder.lower() not in SORT_OWN_NAMES and not folder.startswith((".", "_")) and not folder.endswith((".", " "))
    assert member_folder_name("a/b") != member_folder_name("a:b")  # distinct names stay distinct


def test_train_skips_a_folder_that_cannot_be_a_member(data, tmp_path):
    root = _family(data, tmp_path / "family")
    _photo(data, root / "index.html" / "a.jpg")
    folders = read_member_folders(root)
    assert "index.html" not in folders.members
    (why,) = [s for s in folders.skipped if s.path.name == "index.html"]
    assert why.error and "reserved name" in why.reason
