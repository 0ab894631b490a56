"""The whole pipeline, once per photo: decode, detect, embed, score, decide."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inference.crops import face_crop_jpeg
from inference.decision import assign_members
from inference.family import Family
from inference.image_io import DecodedImage, decode_image
from inference.models.detector import FaceDetector, detector_from_settings
from inference.models.embedder import DlibEmbedder
from inference.settings import Settings
from inference.types import Box, Face, PhotoResult


@dataclass
class Timings:
    """Milliseconds spent in each stage of one photo."""

    decode: float = 0.0
    detect: float = 0.0
    classify: float = 0.0
    total: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 1) for k, v in vars(self).items()}


@dataclass
class Analysis:
    """A photo's result plus how long each stage took."""

    result: PhotoResult
    timings: Timings = field(default_factory=Timings)
    # The decoded pixels (possibly reduced), for callers that also want a preview: never decode twice.
    pixels: np.ndarray | None = field(default=None, repr=False)


class Pipeline:
    """Detector + embedder + (optionally) a trained family. Build once, analyse many photos.

    Without a family every face is reported with ``member: None``: useful for enrolment
    and for a fresh install that has no family yet.
    """

    def __init__(self, settings: Settings, family: Family | None = None, detector: str | None = None) -> None:
        self.settings = settings
        self.family = family
        name = detector or settings.detector or (family.manifest.detector if family else "hog")
        weights = family.detector_weights if family is not None and family.manifest.detector == name else None
        self.detector: FaceDetector = detector_from_settings(name, settings, weights)
        self.embedder = DlibEmbedder()

    def with_family(self, family: Family | None) -> "Pipeline":
        """The same loaded models serving another family (for an atomic switch after training)."""
        clone = copy.copy(self)
        clone.family = family
        return clone

    def load(self) -> None:
        """Load every model now rather than on the first photo."""
        self.detector.load()
        self.embedder.load()
        if self.family is not None:
            self.family.classifier.load()

    def _decode(self, source: bytes | Path) -> DecodedImage:
        return decode_image(source, min_long_side=self.settings.detect_size, max_pixels=self.settings.max_pixels)

    @property
    def needs_embeddings(self) -> bool:
        """Whether the family's recipe scores dlib embeddings (else aligned face chips)."""
        return self.family is None or getattr(self.family.classifier, "needs_embeddings", True)

    @property
    def members(self) -> list[str]:
        return self.family.members if self.family else []

    def analyze(self, source: bytes | Path, *, crops: bool = True) -> Analysis:
        """Everything about one photo. Raises ``ImageDecodeError`` for unusable input."""
        timings = Timings()
        start = time.perf_counter()
        image = self._decode(source)
        timings.decode = _ms_since(start)

        t = time.perf_counter()
        detections = self.detector.detect(image.pixels)
        timings.detect = _ms_since(t)

        t = time.perf_counter()
        pixel_boxes = [d.box for d in detections]
        # The recipe says what it scores: embeddings (default) or aligned face chips (seed).
        # Only that is computed; without a family, embeddings (for enrolment and the store).
        embeddings: np.ndarray | None = None
        if self.needs_embeddings:
            embeddings = features = self.embedder.embed(image.pixels, pixel_boxes)
        else:
            features = self.embedder.chips(image.pixels, pixel_boxes)
        members: list[int | None] = [None] * len(detections)
        probabilities = np.zeros((len(detections), len(self.members)), dtype=np.float32)
        if self.family is not None and detections:
            probabilities = self.family.classifier.probabilities(features)
            members = assign_members(probabilities, self.family.thresholds)
        timings.classify = _ms_since(t)

        inverse = 1.0 / image.scale
        faces = []
        for i, detection in enumerate(detections):
            faces.append(
                Face(
                    box=detection.box.scaled(inverse).clipped(image.width, image.height),
                    score=detection.score,
                    embedding=None if embeddings is None else embeddings[i],
                    probabilities={m: float(p) for m, p in zip(self.members, probabilities[i])},
                    member=None if members[i] is None else self.members[members[i]],
                    crop_jpeg=face_crop_jpeg(
                        image.pixels, detection.box, size=self.settings.crop_size, quality=self.settings.crop_quality
                    )
                    if crops
                    else None,
                )
            )
        timings.total = _ms_since(start)
        return Analysis(PhotoResult(width=image.width, height=image.height, faces=faces), timings, image.pixels)


    def largest_face(self, source: bytes | Path, *, min_face_size: int = 0) -> Face | None:
        """The largest face of a solo photo, embedded (and cropped), or ``None`` if none is found.

        Only that face is embedded: enrolment pays for one face per photo, not for the
        passers-by. Raises ``ImageDecodeError`` for unusable input.
        """
        image = self._decode(source)
        detections = self.detector.detect(image.pixels)  # largest first
        if not detections:
            return None
        detection = detections[0]
        box = detection.box.scaled(1.0 / image.scale).clipped(image.width, image.height)
        if min(box.width, box.height) < min_face_size:
            return None
        embedding = self.embedder.embed(image.pixels, [detection.box])[0]
        crop = face_crop_jpeg(image.pixels, detection.box, size=self.settings.crop_size, quality=self.settings.crop_quality)
        return Face(box=box, score=detection.score, embedding=embedding, crop_jpeg=crop)


    def face_at(self, source: bytes | Path, box: Box) -> Face:
        """The face in ``box`` (full-photo coordinates, as ``analyze`` reports them), embedded and cropped."""
        image = self._decode(source)
        box = box.clipped(image.width, image.height)
        if box.width < 8 or box.height < 8:
            raise ValueError("the box is outside the photo or too small to be a face")
        pixel_box = box.scaled(image.scale).clipped(image.pixels.shape[1], image.pixels.shape[0])
        embedding = self.embedder.embed(image.pixels, [pixel_box])[0]
        crop = face_crop_jpeg(image.pixels, pixel_box, size=self.settings.crop_size, quality=self.settings.crop_quality)
        return Face(box=box, score=0.0, embedding=embedding, crop_jpeg=crop)


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0
