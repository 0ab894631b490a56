"""``familyphoto train``: from a folder of solo photos per member to a weights directory."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from inference.classifier import save_head
from inference.models.detector import detector_from_settings
from inference.models.embedder import DlibEmbedder
from inference.manifest import Manifest
from inference.settings import Settings
from training.calibrate import Calibration, calibrate
from training.dataset import (
    FaceDataset,
    Progress,
    build_dataset,
    embed_largest_faces,
    filter_outliers,
    holdout_split,
    photo_list,
)
from training.export import export_family
from training.metrics import decide_single_faces, per_member_figures
from training.train_head import HeadTraining, loo_probabilities, probabilities, train_head
from training.train_seed import SeedTraining

RECIPE = "embedding-head"


@dataclass(frozen=True)
class TrainConfig:
    """Choices of one training run (the CLI's options)."""

    detector: str = "hog"
    val_share: float = 0.2
    seed: int = 0
    target_far: float = 0.01
    # Loosest allowed match in dlib's metric, whatever the calibration says (see calibrate.distance_floor).
    max_distance: float = 0.5
    min_face_size: int = 40
    # Enrolled faces further than this from their member's other faces are dropped as mislabelled.
    outlier_distance: float = 0.6
    strangers_dir: Path | None = None
    head: HeadTraining = field(default_factory=HeadTraining)
    # "embedding-head" (default) or "seed" (the original ResNet18 on face crops, training/train_seed.py).
    recipe: str = RECIPE
    seed_training: SeedTraining = field(default_factory=SeedTraining)


@dataclass
class TrainReport:
    """What a run did: the dataset, the validation figures, the manifest written."""

    dataset: FaceDataset
    stranger_faces: int
    dropped_strangers: list[tuple[Path, str]]
    validation: dict[str, dict]
    calibration: dict[str, Calibration]
    manifest: Manifest
    seconds: float
    # Recipe-specific facts for the CLI (the seed recipe: epochs, best epoch, early stopping).
    notes: dict = field(default_factory=dict)


def _fit(dataset: FaceDataset, strangers: np.ndarray, config: TrainConfig):
    head, losses = train_head(dataset.embeddings, dataset.labels, len(dataset.members), strangers, config.head)
    loo = loo_probabilities(head)
    stranger_probs = probabilities(head, strangers)
    calibrations = calibrate(
        head, loo, dataset.labels, stranger_probs, target_far=config.target_far, max_distance=config.max_distance
    )
    return head, losses, calibrations


def train_family(
    family_dir: Path, out_dir: Path, settings: Settings, config: TrainConfig, progress: Progress = lambda *a: None
) -> TrainReport:
    """Build the dataset from a folder of solo photos, then :func:`train_from_dataset`
    (or, for ``config.recipe == "seed"``, :func:`training.train_seed.train_seed_family`)."""
    if config.recipe == "seed":
        from training.train_seed import train_seed_family

        return train_seed_family(family_dir, out_dir, settings, config, progress)
    if config.recipe != RECIPE:
        raise ValueError(f"unknown recipe {config.recipe!r}; choose embedding-head or seed")
    started = time.perf_counter()
    dataset = build_dataset(
        family_dir, settings, detector=config.detector, min_face_size=config.min_face_size, progress=progress
    )
    strangers = np.zeros((0, dataset.embeddings.shape[1]), dtype=np.float32)
    dropped_strangers: list[tuple[Path, str]] = []
    if config.strangers_dir is not None:
        # Every face of a stranger photo is an impostor, but its largest is the reliable one.
        _, embeddings, dropped_strangers = embed_largest_faces(
            photo_list(config.strangers_dir), settings, detector=config.detector,
            min_face_size=config.min_face_size, progress=progress, stage="strangers",
        )
        if embeddings:
            strangers = np.asarray(embeddings, dtype=np.float32)
    report = train_from_dataset(
        dataset, strangers, out_dir, settings, config, progress=progress, source=str(family_dir)
    )
    report.dropped_strangers = dropped_strangers
    report.seconds = time.perf_counter() - started
    return report


def train_from_dataset(
    dataset: FaceDataset,
    strangers: np.ndarray,
    out_dir: Path,
    settings: Settings,
    config: TrainConfig,
    *,
    progress: Progress = lambda *a: None,
    source: str = "",
) -> TrainReport:
    """Filter, hold out a validation share, train, calibrate, and export to ``out_dir``.

    ``dataset`` holds the members' face embeddings (from a folder, or the service's store);
    ``strangers`` (K x 128) are impostor faces for the calibration.
    """
    started = time.perf_counter()
    dataset = filter_outliers(dataset, max_distance=config.outlier_distance)
    strangers = np.asarray(strangers, dtype=np.float32).reshape(-1, dataset.embeddings.shape[1])

    # Held-out validation: train on the rest, report figures on faces the head never saw.
    progress("validate", 0, 1)
    train_idx, val_idx = holdout_split(dataset.labels, config.val_share, config.seed)
    validation: dict[str, dict] = {}
    if len(val_idx):
        val_head, _, val_cal = _fit(dataset.subset(train_idx), strangers, config)
        thresholds = np.asarray([c.threshold for c in val_cal])
        decisions = decide_single_faces(probabilities(val_head, dataset.embeddings[val_idx]), thresholds)
        validation = per_member_figures(decisions, dataset.labels[val_idx], dataset.members)
    progress("validate", 1, 1)

    # The exported model uses every face; its thresholds come from leave-one-out scores.
    progress("train", 0, 1)
    head, losses, calibrations = _fit(dataset, strangers, config)
    progress("train", 1, 1)

    members = dataset.members
    counts = dataset.counts()
    detector = detector_from_settings(config.detector, settings)
    manifest_fields = {
        "created": datetime.now(timezone.utc),
        "members": members,
        "thresholds": {m: c.threshold for m, c in zip(members, calibrations)},
        "recipe": RECIPE,
        "detector": config.detector,
        "detector_weights": str(Path(settings.detector_weights).resolve()) if settings.detector_weights else None,
        "models": {"detector": detector.describe(), "embedder": DlibEmbedder().describe()},
        "calibration": {
            "method": "leave-one-out scores of enrolled faces; other members' faces and stranger faces as impostors",
            "target_false_accept_rate": config.target_far,
            "max_distance": config.max_distance,
            "stranger_faces": int(len(strangers)),
            "members": {m: {"enrolled_faces": counts[m], **c.as_dict()} for m, c in zip(members, calibrations)},
        },
        "training": {
            "source": source,
            "faces_per_member": counts,
            "photos_dropped": [{"file": str(p), "reason": r} for p, r in dataset.dropped],
            "balance": "each member's positives and negatives weigh equally in the loss",
            "validation_share": config.val_share,
            "validation_faces": int(len(val_idx)),
            "validation": validation,
            "loss": {"first": round(losses[0], 5), "last": round(losses[-1], 5), "steps": len(losses)},
            "scale": round(head.log_scale.exp().item(), 4),
            "offsets": {m: round(o, 4) for m, o in zip(members, head.offset.tolist())},
            "seed": config.seed,
        },
    }
    progress("export", 0, 1)
    manifest = export_family(out_dir, save_head(head), manifest_fields)
    progress("export", 1, 1)
    return TrainReport(
        dataset, int(len(strangers)), [], validation,
        dict(zip(members, calibrations)), manifest, time.perf_counter() - started,
    )
