"""What a training run is asked (:class:`TrainConfig`) and what it says (:class:`TrainReport`),
shared by every classifier recipe."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from inference.inputs import Skipped
from inference.manifest import Manifest
from inference.registry import DEFAULT_RECIPE
from training.calibrate import Calibration
from training.dataset import FaceDataset
from training.train_head import HeadTraining


@dataclass(frozen=True)
class SeedTraining:
    """The original (``seed``) recipe's hyper-parameters."""

    lr: float = 0.001
    momentum: float = 0.9
    batch_size: int = 10
    max_epochs: int = 200
    patience: int = 10  # epochs without a better validation loss before stopping
    epochs_without_validation: int = 60  # when no face can be held out
    seed: int = 0


@dataclass(frozen=True)
class TrainConfig:
    """Choices of one training run (the CLI's options)."""

    # None: the settings' detector, else the default (inference.registry.choose_models).
    detector: str | None = None
    # None: the settings' embedder, else the default. The service names the one its faces were embedded with.
    embedder: str | None = None
    val_share: float = 0.2
    seed: int = 0
    target_far: float = 0.01
    min_face_size: int = 40
    # Photos of people outside the family (besides a family folder's own _strangers/).
    strangers_dir: Path | None = None
    head: HeadTraining = field(default_factory=HeadTraining)
    # "embedding-head" (default) or "seed" (the original ResNet18 on face crops, training/train_seed.py).
    recipe: str = DEFAULT_RECIPE
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
    # What the family folder left out (not members, not photos, unreadable), each with why.
    skipped: list[Skipped] = field(default_factory=list)
    # Inputs left out for an error (unreadable folders and photos), not for want of a face.
    failed: int = 0
    # Members unlikely to be recognised, each with what to add (training/advice.py).
    warnings: list[str] = field(default_factory=list)
