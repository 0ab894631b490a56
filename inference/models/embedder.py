"""The face embedder interface: a photo's pixels and face boxes in, one vector per face out.

The embedders: :mod:`inference.models.dlib_embedder` (dlib) and :mod:`inference.models.sface`
(SFace); :mod:`inference.registry` names them.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from inference.models.base import InferenceModel
from inference.types import Box

if TYPE_CHECKING:
    import torch


class FaceEmbedder(InferenceModel):
    """Faces (boxes in a photo's pixels) in, one vector per face out, where one person's faces lie close.

    ``landmarks``: five points per face where the detector found them (YuNet), else ``None``
    and the embedder finds its own. :mod:`inference.registry` names the embedders.
    """

    chip_size: ClassVar[int]  # side of the aligned face chips
    # The embedder's own scale, in cosine similarity of its vectors: at ``match_similarity`` two
    # faces are one person by its authors' rule of thumb; under ``unrelated_similarity`` a face
    # looks like nobody it is compared with. The classifier works in this scale (see
    # :func:`similarity_units`), so its priors, floors and outlier rules hold for every embedder.
    match_similarity: ClassVar[float]
    unrelated_similarity: ClassVar[float]

    def __init__(self) -> None:
        super().__init__()
        self._run_lock = threading.Lock()

    @abstractmethod
    def embed(self, pixels: np.ndarray, boxes: list[Box], landmarks: list[np.ndarray | None] | None = None) -> np.ndarray:
        """An N x D float32 array, one row per box."""

    @abstractmethod
    def chips(self, pixels: np.ndarray, boxes: list[Box], landmarks: list[np.ndarray | None] | None = None) -> np.ndarray:
        """The aligned face chip of each box: N x chip_size x chip_size x 3 uint8 RGB (no network run)."""


def similarity_units(cosine: torch.Tensor, match: torch.Tensor | float, unrelated: torch.Tensor | float) -> torch.Tensor:
    """Cosine similarity in the embedder's own scale: 0 at its match point, -1 where faces are unrelated."""
    return (cosine - match) / (match - unrelated)
