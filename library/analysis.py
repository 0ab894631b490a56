"""What indexing one photo keeps: its size, date, every face (box, embedding, crop) and a thumbnail.

Run in the worker processes of a scan (:func:`analyse_paths`) or in the service for an upload; the
family is not involved: faces are named afterwards, from the stored embeddings (:mod:`library.decide`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.batch import map_in_workers, worker_pipeline
from inference.image_io import read_photo_bytes
from inference.inputs import photo_error
from inference.pipeline import Pipeline
from inference.settings import Settings
from inference.types import Box, PhotoError
from library.face_quality import face_sharpness
from library.media import thumbnail_jpeg


@dataclass(frozen=True)
class AnalysedFace:
    box: Box
    score: float
    embedding: np.ndarray
    crop_jpeg: bytes
    sharpness: float  # library.face_quality.face_sharpness of the crop: whether it is sharp enough to group


@dataclass(frozen=True)
class AnalysedPhoto:
    sha256: str  # of the file's bytes as analysed
    width: int
    height: int
    taken_at: str | None  # from EXIF; None: the file's time stands in
    faces: list[AnalysedFace]
    thumbnail_jpeg: bytes


def analyse_photo(pipeline: Pipeline, source: bytes | Path) -> AnalysedPhoto | PhotoError:
    """One photo for the library, or why it cannot be used; never raises for a bad photo. The file is
    read once: its hash and its pixels come from the same bytes."""
    if pipeline.features != "embedding":
        raise ValueError("the library stores embeddings: analyse with a pipeline that has no family")
    try:
        data = read_photo_bytes(source) if isinstance(source, Path) else source
    except OSError as exc:
        return photo_error(exc, source if isinstance(source, Path) else None)
    analysis = pipeline.analyze_or_error(data, crops=True)
    if isinstance(analysis, PhotoError):
        return analysis
    result = analysis.result
    faces = [
        AnalysedFace(
            f.box, float(f.score), np.asarray(f.embedding, dtype=np.float32), f.crop_jpeg or b"",
            face_sharpness(f.crop_jpeg or b""),
        )
        for f in sorted(result.faces, key=lambda f: (f.box.x1, f.box.y1))  # left to right
    ]
    assert analysis.pixels is not None
    return AnalysedPhoto(
        hashlib.sha256(data).hexdigest(), result.width, result.height, analysis.taken_at, faces,
        thumbnail_jpeg(analysis.pixels),
    )


def _work(path: Path, _: None) -> AnalysedPhoto | PhotoError:
    return analyse_photo(worker_pipeline(), path)


def analyse_paths(
    paths: list[Path], settings: Settings, *, workers: int | None, spawn: bool
) -> Iterator[AnalysedPhoto | PhotoError]:
    """:func:`analyse_photo` of each path, in order, on ``workers`` processes (``spawn``: from a process with
    threads, the service). ``settings`` name the detector and embedder (those the library was indexed with)."""
    yield from map_in_workers(
        _work, paths, [None] * len(paths), settings=settings, weights=None, detector=settings.detector,
        workers=workers, spawn=spawn,
    )
