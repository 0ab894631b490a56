"""``POST /evaluate`` (a job) and the reports it writes, served from the data directory."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse, RedirectResponse

from api.deps import ReadUploadDep, ServiceDep
from api.schemas import ErrorOut, JobAccepted
from api.uploads import UploadRoute

router = APIRouter(tags=["evaluation"], route_class=UploadRoute)  # uploads read within their limits as they arrive


@router.post(
    "/evaluate", status_code=202, response_model=JobAccepted,
    responses={409: {"model": ErrorOut}, 413: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
async def evaluate(
    service: ServiceDep,
    read: ReadUploadDep,
    files: Annotated[list[UploadFile], File(description="Photos whose members are known.")],
    labels: Annotated[
        str, Form(description='JSON {"photo.jpg": ["member", ...]} naming every uploaded file; [] for nobody of the family.')
    ],
) -> JobAccepted:
    """Measure the current family on labelled photos in the background; poll ``/jobs/{id}`` for the figures
    and the report's address."""
    uploads = [(f.filename or f"photo{i}.jpg", partial(read, f)) for i, f in enumerate(files)]
    job_id = await service.start_evaluation(uploads, labels)
    return JobAccepted(job_id=job_id, status_url=f"/jobs/{job_id}")


@router.get("/evaluations/latest", response_class=RedirectResponse, status_code=307, responses={404: {"model": ErrorOut}})
async def latest_report(service: ServiceDep) -> RedirectResponse:
    """The report of the most recent successful evaluation."""
    return RedirectResponse(service.latest_report_url(), status_code=307)


@router.get("/evaluations/{job_id}/{path:path}", response_class=FileResponse, responses={404: {"model": ErrorOut}})
async def evaluation_file(job_id: str, path: str, service: ServiceDep) -> FileResponse:
    """A file of an evaluation: its report (``report/index.html``, plots, thumbnails) or its photos."""
    return FileResponse(service.evaluation_file(job_id, path))
