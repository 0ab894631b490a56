"""Detector datasets as they are exported: a COCO json whose file_names are relative to an image folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from training.detection.convert import convert, load_coco

runner = CliRunner()


@pytest.fixture
def dlib_faces(data: Path) -> Path:
    return data / "detection/dlib_faces"


def _relative_json(coco: dict, path: Path, keep: int | None = None) -> Path:
    """``coco`` written with bare file names (an export's layout), its first ``keep`` images only."""
    images = coco["images"][:keep]
    ids = {im["id"] for im in images}
    relative = {
        **coco,
        "images": [{**im, "file_name": Path(im["file_name"]).name} for im in images],
        "annotations": [a for a in coco["annotations"] if a["image_id"] in ids],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(relative))
    return path


def _link_images(coco: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for im in coco["images"]:
        (folder / Path(im["file_name"]).name).symlink_to(im["file_name"])


def test_relative_names_load_from_images_beside_or_given(dlib_faces, tmp_path):
    coco = convert(dlib_faces)
    absolute = {im["file_name"] for im in coco["images"]}
    # --images DIR: the folder the names are relative to.
    given = _relative_json(coco, tmp_path / "given/faces.json")
    assert {im["file_name"] for im in load_coco(given, dlib_faces)["images"]} == absolute
    # Default 1: the json's own folder (links there, the originals never copied).
    beside = _relative_json(coco, tmp_path / "beside/faces.json")
    _link_images(coco, tmp_path / "beside")
    loaded = load_coco(beside)["images"]
    assert {Path(im["file_name"]).parent for im in loaded} == {tmp_path / "beside"}
    # Default 2: images/ beside the json (Label Studio, CVAT).
    export = _relative_json(coco, tmp_path / "export/result.json")
    _link_images(coco, tmp_path / "export/images")
    assert {Path(im["file_name"]).parent for im in load_coco(export)["images"]} == {tmp_path / "export/images"}
    # Absolute names keep working, annotations untouched.
    whole = tmp_path / "abs.json"
    whole.write_text(json.dumps(coco))
    assert load_coco(whole)["images"] == coco["images"] and load_coco(whole)["annotations"] == coco["annotations"]


def test_a_missing_image_is_named_with_the_folders_tried(dlib_faces, tmp_path):
    path = _relative_json(convert(dlib_faces), tmp_path / "faces.json")
    result = runner.invoke(app, ["evaluate-detector", str(path), "--detector", "hog"])
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "9 of 9 images not found" in message and "2007_007763.jpg" in message
    assert str(tmp_path / "images") in message and "--images DIR" in message
    result = runner.invoke(app, ["evaluate-detector", str(path), "--images", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "is not a folder" in result.output
    voc = runner.invoke(app, ["convert-detections", str(dlib_faces), str(tmp_path / "x.json"), "--images", str(tmp_path)])
    assert voc.exit_code == 2 and "--images is for a COCO .json" in " ".join(voc.output.split())


def test_evaluate_detector_gives_the_same_figures_either_way(dlib_faces, tmp_path):
    coco = convert(dlib_faces)
    absolute = tmp_path / "abs.json"
    absolute.write_text(json.dumps(coco))
    relative = _relative_json(coco, tmp_path / "rel/faces.json")
    runs = [
        runner.invoke(app, ["evaluate-detector", str(absolute), "--detector", "hog", "--split", "all"]),
        runner.invoke(app, ["evaluate-detector", str(relative), "--detector", "hog", "--split", "all", "--images", str(dlib_faces)]),
    ]
    figures = []
    for run in runs:
        assert run.exit_code == 0, run.output
        figures.append({k: v for k, v in json.loads(run.stdout.strip().splitlines()[-1]).items() if k not in ("dataset", "seconds_per_image")})
    assert figures[0] == figures[1] and figures[0]["faces"] > 0
