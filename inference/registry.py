"""Which models run: every detector, embedder and classifier recipe by name, and one precedence rule.

The rule, for the detector, its trained weights and the embedder alike:
an explicit argument (a command's option) > the environment (``FAMILYPHOTO_*`` settings) >
the family's manifest > the default. The pipeline, training, ``evaluate-detector`` and the
sort cache's model id all ask :func:`choose_models`, so they never disagree.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, get_args

from inference.manifest import Manifest
from inference.models.detector import FaceDetector
from inference.models.embedder import FaceEmbedder
from inference.models.member_classifier import MemberClassifier
from inference.settings import DetectorName, EmbedderName, Settings

# The defaults: OpenCV Zoo's YuNet and SFace (docs/benchmarks.md: more faces found, siblings and
# strangers told apart better, at about the same speed as hog + dlib).
DEFAULT_DETECTOR = "yunet"
DEFAULT_EMBEDDER = "sface"

# name -> "module:class", imported on first use (torchvision and Detectron2 cost seconds to import).
DETECTORS: dict[str, str] = {
    "yunet": "inference.models.yunet:YunetDetector",
    "hog": "inference.models.dlib_detectors:HogDetector",
    "cnn": "inference.models.dlib_detectors:CnnDetector",
    "frcnn": "inference.models.frcnn:FrcnnDetector",
    "detectron2": "inference.models.detectron2_detector:Detectron2Detector",
}
# Detectors that are trained with ``familyphoto train-detector`` and need that directory,
# by the backend its detector.json names.
TRAINED_BACKENDS = {"torchvision": "frcnn", "detectron2": "detectron2"}
TRAINED_DETECTORS = frozenset(TRAINED_BACKENDS.values())
# Detectors whose scores are probabilities (cut by ``detector_min_score``), not dlib's margins.
PROBABILITY_DETECTORS = TRAINED_DETECTORS | {"yunet"}
EMBEDDERS: dict[str, str] = {
    "sface": "inference.models.sface:SfaceEmbedder",
    "dlib": "inference.models.dlib_embedder:DlibEmbedder",
}
RECIPES: dict[str, str] = {
    "embedding-head": "inference.models.embedding_head:EmbeddingHeadClassifier",
    "seed": "inference.models.seed_classifier:SeedClassifier",
}
DEFAULT_RECIPE = "embedding-head"

# The settings spell the same names (they cannot import this module): keep them in step.
assert set(get_args(DetectorName)) == set(DETECTORS), "Settings.detector and DETECTORS disagree"
assert set(get_args(EmbedderName)) == set(EMBEDDERS), "Settings.embedder and EMBEDDERS disagree"


class UnknownModel(ValueError):
    """A model name that is not in the registry."""


class EmbedderMismatch(ValueError):
    """A family scored with another embedder than the one it was trained on."""


class FamilyModels(Protocol):
    """What :func:`choose_models` reads of a trained family (:class:`inference.family.Family`)."""

    directory: Path
    manifest: Manifest


@dataclass(frozen=True)
class ModelChoice:
    """The models that run: detector by name (with its trained directory, if any) and embedder."""

    detector: str = DEFAULT_DETECTOR
    detector_weights: Path | None = None
    embedder: str = DEFAULT_EMBEDDER


def choose_models(
    settings: Settings,
    family: FamilyModels | None = None,
    *,
    detector: str | None = None,
    detector_weights: Path | None = None,
    embedder: str | None = None,
) -> ModelChoice:
    """The one precedence rule: argument > settings (environment) > family manifest > default.

    The manifest's detector weights count only when its detector is the one chosen. A family
    is never scored with an embedder other than its own (:class:`EmbedderMismatch`).
    """
    manifest = family.manifest if family is not None else None
    name = detector or settings.detector or (manifest.detector if manifest else None) or DEFAULT_DETECTOR
    if name not in DETECTORS:
        raise UnknownModel(f"unknown detector {name!r}; choose one of {', '.join(DETECTORS)}")
    weights = detector_weights or settings.detector_weights
    if weights is None and family is not None and manifest is not None and manifest.detector == name and manifest.detector_weights:
        weights = family.directory / manifest.detector_weights  # an absolute path stays absolute
    trained = manifest.embedder if manifest else None
    embedder_name = embedder or settings.embedder or trained or DEFAULT_EMBEDDER
    if trained is not None and (embedder_name != trained or trained not in EMBEDDERS):
        have = f"not {embedder_name}" if embedder_name != trained else "which this installation does not have"
        raise EmbedderMismatch(
            f"this family was trained on the {trained} embedder, {have}: retrain it (familyphoto train) to use it"
        )
    if embedder_name not in EMBEDDERS:
        raise UnknownModel(f"unknown embedder {embedder_name!r}; choose one of {', '.join(EMBEDDERS)}")
    return ModelChoice(name, Path(weights) if weights is not None else None, embedder_name)


def _import(target: str) -> type:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def build_detector(choice: ModelChoice, settings: Settings) -> FaceDetector:
    """The chosen detector with the settings' sizes and score cuts (not loaded yet).

    ``min_face_score`` is the dlib detectors' cut (HOG margins); YuNet and the trained ones score
    probabilities and use ``detector_min_score``, else their own default (for a trained one,
    its ``detector.json`` threshold). ``None`` sizes are each detector's own defaults.
    """
    cls = _import(DETECTORS[choice.detector])
    if choice.detector in TRAINED_DETECTORS:
        if choice.detector_weights is None:
            raise ValueError(
                f"the {choice.detector} detector needs a trained detector directory: set FAMILYPHOTO_DETECTOR_WEIGHTS "
                "(or --detector-weights), made by familyphoto train-detector"
            )
        return cls(
            choice.detector_weights, detect_size=settings.detect_size, max_upscale=settings.detect_max_upscale,
            min_score=settings.detector_min_score,
        )
    min_score = settings.detector_min_score if choice.detector in PROBABILITY_DETECTORS else settings.min_face_score
    return cls(detect_size=settings.detect_size, max_upscale=settings.detect_max_upscale, min_score=min_score)


def embedder_class(name: str) -> type[FaceEmbedder]:
    """An embedder's class (its scale, chip size) without loading its model."""
    if name not in EMBEDDERS:
        raise UnknownModel(f"unknown embedder {name!r}; choose one of {', '.join(EMBEDDERS)}")
    return _import(EMBEDDERS[name])


def build_embedder(choice: ModelChoice) -> FaceEmbedder:
    """The chosen embedder (not loaded yet)."""
    return embedder_class(choice.embedder)()


def recipe_class(name: str) -> type[MemberClassifier]:
    """The classifier of a recipe (the manifest's ``recipe``)."""
    if name not in RECIPES:
        raise UnknownModel(f"unknown classifier recipe {name!r}; choose one of {', '.join(RECIPES)}")
    return _import(RECIPES[name])
