"""Pretraining the seed recipe's ResNet18 without downloads: distil the embedder into it.

No ImageNet weights can be fetched here, and a family's few dozen faces cannot teach a
ResNet18 from random weights what a face is (presence F1 0.16 on jurassic6). The embedder
already knows: so the student, torchvision's ResNet18 with a 128-d output on the 30x30 crop
made from each face's aligned chip, learns to give the teacher's unit-length embedding of
the same face (loss: 1 - cosine similarity). Every face available counts, since no label is
needed: every face of the family's photos (not only a solo photo's largest), of the stranger
photos, and of any ``--pretrain-faces`` folders.

Augmentation: flips (SFace embeds a face and its mirror summed, so a flipped crop has the same
target), small rotations, zooms and shifts, brightness and contrast, and grey crops (family
photos come in grey too). Measured on jurassic6's split (3,431 faces: the enrolled photos,
facemask_voc, dlib_faces, celeb5, ageitgey_knn; 40 epochs; the student's mean cosine with the
teacher on the 73 faces of the held-out photos, and nearest-prototype accuracy on their 57
largest faces): these augmentations 0.48 and 77%, flips and 2-px shifts alone 0.44 and 67%
(the teacher: 91%). AdamW with a one-cycle schedule beat SGD with momentum (on 2,229 faces of
24 px and more: 0.45 against 0.39 at the best SGD rate); 60 epochs overfit (0.45 → 0.42), as
did weighting the family's own faces up; faces down to 16 px (3,431) taught more than down to
24 px (2,229): 0.48 against 0.46. Commands and figures: docs/models.md, "The seed recipe".
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from inference.batch import every_face
from inference.models.seed_classifier import SEED_CROP_SIZE, build_seed_net, crops_from_chips, crops_to_tensor
from inference.progress import OnProgress, Progress, no_progress
from inference.settings import Settings
from inference.types import PhotoError

PRETRAIN_KIND = "seed-distilled"
EMBEDDING_OUTPUTS = 128


@dataclass(frozen=True)
class Distillation:
    """Hyper-parameters of the pretraining (defaults: a few minutes for a few thousand faces on 2 cores)."""

    epochs: int = 40
    batch_size: int = 64
    lr: float = 0.003  # AdamW's peak learning rate (one-cycle schedule)
    weight_decay: float = 0.05
    # Faces this small (shorter side, photo pixels) still make a 30x30 crop; more faces taught
    # the student more than sharper ones did (min 16 px: 3,431 faces; 24 px: 2,229).
    min_face_size: int = 16
    # At most this many faces (a random sample, for short runs such as the tests); None: all.
    max_faces: int | None = None
    seed: int = 0


@dataclass
class PretrainFaces:
    """The 30x30 crops of every face found, with the teacher's embedding of each."""

    crops: np.ndarray  # N x 30 x 30 x 3 uint8
    embeddings: np.ndarray  # N x D unit vectors
    sources: dict[str, dict[str, int]] = field(default_factory=dict)  # name -> photos, faces, unreadable

    def __len__(self) -> int:
        return len(self.crops)


@dataclass
class Distilled:
    """The student and how its pretraining went."""

    net: nn.Module
    losses: list[float]
    faces: int
    seconds: float


def collect_faces(
    sources: list[tuple[str, list[Path]]],
    settings: Settings,
    *,
    detector: str | None,
    min_face_size: int,
    on_progress: OnProgress = no_progress,
) -> PretrainFaces:
    """Every face of every photo of each (name, photos) source, on all cores: its crop and embedding.

    Chips are reduced to crops as they arrive, so a few thousand faces hold a few MB.
    Stage ``pretrain-faces``.
    """
    paths = [p for _, photos in sources for p in photos]
    owner = [name for name, photos in sources for _ in photos]
    counts = {name: {"photos": 0, "faces": 0, "unreadable": 0} for name, _ in sources}
    crops, embeddings = [], []
    on_progress(Progress("pretrain-faces", 0, len(paths)))
    found = every_face(paths, settings, detector=detector, min_face_size=min_face_size)
    for done, (name, faces) in enumerate(zip(owner, found), start=1):
        counts[name]["photos"] += 1
        if isinstance(faces, PhotoError):
            counts[name]["unreadable"] += faces.kind != "no_face"
        elif faces:
            crops.append(crops_from_chips(np.stack([f.chip for f in faces])))
            embeddings.append(np.stack([f.embedding for f in faces]).astype(np.float32))
            counts[name]["faces"] += len(faces)
        on_progress(Progress("pretrain-faces", done, len(paths)))
    if not crops:
        return PretrainFaces(np.zeros((0, SEED_CROP_SIZE, SEED_CROP_SIZE, 3), np.uint8), np.zeros((0, EMBEDDING_OUTPUTS), np.float32), counts)
    return PretrainFaces(np.concatenate(crops), np.concatenate(embeddings), counts)


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Flips, rotations up to ±10°, zooms of ±10%, shifts up to ±2 px, brightness and contrast, 20% grey."""
    n = len(x)

    def uniform(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=generator) * 2 - 1

    flip = torch.rand(n, generator=generator) < 0.5
    x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
    angle, zoom, shift = uniform(n) * 0.17, 1 + uniform(n) * 0.1, uniform(n, 2) * 0.13
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
    x = nn.functional.grid_sample(x, grid, padding_mode="border", align_corners=False)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * (1 + uniform(n, 1, 1, 1) * 0.3) + mean + uniform(n, 1, 1, 1) * 0.4
    grey = torch.rand(n, generator=generator) < 0.2
    return torch.where(grey.view(-1, 1, 1, 1), x.mean(1, keepdim=True).expand_as(x), x)


def cosine_loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean of 1 - cos(output, target) (targets are unit vectors)."""
    return (1 - (nn.functional.normalize(output, dim=1) * target).sum(dim=1)).mean()


def distil(faces: PretrainFaces, config: Distillation = Distillation(), on_progress: OnProgress = no_progress) -> Distilled:
    """Train a ResNet18 with a 128-d output to give each crop's teacher embedding. Stage ``pretrain``, one step an epoch."""
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    crops, targets = faces.crops, faces.embeddings
    if config.max_faces is not None and len(crops) > config.max_faces:
        keep = np.sort(np.random.default_rng(config.seed).choice(len(crops), config.max_faces, replace=False))
        crops, targets = crops[keep], targets[keep]
    if len(crops) < 2:
        raise ValueError(f"pretraining needs faces: {len(crops)} found in the family's photos and the pretraining folders")
    x, y = crops_to_tensor(crops), torch.from_numpy(np.asarray(targets, dtype=np.float32))
    net = build_seed_net(y.shape[1])
    steps_per_epoch = sum(1 for s in range(0, len(x), config.batch_size) if len(x) - s >= 2)
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.lr, total_steps=config.epochs * steps_per_epoch, pct_start=0.15
    )
    losses: list[float] = []
    on_progress(Progress("pretrain", 0, config.epochs))
    for epoch in range(1, config.epochs + 1):
        net.train()
        order = torch.randperm(len(x), generator=generator)
        total, seen = 0.0, 0
        for start in range(0, len(x), config.batch_size):
            batch = order[start : start + config.batch_size]
            if len(batch) < 2:  # batch norm needs two samples
                continue
            optimizer.zero_grad()
            loss = cosine_loss(net(augment(x[batch], generator)), y[batch])
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(batch)
            seen += len(batch)
        losses.append(total / max(seen, 1))
        on_progress(Progress("pretrain", epoch, config.epochs))
    net.eval()
    return Distilled(net, losses, len(x), time.perf_counter() - started)


def save_pretrained(net: nn.Module, *, teacher: str) -> bytes:
    """The student's state dict, for the family's pretraining file."""
    buffer = io.BytesIO()
    payload = {"kind": PRETRAIN_KIND, "outputs": int(net.fc.out_features), "crop_size": SEED_CROP_SIZE,
               "teacher": teacher, "state_dict": net.state_dict()}
    torch.save(payload, buffer)
    return buffer.getvalue()


def load_pretrained(data: bytes) -> nn.Module:
    """Inverse of :func:`save_pretrained` (``weights_only``)."""
    payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    if payload.get("kind") != PRETRAIN_KIND:
        raise ValueError("not a seed pretraining file")
    net = build_seed_net(int(payload["outputs"]))
    net.load_state_dict(payload["state_dict"])
    return net.eval()
