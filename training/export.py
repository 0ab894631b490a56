"""Writing a trained family to its weights directory, switching atomically from any old one."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from inference.manifest import MANIFEST_NAME, FileEntry, Manifest, write_atomic
from inference.registry import build_detector, build_embedder, choose_models, embedder_class
from inference.settings import Settings


def models_record(settings: Settings, detector: str | None, *, embedder: str | None = None) -> dict:
    """The manifest's fields saying which models the family's faces were found and embedded with."""
    choice = choose_models(settings, detector=detector, embedder=embedder)
    return {
        "detector": choice.detector,
        "detector_weights": str(choice.detector_weights.resolve()) if choice.detector_weights else None,
        "embedder": choice.embedder,
        "models": {
            "detector": build_detector(choice, settings).describe(),
            "embedder": build_embedder(choice).describe(),
        },
    }


def embedder_scale(settings: Settings, detector: str | None, *, embedder: str | None = None) -> tuple[float, float]:
    """The (match, unrelated) cosine similarity of the embedder a family is trained on."""
    cls = embedder_class(choose_models(settings, detector=detector, embedder=embedder).embedder)
    return cls.match_similarity, cls.unrelated_similarity


@dataclass(frozen=True)
class ExtraFile:
    """A model file a family keeps beside its classifier (the seed recipe's pretraining), named by its content."""

    prefix: str
    data: bytes
    description: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def name(self) -> str:
        return f"{self.prefix}-{self.sha256[:12]}.pt"


def export_family(
    out_dir: Path, classifier_bytes: bytes, manifest_fields: dict, *, description: str | None = None,
    extra_files: Sequence[ExtraFile] = (),
) -> Manifest:
    """Write the classifier and any ``extra_files`` under content-addressed names, then the manifest
    that lists them (each with its description, sha256 and size).

    The manifest is replaced last, in one rename: a reader sees the old family or the new,
    never a mix, and an interrupted export leaves the old family current. Files of the old
    family that the new one does not list are removed after.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    classifier = ExtraFile(
        "classifier", classifier_bytes,
        description
        or "Member classifier (embedding-head recipe): torch state dict with the enrolled "
        "face embeddings (gallery), their member indices, the similarity scale, per-member offsets, "
        "the sibling penalty, per-member thresholds and the Platt slope.",
    )
    files = {}
    for f in (classifier, *extra_files):
        write_atomic(out_dir / f.name, f.data)
        files[f.name] = FileEntry(description=f.description, sha256=f.sha256, bytes=len(f.data))
    manifest = Manifest(classifier_file=classifier.name, files=files, **manifest_fields)
    previous = _current_files(out_dir)
    manifest.write(out_dir)
    for name in previous - set(files):
        (out_dir / name).unlink(missing_ok=True)
    return manifest


def _current_files(out_dir: Path) -> set[str]:
    """The files the current manifest lists (none when there is no readable manifest)."""
    if not (out_dir / MANIFEST_NAME).is_file():
        return set()
    try:
        manifest = Manifest.read(out_dir)
    except ValueError:
        return set()
    # Only plain names inside the folder: a damaged manifest must not make us delete elsewhere.
    return {n for n in {manifest.classifier_file, *manifest.files} if n and Path(n).name == n}
