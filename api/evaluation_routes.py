"""``POST /evaluate`` (a job) and the reports it writes, served from the data directory."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse

from api.schemas import ErrorOut, JobAccepted

router = APIRouter(tags=["evaluation"])


@router.post(
    "/evaluate", status_code=202, response_model=JobAccepted,
    responses={409: {"model": ErrorOut}, 413: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
async def evaluate(
    request: Request,
    files: Annotated[list[UploadFile], File(description="Photos whose members are known.")],
    labels: Annotated[
        str, Form(description='JSON {"photo.jpg": ["member", ...]} naming every uploaded file; [] for nobody of the family.')
    ],
) -> JobAccepted:
    """Measure the current family on labelled photos in the background; poll ``/jobs/{id}`` for the figures
    and the report's address."""
    from api.services.labelled_upload import parse_labels

    service = request.app.state.service
    settings = request.app.state.settings
    if len(files) > settings.max_evaluate_files:
        raise HTTPException(413, f"{len(files)} files is over the limit of {settings.max_evaluate_files} per evaluation")
    names = [f.filename or f"photo{i}.jpg" for i, f in enumerate(files)]
    parsed = parse_labels(labels, names)
    read = request.app.state.read_upload
    job_id = await service.start_evaluation([(name, partial(read, f)) for name, f in zip(names, files)], parsed)
    return JobAccepted(job_id=job_id, status_url=f"/jobs/{job_id}")


@router.get("/evaluations/latest", response_class=RedirectResponse, status_code=307, responses={404: {"model": ErrorOut}})
async def latest_report(request: Request) -> RedirectResponse:
    """The report of the most recent successful evaluation."""
    job = request.app.state.service.store.latest_job("evaluate", state="succeeded")
    if job is None or not job.result:
        raise HTTPException(404, "no evaluation has finished yet: POST /evaluate with labelled photos")
    return RedirectResponse(job.result["report_url"], status_code=307)


@router.get("/evaluations/{job_id}/{path:path}", response_class=FileResponse, responses={404: {"model": ErrorOut}})
async def evaluation_file(job_id: str, path: str, request: Request) -> FileResponse:
    """A file of an evaluation: its report (``report/index.html``, plots, thumbnails) or its photos."""
    root = (request.app.state.service.evaluations_dir / job_id).resolve()
    target = (root / (path or "report/index.html")).resolve()
    if root.parent != request.app.state.service.evaluations_dir.resolve() or not target.is_relative_to(root) or not target.is_file():
        raise HTTPException(404, f"no such file in evaluation {job_id!r}")
    return FileResponse(target)
