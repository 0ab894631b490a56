"""Which models run: one registry and one precedence rule (argument > environment > manifest > default)."""

from __future__ import annotations

from pathlib import Path

import pytest

from inference.family import Family
from inference.manifest import Manifest
from inference.registry import (
    DETECTORS,
    EMBEDDERS,
    EmbedderMismatch,
    ModelChoice,
    UnknownModel,
    build_detector,
    build_embedder,
    choose_models,
    recipe_class,
)
from inference.settings import Settings


def _family(weights: Path, tmp_path: Path, **manifest_fields) -> Family:
    """A copy of a trained family with some manifest fields changed."""
    family_dir = tmp_path / "family"
    family_dir.mkdir()
    for f in weights.iterdir():
        (family_dir / f.name).write_bytes(f.read_bytes())
    manifest = Manifest.read(family_dir).model_copy(update=manifest_fields)
    manifest.write(family_dir)
    return Family.load(family_dir)


def test_precedence_argument_environment_manifest_default(family_dev_weights, tmp_path, monkeypatch):
    family = _family(family_dev_weights, tmp_path, detector="cnn")
    assert choose_models(Settings()) == ModelChoice("yunet", None, "sface")  # the default
    assert choose_models(Settings(), family).detector == "cnn"  # the manifest
    monkeypatch.setenv("FAMILYPHOTO_DETECTOR", "hog")
    assert choose_models(Settings(), family).detector == "hog"  # the environment beats the manifest
    assert choose_models(Settings(), family, detector="cnn").detector == "cnn"  # an argument beats the environment


def test_detector_weights_follow_the_same_rule(family_dev_weights, tmp_path, monkeypatch):
    family = _family(family_dev_weights, tmp_path, detector="frcnn", detector_weights="trained")
    assert choose_models(Settings(), family) == ModelChoice("frcnn", family.directory / "trained", "sface")
    # The manifest's weights belong to its detector: another detector does not inherit them.
    assert choose_models(Settings(), family, detector="hog").detector_weights is None
    monkeypatch.setenv("FAMILYPHOTO_DETECTOR_WEIGHTS", "/env/weights")
    assert choose_models(Settings(), family).detector_weights == Path("/env/weights")
    assert choose_models(Settings(), family, detector_weights=Path("/given")).detector_weights == Path("/given")


def test_a_family_is_scored_only_with_its_own_embedder(family_dev_weights, tmp_path, monkeypatch):
    family = _family(family_dev_weights, tmp_path, embedder="dlib")
    assert choose_models(Settings(), family).embedder == "dlib"  # a family trained before keeps its embedder
    with pytest.raises(EmbedderMismatch, match="trained on the dlib embedder, not sface: retrain"):
        choose_models(Settings(), family, embedder="sface")
    monkeypatch.setenv("FAMILYPHOTO_EMBEDDER", "sface")
    with pytest.raises(EmbedderMismatch, match="trained on the dlib embedder, not sface: retrain"):
        choose_models(Settings(), family)


def test_unknown_names_are_refused_clearly():
    with pytest.raises(UnknownModel, match="choose one of yunet, hog, cnn"):
        choose_models(Settings(), detector="yolo")
    with pytest.raises(UnknownModel, match="recipe 'nope'"):
        recipe_class("nope")
    with pytest.raises(ValueError, match="needs a trained detector directory"):
        build_detector(ModelChoice("frcnn"), Settings())


def test_every_registered_model_builds(tmp_path):
    for name in ("yunet", "hog", "cnn"):
        assert build_detector(ModelChoice(name), Settings()).name == name
    assert set(DETECTORS) == {"yunet", "hog", "cnn", "frcnn", "detectron2"}
    assert {build_embedder(ModelChoice(embedder=e)).name for e in EMBEDDERS} == {"sface", "dlib_resnet_v1"}
    assert {recipe_class(r).features for r in ("embedding-head", "seed")} == {"embedding", "chip"}
