"""``manifest.json``: what a trained family's weights directory holds, and how it was made."""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1


class FileEntry(BaseModel):
    """One model file of the weights directory."""

    description: str
    sha256: str
    bytes: int


class MemberCalibration(BaseModel):
    """How a member's threshold was chosen, and what it achieves on the faces it was chosen on."""

    threshold: float = Field(description="Probability at or above which a face is accepted as this member.")
    enrolled_faces: int
    genuine_scores: int = Field(description="Leave-one-out scores of the member's own faces.")
    impostor_scores: int = Field(description="Scores of other members' faces and of strangers against this member.")
    false_accept_rate: float
    false_reject_rate: float


class Manifest(BaseModel):
    """Everything needed to load and trust a trained family."""

    format_version: int = FORMAT_VERSION
    created: datetime
    members: list[str]
    thresholds: dict[str, float]
    recipe: str = Field(description="Classifier recipe: 'embedding-head' (default) or 'seed' (ResNet18 on face crops).")
    classifier_file: str = Field(description="The recipe's model file, one of `files`.")
    detector: str = Field(description="Face detector the family was enrolled with, used by default to predict.")
    detector_weights: str | None = Field(
        None, description="For a trained detector (frcnn, detectron2): its directory (absolute, or relative to this one)."
    )
    embedder: str = Field("dlib", description="Face embedder the family's faces were embedded with; it is scored with no other.")
    models: dict[str, dict[str, Any]] = Field(description="Versions of the pretrained models used.")
    files: dict[str, FileEntry]
    calibration: dict[str, Any] = Field(default_factory=dict)
    training: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def read(cls, directory: Path) -> "Manifest":
        return cls.model_validate_json((directory / MANIFEST_NAME).read_text(encoding="utf-8"))

    def write(self, directory: Path) -> None:
        write_atomic(directory / MANIFEST_NAME, self.model_dump_json(indent=2).encode("utf-8"))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old content or the new, never a half-written one.

    The file gets the mode any new file of the user gets (0666 less the umask), not mkstemp's
    private 0600: a contact sheet or a family's weights are meant to be read like the rest.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask, read without changing it (Linux), else by setting it back at once."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
