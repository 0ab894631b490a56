"""Training the default recipe's head with ``BCEWithLogitsLoss``, members balanced."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from inference.models.member_head import MemberHead


@dataclass(frozen=True)
class HeadTraining:
    """Hyper-parameters of the head (defaults suit 1-50 photos per member)."""

    steps: int = 300
    lr: float = 0.05
    # Pull towards dlib's operating point: with few photos the data alone cannot place
    # a boundary it never saw crossed (a stranger), so the prior keeps it sane.
    prior_offset: float = 0.55
    prior_log_scale: float = math.log(12.0)
    prior_weight: float = 1.0
    seed: int = 0


def balanced_weights(targets: torch.Tensor) -> torch.Tensor:
    """Per-entry loss weights so each member's positives and negatives weigh the same in total.

    This is the class balance: a member with 40 photos does not drown one with 5.
    """
    pos = targets.sum(dim=0).clamp(min=1)
    neg = (1 - targets).sum(dim=0).clamp(min=1)
    return torch.where(targets > 0, 0.5 / pos, 0.5 / neg) * targets.shape[0]


def train_head(
    embeddings: np.ndarray,
    labels: np.ndarray,
    num_members: int,
    strangers: np.ndarray | None = None,
    config: HeadTraining = HeadTraining(),
) -> tuple[MemberHead, list[float]]:
    """Fit a head whose gallery is ``embeddings``; returns it and the loss per step.

    Each enrolled face is scored leave-one-out (its own gallery entry hidden) as a positive
    for its member and a negative for the others; stranger faces are negatives for all.
    """
    torch.manual_seed(config.seed)
    x = torch.from_numpy(np.asarray(embeddings, dtype=np.float32))
    y = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    head = MemberHead(x, y, num_members)
    targets = nn.functional.one_hot(y, num_members).float()
    # Distances do not depend on the trained parameters: compute them once.
    with torch.no_grad():
        distances = head.gallery_distances_left_out()
        if strangers is not None and len(strangers):
            distances = torch.cat([distances, head.member_distances(torch.from_numpy(np.asarray(strangers, dtype=np.float32)))])
            targets = torch.cat([targets, torch.zeros(len(strangers), num_members)])
    criterion = nn.BCEWithLogitsLoss(weight=balanced_weights(targets))
    optimizer = torch.optim.Adam(head.parameters(), lr=config.lr)
    losses = []
    for _ in range(config.steps):
        optimizer.zero_grad()
        loss = criterion(head.logits_from_distances(distances), targets)
        prior = ((head.offset - config.prior_offset) ** 2).mean() + 0.01 * (head.log_scale - config.prior_log_scale) ** 2
        (loss + config.prior_weight * prior).backward()
        optimizer.step()
        losses.append(loss.item())
    head.eval()
    return head, losses


def loo_probabilities(head: MemberHead) -> np.ndarray:
    """N x M probabilities of the head's own gallery faces, each scored without itself."""
    with torch.inference_mode():
        return torch.sigmoid(head.logits_from_distances(head.gallery_distances_left_out())).numpy()


def probabilities(head: MemberHead, embeddings: np.ndarray) -> np.ndarray:
    """N x M probabilities of faces that are not in the gallery."""
    if len(embeddings) == 0:
        return np.zeros((0, head.num_members), dtype=np.float32)
    with torch.inference_mode():
        return torch.sigmoid(head(torch.from_numpy(np.asarray(embeddings, dtype=np.float32)))).numpy()
