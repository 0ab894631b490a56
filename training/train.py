"""``familyphoto train``: from a folder of solo photos per member to a weights directory."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from inference.decision import DECISION_THRESHOLD
from inference.inputs import FamilyDirError, read_member_folders, walk_photos
from inference.models.embedding_head import save_head
from inference.progress import OnProgress, Progress, no_progress
from inference.registry import DEFAULT_RECIPE, RECIPES
from inference.settings import Settings
from training.calibrate import calibrate
from training.config import TrainConfig, TrainReport
from training.dataset import FaceDataset, build_dataset, enrol_photos, filter_outliers, holdout_split
from training.export import embedder_scale, export_family, models_record
from training.metrics import decide_single_faces, per_member_figures
from training.advice import member_warnings
from training.train_head import loo_raw_logits, new_head, probabilities, raw_logits, train_head
from training.train_seed import pretrain_seed, train_seed_from_dataset


def pretrain_sources(folders: tuple[Path, ...]) -> list[tuple[str, list[Path]]]:
    """(folder, its photos) for each ``--pretrain-faces`` folder; a folder that is not one is an error."""
    sources = []
    for folder in folders:
        if not Path(folder).is_dir():
            raise FamilyDirError(f"pretraining faces folder {folder} is not a folder")
        sources.append((str(folder), walk_photos([folder]).photos))
    return sources


def _fit(dataset: FaceDataset, strangers: np.ndarray, config: TrainConfig, scale: tuple[float, float]):
    """Train and calibrate a head on ``dataset`` (``scale``: the embedder's match and unrelated similarity)."""
    head = new_head(
        dataset.embeddings, dataset.labels, len(dataset.members), match=scale[0], unrelated=scale[1], tau=config.head.tau
    )
    losses = train_head(head, strangers, config.head)
    calibrations = calibrate(
        head, loo_raw_logits(head), dataset.labels, raw_logits(head, strangers), target_far=config.target_far
    )
    return head, losses, calibrations


def train_family(
    family_dir: Path, out_dir: Path, settings: Settings, config: TrainConfig, on_progress: OnProgress = no_progress
) -> TrainReport:
    """From a family folder (:func:`inference.inputs.read_member_folders`: one folder per member,
    ``_strangers/`` as nobody of the family) to a weights directory, with ``config.recipe``."""
    if config.recipe not in RECIPES:
        raise ValueError(f"unknown recipe {config.recipe!r}; choose one of {', '.join(RECIPES)}")
    if config.pretrain_dirs and config.recipe != "seed":
        raise ValueError("pretraining faces are for the seed recipe (--recipe seed) only")
    started = time.perf_counter()
    extra_sources = pretrain_sources(config.pretrain_dirs)  # before any work: a missing folder fails now
    folders = read_member_folders(family_dir).require_members()
    chips = config.recipe == "seed"  # the seed recipe scores aligned face chips, not embeddings
    dataset = build_dataset(
        folders, settings, detector=config.detector, min_face_size=config.min_face_size, chips=chips,
        on_progress=on_progress,
    )
    # Every face of a stranger photo is an impostor, but its largest is the reliable one.
    stranger_photos = folders.strangers + (walk_photos([config.strangers_dir]).photos if config.strangers_dir else [])
    strangers = enrol_photos(
        stranger_photos, settings, detector=config.detector, min_face_size=config.min_face_size, chips=chips,
        on_progress=on_progress, stage="strangers",
    )
    if chips:
        pretraining = None
        if config.seed_training.pretrain:
            # Every face counts here, not only a solo photo's largest: the family's, the strangers', the folders'.
            sources = [("family photos", [p for photos in folders.members.values() for p in photos]),
                       ("strangers", stranger_photos), *extra_sources]
            pretraining = pretrain_seed(sources, settings, config, on_progress)
        report = train_seed_from_dataset(
            dataset, strangers.chips, out_dir, settings, config, pretraining=pretraining, on_progress=on_progress,
            source=str(family_dir),
        )
    else:
        report = train_from_dataset(
            dataset, strangers.embeddings, out_dir, settings, config, on_progress=on_progress, source=str(family_dir)
        )
    report.dropped_strangers = strangers.dropped
    report.skipped = folders.skipped
    report.failed = len(dataset.unreadable) + len(strangers.unreadable) + sum(s.error for s in folders.skipped)
    report.seconds = time.perf_counter() - started
    return report


def train_from_dataset(
    dataset: FaceDataset,
    strangers: np.ndarray,
    out_dir: Path,
    settings: Settings,
    config: TrainConfig,
    *,
    on_progress: OnProgress = no_progress,
    source: str = "",
) -> TrainReport:
    """Filter, hold out a validation share, train, calibrate, and export to ``out_dir``.

    ``dataset`` holds the members' face embeddings (from a folder, or the service's store);
    ``strangers`` (K x 128) are impostor faces for the calibration.
    """
    started = time.perf_counter()
    scale = embedder_scale(settings, config.detector, embedder=config.embedder)
    dataset = filter_outliers(dataset, match=scale[0], unrelated=scale[1], tau=config.head.tau)
    strangers = np.asarray(strangers, dtype=np.float32).reshape(-1, dataset.embeddings.shape[1])

    # Held-out validation: train on the rest, report figures on faces the head never saw.
    on_progress(Progress("validate", 0, 1))
    train_idx, val_idx = holdout_split(dataset.labels, config.val_share, config.seed)
    validation: dict[str, dict] = {}
    if len(val_idx):
        val_head, _, _ = _fit(dataset.subset(train_idx), strangers, config, scale)
        thresholds = np.full(len(dataset.members), DECISION_THRESHOLD)
        decisions = decide_single_faces(probabilities(val_head, dataset.embeddings[val_idx]), thresholds)
        validation = per_member_figures(decisions, dataset.labels[val_idx], dataset.members)
    on_progress(Progress("validate", 1, 1))

    # The exported model uses every face; its thresholds come from leave-one-out scores.
    on_progress(Progress("train", 0, 1))
    head, losses, calibrations = _fit(dataset, strangers, config, scale)
    on_progress(Progress("train", 1, 1))

    members = dataset.members
    counts = dataset.counts()
    with torch.inference_mode():
        loo_similarities = head.gallery_similarities_left_out().numpy()
    warnings = member_warnings(members, counts, validation, loo_similarities, dataset.labels)
    manifest_fields = {
        "created": datetime.now(timezone.utc),
        "members": members,
        # The head's output is calibrated so that every member's threshold is probability 0.5.
        "thresholds": {m: DECISION_THRESHOLD for m in members},
        "recipe": DEFAULT_RECIPE,
        **models_record(settings, config.detector, embedder=config.embedder),
        "calibration": {
            "method": "leave-one-out scores of enrolled faces; other members' faces and stranger faces as "
            "impostors; per-member logit thresholds, then one Platt slope so each threshold is probability 0.5",
            "target_false_accept_rate": config.target_far,
            "floor": "the embedder's own match similarity",
            "platt_slope": round(float(head.slope), 6),
            "stranger_faces": int(len(strangers)),
            "members": {
                m: {"enrolled_faces": counts[m], **c.as_dict(), "logit_threshold": c.threshold, "threshold": DECISION_THRESHOLD}
                for m, c in zip(members, calibrations)
            },
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
            "head": "similarity to every enrolled face (soft nearest neighbour), sibling penalty",
            "scale": round(head.log_scale.exp().item(), 4),
            "offsets": {m: round(o, 4) for m, o in zip(members, head.offset.tolist())},
            "sibling_penalty": round(float(torch.nn.functional.softplus(head.margin_raw.detach())), 4),
            "warnings": warnings,
            "seed": config.seed,
        },
    }
    on_progress(Progress("export", 0, 1))
    manifest = export_family(out_dir, save_head(head), manifest_fields)
    on_progress(Progress("export", 1, 1))
    return TrainReport(
        dataset, int(len(strangers)), [], validation,
        dict(zip(members, calibrations)), manifest, time.perf_counter() - started, warnings=warnings,
    )
