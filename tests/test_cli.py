"""``familyphoto train`` and ``familyphoto predict`` as a user runs them."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli_runner import familyphoto
from inference.manifest import Manifest




pytestmark = pytest.mark.slow  # every test runs the CLI in a subprocess; `trained` trains a family there


@pytest.fixture(scope="module")
def trained(data: Path, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """family-dev's members as a user's FAMILY_DIR, with a photo without a face and a broken one."""
    family = tmp_path_factory.mktemp("family")
    for member_dir in sorted((data / "family-dev/enroll").iterdir()):
        (family / member_dir.name).mkdir()
        for photo in sorted(member_dir.iterdir()):
            (family / member_dir.name / photo.name).symlink_to(photo)
    sky = np.tile(np.linspace(0, 255, 320, dtype=np.uint8), (240, 1))
    Image.fromarray(sky).save(family / "amy" / "sky.jpg")
    (family / "raj" / "notes.jpg").write_text("not a photo")
    weights = tmp_path_factory.mktemp("weights")
    result = familyphoto("train", str(family), "--weights", str(weights))
    return weights, result


def test_train_writes_manifest_and_reports(trained):
    weights, result = trained
    # The family is trained from the readable photos; the unreadable one makes the exit code 1.
    assert result.returncode == 1, result.stderr
    assert "1 photos or folders could not be read" in result.stderr
    manifest = Manifest.read(weights)
    assert manifest.members == ["amy", "bernadette", "howard", "leonard", "penny", "raj", "sheldon", "stuart"]
    assert set(manifest.thresholds) == set(manifest.members)
    assert all(t == 0.5 for t in manifest.thresholds.values())  # calibrated: 50% is every member's threshold
    assert manifest.training["faces_per_member"] == {m: 5 for m in manifest.members}
    assert manifest.models["embedder"]["name"] == "sface" and manifest.embedder == "sface"
    assert manifest.models["detector"]["name"] == "yunet"
    assert (weights / manifest.classifier_file).is_file()
    # the dropped photos are named, with why
    assert "sky.jpg" in result.stderr and "no face" in result.stderr
    assert "notes.jpg" in result.stderr and "not an image" in result.stderr
    dropped = {Path(d["file"]).name for d in manifest.training["photos_dropped"]}
    assert dropped == {"sky.jpg", "notes.jpg"}
    # per-member validation figures are printed
    assert "precision" in result.stderr and "sheldon" in result.stderr


def test_predict_jsonl_shape_members_and_errors(trained, data, family_dev_labels, tmp_path):
    weights, _ = trained
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.jpg").write_bytes(b"")
    (bad / "readme.txt").write_text("not a photo, and not walked into")
    result = familyphoto("predict", str(data / "family-dev/photos"), str(bad), str(tmp_path / "missing.jpg"), "--weights", str(weights))
    assert result.returncode == 1  # some photos failed
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    by_name = {Path(r["file"]).name: r for r in lines}
    assert set(by_name) == {"bbt1.jpg", "bbt2.jpg", "bbt3.jpg", "bbt4.jpg", "bbt5.jpg", "empty.jpg", "missing.jpg"}
    assert by_name["empty.jpg"]["error"] == "empty file"
    assert "no such file" in by_name["missing.jpg"]["error"]

    bbt3 = by_name["bbt3.jpg"]
    width, height = Image.open(data / "family-dev/photos/bbt3.jpg").size
    assert (bbt3["width"], bbt3["height"]) == (width, height)
    assert sorted(bbt3["present"]) == sorted(family_dev_labels["bbt3.jpg"])
    for face in bbt3["faces"]:
        assert set(face) == {"box", "score", "probabilities", "member", "crop"}
        x1, y1, x2, y2 = face["box"]
        assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
        assert set(face["probabilities"]) == set(Manifest.read(weights).members)
        crop = Image.open(io.BytesIO(base64.b64decode(face["crop"])))
        assert crop.format == "JPEG" and max(crop.size) <= 160
    # each member at most once per photo
    for r in lines:
        if "present" in r:
            assert len(r["present"]) == len(set(r["present"]))


def test_predict_reports_every_input_it_cannot_read(trained, data, tmp_path):
    """A pipe is refused, not waited on; a broken link is an error line; the exit code says so."""
    import os

    weights, _ = trained
    folder = tmp_path / "trip"
    folder.mkdir()
    (folder / "bbt2.jpg").symlink_to(data / "family-dev/photos/bbt2.jpg")
    (folder / "gone.jpg").symlink_to(tmp_path / "nowhere.jpg")
    os.mkfifo(tmp_path / "pipe.jpg")
    result = familyphoto("predict", str(folder), str(tmp_path / "pipe.jpg"), "--weights", str(weights), "--no-crops")
    assert result.returncode == 1
    by_name = {Path(r["file"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert by_name["gone.jpg"]["error"] == "broken link"
    assert "not a regular file" in by_name["pipe.jpg"]["error"]
    assert sorted(by_name["bbt2.jpg"]["present"]) == ["leonard", "sheldon"]


def test_predict_no_crops_and_weights_from_environment(trained, data):
    weights, _ = trained
    result = familyphoto("predict", str(data / "family-dev/photos/bbt2.jpg"), "--no-crops", env={"FAMILYPHOTO_WEIGHTS": str(weights)})
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    r = json.loads(line)
    assert all("crop" not in f for f in r["faces"])
    assert sorted(r["present"]) == ["leonard", "sheldon"]


def test_predict_without_a_trained_family_says_how_to_train(tmp_path, data):
    result = familyphoto("predict", str(data / "family-dev/photos/bbt2.jpg"), "--weights", str(tmp_path / "nothing"))
    assert result.returncode == 2
    assert "familyphoto train" in result.stderr
    assert result.stdout == ""


def test_train_on_a_folder_without_members_is_a_clear_error(tmp_path):
    result = familyphoto("train", str(tmp_path), "--weights", str(tmp_path / "w"))
    assert result.returncode == 2
    assert "no member folders" in result.stderr
