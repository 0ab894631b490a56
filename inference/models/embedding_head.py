"""The ``embedding-head`` recipe (the default): a head over the embedder's vectors.

Families trained now carry a :class:`SimilarityHead`; families trained before it carry a
:class:`MemberHead` (prototype distances) and keep working: the classifier file says which.
"""

from __future__ import annotations

import io

import numpy as np
import torch

from inference.models.member_classifier import MemberClassifier
from inference.models.member_head import MemberHead
from inference.models.similarity_head import SimilarityHead

Head = SimilarityHead | MemberHead


class EmbeddingHeadClassifier(MemberClassifier):
    """Similarities to each member's enrolled faces (or, for older families, distances to their
    prototypes), through a sigmoid per member."""

    name = "embedding-head"
    features = "embedding"

    def _load(self) -> None:
        self.head = load_head(self.path.read_bytes())
        self._check_outputs(self.head.num_members)

    def _probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            logits = self.head(torch.from_numpy(np.asarray(embeddings, dtype=np.float32)))
        return torch.sigmoid(logits).numpy()


def save_head(head: Head) -> bytes:
    """Serialise a head (buffers and parameters) to bytes for the family's classifier file."""
    buffer = io.BytesIO()
    payload = head.state() if isinstance(head, SimilarityHead) else {"num_members": head.num_members, "state_dict": head.state_dict()}
    torch.save(payload, buffer)
    return buffer.getvalue()


def load_head(data: bytes) -> Head:
    """Inverse of :func:`save_head`; refuses anything but tensors (``weights_only``)."""
    payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    state = payload["state_dict"]
    num_members = int(payload["num_members"])
    if payload.get("kind") == SimilarityHead.kind:
        head: Head = SimilarityHead(
            state["gallery"], state["gallery_labels"], num_members,
            match_similarity=float(payload["match_similarity"]), unrelated_similarity=float(payload["unrelated_similarity"]),
            tau=float(payload["tau"]),
        )
    else:  # a family trained before the similarity head
        head = MemberHead(state["gallery"], state["gallery_labels"], num_members)
    head.load_state_dict(state)
    head.eval()
    return head
