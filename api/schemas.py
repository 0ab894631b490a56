"""The service's JSON shapes: what the OpenAPI schema promises to clients."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, Field, field_validator


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
    preview: str | None = Field(None, description="Base64 JPEG of the photo as seen, when asked for (preview=true).")


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
    enrolled_faces: int
    threshold: float | None = Field(description="The member's decision threshold; null until a training includes them.")
    validation: dict[str, float | int | None] = Field(default_factory=dict)
    hidden: bool = Field(False, description="Never shown or sorted; still somebody the other members are not.")


class HealthOut(BaseModel):
    status: str = Field(description="'ok' once the models are loaded, 'loading' before.")
    ready: bool
    members: int


class LimitsOut(BaseModel):
    max_upload_mb: float = Field(description="Largest photo accepted, in megabytes (a larger one is refused, 413).")
    max_batch_files: int = Field(description="Most photos in one request.")


class VersionOut(BaseModel):
    version: str
    detector: dict
    embedder: dict
    recipe: str | None
    family_created: str | None
    limits: LimitsOut


class MemberCreate(BaseModel):
    name: str = Field(
        description="The member's name, also a folder name on any disk: 1-64 characters (at most 200 bytes), "
        "none of < > : \" / \\ | ? *, not starting with '.' or '_', not ending with '.' or a space, not a device name "
        "(CON, NUL, COM1...) and not manifest.csv, manifest.jsonl or index.html."
    )


class FaceRecordOut(BaseModel):
    id: int
    member: str | None = Field(description="The member, or null for a stranger example.")
    box: list[int]
    crop: str = Field(description="Base64 JPEG of the face.")
    source: str = Field(description="File name of the photo it came from.")
    origin: str = Field(description="'enrolment' or 'feedback'.")
    created: str
    already_stored: bool = Field(
        False, description="True when an earlier request stored this face (the same photo, by content, box and member): nothing was added."
    )


class RejectedPhoto(BaseModel):
    file: str
    reason: str


class EnrolmentOut(BaseModel):
    member: str
    enrolled: list[FaceRecordOut]
    rejected: list[RejectedPhoto]


class JobAccepted(BaseModel):
    job_id: str
    status_url: str


class JobOut(BaseModel):
    id: str
    kind: str
    state: str = Field(description="queued, running, succeeded or failed.")
    progress: float = Field(ge=0, le=1)
    stage: str
    result: dict | None = Field(None, description="On success: per-member faces, validation figures and thresholds.")
    error: str | None = None
    created: str
    finished: str | None = None


class FeedbackOut(BaseModel):
    face: FaceRecordOut
    added_as: str = Field(description="'member' or 'stranger'.")
    message: str


class SortRequest(BaseModel):
    source: str = Field(description="Folder of photos on the server (walked recursively); under FAMILYPHOTO_SORT_ROOTS.")
    destination: str = Field(description="Folder to fill with <member>/, _strangers_only/, _no_faces/; under FAMILYPHOTO_SORT_ROOTS.")
    mode: Literal["link", "copy", "symlink"] = Field("link", description="Hard links (copies across filesystems), copies or symlinks.")
    dry_run: bool = Field(False, description="Write only the manifests: no folders, no links.")

    @field_validator("source", "destination")
    @classmethod
    def _a_usable_path(cls, path: str) -> str:
        """A path the disk could hold (no NUL, names of at most 255 bytes), with ``~`` expanded."""
        if "\0" in path:
            raise ValueError("not a usable path: it contains a NUL character")
        if len(path.encode("utf-8", "surrogateescape")) > 4096 or any(
            len(part.encode("utf-8", "surrogateescape")) > 255 for part in path.split("/")
        ):
            raise ValueError("not a usable path: too long for a disk (4096 bytes, 255 per name)")
        expanded = os.path.expanduser(path)
        if expanded.startswith("~"):
            raise ValueError(f"not a usable path: no such user as {path.split('/')[0][:64]!r}")
        return expanded
