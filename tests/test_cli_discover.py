"""``familyphoto discover`` on a small mixed album of three people, then ``enrol --from-discover`` of its groups."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli_runner import familyphoto

pytestmark = pytest.mark.slow  # every test runs the CLI in a subprocess

# celeb5 headshots, a different number of each person so that the groups have an order.
PEOPLE = {"ben_afflek": 10, "madonna": 7, "mindy_kaling": 5}


@dataclass(frozen=True)
class Album:
    root: Path
    person: dict[Path, str]  # each photo -> who it shows (its folder in the source data)
    unreadable: Path

    def fingerprint(self) -> dict[Path, tuple[str, int]]:
        """Every file's content hash and modification time: originals are only ever read."""
        return {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in self.root.rglob("*") if p.is_file()}


@dataclass(frozen=True)
class Discovered:
    album: Album
    out: Path
    run: subprocess.CompletedProcess
    before: dict[Path, tuple[str, int]]


@pytest.fixture(scope="module")
def album(data: Path, tmp_path_factory) -> Album:
    """The photos mixed into one folder and its subfolders (copies: a test may compare them), two photos of one name
    in two subfolders, a file that is no photo though named like one, and a text file."""
    root = tmp_path_factory.mktemp("album")
    person: dict[Path, str] = {}
    for name, count in PEOPLE.items():
        for i, photo in enumerate(sorted((data / "celeb5/train" / name).glob("*.jpg"))[:count]):
            target = root / ("day1" if i % 2 else "day2") / f"{name[:3]}{i:02d}.jpg"
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(photo, target)
            person[target] = name
    extra = sorted((data / "celeb5/train/ben_afflek").glob("*.jpg"))[PEOPLE["ben_afflek"] :][:2]
    for folder, photo in zip(("day1", "day2"), extra):  # same name, two folders: both kept, one with a suffix
        shutil.copyfile(photo, root / folder / "same.jpg")
        person[root / folder / "same.jpg"] = "ben_afflek"
    unreadable = root / "day1" / "notes.jpg"
    unreadable.write_text("not a photo")
    (root / "readme.txt").write_text("not a photo either, and not named like one")
    return Album(root.resolve(), {p.resolve(): who for p, who in person.items()}, unreadable.resolve())


@pytest.fixture(scope="module")
def discovered(album: Album, tmp_path_factory) -> Discovered:
    before = album.fingerprint()
    out = tmp_path_factory.mktemp("discover") / "people"
    return Discovered(album, out, familyphoto("discover", str(album.root), "--out", str(out), "-j", "2"), before)


def _groups(out: Path) -> dict[str, list[Path]]:
    """Each person_NN folder's links, as the album photos they point at."""
    return {
        folder.name: sorted(Path(os.readlink(link)) for link in folder.iterdir() if link.is_symlink())
        for folder in sorted(out.glob("person_*"))
    }


def test_discover_groups_each_person_largest_first(discovered: Discovered) -> None:
    run, album, out = discovered.run, discovered.album, discovered.out
    assert run.returncode == 1, run.stderr  # the unreadable photo: done, with an error
    stderr = " ".join(run.stderr.split())
    assert f"skipped {album.unreadable}: not an image" in stderr
    assert "readme.txt" not in stderr  # not named like a photo: left out quietly

    groups = _groups(out)
    assert list(groups) == ["person_01", "person_02", "person_03"]
    for name, links in groups.items():
        assert all(link.is_absolute() and link in album.person for link in links), name  # links to the originals
        who = Counter(album.person[link] for link in links)
        assert who.most_common(1)[0][1] >= 0.9 * len(links), f"{name} mixes people: {who}"
    assert [Counter(album.person[p] for p in links).most_common(1)[0][0] for links in groups.values()] == list(PEOPLE)
    assert {p.name for p in (out / "person_01").iterdir()} >= {"same.jpg", "same (2).jpg"}

    doc = json.loads((out / "clusters.json").read_text())
    assert doc["format"] == "familyphoto-discover" and doc["format_version"] == 1
    assert doc["album"] == str(album.root) and doc["detector"] == "yunet" and doc["embedder"] == "sface"
    assert doc["quality"] == {"min_face_px": 24, "min_sharpness": 50.0}
    assert [g["name"] for g in doc["groups"]] == list(groups)
    sizes = [len(g["faces"]) for g in doc["groups"]]
    assert sizes == sorted(sizes, reverse=True)
    for group in doc["groups"]:
        assert {Path(f["photo"]) for f in group["faces"]} == set(groups[group["name"]])
        for face in group["faces"]:
            x1, y1, x2, y2 = face["box"]
            assert 0 <= x1 < x2 and 0 <= y1 < y2
            assert face["sha256"] == hashlib.sha256(Path(face["photo"]).read_bytes()).hexdigest()
    assert doc["skipped"] == [{"file": str(album.unreadable), "reason": doc["skipped"][0]["reason"]}]
    assert isinstance(doc["faces_in_no_group"], int) and set(doc["faces_left_out"]) == {"too_small", "too_blurred"}
    assert "groups │ 3" in " ".join(run.stderr.split())

    page = (out / "index.html").read_text()
    for group in doc["groups"]:
        photos = len({f["photo"] for f in group["faces"]})
        assert f"{group['name']}</a>, {len(group['faces'])} faces in {photos} photos</h2>" in page
    assert page.count('<img src="data:image/jpeg;base64,') == sum(sizes)
    assert "http://" not in page and "https://" not in page and "<script" not in page  # opens offline

    assert album.fingerprint() == discovered.before  # originals only read


def test_discover_again_replaces_its_own_output_only(discovered: Discovered, tmp_path: Path) -> None:
    out = tmp_path / "people"
    shutil.copytree(discovered.out, out, symlinks=True)
    (out / "person_01" / "my note.txt").write_text("mine")  # things a person put there stay
    (out / "keep.txt").write_text("mine")
    old = json.loads((out / "clusters.json").read_text())
    old["groups"].append({"name": "person_04", "photos": 1, "files": ["gone.jpg"], "faces": []})  # a group of that run
    (out / "clusters.json").write_text(json.dumps(old))
    (out / "person_04").mkdir()
    (out / "person_04" / "gone.jpg").symlink_to(next(iter(discovered.album.person)))

    again = familyphoto("discover", str(discovered.album.root), "--out", str(out), "-j", "2")
    assert again.returncode == 1, again.stderr
    assert not (out / "person_04").exists()
    assert (out / "person_01" / "my note.txt").read_text() == "mine" and (out / "keep.txt").read_text() == "mine"
    assert _groups(out) == _groups(discovered.out)
    assert json.loads((out / "clusters.json").read_text())["groups"] == json.loads((discovered.out / "clusters.json").read_text())["groups"]
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_discover_refuses_what_it_must_not_write(album: Album, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "holiday.jpg").write_text("someone's file")
    refused = familyphoto("discover", str(album.root), "--out", str(other))
    assert refused.returncode == 2 and "error:" in refused.stderr and "is not empty" in refused.stderr
    assert [p.name for p in other.iterdir()] == ["holiday.jpg"] and (other / "holiday.jpg").read_text() == "someone's file"

    not_a_folder = familyphoto("discover", str(album.unreadable), "--out", str(tmp_path / "x"))
    assert not_a_folder.returncode == 2 and "is not a folder" in not_a_folder.stderr
    inside = familyphoto("discover", str(album.root), "--out", str(album.root / "people"))
    assert inside.returncode == 2 and "is inside" in inside.stderr and not (album.root / "people").exists()


def test_enrol_from_discover_then_again(discovered: Discovered, tmp_path: Path) -> None:
    from api.services.store import FamilyStore
    from inference.family import Family

    clusters = discovered.out / "clusters.json"
    doc = json.loads(clusters.read_text())
    faces = {g["name"]: g["faces"] for g in doc["groups"]}
    store_dir = tmp_path / "data"

    first = familyphoto("enrol", "--from-discover", str(clusters), "--name", "person_01=ben", "--name", "person_03=mindy",
                        "--data", str(store_dir), "--train")
    assert first.returncode == 0, first.stderr
    store = FamilyStore(store_dir)
    try:
        assert store.face_counts() == {"ben": len(faces["person_01"]), "mindy": len(faces["person_03"])}
        stored = {(f.photo_sha256, tuple(f.box)) for f in store.faces("ben")}
        assert stored == {(f["sha256"], tuple(f["box"])) for f in faces["person_01"]}  # the same detector: the same boxes
        assert store.latest_job("train", state="succeeded") is not None
    finally:
        store.close()
    assert sorted(Family.load(store_dir / "weights").manifest.members) == ["ben", "mindy"]

    again = familyphoto("enrol", "--from-discover", str(clusters), "--name", "person_01=ben", "--name", "person_03=mindy",
                        "--data", str(store_dir), "--no-train")
    assert again.returncode == 0, again.stderr
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:5]] for line in again.stderr.splitlines() if line.count("│") >= 5}
    assert rows == {"ben": ["0", str(len(faces["person_01"])), "0"], "mindy": ["0", str(len(faces["person_03"])), "0"]}

    unknown = familyphoto("enrol", "--from-discover", str(clusters), "--name", "person_09=leo", "--data", str(store_dir))
    assert unknown.returncode == 2 and "has no group 'person_09'" in unknown.stderr


def test_enrol_from_discover_leaves_out_what_changed_and_refuses_what_cannot_be(discovered: Discovered, tmp_path: Path) -> None:
    from api.services.store import FamilyStore

    doc = json.loads((discovered.out / "clusters.json").read_text())
    group = doc["groups"][1]
    changed, moved = group["faces"][0], group["faces"][1]
    changed["sha256"] = "0" * 64  # as if the photo had been edited since
    moved["box"] = [0, 0, 12, 12]  # no face there
    edited = tmp_path / "clusters.json"
    edited.write_text(json.dumps(doc))
    store_dir = tmp_path / "data"

    run = familyphoto("enrol", "--from-discover", str(edited), "--name", "person_02=madonna", "--data", str(store_dir), "--no-train")
    assert run.returncode == 0, run.stderr
    stderr = " ".join(run.stderr.split())
    assert f"left out: madonna: {changed['photo']}: the photo has changed since its faces were found" in stderr
    assert f"left out: madonna: {moved['photo']}: no face found again at [0, 0, 12, 12]" in stderr
    store = FamilyStore(store_dir)
    try:
        assert store.face_counts() == {"madonna": len(group["faces"]) - 2}
    finally:
        store.close()

    twice = json.loads((discovered.out / "clusters.json").read_text())
    twice["groups"][0]["faces"].append({**twice["groups"][0]["faces"][0], "box": [0, 0, 30, 30]})
    edited.write_text(json.dumps(twice))
    refused = familyphoto("enrol", "--from-discover", str(edited), "--name", "person_01=ben", "--data", str(store_dir))
    assert refused.returncode == 2 and "would be in" in refused.stderr and "twice" in refused.stderr

    for bad in (["--name", "person_01=_ben"], ["--name", "person_01"], []):
        result = familyphoto("enrol", "--from-discover", str(discovered.out / "clusters.json"), *bad, "--data", str(store_dir))
        assert result.returncode == 2 and result.stderr.startswith("error:"), (bad, result.stderr)
    not_ours = familyphoto("enrol", "--from-discover", str(discovered.out / "index.html"), "--name", "person_01=ben")
    assert not_ours.returncode == 2 and "is not a discover clusters.json" in not_ours.stderr
    both = familyphoto("enrol", str(discovered.album.root), "--from-discover", str(discovered.out / "clusters.json"))
    assert both.returncode == 2 and "either FAMILY_DIR or --from-discover" in both.stderr


def test_links_fall_back_to_hard_links_then_copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a disk without symbolic links (some network and FAT disks) the photos are hard-linked, else copied."""
    from cli import discover_output
    from cli.discover_output import Discovery, Group, GroupFace, write_output
    from inference.types import Box
    from library.face_quality import QualitySettings

    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"the photo")
    discovery = Discovery(
        tmp_path, "yunet", "sface", QualitySettings(), [Group("person_01", [GroupFace(photo, Box(0, 0, 10, 10), "0" * 64)])],
        faces_alone=0, faces_too_small=0, faces_too_blurred=0,
    )

    def refused(*_: object, **__: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(discover_output.os, "symlink", refused)
    written, kind = write_output(tmp_path / "hard", discovery)
    placed = tmp_path / "hard/person_01/a.jpg"
    assert kind == "hardlink" and written.groups[0].files == ["a.jpg"] and placed.stat().st_ino == photo.stat().st_ino
    monkeypatch.setattr(discover_output.os, "link", refused)
    _, kind = write_output(tmp_path / "copied", discovery)
    copied = tmp_path / "copied/person_01/a.jpg"
    assert kind == "copy" and copied.read_bytes() == b"the photo" and copied.stat().st_ino != photo.stat().st_ino
