"""Face-detector data, a short Faster R-CNN training run, its export and reload, and COCO evaluation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inference.manifest import sha256_file
from inference.registry import ModelChoice, build_detector
from inference.settings import Settings
from inference.models.frcnn import DETECTOR_MANIFEST, DetectorManifest, FrcnnDetector
from inference.pipeline import Pipeline
from inference.types import Box, Detection
from training.detection.convert import convert, imglab_to_coco, split_of, split_subset
from training.detection.data import load_rgb
from training.detection.evaluate import coco_metrics, evaluate_detector
from training.detection.train_detector import DetectorTraining, train_detector

TINY = DetectorTraining(max_iterations=2, batch_size=1, min_size=128, max_size=192, warmup_iterations=2)


@pytest.fixture(scope="module")
def dlib_faces(data: Path) -> Path:
    return data / "detection/dlib_faces"


@pytest.fixture(scope="module")
def short_detector(dlib_faces: Path, tmp_path_factory) -> Path:
    """A Faster R-CNN trained for two iterations on dlib_faces by ``familyphoto train-detector``
    (the path end to end, not a useful model)."""
    from cli.main import app

    out = tmp_path_factory.mktemp("frcnn")
    args = ["train-detector", str(dlib_faces), "--weights", str(out), "--max-iterations", "2", "--batch-size", "1",
            "--min-size", "128", "--max-size", "192", "--no-evaluate"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "2 iterations" in result.output
    return out


def test_dlib_imglab_converts_to_43_faces_in_9_photos(dlib_faces: Path):
    coco = convert(dlib_faces)
    assert len(coco["images"]) == 9
    assert len(coco["annotations"]) == 43  # training.xml 18 + testing.xml 25
    assert {a["category_id"] for a in coco["annotations"]} == {1}
    assert coco["categories"] == [{"id": 1, "name": "face", "supercategory": "face"}]
    for image in coco["images"]:  # referenced where they are, never copied
        assert Path(image["file_name"]).is_absolute() and Path(image["file_name"]).parent == dlib_faces.resolve()
    first = next(a for a in coco["annotations"] if a["image_id"] == 1)
    assert first["bbox"] == [194.0, 90.0, 37.0, 37.0]  # <box top='90' left='194' width='37' height='37'/>
    train, val = split_subset(coco, "train"), split_subset(coco, "val")
    assert len(train["images"]) + len(val["images"]) == 9 and train["images"] and val["images"]
    assert len(train["annotations"]) + len(val["annotations"]) == 43


def test_listing_an_image_twice_keeps_it_once(dlib_faces: Path):
    coco = imglab_to_coco([dlib_faces / "training.xml", dlib_faces / "training_with_face_landmarks.xml"])
    assert len(coco["images"]) == 4 and len(coco["annotations"]) == 18


def test_facemask_voc_three_classes_all_faces(data: Path):
    coco = convert(data / "detection/facemask_voc")
    assert len(coco["images"]) == 853
    assert len(coco["annotations"]) == 4072
    assert {a["source_class"] for a in coco["annotations"]} == {"con_mascarilla", "sin_mascarilla", "mascarilla_mal_puesta"}
    val = split_subset(coco, "val")
    assert 0.12 < len(val["images"]) / 853 < 0.28
    # deterministic: a second conversion gives the same split, decided by the file name alone
    again = split_subset(convert(data / "detection/facemask_voc"), "val")
    assert [i["file_name"] for i in again["images"]] == [i["file_name"] for i in val["images"]]
    assert all(split_of("/elsewhere/" + Path(i["file_name"]).name) == "val" for i in val["images"])


def test_coco_metrics_of_perfect_and_shifted_detections(dlib_faces: Path):
    coco = split_subset(convert(dlib_faces), "val")
    perfect = [{"image_id": a["image_id"], "category_id": 1, "bbox": a["bbox"], "score": 1.0} for a in coco["annotations"]]
    assert coco_metrics(coco, perfect) == pytest.approx({"AP": 1.0, "AP50": 1.0, "recall": 1.0, "AR100": 1.0}, abs=1e-6)
    # boxes moved by their full width overlap nothing: no AP at all
    shifted = [{**r, "bbox": [r["bbox"][0] + r["bbox"][2], *r["bbox"][1:]]} for r in perfect]
    assert coco_metrics(coco, shifted)["AP50"] == 0.0
    assert coco_metrics(coco, []) == {"AP": 0.0, "AP50": 0.0, "recall": 0.0, "AR100": 0.0}


def test_hog_on_the_validation_split(dlib_faces: Path, settings):
    figures = evaluate_detector(build_detector(ModelChoice("hog"), settings), split_subset(convert(dlib_faces), "val"))
    assert figures["faces"] == 19 and figures["images"] == 3
    assert 0.5 <= figures["AP50"] <= 1.0  # measured 0.68
    assert 0.5 <= figures["recall"] <= 1.0
    assert figures["AP"] <= figures["AP50"]


def test_short_training_exports_a_detector_directory(short_detector: Path):
    manifest = DetectorManifest.read(short_detector)
    assert manifest.backend == "torchvision" and manifest.classes == ["face"]
    assert manifest.training["iterations"] == 2 and manifest.training["pretrained_backbone"] is False
    assert manifest.training["train_images"] == 6
    assert sha256_file(short_detector / manifest.weights_file) == manifest.sha256
    assert (short_detector / DETECTOR_MANIFEST).is_file()


def test_reloads_through_the_registry_and_returns_boxes(short_detector: Path, dlib_faces: Path):
    detector = build_detector(
        ModelChoice("frcnn", short_detector), Settings(detect_size=1600, detect_max_upscale=1.5, min_face_score=-0.4, detector_min_score=0.0)
    )
    assert isinstance(detector, FrcnnDetector)
    pixels = load_rgb(str(dlib_faces / "2008_002506.jpg"))
    height, width = pixels.shape[:2]
    detections = detector.detect(pixels)
    assert detections, "with no score cut an untrained detector still proposes boxes"
    for d in detections:
        assert isinstance(d, Detection) and isinstance(d.box, Box)
        assert all(isinstance(v, int) for v in d.box.as_list())
        assert 0 <= d.box.x1 < d.box.x2 <= width and 0 <= d.box.y1 < d.box.y2 <= height
        assert 0.0 <= d.score <= 1.0
    areas = [d.box.area for d in detections]
    assert areas == sorted(areas, reverse=True)
    assert detector.describe()["sha256"] == DetectorManifest.read(short_detector).sha256


def test_its_own_threshold_not_the_hog_margin(short_detector: Path):
    detector = build_detector(ModelChoice("frcnn", short_detector), Settings(detect_size=800, min_face_score=-0.4))
    detector.load()
    assert detector.min_score == DetectorManifest.read(short_detector).score_threshold == 0.5


def test_a_damaged_weights_file_is_refused(short_detector: Path, tmp_path: Path):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / DETECTOR_MANIFEST).write_bytes((short_detector / DETECTOR_MANIFEST).read_bytes())
    (damaged / "detector.pt").write_bytes(b"not the weights")
    with pytest.raises(ValueError, match="checksum"):
        build_detector(ModelChoice("frcnn", damaged), Settings(detect_size=800)).load()


def test_pipeline_picks_frcnn_from_settings_and_from_the_family_manifest(short_detector, family_dev_weights, settings, data, tmp_path):
    from inference.family import Family
    from inference.manifest import Manifest

    photo = data / "family-dev/photos/bbt1.jpg"
    by_settings = Pipeline(
        settings.model_copy(update={"detector": "frcnn", "detector_weights": short_detector, "detector_min_score": 0.0})
    )
    assert by_settings.detector.name == "frcnn"
    faces = by_settings.analyze(photo, crops=False).result.faces
    assert faces and all(f.embedding.shape == (128,) for f in faces)

    # A family whose manifest names the trained detector: predict uses it with no setting at all.
    family_dir = tmp_path / "family"
    family_dir.mkdir()
    for f in family_dev_weights.iterdir():
        (family_dir / f.name).write_bytes(f.read_bytes())
    manifest = Manifest.read(family_dir)
    manifest.detector, manifest.detector_weights = "frcnn", str(short_detector)
    manifest.write(family_dir)
    pipeline = Pipeline(settings.model_copy(update={"detector_min_score": 0.0}), Family.load(family_dir))
    assert pipeline.detector.name == "frcnn" and pipeline.detector.weights == short_detector
    result = pipeline.analyze(photo, crops=False).result
    assert result.faces and all(len(f.probabilities) == 8 for f in result.faces)
    assert len(result.present) == len(set(result.present))


def test_predict_command_with_the_frcnn_detector(short_detector, family_dev_weights, data):
    env = {**os.environ, "FAMILYPHOTO_DETECTOR_WEIGHTS": str(short_detector), "FAMILYPHOTO_DETECTOR_MIN_SCORE": "0.0"}
    out = subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", "predict", "--no-crops", "--detector", "frcnn",
         "-j", "1", "-w", str(family_dev_weights), str(data / "family-dev/photos/bbt2.jpg")],
        capture_output=True, text=True, env=env, timeout=300, cwd=Path(__file__).resolve().parents[1],
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.splitlines()[0])
    assert result["faces"] and all(len(f["probabilities"]) == 8 for f in result["faces"])


def test_evaluate_detector_command_prints_coco_figures(short_detector: Path, dlib_faces: Path, tmp_path: Path):
    from cli.main import app

    runner = CliRunner()
    coco = tmp_path / "faces.json"
    assert runner.invoke(app, ["convert-detections", str(dlib_faces), str(coco)]).exit_code == 0
    assert len(json.loads(coco.read_text())["annotations"]) == 43
    hog = runner.invoke(app, ["evaluate-detector", str(coco), "--detector", "hog"])
    assert hog.exit_code == 0, hog.output
    figures = json.loads(next(line for line in hog.stdout.splitlines() if line.startswith("{")))
    assert figures["detector"] == "hog" and figures["faces"] == 19 and figures["AP50"] == pytest.approx(0.683, abs=0.01)
    frcnn = runner.invoke(app, ["evaluate-detector", str(coco), "--weights", str(short_detector)])
    assert frcnn.exit_code == 0, frcnn.output
    figures = json.loads(next(line for line in frcnn.stdout.splitlines() if line.startswith("{")))
    assert figures["detector"] == "frcnn" and figures["images"] == 3
    assert all(0.0 <= figures[k] <= 1.0 for k in ("AP", "AP50", "recall"))


def test_service_with_the_frcnn_detector(short_detector, family_dev_weights, settings, data, tmp_path):
    from fastapi.testclient import TestClient

    from api.app import create_app

    chosen = settings.model_copy(update={
        "data": tmp_path, "detector": "frcnn", "detector_weights": short_detector, "detector_min_score": 0.0,
    })
    with TestClient(create_app(chosen, family_dev_weights)) as client:
        assert client.get("/version").json()["detector"]["name"] == "frcnn"
        photo = (data / "family-dev/photos/bbt1.jpg").read_bytes()
        r = client.post("/predict", files={"file": ("bbt1.jpg", photo, "image/jpeg")})
        assert r.status_code == 200, r.text
        assert r.json()["faces"] and all(len(f["probabilities"]) == 8 for f in r.json()["faces"])


def test_detectron2_backend_trains_loads_and_detects(dlib_faces: Path, tmp_path: Path):
    from dataclasses import replace

    from inference.models.detectron2_detector import INSTALL, detectron2_available

    if not detectron2_available():
        pytest.skip(f"detectron2 is not installed (it is not on PyPI; {INSTALL})")
    train_detector(dlib_faces, tmp_path, replace(TINY, backend="detectron2"))
    assert DetectorManifest.read(tmp_path).backend == "detectron2"
    detector = build_detector(ModelChoice("detectron2", tmp_path), Settings(detect_size=800, detector_min_score=0.0))
    pixels = load_rgb(str(dlib_faces / "2008_002506.jpg"))
    for d in detector.detect(pixels):
        assert 0 <= d.box.x1 <= d.box.x2 <= pixels.shape[1] and 0.0 <= d.score <= 1.0
