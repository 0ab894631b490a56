"""The library's JSON shapes (photos indexed once, people, faces named where they are seen)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas import JobOut

NamedBy = Literal["model", "person"]


class ScanRequest(BaseModel):
    roots: list[str] | None = Field(
        None, description="Folders of FAMILYPHOTO_LIBRARY_ROOTS to scan (as listed by GET /library); null: all of them."
    )


class LibraryRootOut(BaseModel):
    path: str
    photos: int = Field(description="Photos of this folder in the library.")
    available: bool = Field(description="False when the folder cannot be read now (unmounted, removed): its photos are kept.")
    scanned: bool = Field(
        description="Whether POST /library/scan reads it: in FAMILYPHOTO_LIBRARY_ROOTS, or the uploads. A folder indexed "
        "by `familyphoto library scan` alone is listed with its photos, and not scanned by the service."
    )


class LibraryStatusOut(BaseModel):
    roots: list[LibraryRootOut] = Field(
        description="The folders the service indexes (FAMILYPHOTO_LIBRARY_ROOTS), others the library holds photos of, then uploads."
    )
    photos: int = Field(description="Photos indexed (readable ones).")
    faces: int
    skipped: int = Field(description="Files that could not be analysed, with why in the last scan's result.")
    named_faces: int = Field(description="Faces a person named (or said are nobody of the family).")
    changes_since_training: int = Field(description="Names, undos and member changes the served family has not learnt yet.")
    retrain_after: int = Field(description="The service retrains by itself after this many changes (0: only on demand).")
    scan: JobOut | None = Field(None, description="The latest scan job, running or finished.")
    training: JobOut | None = Field(None, description="The latest training job, running or finished.")
    decided: bool = Field(description="False while the library has no trained family to name its faces with.")


class LibraryFaceOut(BaseModel):
    id: int
    box: list[int] = Field(description="[x1, y1, x2, y2] in pixels of the photo as seen.", min_length=4, max_length=4)
    member: str | None = Field(description="Who this face is (named by a person, or decided by the model); null: nobody of the family.")
    probabilities: dict[str, float] = Field(description="The served family's probability per member (empty before any training).")
    named_by: NamedBy = Field(description="'person' when someone named this face: no training changes it.")


class LibraryPhotoOut(BaseModel):
    id: int
    path: str = Field(description="The photo's file on the server's disk (never written by the service).")
    taken_at: str = Field(description="When it was taken: EXIF DateTimeOriginal, else the file's time (ISO 8601, local time).")
    width: int
    height: int
    present: list[str] = Field(description="Members in the photo, left to right.")
    faces: list[LibraryFaceOut] = Field(description="Every face, left to right.")


class PhotoPageOut(BaseModel):
    items: list[LibraryPhotoOut]
    next_cursor: str | None = Field(description="Pass as cursor= for the next page; null on the last one.")
    total: int = Field(description="Photos matching the filter, all pages together.")


class PersonOut(BaseModel):
    name: str
    photos: int = Field(description="Library photos with this member in them.")
    faces: int = Field(description="Library faces of this member.")
    cover_face_id: int | None = Field(description="A library face to show for them (GET /faces/{id}/crop); null: none yet.")


class NameFace(BaseModel):
    member: str | None = Field(
        description="Who the face is: an existing member, or a new name (the member is created). null: nobody of the family."
    )


class NamedFaceOut(BaseModel):
    face: LibraryFaceOut
    photo_id: int
    created_member: bool = Field(description="True when the name was new and the member was created.")
    changes_since_training: int
    training_job_id: str | None = Field(None, description="The training this change started, if it did (poll /jobs/{id}).")


class MemberUpdate(BaseModel):
    name: str | None = Field(None, description="A new name for the member (every face and photo follows).")
    hidden: bool | None = Field(None, description="Hidden: never shown or sorted, still used as somebody who is not the others.")


class MemberMerge(BaseModel):
    into: str = Field(description="The member who takes every face of this one; this one is removed.")


class UploadedPhotoOut(BaseModel):
    file: str
    photo: LibraryPhotoOut | None = None
    error: str | None = Field(None, description="Why the photo was not added.")


class LooksLikeOut(BaseModel):
    member: str
    similarity: float = Field(description="How alike (cosine similarity of the embeddings, the embedder's scale).")


class UnnamedGroupOut(BaseModel):
    id: int = Field(description="The group's id; never reused for another group.")
    faces: int
    photos: int
    sample_face_ids: list[int] = Field(description="A few of its faces to show (GET /faces/{id}/crop), largest first.")
    looks_like: LooksLikeOut | None = Field(description="The member this group is near, if any (\"looks like Leo\").")
    ignored: bool = Field(description="Ignored groups are not listed; their faces stay nobody of the family.")


class UnnamedFaceOut(BaseModel):
    face_id: int
    photo_id: int
    box: list[int] = Field(description="[x1, y1, x2, y2] in pixels of the photo as seen.", min_length=4, max_length=4)


class NameGroup(BaseModel):
    member: str = Field(description="Who the group is: an existing member, or a new name (the member is created).")
    exclude_face_ids: list[int] = Field(
        default_factory=list, max_length=100_000,
        description="Faces of the group that are somebody else: not named; they leave the group.",
    )


class GroupNamedOut(BaseModel):
    member: str
    named_face_ids: list[int]
    skipped_face_ids: list[int] = Field(
        description="Faces not named: another face of their photo is this member (a person is in a photo once)."
    )
    created_member: bool
    changes_since_training: int
    training_job_id: str | None = Field(None, description="The training this started (poll /jobs/{id}); null if one was running.")


class GroupMerge(BaseModel):
    into: int = Field(description="The group that takes every face of this one (and keeps its id).")
