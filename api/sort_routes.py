"""``POST /sort``: sort a folder of the server's disk into one folder per member, as a job."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.schemas import ErrorOut, JobAccepted

router = APIRouter(tags=["sort"])


class SortRequest(BaseModel):
    source: str = Field(description="Folder of photos on the server (walked recursively); under FAMILYPHOTO_SORT_ROOTS.")
    destination: str = Field(description="Folder to fill with <member>/, _strangers_only/, _no_faces/; under FAMILYPHOTO_SORT_ROOTS.")
    mode: Literal["link", "copy", "symlink"] = Field("link", description="Hard links (copies across filesystems), copies or symlinks.")
    dry_run: bool = Field(False, description="Write only the manifests: no folders, no links.")


@router.post(
    "/sort", status_code=202, response_model=JobAccepted,
    responses={403: {"model": ErrorOut}, 409: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
async def sort(body: SortRequest, request: Request) -> JobAccepted:
    """Sort a trip like ``familyphoto sort`` does, in the background (resumable: a second request picks up
    where an interrupted one stopped); poll ``/jobs/{id}`` for progress and the counts per folder."""
    job_id = request.app.state.service.start_sort(body.source, body.destination, mode=body.mode, dry_run=body.dry_run)
    return JobAccepted(job_id=job_id, status_url=f"/jobs/{job_id}")
