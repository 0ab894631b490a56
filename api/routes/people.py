"""People of the library and their faces: who is in the photos, naming a face where it is seen."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from api.deps import LibraryDep
from api.library_schemas import NamedFaceOut, NameFace, PersonOut
from api.library_views import named_out
from api.schemas import ErrorOut

router = APIRouter(tags=["people"])
FaceId = Annotated[int, Path(ge=1, le=2**63 - 1, description="A library face's id.")]
NOT_FOUND = {404: {"model": ErrorOut, "description": "No such face."}}


@router.get("/people", response_model=list[PersonOut])
async def people(library: LibraryDep) -> list[PersonOut]:
    """The family's members as the library knows them (hidden ones left out), most photos first."""
    return [PersonOut(**vars(p)) for p in library.people()]


@router.get("/faces/{face_id}/crop", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}, **NOT_FOUND})
async def face_crop(face_id: FaceId, library: LibraryDep) -> Response:
    """The face, cut out of its photo (a JPEG)."""
    return Response(library.face_crop(face_id), media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})


@router.post(
    "/faces/{face_id}/name", response_model=NamedFaceOut,
    responses={**NOT_FOUND, 409: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
async def name_face(face_id: FaceId, body: NameFace, library: LibraryDep) -> NamedFaceOut:
    """Say who this face is (a new name creates the member; null: nobody of the family). It takes effect at
    once, becomes an example for the next training, and no training changes it. Naming it again the same
    way adds nothing."""
    return named_out(await library.name_face(face_id, body.member))


@router.delete("/faces/{face_id}/name", response_model=NamedFaceOut, responses=NOT_FOUND)
async def unname_face(face_id: FaceId, library: LibraryDep) -> NamedFaceOut:
    """Undo a person's name for this face: its example is removed and the model decides it again."""
    return named_out(await library.unname_face(face_id))
