"""The pipeline's tunable settings, read from ``FAMILYPHOTO_*`` environment variables (docs/settings.md)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The registry's names (inference/registry.py checks that they agree).
DetectorName = Literal["yunet", "hog", "cnn", "frcnn", "detectron2"]
EmbedderName = Literal["sface", "dlib"]

class Settings(BaseSettings):
    """Settings of the pipeline (detection, decoding, crops, workers), used by the CLI and the service.

    Every field can be set with an environment variable named ``FAMILYPHOTO_<FIELD>``,
    e.g. ``FAMILYPHOTO_WEIGHTS=/srv/family`` or ``FAMILYPHOTO_DETECTOR=cnn``. The service's own
    fields (data directory, address, limits) extend these in ``api.settings.ServiceSettings``.
    """

    model_config = SettingsConfigDict(env_prefix="FAMILYPHOTO_", extra="ignore")

    weights: Path = Field(Path("weights"), description="Directory of a trained family (manifest.json + model files).")

    # Detection. None means "whatever the family's manifest says" (yunet when there is no manifest).
    detector: DetectorName | None = Field(
        None,
        description="Face detector: yunet (OpenCV Zoo's YuNet: small and turned faces, the default), hog (dlib, "
        "frontal faces) or cnn (dlib MMOD, slow), or a Faster R-CNN trained with `familyphoto train-detector`: "
        "frcnn (torchvision) or detectron2 (needs Detectron2 installed). Default: the one the family was trained with.",
    )
    detector_weights: Path | None = Field(
        None,
        description="Directory of a trained frcnn/detectron2 detector (detector.json + weights). "
        "Default: the one the family's manifest names.",
    )
    embedder: EmbedderName | None = Field(
        None,
        description="Face embedder: sface (OpenCV Zoo's SFace, 128-d, the default) or dlib (ResNet, 128-d). "
        "Default: the one the family was trained with. A family is only ever scored with its own embedder.",
    )
    detector_min_score: float | None = Field(
        None, ge=0.0, le=1.0,
        description="yunet, frcnn and detectron2: drop detections below this probability (default: yunet 0.5; "
        "a trained detector's own threshold in detector.json, 0.5). HOG and CNN use min_face_score.",
    )
    # Detection cost grows with these; each detector's defaults balance speed against small faces
    # (docs/benchmarks.md: yunet at 4000 and 2.0 finds faces of 20 px; hog at 1600 and 1.5).
    detect_size: int | None = Field(
        None, ge=200, le=8000,
        description="Photos are detected on a copy whose long side is at most this many pixels; boxes are mapped back. "
        "Default: the detector's own (yunet 4000: faces down to ~20 px; hog and cnn 1600: HOG finds faces down to 80 px "
        "on that copy).",
    )
    detect_max_upscale: float | None = Field(
        None, ge=1.0, le=4.0,
        description="Small photos are enlarged up to this factor before detection, to find small faces. "
        "Default: the detector's own (yunet 2.0, to a long side of at most 1024 px; others 1.5, to 1600 px).",
    )
    min_face_score: float = Field(
        -0.4,
        description="Detections scoring below this are dropped. HOG scores are SVM margins: dlib's own cut is 0; "
        "-0.4 also keeps turned faces (jurassic6 recall 0.58 -> 0.71 at equal precision, see docs/benchmarks.md).",
    )

    # Decoding limits: protect the process from decompression bombs and absurd inputs.
    max_pixels: int = Field(150_000_000, description="Refuse images with more pixels than this (decompression bombs).")

    # Output.
    crop_size: int = Field(160, ge=32, le=1024, description="Long side, in pixels, of the base64 JPEG face crops.")
    crop_quality: int = Field(85, ge=30, le=100, description="JPEG quality of the face crops.")

    # Parallelism for folders of photos.
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, description="Worker processes.",
        json_schema_extra={"doc_default": "number of CPU cores"},  # docs/settings.md: not this machine's count
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment)."""
    return Settings()
