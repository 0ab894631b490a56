"""The seed recipe (the original ResNet18 on 30x30 face crops, pretrained by distilling the embedder):
pretrains, trains, calibrates, exports, predicts."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from inference.decision import DECISION_THRESHOLD
from inference.family import Family
from inference.manifest import Manifest
from inference.models.seed_classifier import SeedClassifier, build_seed_net, crops_from_chips, crops_to_tensor, load_seed, save_seed
from inference.pipeline import Pipeline
from training.config import SeedTraining, TrainConfig
from training.distil import Distillation, load_pretrained
from training.export import ExtraFile, export_family
from training.train import train_family
from training.train_seed import SEED_LOGIT_FLOOR

# A short run: 2 epochs of pretraining on family-dev's crops and dlib_faces' photos (about 120 faces).
SHORT = SeedTraining(max_epochs=25, patience=3, distillation=Distillation(epochs=2, max_faces=200))


@pytest.fixture(scope="module")
def seed_weights(data: Path, settings, tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("seed-family")
    config = TrainConfig(recipe="seed", seed_training=SHORT, pretrain_dirs=(data / "detection/dlib_faces",))
    report = train_family(data / "family-dev/enroll", out, settings, config)
    return out, report


@pytest.mark.slow  # seed_weights: trains the ResNet18 recipe
def test_manifest_says_seed_with_calibrated_thresholds(seed_weights):
    out, report = seed_weights
    manifest = Manifest.read(out)
    assert manifest.recipe == "seed"
    assert len(manifest.members) == 8
    assert manifest.classifier_file in manifest.files
    assert "ResNet18" in manifest.files[manifest.classifier_file].description
    # calibrated: every member's threshold is probability 0.5, the per-member ones live on the raw logits
    assert manifest.thresholds == {m: DECISION_THRESHOLD for m in manifest.members}
    assert manifest.calibration["platt_slope"] > 0
    for member, cal in manifest.calibration["members"].items():
        # impostors: the other 7 members' held-out faces (one each for family-dev's 5 photos)
        assert cal["impostor_scores"] == 7, member
        assert cal["false_accept_rate"] <= 0.01
        assert cal["logit_threshold"] >= SEED_LOGIT_FLOOR and cal["threshold"] == DECISION_THRESHOLD
    training = manifest.training
    assert training["hyper_parameters"]["lr"] == 0.001 and training["hyper_parameters"]["batch_size"] == 10
    assert training["head"] == "new member layer on the frozen distilled embedding"
    assert 1 <= training["best_epoch"] <= training["epochs"] <= SHORT.max_epochs
    if training["early_stopping"]:  # stopped `patience` epochs after the best validation loss
        assert training["epochs"] - training["best_epoch"] == SHORT.patience
    assert report.notes["epochs"] == training["epochs"]


@pytest.mark.slow  # seed_weights: trains the ResNet18 recipe
def test_pretraining_is_its_own_file_in_the_family_folder(seed_weights, data, tmp_path):
    import shutil

    from inference.family import FamilyInvalid

    out, report = seed_weights
    manifest = Manifest.read(out)
    pretraining = manifest.training["pretraining"]
    name = pretraining["file"]
    assert set(manifest.files) == {manifest.classifier_file, name}
    assert sorted(p.name for p in out.iterdir()) == sorted([manifest.classifier_file, name, "manifest.json"])
    entry = manifest.files[name]
    blob = (out / name).read_bytes()
    assert entry.sha256 == hashlib.sha256(blob).hexdigest() and entry.bytes == len(blob)
    # how it was made: teacher, faces and sources, epochs, final loss
    sources = pretraining["sources"]
    assert set(sources) == {"family photos", str(data / "detection/dlib_faces")}  # no strangers given: not listed
    assert sources["family photos"] == {"photos": 40, "faces": 40, "unreadable": 0}
    assert pretraining["teacher"] == "sface" and pretraining["epochs"] == 2
    assert pretraining["faces"] == min(pretraining["faces_found"], 200)
    for fact in ("sface embedder", f"{pretraining['faces_found']} faces", "2 sources", "2 epochs",
                 f"final loss {pretraining['loss_final']:.4f}"):
        assert fact in entry.description, fact
    # a few hundred faces teach little: the report (and manifest) say what to add
    assert any("pretraining saw only" in w and "--pretrain-faces" in w for w in report.warnings)
    assert manifest.training["warnings"] == report.warnings
    net = load_pretrained(blob)  # the student: a 128-d output, loaded weights-only
    assert net.fc.out_features == 128
    # the classifier started from it and kept it (the default head: frozen), the member layer on top
    classifier = load_seed((out / manifest.classifier_file).read_bytes()).net
    assert torch.equal(classifier.conv1.weight, net.conv1.weight)
    assert torch.equal(classifier.fc.embedding.weight, net.fc.weight)
    assert torch.equal(classifier.layer4[1].bn2.running_mean, net.layer4[1].bn2.running_mean)
    # the manifest's hash covers it: a damaged pretraining file makes the family invalid, like a damaged classifier
    copy = tmp_path / "family"
    shutil.copytree(out, copy)
    (copy / name).write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(FamilyInvalid, match=name):
        Family.load(copy)


@pytest.mark.slow  # seed_weights: trains the ResNet18 recipe
def test_weights_are_a_state_dict_loaded_weights_only(seed_weights):
    out, _ = seed_weights
    manifest = Manifest.read(out)
    seed = load_seed((out / manifest.classifier_file).read_bytes())
    assert seed.crop_size == 30
    assert seed.net.fc.out_features == 8
    assert seed.calibrated
    members = manifest.calibration["members"]
    assert seed.thresholds.tolist() == pytest.approx([members[m]["logit_threshold"] for m in manifest.members])
    assert seed.slope == pytest.approx(manifest.calibration["platt_slope"], abs=1e-5)


@pytest.mark.slow  # seed_weights: trains the ResNet18 recipe
def test_chips_of_112_px_flow_through(seed_weights):
    _, report = seed_weights
    assert report.dataset.chips.shape[1:] == (112, 112, 3)  # SFace's chips, not dlib's 150


@pytest.mark.slow  # seed_weights: trains the ResNet18 recipe
def test_decision_is_probability_at_least_one_half(seed_weights, settings, data):
    out, _ = seed_weights
    family = Family.load(out)
    pipeline = Pipeline(settings, family)
    seed = family.classifier
    assert (family.thresholds == DECISION_THRESHOLD).all()
    photo = data / "family-dev/photos/bbt1.jpg"
    for face in pipeline.analyze(photo, crops=False).result.faces:
        if face.member is not None:
            assert face.probabilities[face.member] >= DECISION_THRESHOLD
        if max(face.probabilities.values()) < DECISION_THRESHOLD:
            assert face.member is None
    # the probabilities are the calibrated output: sigmoid(slope * (raw logit - threshold)), the raw
    # logit the mean over the crop and its mirror image
    chips = np.stack([f.chip for f in pipeline.every_face(photo)])
    x = crops_to_tensor(crops_from_chips(chips))
    with torch.inference_mode():
        raw = (seed.seed.net(x) + seed.seed.net(x.flip(3))) / 2
        expected = torch.sigmoid(seed.seed.slope * (raw - seed.seed.thresholds)).numpy()
    assert seed.probabilities(chips) == pytest.approx(expected, abs=1e-5)
    # at the boundary: a member's logit threshold just under the best face's raw logit accepts
    # that face alone (probability just over 0.5); just over it, nobody
    member = 3
    best = int(raw[:, member].argmax())
    for step, expected_member in ((-1e-3, family.members[member]), (1e-3, None)):
        thresholds = torch.full((len(family.members),), 1e6)
        thresholds[member] = raw[best, member] + step
        seed.seed.thresholds = thresholds
        faces = pipeline.analyze(photo, crops=False).result.faces
        assert (faces[best].probabilities[family.members[member]] >= DECISION_THRESHOLD) == (step < 0)
        assert faces[best].member == expected_member
        assert all(f.member is None for i, f in enumerate(faces) if i != best)


@pytest.mark.slow  # seed_weights: trains the ResNet18 recipe
def test_recalibration_floor_is_a_raw_logit_of_zero(seed_weights):
    from training.recalibrate import floors

    out, _ = seed_weights
    family = Family.load(out)
    seed = family.classifier
    for i, (member, floor) in enumerate(floors(family).items()):
        assert 0 < floor <= DECISION_THRESHOLD  # the thresholds are never below raw logit 0
        assert floor == pytest.approx(1 / (1 + np.exp(seed.seed.slope * float(seed.seed.thresholds[i]))))


def test_an_older_seed_file_without_calibration_still_loads(tmp_path):
    """Seed files from before the calibration hold no thresholds: their raw sigmoid goes to the manifest's."""
    torch.manual_seed(0)
    net = build_seed_net(3).eval()
    chips = np.random.default_rng(0).integers(0, 255, (4, 112, 112, 3), dtype=np.uint8)
    with torch.inference_mode():
        raw = net(crops_to_tensor(crops_from_chips(chips))).numpy()
    old = tmp_path / "old.pt"
    old.write_bytes(save_seed(net, 3))
    classifier = SeedClassifier(old, ["a", "b", "c"])
    assert classifier.probabilities(chips) == pytest.approx(1 / (1 + np.exp(-raw)), abs=1e-5)
    assert not classifier.seed.calibrated
    new = tmp_path / "new.pt"
    new.write_bytes(save_seed(net, 3, thresholds=np.array([0.5, 1.0, 2.0]), slope=2.0))
    calibrated = SeedClassifier(new, ["a", "b", "c"])
    expected = 1 / (1 + np.exp(-2.0 * (raw - np.array([0.5, 1.0, 2.0]))))
    assert calibrated.probabilities(chips) == pytest.approx(expected, abs=1e-5)


def test_export_writes_extra_files_and_removes_the_old_family_s(tmp_path):
    fields = {"created": "2026-11-28T00:00:00Z", "members": ["a"], "thresholds": {"a": 0.5}, "recipe": "seed",
              "detector": "yunet", "embedder": "sface", "models": {}}
    first = export_family(tmp_path, b"classifier 1", fields, extra_files=[ExtraFile("pretrain", b"weights 1", "how 1")])
    names = set(first.files)
    assert len(names) == 2 and all((tmp_path / n).is_file() for n in names)
    extra = next(n for n in names if n.startswith("pretrain-"))
    assert first.files[extra].description == "how 1"
    assert first.files[extra].sha256 == hashlib.sha256(b"weights 1").hexdigest()
    second = export_family(tmp_path, b"classifier 2", fields)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*second.files, "manifest.json"])
    assert not (tmp_path / extra).exists()


@pytest.mark.slow  # seed_weights: trains the ResNet18 recipe
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


@pytest.mark.slow  # seed_weights: trains the ResNet18 recipe
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


def test_cli_refuses_a_missing_pretrain_faces_folder(tmp_path):
    from cli.main import app

    missing = tmp_path / "no-such-folder"
    result = CliRunner().invoke(
        app, ["train", str(tmp_path), "--recipe", "seed", "--pretrain-faces", str(missing), "--weights", str(tmp_path / "w")]
    )
    assert result.exit_code == 2
    assert f"--pretrain-faces {missing} is not a folder" in " ".join(result.output.split())
    assert not (tmp_path / "w").exists()


def test_cli_refuses_pretrain_faces_for_the_embedding_head(tmp_path):
    from cli.main import app

    result = CliRunner().invoke(app, ["train", str(tmp_path), "--pretrain-faces", str(tmp_path), "--weights", str(tmp_path / "w")])
    assert result.exit_code == 2
    assert "--pretrain-faces is for --recipe seed" in " ".join(result.output.split())


def test_train_family_refuses_a_missing_pretrain_folder_before_any_work(tmp_path):
    from inference.inputs import FamilyDirError
    from inference.settings import Settings

    config = TrainConfig(recipe="seed", pretrain_dirs=(tmp_path / "gone",))
    with pytest.raises(FamilyDirError, match="is not a folder"):
        train_family(tmp_path / "no-family-either", tmp_path / "w", Settings(workers=1), config)


@pytest.mark.slow  # seed_weights: trains the ResNet18 recipe
def test_probabilities_differ_between_faces(seed_weights, settings, data):
    """The net looks at the faces: different crops get different scores."""
    out, _ = seed_weights
    result = Pipeline(settings, Family.load(out)).analyze(data / "family-dev/photos/bbt1.jpg", crops=False).result
    rows = np.array([list(f.probabilities.values()) for f in result.faces])
    assert np.ptp(rows, axis=0).max() > 1e-4


@pytest.mark.slow  # seed_weights: trains the ResNet18 recipe
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


@pytest.mark.slow  # seed_weights: trains the ResNet18 recipe
def test_sort_runs_with_a_seed_family(seed_weights, settings, data, tmp_path):
    from sorting.run import sort_photos

    out, _ = seed_weights
    report = sort_photos(data / "family-dev/photos", tmp_path / "sorted", out, settings, dry_run=True, workers=1)
    assert report.photos == report.analysed == 5 and not report.errors
    assert sum(report.folders.values()) >= 5  # each photo lands in one folder per member, or a catch-all
