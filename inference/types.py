"""Plain data passed between the pipeline's stages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Box:
    """A face box in pixels of the photo as a person sees it (EXIF orientation applied)."""

    x1: int
    y1: int
    x2: int
    y2: int

    @property
    def width(self) -> int:
        return self.x2 - self.x1

    @property
    def height(self) -> int:
        return self.y2 - self.y1

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def as_list(self) -> list[int]:
        return [self.x1, self.y1, self.x2, self.y2]

    def scaled(self, factor: float) -> "Box":
        return Box(*(round(v * factor) for v in self.as_list()))

    def iou(self, other: "Box") -> float:
        """Intersection over union with ``other`` (0 when they do not overlap)."""
        inter = Box(max(self.x1, other.x1), max(self.y1, other.y1), min(self.x2, other.x2), min(self.y2, other.y2)).area
        return inter / max(self.area + other.area - inter, 1)

    def expanded(self, margin: float, width: int, height: int) -> "Box":
        """This box grown by ``margin`` of its size on each side, clipped to a ``width`` x ``height`` photo."""
        mx, my = round(self.width * margin), round(self.height * margin)
        return Box(self.x1 - mx, self.y1 - my, self.x2 + mx, self.y2 + my).clipped(width, height)

    def clipped(self, width: int, height: int) -> "Box":
        return Box(
            min(max(self.x1, 0), width), min(max(self.y1, 0), height),
            min(max(self.x2, 0), width), min(max(self.y2, 0), height),
        )


@dataclass(frozen=True)
class Detection:
    """One face found by a detector: its box, the detector's confidence and, from detectors
    that find them (YuNet), five landmarks (eyes, nose tip, mouth corners) as a 5 x 2 array."""

    box: Box
    score: float
    landmarks: np.ndarray | None = field(default=None, compare=False, repr=False)

    def scaled(self, factor: float) -> "Detection":
        landmarks = None if self.landmarks is None else self.landmarks * factor
        return Detection(self.box.scaled(factor), self.score, landmarks)


@dataclass
class Face:
    """One face of a photo, through the whole pipeline."""

    box: Box
    score: float
    embedding: np.ndarray | None = None
    chip: np.ndarray | None = None  # the aligned face chip, for recipes that score pixels (seed)
    probabilities: dict[str, float] = field(default_factory=dict)
    member: str | None = None
    crop_jpeg: bytes | None = None


@dataclass
class PhotoResult:
    """Everything the pipeline says about one photo."""

    width: int
    height: int
    faces: list[Face]

    @property
    def present(self) -> list[str]:
        """Members in the photo, in the order of their faces."""
        return [f.member for f in self.faces if f.member is not None]

    @property
    def strangers(self) -> int:
        """Faces that are nobody of the family."""
        return sum(1 for f in self.faces if f.member is None)

    def probability_matrix(self, members: Sequence[str]) -> np.ndarray:
        """Faces x ``members`` probabilities at full precision (what the decision compared)."""
        return np.asarray(
            [[face.probabilities[m] for m in members] for face in self.faces], dtype=np.float32
        ).reshape(len(self.faces), len(members))


# Why a photo gave no result: image_io's decode kinds, an unreadable file, or a bug of ours.
ErrorKind = Literal["empty", "not_image", "corrupt", "too_large", "unreadable", "no_face", "internal"]


@dataclass(frozen=True)
class PhotoError:
    """A photo that gave no result, with a one-line reason a person can act on."""

    message: str
    kind: ErrorKind = "unreadable"


# What the pipeline says about one photo: its result, or why there is none.
Outcome = PhotoResult | PhotoError
