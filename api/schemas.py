"""The service's JSON shapes: what the OpenAPI schema promises to clients."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FaceOut(BaseModel):
    box: list[int] = Field(description="[x1, y1, x2, y2] in pixels of the photo as seen (EXIF orientation applied).", min_length=4, max_length=4)
    score: float = Field(description="Detector confidence (HOG: SVM margin; CNN: MMOD confidence).")
    probabilities: dict[str, float] = Field(description="Probability per family member (independent sigmoids).")
    member: str | None = Field(description="The member this face was assigned to, or null for a stranger.")
    crop: str | None = Field(None, description="Base64 JPEG of the face (omitted with crops=false).")


class Timings(BaseModel):
    decode: float
    detect: float
    classify: float
    total: float


class PredictionOut(BaseModel):
    width: int
    height: int
    faces: list[FaceOut]
    present: list[str] = Field(description="Members found in the photo, each at most once.")
    timings_ms: Timings


class BatchItemOut(BaseModel):
    """One file of a batch: its prediction, or why it failed."""

    file: str
    status: int = Field(description="HTTP status this file would have had on its own (200 or an error code).")
    result: PredictionOut | None = None
    error: str | None = None


class ErrorOut(BaseModel):
    detail: str = Field(description="What went wrong, in one line.")


class MemberOut(BaseModel):
    name: str
    threshold: float
    enrolled_faces: int
    validation: dict[str, float | int | None] = Field(default_factory=dict)


class HealthOut(BaseModel):
    status: str = Field(description="'ok' once the models are loaded, 'loading' before.")
    ready: bool
    members: int


class VersionOut(BaseModel):
    version: str
    detector: dict
    embedder: dict
    recipe: str | None
    family_created: str | None
