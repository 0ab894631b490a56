"""The library's plain data: photos, their faces, people, a page of photos."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from inference.types import Box

NamedBy = Literal["model", "person"]


@dataclass(frozen=True)
class LibraryFace:
    id: int
    photo_id: int
    box: Box
    member: str | None  # a person's name for it, else the model's decision; None: nobody of the family
    probabilities: dict[str, float]
    named_by: NamedBy


@dataclass(frozen=True)
class LibraryPhoto:
    id: int
    path: str
    taken_at: str  # ISO 8601, local time
    width: int
    height: int
    faces: list[LibraryFace] = field(default_factory=list)  # left to right

    @property
    def present(self) -> list[str]:
        """The members in the photo, left to right, each once."""
        return list(dict.fromkeys(f.member for f in self.faces if f.member is not None))


@dataclass(frozen=True)
class PhotoPage:
    items: list[LibraryPhoto]
    next_cursor: str | None
    total: int


@dataclass(frozen=True)
class Person:
    name: str
    photos: int
    faces: int
    cover_face_id: int | None
