"""Writing a trained family to its weights directory, switching atomically from any old one."""

from __future__ import annotations

import hashlib
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


def export_family(
    out_dir: Path, classifier_bytes: bytes, manifest_fields: dict, *, description: str | None = None
) -> Manifest:
    """Write the classifier under a content-addressed name, then the manifest that points at it.

    The manifest is replaced last, in one rename: a reader sees the old family or the new,
    never a mix, and an interrupted export leaves the old family current.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(classifier_bytes).hexdigest()
    name = f"classifier-{digest[:12]}.pt"
    write_atomic(out_dir / name, classifier_bytes)
    manifest = Manifest(
        classifier_file=name,
        files={
            name: FileEntry(
                description=description
                or "Member classifier (embedding-head recipe): torch state dict with the enrolled "
                "face embeddings (gallery), their member indices, the similarity scale, per-member offsets, "
                "the sibling penalty, per-member thresholds and the Platt slope.",
                sha256=digest,
                bytes=len(classifier_bytes),
            )
        },
        **manifest_fields,
    )
    previous = _current_classifier(out_dir)
    manifest.write(out_dir)
    if previous and previous != name:
        (out_dir / previous).unlink(missing_ok=True)
    return manifest


def _current_classifier(out_dir: Path) -> str | None:
    if not (out_dir / MANIFEST_NAME).is_file():
        return None
    try:
        return Manifest.read(out_dir).classifier_file
    except ValueError:
        return None
