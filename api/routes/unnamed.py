"""People nobody has named yet: the library's unnamed faces in groups, each a "Who is this?" to answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import LibraryDep
from api.library_schemas import (
    GroupMerge,
    GroupNamedOut,
    LooksLikeOut,
    NameGroup,
    UnnamedFaceOut,
    UnnamedGroupOut,
)
from api.schemas import ErrorOut
from api.services.discovery import GroupNamed, UnnamedPerson

router = APIRouter(prefix="/people/unnamed", tags=["people"])
GroupId = Annotated[int, Path(ge=1, le=2**63 - 1, description="An unnamed group's id.")]
NOT_FOUND = {404: {"model": ErrorOut, "description": "No such group (named, merged or gone since)."}}


@router.get("", response_model=list[UnnamedGroupOut])
async def unnamed_people(
    library: LibraryDep,
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="At most this many groups; none: all.")] = None,
) -> list[UnnamedGroupOut]:
    """Groups of faces nobody has named and the family does not know, each likely one person, largest first.
    Groups of one face and ignored groups are not listed. Updated after every scan and training."""
    return [_group_out(p) for p in library.discovery.people(limit)]


@router.get("/{group_id}", response_model=UnnamedGroupOut, responses=NOT_FOUND)
async def unnamed_person(group_id: GroupId, library: LibraryDep) -> UnnamedGroupOut:
    """One group (ignored ones too)."""
    return _group_out(library.discovery.person(group_id))


@router.get("/{group_id}/faces", response_model=list[UnnamedFaceOut], responses=NOT_FOUND)
async def unnamed_faces(group_id: GroupId, library: LibraryDep) -> list[UnnamedFaceOut]:
    """Every face of the group, the most typical first (a face of somebody else is likelier near the end)."""
    return [
        UnnamedFaceOut(face_id=f.face_id, photo_id=f.photo_id, box=f.box.as_list())
        for f in library.discovery.faces(group_id)
    ]


@router.post(
    "/{group_id}/name", response_model=GroupNamedOut,
    responses={**NOT_FOUND, 409: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
async def name_group(group_id: GroupId, body: NameGroup, library: LibraryDep) -> GroupNamedOut:
    """Name every face of the group but the excluded ones (a new name creates the member; an existing member
    gets the faces), as if each were named in the viewer, then train. The excluded faces leave the group."""
    return _named_out(await library.discovery.name(group_id, body.member, body.exclude_face_ids))


@router.post("/{group_id}/ignore", response_model=UnnamedGroupOut, responses=NOT_FOUND)
async def ignore_group(group_id: GroupId, library: LibraryDep) -> UnnamedGroupOut:
    """Not asked about again (strangers at the zoo): its faces, and faces like them found later, stay nobody
    of the family."""
    return _group_out(library.discovery.ignore(group_id))


@router.post("/{group_id}/merge", response_model=UnnamedGroupOut, responses={**NOT_FOUND, 422: {"model": ErrorOut}})
async def merge_group(group_id: GroupId, body: GroupMerge, library: LibraryDep) -> UnnamedGroupOut:
    """One person found as two groups: this group's faces join ``into``, which is returned."""
    return _group_out(library.discovery.merge(group_id, body.into))


def _group_out(person: UnnamedPerson) -> UnnamedGroupOut:
    g, near = person.group, person.looks_like
    return UnnamedGroupOut(
        id=g.id, faces=g.faces, photos=g.photos, sample_face_ids=g.sample_face_ids, ignored=g.ignored,
        looks_like=LooksLikeOut(member=near.member, similarity=round(near.similarity, 3)) if near else None,
    )


def _named_out(named: GroupNamed) -> GroupNamedOut:
    return GroupNamedOut(
        member=named.member, named_face_ids=named.named_face_ids, skipped_face_ids=named.skipped_face_ids,
        created_member=named.created_member, changes_since_training=named.changes_since_training,
        training_job_id=named.training_job_id,
    )
