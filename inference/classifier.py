"""Member classifiers: faces in, one probability per member out. Chosen by the manifest's recipe."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch

from inference.models.base import InferenceModel
from inference.models.member_head import MemberHead
from inference.models.seed_classifier import SeedClassifier

CLASSIFIER_FILE = "classifier.pt"


class EmbeddingHeadClassifier(InferenceModel):
    """The ``embedding-head`` recipe: a :class:`MemberHead` over dlib embeddings."""

    name = "embedding-head"
    needs_embeddings = True

    def __init__(self, path: Path, members: list[str]) -> None:
        super().__init__()
        self.path = path
        self.members = members

    def _load(self) -> None:
        self.head = load_head(self.path.read_bytes())
        if self.head.num_members != len(self.members):
            raise ValueError(f"{self.path} has {self.head.num_members} members, the manifest {len(self.members)}")

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        """F x M probabilities for F face embeddings."""
        self.load()
        if len(embeddings) == 0:
            return np.zeros((0, len(self.members)), dtype=np.float32)
        with torch.inference_mode():
            logits = self.head(torch.from_numpy(np.asarray(embeddings, dtype=np.float32)))
        return torch.sigmoid(logits).numpy()


def save_head(head: MemberHead) -> bytes:
    """Serialise a head (buffers and parameters) to bytes for ``classifier.pt``."""
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


# Recipe name (the manifest's ``recipe``) -> classifier. ``needs_embeddings`` says what the
# pipeline feeds it: dlib embeddings (N x 128) or the aligned face chips (N x 150 x 150 x 3).
RECIPES: dict[str, type[EmbeddingHeadClassifier] | type[SeedClassifier]] = {
    "embedding-head": EmbeddingHeadClassifier,
    "seed": SeedClassifier,
}
