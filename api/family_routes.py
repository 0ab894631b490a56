"""Teaching the family over HTTP: members, their faces, training jobs and feedback."""

from __future__ import annotations

import base64
import json
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Path, Request, Response, UploadFile

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
from api.services.family import FamilyService
from api.services.store import FaceRecord, valid_member_name
from inference.types import Box

router = APIRouter(tags=["family"])
NOT_FOUND = {404: {"model": ErrorOut, "description": "No such member, face or job."}}
CONFLICT = {409: {"model": ErrorOut, "description": "Conflicts with the current state."}}


def _service(request: Request) -> FamilyService:
    return request.app.state.service


def face_out(face: FaceRecord) -> FaceRecordOut:
    return FaceRecordOut(
        id=face.id, member=face.member, box=face.box, crop=base64.b64encode(face.crop).decode("ascii"),
        source=face.source, origin=face.origin, created=face.created,
    )


def _store(request: Request):
    store = _service(request).store
    assert store is not None
    return store


@router.get("/members", response_model=list[MemberOut])
async def list_members(request: Request) -> list[MemberOut]:
    """The family: enrolled members and those of the served trained family, with thresholds and validation figures."""
    store = _store(request)
    family = _service(request).pipeline.family
    counts = store.face_counts()
    manifest = family.manifest if family else None
    names = sorted(set(store.members()) | set(manifest.members if manifest else []))
    out = []
    for name in names:
        calibration = manifest.calibration.get("members", {}).get(name, {}) if manifest else {}
        validation = manifest.training.get("validation", {}).get(name, {}) if manifest else {}
        out.append(
            MemberOut(
                name=name,
                enrolled_faces=counts.get(name, int(calibration.get("enrolled_faces", 0))),
                threshold=manifest.thresholds.get(name) if manifest else None,
                validation={k: v for k, v in validation.items() if k in ("precision", "recall", "faces")},
            )
        )
    return out


@router.post("/members", status_code=201, response_model=MemberOut, responses={**CONFLICT, 422: {"model": ErrorOut}})
async def create_member(body: MemberCreate, request: Request) -> MemberOut:
    """Add a member (no faces yet: upload solo photos next)."""
    if not valid_member_name(body.name):
        raise HTTPException(422, "name must be 1-64 characters, without slashes, not starting with '.' or '_'")
    _store(request).add_member(body.name)
    return MemberOut(name=body.name, enrolled_faces=0, threshold=None)


@router.delete("/members/{name}", status_code=204, responses=NOT_FOUND)
async def delete_member(name: str, request: Request) -> Response:
    """Remove a member and their enrolled faces (the served family changes at the next training)."""
    _store(request).delete_member(name)
    return Response(status_code=204)


@router.post("/members/{name}/photos", response_model=EnrolmentOut, responses={**NOT_FOUND, 413: {"model": ErrorOut}})
async def enrol_photos(
    name: str,
    request: Request,
    files: Annotated[list[UploadFile], File(description="Solo photos of the member: the largest face of each is enrolled.")],
) -> EnrolmentOut:
    """Enrol the largest face of each photo; list the photos rejected, with why."""
    service = _service(request)
    read = request.app.state.read_upload
    photos = [(f.filename or f"photo{i + 1}", await read(f)) for i, f in enumerate(files)]
    enrolled, rejected = await service.enrol(name, photos)
    return EnrolmentOut(
        member=name, enrolled=[face_out(f) for f in enrolled],
        rejected=[RejectedPhoto(file=r.file, reason=r.reason) for r in rejected],
    )


@router.get("/members/{name}/faces", response_model=list[FaceRecordOut], responses=NOT_FOUND)
async def member_faces(name: str, request: Request) -> list[FaceRecordOut]:
    """The member's enrolled faces, to spot wrong ones."""
    store = _store(request)
    store.require_member(name)
    return [face_out(f) for f in store.faces(name)]


@router.delete("/members/{name}/faces/{face_id}", status_code=204, responses=NOT_FOUND)
async def delete_face(
    name: str, face_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="The face's id.")], request: Request
) -> Response:
    """Remove a wrongly enrolled face."""
    _store(request).delete_face(name, face_id)
    return Response(status_code=204)


@router.post("/train", status_code=202, response_model=JobAccepted, responses=CONFLICT)
async def train(request: Request) -> JobAccepted:
    """Train on the enrolled faces (and stranger examples) in the background; poll ``/jobs/{id}``."""
    job_id = _service(request).start_training()
    return JobAccepted(job_id=job_id, status_url=f"/jobs/{job_id}")


@router.get("/jobs/{job_id}", response_model=JobOut, responses=NOT_FOUND)
async def job(job_id: str, request: Request) -> JobOut:
    """A job's state, progress (0-1), stage, and on success its figures."""
    record = _store(request).job(job_id)
    return JobOut(**vars(record))


@router.post("/feedback", response_model=FeedbackOut, responses={**NOT_FOUND, 415: {"model": ErrorOut}, 422: {"model": ErrorOut}})
async def feedback(
    request: Request,
    file: Annotated[UploadFile, File(description="The photo, as sent to /predict.")],
    box: Annotated[str, Form(description="The face's box as /predict gave it: JSON [x1, y1, x2, y2].")],
    member: Annotated[str, Form(description="Who it is; empty for 'nobody in this family'.")] = "",
) -> FeedbackOut:
    """Correct a prediction: "this face is X" adds it to X's examples, "nobody" to the strangers."""
    try:
        values = json.loads(box)
        if not (isinstance(values, list) and len(values) == 4 and all(isinstance(v, int) for v in values)):
            raise ValueError
    except (ValueError, RecursionError):
        raise HTTPException(422, "box must be a JSON list of four integers [x1, y1, x2, y2]") from None
    data = await request.app.state.read_upload(file)
    try:
        face = await _service(request).feedback(data, Box(*values), member or None, file.filename or "photo")
    except ValueError as exc:
        if type(exc) is not ValueError:
            raise  # ImageDecodeError: its own handler picks the status
        raise HTTPException(422, str(exc)) from None
    who = f"an example of {member}" if member else "a stranger example"
    return FeedbackOut(
        face=face_out(face), added_as="member" if member else "stranger",
        message=f"Saved as {who}: the next training will use it.",
    )
