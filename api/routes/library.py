"""The library: scanning the family's folders, its photos (filtered, paged), their thumbnails and previews."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, File, Path, Query, UploadFile
from fastapi.responses import FileResponse

from api.deps import LibraryDep, ReadUploadDep
from api.library_schemas import LibraryStatusOut, PhotoPageOut, LibraryPhotoOut, ScanRequest, UploadedPhotoOut
from api.library_views import photo_out, status_out
from api.schemas import ErrorOut, JobAccepted
from api.uploads import UploadRoute
from library.query import PhotoQuery

router = APIRouter(tags=["library"], route_class=UploadRoute)
NOT_FOUND = {404: {"model": ErrorOut, "description": "No such photo."}}
JPEG = {200: {"content": {"image/jpeg": {}}, "description": "A JPEG."}}
PhotoId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The photo's id.")]


@router.get("/library", response_model=LibraryStatusOut)
async def library_status(library: LibraryDep) -> LibraryStatusOut:
    """The folders indexed, how many photos and faces, the latest scan and training, the changes not learnt yet."""
    return status_out(library.status())


@router.post(
    "/library/scan", status_code=202, response_model=JobAccepted,
    responses={403: {"model": ErrorOut}, 409: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
async def scan(library: LibraryDep, body: ScanRequest | None = None) -> JobAccepted:
    """Index the library's folders in the background: new, changed, moved and deleted photos (an unchanged
    photo is not read again). Progress and the counts seen, analysed and skipped (with why) in ``/jobs/{id}``."""
    job_id = library.start_scan(body.roots if body else None)
    return JobAccepted(job_id=job_id, status_url=f"/jobs/{job_id}")


@router.get("/library/photos", response_model=PhotoPageOut, responses={422: {"model": ErrorOut}})
async def photos(
    library: LibraryDep,
    member: Annotated[list[str], Query(description="Members the photos have in them (repeat for several).")] = [],  # noqa: B006
    match: Annotated[Literal["all", "any"], Query(description="all: every member given; any: at least one.")] = "all",
    only: Annotated[bool, Query(description="No other member of the family in the photo.")] = False,
    strangers: Annotated[Literal["any", "with", "without"], Query(description="Photos with faces of nobody of the family, or without.")] = "any",
    from_: Annotated[date | None, Query(alias="from", description="Taken on or after this day (YYYY-MM-DD).")] = None,
    to: Annotated[date | None, Query(description="Taken on or before this day (YYYY-MM-DD).")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page.")] = None,
) -> PhotoPageOut:
    """Library photos, newest first, filtered by who is in them and when they were taken."""
    query = PhotoQuery(
        members=tuple(member), match=match, only=only, strangers=strangers, taken_from=from_, taken_to=to,
        limit=limit, cursor=cursor,
    )
    page = library.photos(query)
    return PhotoPageOut(items=[photo_out(p) for p in page.items], next_cursor=page.next_cursor, total=page.total)


@router.get("/library/photos/{photo_id}", response_model=LibraryPhotoOut, responses=NOT_FOUND)
async def photo(photo_id: PhotoId, library: LibraryDep) -> LibraryPhotoOut:
    """One library photo with every face."""
    return photo_out(library.photo(photo_id))


@router.get("/library/photos/{photo_id}/thumbnail", response_class=FileResponse, responses={**JPEG, **NOT_FOUND})
async def thumbnail(photo_id: PhotoId, library: LibraryDep) -> FileResponse:
    """A small JPEG of the photo, as a person sees it (made once, when the photo was indexed)."""
    return _jpeg(await library.thumbnail(photo_id))


@router.get("/library/photos/{photo_id}/preview", response_class=FileResponse, responses={**JPEG, **NOT_FOUND})
async def preview(photo_id: PhotoId, library: LibraryDep) -> FileResponse:
    """A screen-sized JPEG of the photo (HEIC converted, EXIF rotation applied), made once and kept."""
    return _jpeg(await library.preview(photo_id))


@router.post(
    "/library/photos", status_code=201, response_model=list[UploadedPhotoOut],
    responses={413: {"model": ErrorOut}, 507: {"model": ErrorOut}},
)
async def upload_photos(
    library: LibraryDep,
    read: ReadUploadDep,
    files: Annotated[list[UploadFile], File(description="Photos to add to the library (kept in the service's data folder).")],
) -> list[UploadedPhotoOut]:
    """Add uploaded photos to the library: each is kept, analysed and named like a scanned one."""
    uploads = [(f.filename or f"photo{i + 1}", partial(read, f)) for i, f in enumerate(files)]
    added = await library.add_uploads(uploads)
    return [UploadedPhotoOut(file=a.file, photo=photo_out(a.photo) if a.photo else None, error=a.error) for a in added]


def _jpeg(path) -> FileResponse:
    # The file's content never changes under its name (named by the photo's hash): cache it.
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})
