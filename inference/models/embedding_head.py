"""The ``embedding-head`` recipe (the default): a :class:`MemberHead` over the embedder's vectors."""

from __future__ import annotations

import io

import numpy as np
import torch

from inference.models.member_classifier import MemberClassifier
from inference.models.member_head import MemberHead


class EmbeddingHeadClassifier(MemberClassifier):
    """Distances to each member's prototype, through a sigmoid per member."""

    name = "embedding-head"
    features = "embedding"

    def _load(self) -> None:
        self.head = load_head(self.path.read_bytes())
        self._check_outputs(self.head.num_members)

    def _probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            logits = self.head(torch.from_numpy(np.asarray(embeddings, dtype=np.float32)))
        return torch.sigmoid(logits).numpy()


def save_head(head: MemberHead) -> bytes:
    """Serialise a head (buffers and parameters) to bytes for the family's classifier file."""
    buffer = io.BytesIO()
    torch.save({"num_members": head.num_members, "state_dict": head.state_dict()}, buffer)
    return buffer.getvalue()


def load_head(data: bytes) -> MemberHead:
    """Inverse of :func:`save_head`; refuses anything but tensors (``weights_only``)."""
    payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    state = payload["state_dict"]
    head = MemberHead(state["gallery"], state["gallery_labels"], int(payload["num_members"]))
    head.load_state_dict(state)
    head.eval()
    return head
