"""The default classifier head: a face scored against every enrolled face of each member.

Families change: a son enrolled from three baby photos and three of him grown up is two
clusters, and the mean of the two (a prototype) looks like neither. So a face's score for a
member is a soft nearest-neighbour similarity over all of that member's enrolled faces::

    s_m = tau * log(mean_i exp(u_i / tau))      (u_i: similarity to the member's i-th face)

in the embedder's own units (:func:`inference.models.embedder.similarity_units`: 0 at its match
point, -1 where faces are unrelated), so one setting of the head serves every embedder. Small
``tau`` is the nearest face, large ``tau`` the mean.

Siblings look alike, so a member's score is also held down when another member matches the
face better: ``z_m = scale * (s_m - offset_m + margin_weight * min(0, s_m - max_other s_o))``.
The penalty never adds: a face that matches nobody well stays a stranger, however far ahead
of the others it is. One sigmoid per member (trained with ``BCEWithLogitsLoss`` on
leave-one-out scores, every other member's faces and the strangers as negatives).

Calibration (:mod:`training.calibrate`) then sets each member's threshold ``t_m`` on ``z_m``
and one Platt slope ``alpha``; the head's output is ``alpha * (z_m - t_m)``, so every member's
threshold is probability 0.5 and a shown 70% means about 70% on held-out faces.
"""

from __future__ import annotations

import torch
from torch import nn

from inference.models.embedder import similarity_units

# Soft nearest neighbour over a member's faces, in similarity units.
DEFAULT_TAU = 0.5


class SimilarityHead(nn.Module):
    """Per-member logits from similarities to all of each member's enrolled faces."""

    kind = "similarity"

    def __init__(
        self, gallery: torch.Tensor, gallery_labels: torch.Tensor, num_members: int, *,
        match_similarity: float, unrelated_similarity: float, tau: float = DEFAULT_TAU,
    ) -> None:
        super().__init__()
        self.num_members = num_members
        gallery = nn.functional.normalize(gallery.float(), dim=1)
        gallery_labels = gallery_labels.long()
        self.register_buffer("gallery", gallery)  # N x D unit vectors of the enrolled faces
        self.register_buffer("gallery_labels", gallery_labels)  # N member indices
        # log of the N x M membership (0 or -inf): a masked log-sum-exp per member.
        self.register_buffer("log_membership", torch.log(nn.functional.one_hot(gallery_labels, num_members).float()))
        self.register_buffer("scale_points", torch.tensor([match_similarity, unrelated_similarity]))
        self.register_buffer("tau", torch.tensor(float(tau)))
        # Set by the calibration: per-member thresholds on the raw logit, and the Platt slope.
        self.register_buffer("thresholds", torch.zeros(num_members))
        self.register_buffer("slope", torch.tensor(1.0))
        self.log_scale = nn.Parameter(torch.tensor(1.5))  # e^1.5 ≈ 4.5 logits per similarity unit
        self.offset = nn.Parameter(torch.zeros(num_members))
        self.margin_raw = nn.Parameter(torch.tensor(0.0))  # softplus: the sibling penalty's weight, ≥ 0

    @property
    def match_similarity(self) -> float:
        return float(self.scale_points[0])

    @property
    def unrelated_similarity(self) -> float:
        return float(self.scale_points[1])

    def face_similarities(self, x: torch.Tensor) -> torch.Tensor:
        """B x N similarity units of faces to every enrolled face."""
        match, unrelated = self.scale_points
        return similarity_units(nn.functional.normalize(x.float(), dim=1) @ self.gallery.T, match, unrelated)

    def member_similarities(self, units: torch.Tensor) -> torch.Tensor:
        """B x M soft nearest-neighbour similarity per member from B x N face similarities.

        An entry of ``-inf`` (a face left out) does not count; a member with no face counted scores -3.
        """
        masked = units.unsqueeze(2) / self.tau + self.log_membership.unsqueeze(0)  # B x N x M
        counted = torch.isfinite(masked).sum(1).clamp(min=1)
        s = self.tau * (torch.logsumexp(masked, dim=1) - torch.log(counted.float()))
        return torch.where(torch.isfinite(s), s, torch.full_like(s, -3.0))

    def gallery_similarities_left_out(self) -> torch.Tensor:
        """N x M member similarities of the enrolled faces, each scored without itself (leave-one-out)."""
        units = self.face_similarities(self.gallery)
        return self.member_similarities(units.fill_diagonal_(float("-inf")))

    def raw_logits(self, s: torch.Tensor) -> torch.Tensor:
        """B x M logits before calibration, from member similarities."""
        if s.shape[1] > 1:
            top2 = s.topk(2, dim=1).values
            best_other = torch.where(s >= top2[:, :1], top2[:, 1:2], top2[:, :1])
            penalty = (s - best_other).clamp(max=0)
        else:
            penalty = torch.zeros_like(s)
        return self.log_scale.exp() * (s - self.offset + nn.functional.softplus(self.margin_raw) * penalty)

    def calibrated(self, raw: torch.Tensor) -> torch.Tensor:
        """Logits whose 0 is each member's threshold (probability 0.5)."""
        return self.slope * (raw - self.thresholds)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.calibrated(self.raw_logits(self.member_similarities(self.face_similarities(x))))

    def state(self) -> dict:
        """What :func:`inference.models.embedding_head.load_head` rebuilds the head from."""
        return {
            "kind": self.kind, "num_members": self.num_members, "state_dict": self.state_dict(),
            "match_similarity": self.match_similarity, "unrelated_similarity": self.unrelated_similarity,
            "tau": float(self.tau),
        }
