"""Training the default recipe's head (:class:`SimilarityHead`) with ``BCEWithLogitsLoss``, members balanced."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from inference.models.similarity_head import DEFAULT_TAU, SimilarityHead


@dataclass(frozen=True)
class HeadTraining:
    """Hyper-parameters of the head (defaults suit 1-50 photos per member).

    Similarities are in the embedder's units (0: its match point, -1: unrelated faces).
    """

    steps: int = 300
    lr: float = 0.05
    tau: float = DEFAULT_TAU
    # Pull each member's offset towards a little above the embedder's match point: with few
    # photos and no strangers the data alone cannot place a boundary it never saw crossed.
    prior_offset: float = 0.6
    prior_weight: float = 1.0
    seed: int = 0


def balanced_weights(targets: torch.Tensor) -> torch.Tensor:
    """Per-entry loss weights so each member's positives and negatives weigh the same in total.

    This is the class balance: a member with 40 photos does not drown one with 5.
    """
    pos = targets.sum(dim=0).clamp(min=1)
    neg = (1 - targets).sum(dim=0).clamp(min=1)
    return torch.where(targets > 0, 0.5 / pos, 0.5 / neg) * targets.shape[0]


def new_head(embeddings: np.ndarray, labels: np.ndarray, num_members: int, *, match: float, unrelated: float,
             tau: float = DEFAULT_TAU) -> SimilarityHead:
    """An untrained head whose gallery is ``embeddings`` (in an embedder's scale: match, unrelated cosine)."""
    return SimilarityHead(
        torch.from_numpy(np.asarray(embeddings, dtype=np.float32)), torch.from_numpy(np.asarray(labels, dtype=np.int64)),
        num_members, match_similarity=match, unrelated_similarity=unrelated, tau=tau,
    )


def train_head(
    head: SimilarityHead, strangers: np.ndarray | None = None, config: HeadTraining = HeadTraining()
) -> list[float]:
    """Fit the head's scale, offsets and sibling penalty; returns the loss per step.

    Each enrolled face is scored leave-one-out (its own gallery entry hidden) as a positive
    for its member and a negative for the others; stranger faces are negatives for all.
    """
    torch.manual_seed(config.seed)
    num_members = head.num_members
    targets = nn.functional.one_hot(head.gallery_labels, num_members).float()
    # Similarities do not depend on the trained parameters: compute them once.
    with torch.no_grad():
        s = head.gallery_similarities_left_out()
        if strangers is not None and len(strangers):
            s = torch.cat([s, member_similarities(head, strangers)])
            targets = torch.cat([targets, torch.zeros(len(strangers), num_members)])
    criterion = nn.BCEWithLogitsLoss(weight=balanced_weights(targets))
    with torch.no_grad():
        head.offset.fill_(config.prior_offset)
    optimizer = torch.optim.Adam([head.log_scale, head.offset, head.margin_raw], lr=config.lr)
    losses = []
    for _ in range(config.steps):
        optimizer.zero_grad()
        loss = criterion(head.raw_logits(s), targets)
        prior = ((head.offset - config.prior_offset) ** 2).mean()
        (loss + config.prior_weight * prior).backward()
        optimizer.step()
        losses.append(loss.item())
    head.eval()
    return losses


def member_similarities(head: SimilarityHead, embeddings: np.ndarray) -> torch.Tensor:
    """K x M member similarities of faces that are not in the gallery."""
    x = torch.from_numpy(np.asarray(embeddings, dtype=np.float32))
    with torch.inference_mode():
        return head.member_similarities(head.face_similarities(x))


def loo_raw_logits(head: SimilarityHead) -> np.ndarray:
    """N x M uncalibrated logits of the head's own gallery faces, each scored without itself."""
    with torch.inference_mode():
        return head.raw_logits(head.gallery_similarities_left_out()).numpy()


def raw_logits(head: SimilarityHead, embeddings: np.ndarray) -> np.ndarray:
    """K x M uncalibrated logits of faces that are not in the gallery."""
    if len(embeddings) == 0:
        return np.zeros((0, head.num_members), dtype=np.float32)
    with torch.inference_mode():
        return head.raw_logits(member_similarities(head, embeddings)).numpy()


def probabilities(head: SimilarityHead, embeddings: np.ndarray) -> np.ndarray:
    """K x M calibrated probabilities of faces that are not in the gallery."""
    if len(embeddings) == 0:
        return np.zeros((0, head.num_members), dtype=np.float32)
    with torch.inference_mode():
        return torch.sigmoid(head(torch.from_numpy(np.asarray(embeddings, dtype=np.float32)))).numpy()
