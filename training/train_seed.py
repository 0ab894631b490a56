"""``familyphoto train --recipe seed``: the original project's classifier, pretrained offline by distillation.

torchvision ResNet18 on 30x30 aligned face crops, one output per member, ``BCEWithLogitsLoss``,
SGD lr 0.001 (momentum 0.9), batch 10, epochs until the validation loss stops improving
(early stopping; the best epoch's weights are kept). Faces come from the same detection,
largest-face and outlier rules as the default recipe, so both see the same faces.

The original started from ImageNet weights, which cannot be downloaded here; from random
weights the net learnt almost no identity (presence F1 0.16 on jurassic6). So it is first
pretrained without downloads (:mod:`training.distil`): a ResNet18 with a 128-d output learns
to give the embedder's unit-length embedding of every face available (every face of the
family's photos, the strangers' and ``--pretrain-faces`` folders). Its last layer then becomes a
:class:`DistilledHead`: the distilled 128-d embedding, made unit-length, under a new layer with
one output per member, started at each member's prototype. Then the per-member BCE training
(``SeedTraining.head``):

- ``"frozen"`` (the default): only the new member layer learns; the distilled net is kept;
- ``"finetune"``: the whole net is fine-tuned from the distilled weights, as the original
  fine-tuned from ImageNet's.

Measured on jurassic6 (bench/recipes.py; docs/benchmarks.md, "Classifier recipes"): the frozen
embedding gave the better presence F1 and fewer stranger photos reporting anyone, so it is the
default. ``SeedTraining.pretrain=False`` is the original from random weights (always fine-tuned).
Scores are the mean of a crop's logits and its mirror image's (SFace embeds a face that way).

The pretraining's weights are kept in the family's folder as their own file, listed in the
manifest with how they were made.

Calibration, as the default recipe's: per member, a threshold on the raw logits at the
false-accept target on the held-out faces (genuine: the member's; impostors: the other
members' and the stranger faces), never below a raw logit of 0, then one Platt slope; the
classifier file holds both and outputs ``slope * (logit - threshold)``, so every member's
threshold in the manifest is probability 0.5.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from torch import nn

from inference.decision import DECISION_THRESHOLD
from inference.manifest import Manifest
from inference.models.seed_classifier import (
    SEED_CROP_SIZE,
    DistilledHead,
    SeedClassifier,
    build_seed_net,
    crops_from_chips,
    crops_to_tensor,
    raw_logits,
    save_seed,
)
from inference.progress import OnProgress, Progress, no_progress
from inference.settings import Settings
from training.calibrate import Calibration, logit_threshold, platt_slope
from training.config import SeedTraining, TrainConfig, TrainReport
from training.dataset import FaceDataset, filter_outliers, holdout_split
from training.distil import Distilled, PretrainFaces, collect_faces, distil, save_pretrained
from training.export import ExtraFile, embedder_scale, export_family, models_record
from training.metrics import decide_single_faces, per_member_figures

RECIPE = "seed"
# A raw logit of 0 is a sigmoid's own decision point (probability 0.5): no threshold is looser.
SEED_LOGIT_FLOOR = 0.0
# Under this many pretraining faces the distilled net tells few faces apart (jurassic6 used 3,431).
FEW_PRETRAINING_FACES = 1000


@dataclass
class SeedFit:
    """A trained net and how its training went."""

    net: nn.Module
    train_losses: list[float]
    val_losses: list[float]
    best_epoch: int
    stopped_early: bool


@dataclass
class Pretraining:
    """The distilled student, the faces it learnt from, and its file for the family's folder."""

    distilled: Distilled
    teacher: str
    sources: dict[str, dict[str, int]]
    faces_found: int
    file: ExtraFile
    seconds: float

    def record(self, config: SeedTraining) -> dict:
        """The manifest's ``training.pretraining``."""
        d = self.distilled
        return {
            "file": self.file.name,
            "teacher": self.teacher,
            "loss": "1 - cosine similarity to the teacher's unit-length embedding",
            "faces": d.faces,
            "faces_found": self.faces_found,
            "sources": self.sources,
            "epochs": len(d.losses),
            "loss_first": round(d.losses[0], 5),
            "loss_final": round(d.losses[-1], 5),
            "hyper_parameters": asdict(config.distillation),
            "seconds": round(self.seconds, 1),
            "distil_seconds": round(d.seconds, 1),
        }


# --- pretraining -------------------------------------------------------------------------


def pretrain_seed(
    sources: list[tuple[str, list[Path]]],
    settings: Settings,
    config: TrainConfig,
    on_progress: OnProgress = no_progress,
) -> Pretraining:
    """Every face of the (name, photos) sources, then the student distilled from the embedder on them."""
    started = time.perf_counter()
    distillation = config.seed_training.distillation
    faces: PretrainFaces = collect_faces(
        sources, settings, detector=config.detector, min_face_size=distillation.min_face_size, on_progress=on_progress
    )
    distilled = distil(faces, distillation, on_progress)
    teacher = models_record(settings, config.detector, embedder=config.embedder)["embedder"]
    used = {name: counts for name, counts in faces.sources.items() if counts["photos"]}
    sampled = f" (a random {distilled.faces} of them)" if distilled.faces < len(faces) else ""
    description = (
        f"Seed recipe pretraining: torchvision ResNet18 with a 128-d output on 30x30 aligned face crops, distilled "
        f"from the {teacher} embedder (loss: 1 - cosine with its unit-length embedding of the same face) on "
        f"{len(faces)} faces{sampled} from {sum(c['photos'] for c in used.values())} photos of {len(used)} sources ("
        + ", ".join(f"{name}: {c['faces']} faces" for name, c in used.items())
        + f"), {len(distilled.losses)} epochs, final loss {distilled.losses[-1]:.4f}."
    )
    file = ExtraFile("pretrain", save_pretrained(distilled.net, teacher=teacher), description)
    return Pretraining(distilled, teacher, used, len(faces), file, time.perf_counter() - started)


# --- training ----------------------------------------------------------------------------


def _augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flips and shifts of up to 2 px (the crops are tiny; so is the data)."""
    flip = torch.rand(len(x), generator=generator) < 0.5
    x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
    padded = nn.functional.pad(x, (2, 2, 2, 2), mode="replicate")
    dx, dy = torch.randint(0, 5, (2,), generator=generator).tolist()
    return padded[:, :, dy : dy + x.shape[2], dx : dx + x.shape[3]]


def _precise_batch_norm(net: nn.Module, x: torch.Tensor, batch_size: int) -> None:
    """Batch-norm statistics recomputed over the whole training set (no augmentation).

    From scratch, the running averages lag far behind the weights after a few dozen
    steps, so an evaluation in ``eval()`` mode would score a different net (validation
    losses of 30+ measured); exact averages make the validation loss mean something.
    """
    norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the passes below
    net.train()
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            net(x[start : start + batch_size])
    for m in norms:
        m.momentum = 0.1


def _loss(net: nn.Module, x: torch.Tensor, y: torch.Tensor, criterion: nn.Module) -> float:
    net.eval()
    with torch.inference_mode():
        return float(criterion(net(x), y).item()) if len(x) else float("nan")


def initial_net(
    num_members: int, config: SeedTraining, pretrained: nn.Module | None, crops: np.ndarray, labels: np.ndarray
) -> nn.Module:
    """The net the BCE training starts from: random weights, or the distilled one under a
    :class:`DistilledHead` whose member outputs start at the members' prototypes.

    Prototype start: member m's output is ``scale * (cos(embedding, prototype_m) - offset)``,
    the prototype being the mean unit embedding of m's training crops; BCE moves it from there.
    """
    torch.manual_seed(config.seed)
    if pretrained is None:
        return build_seed_net(num_members)
    net = copy.deepcopy(pretrained)
    net.fc = DistilledHead(net.fc, num_members)
    net.eval()
    with torch.no_grad():
        body = nn.Sequential(*list(net.children())[:-1], nn.Flatten())
        embedded = net.fc.embed(body(crops_to_tensor(crops)))
        for m in range(num_members):
            mine = embedded[torch.from_numpy(labels == m)]
            if len(mine):
                net.fc.out.weight[m] = config.prototype_scale * nn.functional.normalize(mine.mean(0), dim=0)
        net.fc.out.bias.fill_(-config.prototype_scale * config.prototype_offset)
    return net


def train_seed_net(
    crops: np.ndarray,
    labels: np.ndarray,
    val_crops: np.ndarray,
    val_labels: np.ndarray,
    num_members: int,
    config: SeedTraining = SeedTraining(),
    on_progress: OnProgress = no_progress,
    pretrained: nn.Module | None = None,
) -> SeedFit:
    """SGD on the training crops; stop when the validation loss has not improved for ``patience`` epochs.

    ``pretrained``: the distilled net (:func:`training.distil.distil`), fine-tuned whole or,
    with ``config.head == "frozen"``, kept as it is under the new member layer.
    """
    threads = torch.get_num_threads()
    # Batches of ten 30x30 crops: one thread is several times faster than many on a busy machine (measured).
    torch.set_num_threads(1)
    try:
        net = initial_net(num_members, config, pretrained, crops, labels)
        frozen = pretrained is not None and config.head == "frozen"
        return _train_seed_net(net, crops, labels, val_crops, val_labels, num_members, config, on_progress, frozen)
    finally:
        torch.set_num_threads(threads)


def _train_seed_net(
    net: nn.Module,
    crops: np.ndarray,
    labels: np.ndarray,
    val_crops: np.ndarray,
    val_labels: np.ndarray,
    num_members: int,
    config: SeedTraining,
    on_progress: OnProgress,
    frozen: bool,
) -> SeedFit:
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    x, y = crops_to_tensor(crops), nn.functional.one_hot(torch.from_numpy(labels), num_members).float()
    xv = crops_to_tensor(val_crops)
    yv = nn.functional.one_hot(torch.from_numpy(val_labels), num_members).float()
    criterion = nn.BCEWithLogitsLoss()
    if frozen:  # only the new member layer learns; batch norm keeps the pretraining's statistics
        for p in net.parameters():
            p.requires_grad_(False)
        for p in net.fc.out.parameters():
            p.requires_grad_(True)
    trainable = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(trainable, lr=config.lr, momentum=config.momentum)
    has_val = len(xv) > 0
    epochs = config.max_epochs if has_val else config.epochs_without_validation
    best, best_state, best_epoch, stale = float("inf"), copy.deepcopy(net.state_dict()), 0, 0
    train_losses: list[float] = []
    val_losses: list[float] = []
    stopped_early = False
    for epoch in range(1, epochs + 1):
        net.train(not frozen)
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(x), config.batch_size):
            batch = order[start : start + config.batch_size]
            if len(batch) < 2 and not frozen:  # batch norm needs two samples
                continue
            optimizer.zero_grad()
            loss = criterion(net(_augment(x[batch], generator)), y[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        train_losses.append(total / len(x))
        if not frozen:
            _precise_batch_norm(net, x, config.batch_size)
        on_progress(Progress("train", epoch, epochs))
        if not has_val:
            best_state, best_epoch = copy.deepcopy(net.state_dict()), epoch
            continue
        val_losses.append(_loss(net, xv, yv, criterion))
        if val_losses[-1] < best - 1e-4:
            best, best_state, best_epoch, stale = val_losses[-1], copy.deepcopy(net.state_dict()), epoch, 0
        else:
            stale += 1
            if stale >= config.patience:
                stopped_early = True
                on_progress(Progress("train", epochs, epochs))
                break
    net.load_state_dict(best_state)
    for p in net.parameters():
        p.requires_grad_(True)
    net.eval()
    return SeedFit(net, train_losses, val_losses, best_epoch, stopped_early)


def seed_logits(net: nn.Module, crops: np.ndarray, num_members: int) -> np.ndarray:
    """N x M raw logits (before the calibration) for N crops, as the exported classifier computes them
    (the mean over the crop and its mirror image)."""
    if len(crops) == 0:
        return np.zeros((0, num_members), dtype=np.float32)
    net.eval()
    with torch.inference_mode():
        return raw_logits(net, crops, mirror=True).numpy()


def calibrate_seed(
    val_logits: np.ndarray, val_labels: np.ndarray, stranger_logits: np.ndarray, *, target_far: float
) -> tuple[list[Calibration], float]:
    """Per-member thresholds on the raw logits and one Platt slope.

    Per member: genuine = its held-out faces, impostors = the others' held-out faces and the
    strangers; the threshold is the lowest logit ≥ 0 whose impostor accept rate is at most
    ``target_far`` (:func:`training.calibrate.logit_threshold`). The slope is fitted on every
    held-out and stranger score relative to its member's threshold.
    """
    result, margins, genuine_mask = [], [], []
    for m in range(val_logits.shape[1]):
        genuine = val_logits[val_labels == m, m]
        impostor = np.concatenate([val_logits[val_labels != m, m], stranger_logits[:, m]])
        result.append(logit_threshold(genuine, impostor, target_far=target_far, floor=SEED_LOGIT_FLOOR))
        margins.append(np.concatenate([genuine, impostor]) - result[-1].threshold)
        genuine_mask.append(np.arange(len(genuine) + len(impostor)) < len(genuine))
    return result, platt_slope(np.concatenate(margins), np.concatenate(genuine_mask))


def calibrated_probabilities(logits: np.ndarray, thresholds: np.ndarray, slope: float) -> np.ndarray:
    """What the exported classifier outputs: sigmoid(slope * (logit - threshold))."""
    return (1.0 / (1.0 + np.exp(-slope * (logits - thresholds)))).astype(np.float32)


# --- the whole run -----------------------------------------------------------------------


def train_seed_from_dataset(
    dataset: FaceDataset,
    stranger_chips: np.ndarray | None,
    out_dir: Path,
    settings: Settings,
    config: TrainConfig,
    *,
    pretraining: Pretraining | None = None,
    on_progress: OnProgress = no_progress,
    source: str = "",
) -> TrainReport:
    """Filter, hold out, train, calibrate and export a ``seed`` family from faces with their chips.

    ``pretraining``: the distilled net (:func:`pretrain_seed`) the BCE training starts from,
    written beside the classifier; ``None``: random weights, as the original here.
    """
    started = time.perf_counter()
    assert dataset.chips is not None, "the seed recipe needs each face's aligned chip"
    members = dataset.members
    match, unrelated = embedder_scale(settings, config.detector, embedder=config.embedder)
    dataset = filter_outliers(dataset, match=match, unrelated=unrelated)
    crops = crops_from_chips(dataset.chips)
    if stranger_chips is None:
        stranger_chips = np.zeros((0, *dataset.chips.shape[1:]), np.uint8)
    stranger_crops = crops_from_chips(stranger_chips)

    seed_config = config.seed_training
    train_idx, val_idx = holdout_split(dataset.labels, config.val_share, config.seed)
    fit = train_seed_net(
        crops[train_idx], dataset.labels[train_idx], crops[val_idx], dataset.labels[val_idx], len(members),
        seed_config, on_progress, pretrained=pretraining.distilled.net if pretraining else None,
    )
    on_progress(Progress("validate", 0, 1))
    val_logits = seed_logits(fit.net, crops[val_idx], len(members))
    stranger_logits = seed_logits(fit.net, stranger_crops, len(members))
    calibrations, slope = calibrate_seed(val_logits, dataset.labels[val_idx], stranger_logits, target_far=config.target_far)
    logit_thresholds = np.asarray([c.threshold for c in calibrations], dtype=np.float32)
    val_probs = calibrated_probabilities(val_logits, logit_thresholds, slope)
    validation = per_member_figures(
        decide_single_faces(val_probs, np.full(len(members), DECISION_THRESHOLD)), dataset.labels[val_idx], members
    )
    on_progress(Progress("validate", 1, 1))

    counts = dataset.counts()
    record = models_record(settings, config.detector, embedder=config.embedder)
    record["models"]["classifier"] = SeedClassifier(Path(), members).describe()
    head = ("new member layer on the frozen distilled embedding" if seed_config.head == "frozen" else
            "whole net fine-tuned from the distilled weights") if pretraining else "whole net from random weights"
    warnings = []
    if pretraining and pretraining.distilled.faces < FEW_PRETRAINING_FACES:
        warnings.append(
            f"the pretraining saw only {pretraining.distilled.faces} faces: give --pretrain-faces folders with a few "
            "thousand faces (any people: crowds, events) for a net that tells faces apart"
        )
    training = {
        "source": source,
        "warnings": warnings,
        "faces_per_member": counts,
        "photos_dropped": [{"file": str(p), "reason": r} for p, r in dataset.dropped],
        "validation_share": config.val_share,
        "validation_faces": int(len(val_idx)),
        "validation": validation,
        "head": head,
        "hyper_parameters": {k: v for k, v in asdict(seed_config).items() if k != "distillation"},
        "epochs": len(fit.train_losses),
        "best_epoch": fit.best_epoch,
        "early_stopping": fit.stopped_early,
        "loss": {
            "train_first": round(fit.train_losses[0], 5), "train_last": round(fit.train_losses[-1], 5),
            "val_best": round(min(fit.val_losses), 5) if fit.val_losses else None,
        },
        "pretraining": pretraining.record(seed_config) if pretraining else None,
        "seconds": None,  # set below, once known
        "seed": config.seed,
    }
    fields = {
        "created": datetime.now(timezone.utc),
        "members": members,
        # The classifier's output is calibrated so that every member's threshold is probability 0.5.
        "thresholds": {m: DECISION_THRESHOLD for m in members},
        "recipe": RECIPE,
        **record,
        "calibration": {
            "method": "held-out faces of each member as genuine; other members' held-out faces and stranger "
            "faces as impostors; per-member logit thresholds (never below a raw logit of 0), then one Platt "
            "slope so each threshold is probability 0.5",
            "target_false_accept_rate": config.target_far,
            "floor": "raw logit 0 (probability 0.5 before the calibration)",
            "platt_slope": round(slope, 6),
            "stranger_faces": int(len(stranger_crops)),
            "members": {
                m: {"enrolled_faces": counts[m], **c.as_dict(), "logit_threshold": c.threshold, "threshold": DECISION_THRESHOLD}
                for m, c in zip(members, calibrations)
            },
        },
        "training": training,
    }
    seconds = time.perf_counter() - started + (pretraining.seconds if pretraining else 0.0)
    training["seconds"] = round(seconds, 1)
    on_progress(Progress("export", 0, 1))
    start_from = f"; pretrained by distillation ({pretraining.file.name})" if pretraining else "; from random weights"
    manifest: Manifest = export_family(
        out_dir, save_seed(fit.net, len(members), SEED_CROP_SIZE, thresholds=logit_thresholds, slope=slope, mirror=True), fields,
        description="Member classifier (seed recipe): torchvision ResNet18 state dict, one output per member, "
        f"on 30x30 aligned face crops ({head}{start_from}), scored as the mean of a crop and its mirror image, "
        "with per-member logit thresholds and the Platt slope.",
        extra_files=[pretraining.file] if pretraining else [],
    )
    on_progress(Progress("export", 1, 1))
    notes = {"epochs": len(fit.train_losses), "best_epoch": fit.best_epoch, "early_stopping": fit.stopped_early,
             "head": head, "pretraining": training["pretraining"]}
    return TrainReport(
        dataset, int(len(stranger_crops)), [], validation,
        dict(zip(members, calibrations)), manifest, time.perf_counter() - started, notes, warnings=warnings,
    )
