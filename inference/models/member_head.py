"""The default classifier recipe: a small torch head on top of dlib's face embeddings.

For each member it outputs one logit, ``scale * (offset_m - d_m)``, where ``d_m`` is the
distance from the face to that member's prototype (the mean of the member's enrolled
embeddings). A sigmoid per member gives independent probabilities (multi-label, trained
with ``BCEWithLogitsLoss``): a stranger, far from every member, gets a low probability
for all of them, which a softmax over members could never say.

Why a distance head rather than a linear layer on the embedding: with 5-20 photos per
member a linear layer cannot learn where "nobody" lies, while dlib's metric already puts
one person's faces within ~0.6 of each other for any face. The head learns how sharp
(``scale``) and where (``offset_m``) each member's boundary lies. Prototypes beat the
nearest enrolled face on our benchmark: fewer strangers accepted at the same recall.
"""

from __future__ import annotations

import torch
from torch import nn


class MemberHead(nn.Module):
    """Per-member logits from distances to member prototypes."""

    def __init__(self, gallery: torch.Tensor, gallery_labels: torch.Tensor, num_members: int) -> None:
        super().__init__()
        self.num_members = num_members
        gallery, gallery_labels = gallery.float(), gallery_labels.long()
        onehot = nn.functional.one_hot(gallery_labels, num_members).float()  # N x M
        self.register_buffer("gallery", gallery)  # N x D enrolled embeddings (kept to re-train and audit)
        self.register_buffer("gallery_labels", gallery_labels)  # N member indices
        self.register_buffer("counts", onehot.sum(0))  # M
        self.register_buffer("prototypes", (onehot.T @ gallery) / self.counts.clamp(min=1).unsqueeze(1))  # M x D
        self.log_scale = nn.Parameter(torch.tensor(2.5))  # e^2.5 ≈ 12 logits per unit of distance
        self.offset = nn.Parameter(torch.full((num_members,), 0.55))

    def member_distances(self, x: torch.Tensor) -> torch.Tensor:
        """B x M distances from faces to each member's prototype."""
        return torch.cdist(x.float(), self.prototypes)

    def gallery_distances_left_out(self) -> torch.Tensor:
        """N x M distances of the enrolled faces, each to prototypes computed without itself.

        This is leave-one-out cross-validation in closed form: the distance a face would have
        if it had not been enrolled. A member's only face is "far" (2.0) from its own member.
        """
        d = self.member_distances(self.gallery)
        own = self.gallery_labels
        n = self.counts[own]
        sums = self.prototypes[own] * n.unsqueeze(1)
        left_out = (sums - self.gallery) / (n - 1).clamp(min=1).unsqueeze(1)
        own_d = torch.where(n > 1, torch.linalg.vector_norm(self.gallery - left_out, dim=1), torch.full_like(n, 2.0))
        return d.scatter(1, own.unsqueeze(1), own_d.unsqueeze(1))

    def logits_from_distances(self, distances: torch.Tensor) -> torch.Tensor:
        return self.log_scale.exp() * (self.offset - distances)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits_from_distances(self.member_distances(x))
