"""Naming a library's faces with a trained family, from their stored embeddings: no photo is read again.

The same rule as a photo's own decision (:func:`inference.decision.assign_members`): each member at most
once per photo, each face one person. A face a person named keeps its name, and the member it was named
as is not given to another face of that photo.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

import numpy as np

from inference.decision import assign_members
from inference.family import Family

_CHUNK = 8192  # faces scored at once: a bounded buffer, whatever the library's size


@dataclass(frozen=True)
class FacesToDecide:
    """N faces of a library, grouped by photo (rows of one photo next to each other)."""

    face_ids: np.ndarray  # N, int64
    photo_ids: np.ndarray  # N, int64, non-decreasing
    embeddings: np.ndarray  # N x D, float32
    named: list[str | None | bool]  # per face: False (not named by a person), else the name given (None: nobody)


@dataclass(frozen=True)
class Decision:
    face_id: int
    member: str | None
    probabilities: dict[str, float]


def decide(family: Family, faces: FacesToDecide, *, not_members: Collection[str] = ()) -> Iterator[Decision]:
    """Every face's probabilities and member (a named face: its name). ``not_members``: members of the family
    never decided (hidden, or renamed since it was trained)."""
    members = family.members
    thresholds = family.thresholds.copy()
    for i, name in enumerate(members):
        if name in not_members:
            thresholds[i] = np.inf  # never reached
    column = {name: i for i, name in enumerate(members)}
    for start in range(0, len(faces.face_ids), _CHUNK):
        end = _photo_boundary(faces.photo_ids, min(start + _CHUNK, len(faces.photo_ids)))
        if end <= start:
            continue
        probabilities = family.classifier.probabilities(faces.embeddings[start:end])
        yield from _assign(faces, start, end, probabilities, thresholds, members, column)


def _photo_boundary(photo_ids: np.ndarray, end: int) -> int:
    """``end`` moved on to the first face of the next photo (a chunk never splits a photo)."""
    while 0 < end < len(photo_ids) and photo_ids[end] == photo_ids[end - 1]:
        end += 1
    return end


def _assign(
    faces: FacesToDecide, start: int, end: int, probabilities: np.ndarray, thresholds: np.ndarray,
    members: list[str], column: dict[str, int],
) -> Iterator[Decision]:
    """The decisions of faces ``start:end`` (whole photos), their ``probabilities`` already scored."""
    photo_ids = faces.photo_ids[start:end]
    # Rows where each photo starts and ends, in this chunk.
    cuts = np.flatnonzero(np.diff(photo_ids)) + 1
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(photo_ids)]):
        named = faces.named[start + lo : start + hi]
        free = [i for i, n in enumerate(named) if n is False]
        chosen: dict[int, str | None] = {}
        if free:
            photo_thresholds = thresholds.copy()
            for name in named:
                if isinstance(name, str) and name in column:
                    photo_thresholds[column[name]] = np.inf  # named on another face of this photo
            rows = probabilities[lo:hi][free]
            for i, m in zip(free, assign_members(rows, photo_thresholds)):
                chosen[i] = None if m is None else members[m]
        for i in range(hi - lo):
            row = probabilities[lo + i]
            yield Decision(
                int(faces.face_ids[start + lo + i]),
                chosen[i] if named[i] is False else named[i],  # type: ignore[arg-type]
                {m: round(float(p), 4) for m, p in zip(members, row)},
            )
