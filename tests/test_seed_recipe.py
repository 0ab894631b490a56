"""The seed recipe (the original ResNet18 on 30x30 face crops): trains, calibrates, exports, predicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from inference.family import Family
from inference.manifest import Manifest
from inference.models.seed_classifier import SeedClassifier, load_seed
from inference.pipeline import Pipeline
from training.config import SeedTraining, TrainConfig
from training.train import train_family
from training.train_seed import SEED_FLOOR

SHORT = SeedTraining(max_epochs=25, patience=3)


@pytest.fixture(scope="module")
def seed_weights(data: Path, settings, tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("seed-family")
    report = train_family(data / "family-dev/enroll", out, settings, TrainConfig(recipe="seed", seed_training=SHORT))
    return out, report


def test_manifest_says_seed_with_calibrated_thresholds(seed_weights):
    out, report = seed_weights
    manifest = Manifest.read(out)
    assert manifest.recipe == "seed"
    assert len(manifest.members) == 8
    assert manifest.classifier_file in manifest.files
    assert "ResNet18" in manifest.files[manifest.classifier_file].description
    assert set(manifest.thresholds) == set(manifest.members)
    assert all(SEED_FLOOR <= t <= 1.0 for t in manifest.thresholds.values())
    for member, cal in manifest.calibration["members"].items():
        # impostors: the other 7 members' held-out faces (one each for family-dev's 5 photos)
        assert cal["impostor_scores"] == 7, member
        assert cal["false_accept_rate"] <= 0.01
    training = manifest.training
    assert training["hyper_parameters"]["lr"] == 0.001 and training["hyper_parameters"]["batch_size"] == 10
    assert 1 <= training["best_epoch"] <= training["epochs"] <= SHORT.max_epochs
    if training["early_stopping"]:  # stopped `patience` epochs after the best validation loss
        assert training["epochs"] - training["best_epoch"] == SHORT.patience
    assert report.notes["epochs"] == training["epochs"]


def test_weights_are_a_state_dict_loaded_weights_only(seed_weights):
    out, _ = seed_weights
    manifest = Manifest.read(out)
    net, crop = load_seed((out / manifest.classifier_file).read_bytes())
    assert crop == 30
    assert net.fc.out_features == 8


def test_analyze_group_photo_with_the_seed_recipe(seed_weights, settings, data):
    out, _ = seed_weights
    family = Family.load(out)
    assert isinstance(family.classifier, SeedClassifier)
    pipeline = Pipeline(settings, family)
    assert pipeline.features == "chip"
    result = pipeline.analyze(data / "family-dev/photos/bbt1.jpg", crops=False).result
    assert len(result.faces) >= 3
    for face in result.faces:
        assert face.embedding is None  # the recipe scores crops: no embedding was computed
        assert list(face.probabilities) == family.members
        assert all(0.0 <= p <= 1.0 for p in face.probabilities.values())
    assert len(result.present) == len(set(result.present))


def test_each_member_at_most_once_even_when_every_face_passes(seed_weights, settings, data):
    out, _ = seed_weights
    family = Family.load(out)
    family.manifest.thresholds = {m: 0.0 for m in family.members}  # every face passes every member
    result = Pipeline(settings, family).analyze(data / "family-dev/photos/bbt4.jpg", crops=False).result
    assert len(result.faces) >= 2
    assert len(result.present) == min(len(result.faces), len(family.members))
    assert len(result.present) == len(set(result.present))


def test_cli_refuses_an_unknown_recipe(tmp_path):
    from cli.main import app

    result = CliRunner().invoke(app, ["train", str(tmp_path), "--recipe", "nope", "--weights", str(tmp_path / "w")])
    assert result.exit_code == 2
    assert "embedding-head or seed" in result.output


def test_probabilities_differ_between_faces(seed_weights, settings, data):
    """The net looks at the faces: different crops get different scores."""
    out, _ = seed_weights
    result = Pipeline(settings, Family.load(out)).analyze(data / "family-dev/photos/bbt1.jpg", crops=False).result
    rows = np.array([list(f.probabilities.values()) for f in result.faces])
    assert np.ptp(rows, axis=0).max() > 1e-4


def test_service_serves_a_seed_family(seed_weights, settings, data, tmp_path):
    from fastapi.testclient import TestClient

    from api.app import create_app

    out, _ = seed_weights
    with TestClient(create_app(settings.model_copy(update={"data": tmp_path}), out)) as client:
        assert client.get("/version").json()["recipe"] == "seed"
        photo = (data / "family-dev/photos/bbt1.jpg").read_bytes()
        r = client.post("/predict", files={"file": ("bbt1.jpg", photo, "image/jpeg")})
        assert r.status_code == 200, r.text
        faces = r.json()["faces"]
        assert len(faces) >= 3 and all(len(f["probabilities"]) == 8 for f in faces)


def test_sort_runs_with_a_seed_family(seed_weights, settings, data, tmp_path):
    from sorting.run import sort_photos

    out, _ = seed_weights
    report = sort_photos(data / "family-dev/photos", tmp_path / "sorted", out, settings, dry_run=True, workers=1)
    assert report.photos == report.analysed == 5 and not report.errors
    assert sum(report.folders.values()) >= 5  # each photo lands in one folder per member, or a catch-all
