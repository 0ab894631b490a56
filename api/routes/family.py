"""Teaching the family over HTTP: members, their faces, training jobs and feedback."""

from __future__ import annotations

import base64
import json
from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Response, UploadFile

from api.deps import LibraryDep, ReadUploadDep, ServiceDep
from api.library_schemas import MemberMerge, MemberUpdate
from api.schemas import (
    EnrolmentOut,
    ErrorOut,
    FaceRecordOut,
    FeedbackOut,
    JobAccepted,
    JobOut,
    MemberCreate,
    MemberOut,
    RejectedPhoto,
)
from api.services.errors import InvalidRequest
from api.services.store import FaceRecord
from api.uploads import UploadRoute
from inference.types import Box

router = APIRouter(tags=["family"], route_class=UploadRoute)  # uploads read within their limits as they arrive
NOT_FOUND = {404: {"model": ErrorOut, "description": "No such member, face or job."}}
CONFLICT = {409: {"model": ErrorOut, "description": "Conflicts with the current state."}}


def face_out(face: FaceRecord) -> FaceRecordOut:
    return FaceRecordOut(
        id=face.id, member=face.member, box=face.box, crop=base64.b64encode(face.crop).decode("ascii"),
        source=face.source, origin=face.origin, created=face.created, already_stored=face.already_stored,
    )


@router.get("/members", response_model=list[MemberOut])
async def list_members(service: ServiceDep) -> list[MemberOut]:
    """The family: enrolled members and those of the served trained family, with thresholds and validation figures."""
    return [MemberOut(**vars(member)) for member in service.members()]


@router.post("/members", status_code=201, response_model=MemberOut, responses={**CONFLICT, 422: {"model": ErrorOut}})
async def create_member(body: MemberCreate, service: ServiceDep) -> MemberOut:
    """Add a member (no faces yet: upload solo photos next)."""
    return MemberOut(**vars(service.add_member(body.name)))


@router.delete("/members/{name}", status_code=204, responses=NOT_FOUND)
async def delete_member(name: str, service: ServiceDep) -> Response:
    """Remove a member and their enrolled faces (the served family changes at the next training)."""
    service.delete_member(name)
    return Response(status_code=204)


@router.post("/members/{name}/photos", response_model=EnrolmentOut, responses={**NOT_FOUND, 413: {"model": ErrorOut}})
async def enrol_photos(
    name: str,
    service: ServiceDep,
    read: ReadUploadDep,
    files: Annotated[list[UploadFile], File(description="Solo photos of the member: the largest face of each is enrolled.")],
) -> EnrolmentOut:
    """Enrol the largest face of each photo; list the photos rejected, with why."""
    photos = [(f.filename or f"photo{i + 1}", partial(read, f)) for i, f in enumerate(files)]  # read one at a time
    enrolment = await service.enrol_async(name, photos)
    return EnrolmentOut(
        member=name, enrolled=[face_out(f) for f in enrolment.enrolled],
        rejected=[RejectedPhoto(file=r.file, reason=r.reason) for r in enrolment.rejected],
    )


@router.get("/members/{name}/faces", response_model=list[FaceRecordOut], responses=NOT_FOUND)
async def member_faces(name: str, service: ServiceDep) -> list[FaceRecordOut]:
    """The member's enrolled faces, to spot wrong ones."""
    return [face_out(f) for f in service.faces(name)]


@router.delete("/members/{name}/faces/{face_id}", status_code=204, responses=NOT_FOUND)
async def delete_face(
    name: str, face_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="The face's id.")], service: ServiceDep
) -> Response:
    """Remove a wrongly enrolled face."""
    service.delete_face(name, face_id)
    return Response(status_code=204)


@router.post("/train", status_code=202, response_model=JobAccepted, responses=CONFLICT)
async def train(service: ServiceDep) -> JobAccepted:
    """Train on the enrolled faces (and stranger examples) in the background; poll ``/jobs/{id}``."""
    job_id = service.start_training()
    return JobAccepted(job_id=job_id, status_url=f"/jobs/{job_id}")


@router.get("/jobs/{job_id}", response_model=JobOut, responses=NOT_FOUND)
async def job(job_id: str, service: ServiceDep) -> JobOut:
    """A job's state, progress (0-1), stage, and on success its figures."""
    return JobOut(**vars(service.job(job_id)))


@router.post("/feedback", response_model=FeedbackOut, responses={**NOT_FOUND, 415: {"model": ErrorOut}, 422: {"model": ErrorOut}})
async def feedback(
    service: ServiceDep,
    read: ReadUploadDep,
    file: Annotated[UploadFile, File(description="The photo, as sent to /predict.")],
    box: Annotated[str, Form(description="The face's box as /predict gave it: JSON [x1, y1, x2, y2].")],
    member: Annotated[str, Form(description="Who it is; empty for 'nobody in this family'.")] = "",
) -> FeedbackOut:
    """Correct a prediction: "this face is X" adds it to X's examples, "nobody" to the strangers."""
    face_box = _parse_box(box)
    face = await service.feedback(await read(file), face_box, member or None, file.filename or "photo")
    who = f"an example of {member}" if member else "a stranger example"
    return FeedbackOut(
        face=face_out(face), added_as="member" if member else "stranger",
        message=f"Saved as {who}: the next training will use it.",
    )


def _parse_box(text: str) -> Box:
    try:
        values = json.loads(text)
        if not (isinstance(values, list) and len(values) == 4 and all(isinstance(v, int) for v in values)):
            raise ValueError
    except (ValueError, RecursionError):
        raise InvalidRequest("box must be a JSON list of four integers [x1, y1, x2, y2]") from None
    return Box(*values)


@router.patch("/members/{name}", response_model=MemberOut, responses={**NOT_FOUND, **CONFLICT, 422: {"model": ErrorOut}})
async def update_member(name: str, body: MemberUpdate, library: LibraryDep) -> MemberOut:
    """Rename a member, or hide them (never shown or sorted; still somebody the others are not) or show them
    again. Every face and library photo follows; the family learns it at a training, started here."""
    return MemberOut(**vars(library.update_member(name, body.name, body.hidden)))


@router.post("/members/{name}/merge", response_model=MemberOut, responses={**NOT_FOUND, **CONFLICT})
async def merge_member(name: str, body: MemberMerge, library: LibraryDep) -> MemberOut:
    """Merge this member into another (the same person under two names): every face becomes theirs."""
    return MemberOut(**vars(library.merge_member(name, body.into)))
