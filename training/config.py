"""What a training run is asked (:class:`TrainConfig`) and what it says (:class:`TrainReport`),
shared by every classifier recipe."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from inference.inputs import Skipped
from inference.manifest import Manifest
from inference.registry import DEFAULT_RECIPE
from training.calibrate import Calibration
from training.dataset import FaceDataset
from training.distil import Distillation
from training.train_head import HeadTraining


@dataclass(frozen=True)
class SeedTraining:
    """The original (``seed``) recipe's hyper-parameters, and its pretraining's (training/train_seed.py)."""

    lr: float = 0.001
    momentum: float = 0.9
    batch_size: int = 10
    max_epochs: int = 200
    patience: int = 10  # epochs without a better validation loss before stopping
    epochs_without_validation: int = 60  # when no face can be held out
    seed: int = 0
    # Pretrain by distilling the embedder (training/distil.py); False: random weights, as before.
    pretrain: bool = True
    # After the pretraining: "frozen" (only a new member layer on the distilled embedding learns,
    # the default: better on jurassic6) or "finetune" (the whole net, as the original fine-tuned ImageNet's).
    head: Literal["frozen", "finetune"] = "frozen"
    # The member layer on the distilled unit-length embedding starts at each member's prototype:
    # scale * (cosine - offset) (training/train_seed.py initial_net).
    prototype_scale: float = 10.0
    prototype_offset: float = 0.5
    distillation: Distillation = field(default_factory=Distillation)


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
    # The seed recipe's extra pretraining photos (every face in them is used): --pretrain-faces.
    pretrain_dirs: tuple[Path, ...] = ()
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
