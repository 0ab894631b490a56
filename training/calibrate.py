"""Per-member thresholds aimed at a false-accept rate, from leave-one-out and stranger scores,
and the Platt slope that makes every threshold probability 0.5."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from inference.models.similarity_head import SimilarityHead


@dataclass(frozen=True)
class Calibration:
    """One member's threshold and what it achieves on the scores it was set on."""

    threshold: float
    genuine_scores: int
    impostor_scores: int
    false_accept_rate: float
    false_reject_rate: float

    def as_dict(self) -> dict:
        return asdict(self)


def calibrate_member(genuine: np.ndarray, impostor: np.ndarray, *, target_far: float, floor: float) -> Calibration:
    """The lowest threshold ≥ ``floor`` whose impostor accept rate is ≤ ``target_far``."""
    impostor = np.sort(np.asarray(impostor, dtype=np.float64))[::-1]
    allowed = int(math.floor(target_far * len(impostor)))  # impostors that may be accepted
    threshold = floor
    if allowed < len(impostor):
        # Just above the first impostor that must be rejected (ties rejected too), in float32:
        # the decision compares float32 probabilities with float32 thresholds, where a float64
        # step above the impostor would round back onto it and let it in.
        threshold = max(floor, float(np.nextafter(np.float32(impostor[allowed]), np.float32(1.0))))
    threshold = min(math.ceil(threshold * 1e6) / 1e6, 1.0)  # round up: stays above that impostor
    far = float((impostor >= threshold).mean()) if len(impostor) else 0.0
    frr = float((genuine < threshold).mean()) if len(genuine) else 0.0
    return Calibration(threshold, len(genuine), len(impostor), far, frr)


# A threshold lies this far (in logits) above the impostor it must reject, so that the
# float32 probability of that impostor stays clearly under 0.5.
_LOGIT_STEP = 1e-3


def logit_threshold(genuine: np.ndarray, impostor: np.ndarray, *, target_far: float, floor: float) -> Calibration:
    """The lowest logit threshold ≥ ``floor`` whose impostor accept rate is ≤ ``target_far``."""
    impostor = np.sort(np.asarray(impostor, dtype=np.float64))[::-1]
    allowed = int(math.floor(target_far * len(impostor)))  # impostors that may be accepted
    threshold = floor if allowed >= len(impostor) else max(floor, float(impostor[allowed]) + _LOGIT_STEP)
    far = float((impostor >= threshold).mean()) if len(impostor) else 0.0
    frr = float((np.asarray(genuine) < threshold).mean()) if len(genuine) else 0.0
    return Calibration(round(threshold, 6), len(genuine), len(impostor), far, frr)


def similarity_floor(head: SimilarityHead, member: int) -> float:
    """The raw logit of a face exactly at the embedder's match point, with nobody else nearer.

    The loosest threshold allowed: with a handful of impostors the calibration cannot see a 1%
    tail, so no member ever accepts a face its embedder would not call a match.
    """
    with torch.no_grad():
        return float(head.log_scale.exp() * (0.0 - head.offset[member]))


def platt_slope(margins: np.ndarray, genuine: np.ndarray, *, steps: int = 300) -> float:
    """One slope ``alpha`` so that ``sigmoid(alpha * margin)`` is the chance a face is the member.

    ``margins`` are held-out logits minus each member's threshold (0 is 50% by construction);
    Platt's targets ((n+1)/(n+2) and 1/(n+2)) keep the slope finite when the classes separate.
    """
    margins = np.asarray(margins, dtype=np.float64).ravel()
    genuine = np.asarray(genuine, dtype=bool).ravel()
    if not genuine.any() or genuine.all():
        return 1.0
    npos, nneg = int(genuine.sum()), int((~genuine).sum())
    targets = torch.from_numpy(np.where(genuine, (npos + 1) / (npos + 2), 1 / (nneg + 2)))
    x = torch.from_numpy(margins)
    log_alpha = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([log_alpha], lr=0.05)
    with torch.enable_grad():  # whatever the caller's mode
        for _ in range(steps):
            optimizer.zero_grad()
            nn.functional.binary_cross_entropy_with_logits(log_alpha.exp() * x, targets).backward()
            optimizer.step()
    return float(log_alpha.detach().exp().clamp(0.01, 100.0))


def calibrate(head: SimilarityHead, loo: np.ndarray, labels: np.ndarray, strangers: np.ndarray, *,
              target_far: float) -> list[Calibration]:
    """Set the head's per-member thresholds and Platt slope; every member's threshold is then 0.5.

    ``loo`` are the raw leave-one-out logits of the enrolled faces (N x M), ``strangers`` the raw
    logits of stranger faces (K x M); other members' faces and strangers are each member's impostors.
    """
    result, margins, genuine_mask = [], [], []
    for m in range(loo.shape[1]):
        genuine = loo[labels == m, m]
        impostor = np.concatenate([loo[labels != m, m], strangers[:, m] if len(strangers) else np.zeros(0)])
        result.append(logit_threshold(genuine, impostor, target_far=target_far, floor=similarity_floor(head, m)))
        margins.append(np.concatenate([genuine, impostor]) - result[-1].threshold)
        genuine_mask.append(np.arange(len(genuine) + len(impostor)) < len(genuine))
    with torch.no_grad():
        head.thresholds.copy_(torch.tensor([c.threshold for c in result]))
        head.slope.fill_(platt_slope(np.concatenate(margins), np.concatenate(genuine_mask)))
    return result
