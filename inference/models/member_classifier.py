"""The member-classifier interface: a face's features in, one probability per member out.

Every classifier recipe (``embedding-head``, ``seed``) is one of these; the manifest's
``recipe`` names it and :mod:`inference.registry` finds it. ``features`` says what the
pipeline must compute for it, so it computes that and nothing else.
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np

from inference.models.base import InferenceModel

# "embedding": the embedder's N x D vectors; "chip": the N x S x S x 3 aligned face chips (S: the embedder's chip_size).
Features = Literal["embedding", "chip"]


class MemberClassifier(InferenceModel):
    """Per-member probabilities (one sigmoid per member) from a family's classifier file."""

    features: ClassVar[Features]

    def __init__(self, path: Path, members: list[str]) -> None:
        super().__init__()
        self.path = path
        self.members = members

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """F x M probabilities for F faces' features."""
        self.load()
        if len(features) == 0:
            return np.zeros((0, len(self.members)), dtype=np.float32)
        return self._probabilities(features)

    @abstractmethod
    def _probabilities(self, features: np.ndarray) -> np.ndarray: ...

    def _check_outputs(self, outputs: int) -> None:
        if outputs != len(self.members):
            raise ValueError(f"{self.path} has {outputs} members, the manifest {len(self.members)}")
