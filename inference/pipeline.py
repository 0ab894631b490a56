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
from inference.inputs import choose_enrolment_face, photo_error
from inference.models.detector import FaceDetector
from inference.models.member_classifier import Features
from inference.registry import ModelChoice, build_detector, build_embedder, choose_models
from inference.settings import Settings
from inference.types import Box, Detection, Face, PhotoError, PhotoResult


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
    taken_at: str | None = None  # from the photo's EXIF, if it says


class Pipeline:
    """Detector + embedder + (optionally) a trained family. Build once, analyse many photos.

    Without a family every face is reported with ``member: None``: useful for enrolment
    and for a fresh install that has no family yet.
    """

    def __init__(self, settings: Settings, family: Family | None = None, *, detector: str | None = None) -> None:
        """``detector``: an explicit choice, above the settings and the family's manifest (:func:`choose_models`)."""
        self.settings = settings
        self.family = family
        self.models: ModelChoice = choose_models(settings, family, detector=detector)
        self.detector: FaceDetector = build_detector(self.models, settings)
        self.embedder = build_embedder(self.models)

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
        return decode_image(source, min_long_side=self.detector.detect_size, max_pixels=self.settings.max_pixels)

    @property
    def features(self) -> Features:
        """What the family's recipe scores (without a family: embeddings, for enrolment and the store)."""
        return "embedding" if self.family is None else self.family.classifier.features

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
        # Only what the recipe scores is computed: embeddings (default) or aligned face chips (seed).
        features = self._features(image.pixels, detections, self.features)
        embeddings = features if self.features == "embedding" else None
        members: list[int | None] = [None] * len(detections)
        probabilities = np.zeros((len(detections), len(self.members)), dtype=np.float32)
        if self.family is not None and detections:
            probabilities = self.family.classifier.probabilities(features)
            members = assign_members(probabilities, self.family.thresholds)
        timings.classify = _ms_since(t)

        faces = []
        for i, detection in enumerate(detections):
            faces.append(
                Face(
                    box=image.to_photo(detection.box),
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
        return Analysis(
            PhotoResult(width=image.width, height=image.height, faces=faces), timings, image.pixels, image.taken_at
        )


    def analyze_or_error(self, source: bytes | Path, *, crops: bool = True) -> Analysis | PhotoError:
        """:meth:`analyze`, or why the photo gave no result: never raises for a bad photo."""
        try:
            return self.analyze(source, crops=crops)
        except Exception as exc:  # noqa: BLE001 - one bad photo must not end a run of thousands
            return photo_error(exc, source if isinstance(source, Path) else None)

    def enrolment_face(
        self, source: bytes | Path, *, min_face_size: int = 0, chip: bool = False, crop: bool = True
    ) -> Face | PhotoError:
        """The face that stands for the member in a solo photo (:func:`choose_enrolment_face`),
        embedded, with its aligned chip (``chip``: for recipes that score pixels) and crop.

        Only that face is embedded: enrolment pays for one face per photo, not for the
        passers-by. Never raises for a bad photo.
        """
        try:
            image = self._decode(source)
            detections = self.detector.detect(image.pixels)  # largest first
            chosen = choose_enrolment_face(detections, image.to_photo, min_face_size=min_face_size)
            if isinstance(chosen, PhotoError):
                return chosen
            embedding = self.embedder.embed(image.pixels, [chosen.box], [chosen.landmarks])[0]
            aligned = self.embedder.chips(image.pixels, [chosen.box], [chosen.landmarks])[0] if chip else None
            jpeg = face_crop_jpeg(image.pixels, chosen.box, size=self.settings.crop_size, quality=self.settings.crop_quality) if crop else None
        except Exception as exc:  # noqa: BLE001 - reported per photo, like analyze_or_error
            return photo_error(exc, source if isinstance(source, Path) else None)
        return Face(
            box=image.to_photo(chosen.box), score=chosen.score,
            embedding=embedding, chip=aligned, crop_jpeg=jpeg,
        )

    def every_face(self, source: bytes | Path, *, min_face_size: int = 0) -> list[Face] | PhotoError:
        """Every face of a photo at least ``min_face_size`` px (its shorter side, in the photo's
        pixels), each embedded and with its aligned chip, largest first; no crops, no family.

        For pretraining on whole photos (the seed recipe's distillation), where every face
        counts, not only a solo photo's largest. Never raises for a bad photo.
        """
        try:
            image = self._decode(source)
            detections = [
                d for d in self.detector.detect(image.pixels)
                if min(image.to_photo(d.box).width, image.to_photo(d.box).height) >= min_face_size
            ]
            boxes, points = [d.box for d in detections], [d.landmarks for d in detections]
            embeddings = self.embedder.embed(image.pixels, boxes, points)
            chips = self.embedder.chips(image.pixels, boxes, points)
        except Exception as exc:  # noqa: BLE001 - reported per photo, like analyze_or_error
            return photo_error(exc, source if isinstance(source, Path) else None)
        return [
            Face(box=image.to_photo(d.box), score=d.score, embedding=e, chip=c)
            for d, e, c in zip(detections, embeddings, chips)
        ]

    def _features(self, pixels: np.ndarray, detections: list[Detection], kind: Features) -> np.ndarray:
        compute = self.embedder.embed if kind == "embedding" else self.embedder.chips
        return compute(pixels, [d.box for d in detections], [d.landmarks for d in detections])

    def face_at(self, source: bytes | Path, box: Box) -> Face:
        """The face in ``box`` (full-photo coordinates, as ``analyze`` reports them), embedded and cropped."""
        image = self._decode(source)
        box = box.clipped(image.width, image.height)
        if box.width < 8 or box.height < 8:
            raise ValueError("the box is outside the photo or too small to be a face")
        if box.area > 0.9 * image.width * image.height:
            raise ValueError("the box covers the whole photo: draw it around one face")
        pixel_box = image.to_pixels(box)
        region = image.pixels[pixel_box.y1 : pixel_box.y2, pixel_box.x1 : pixel_box.x2]
        if region.size == 0 or float(region.std()) < _BLANK_STD:
            raise ValueError("there is nothing in the box (a blank area): draw it around a face")
        embedding = self.embedder.embed(image.pixels, [pixel_box])[0]
        crop = face_crop_jpeg(image.pixels, pixel_box, size=self.settings.crop_size, quality=self.settings.crop_quality)
        return Face(box=box, score=0.0, embedding=embedding, crop_jpeg=crop)


# Below this spread of pixel values (0-255) a box holds a flat colour, never a face.
_BLANK_STD = 2.0


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0
