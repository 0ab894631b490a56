"""Per-member thresholds aimed at a false-accept rate, from leave-one-out and stranger scores."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from inference.models.member_head import MemberHead


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


def distance_floor(head: MemberHead, member: int, max_distance: float) -> float:
    """The probability a face gets at ``max_distance`` from the member: the loosest threshold allowed.

    With a handful of impostors the calibration cannot see a 1% tail; this keeps every
    threshold at least as strict as a fixed distance in dlib's metric.
    """
    scale = head.log_scale.exp().item()
    offset = head.offset[member].item()
    return 1.0 / (1.0 + math.exp(-scale * (offset - max_distance)))


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


def calibrate(
    head: MemberHead,
    loo: np.ndarray,
    labels: np.ndarray,
    strangers: np.ndarray,
    *,
    target_far: float,
    max_distance: float,
) -> list[Calibration]:
    """Thresholds per member: ``loo`` are leave-one-out probabilities of the enrolled faces
    (N x M), ``strangers`` the probabilities of stranger faces (K x M)."""
    result = []
    for m in range(loo.shape[1]):
        genuine = loo[labels == m, m]
        impostor = np.concatenate([loo[labels != m, m], strangers[:, m] if len(strangers) else np.zeros(0)])
        floor = distance_floor(head, m, max_distance)
        result.append(calibrate_member(genuine, impostor, target_far=target_far, floor=floor))
    return result
