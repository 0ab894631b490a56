"""``POST /sort``: sort a folder of the server's disk into one folder per member, as a job."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ServiceDep
from api.schemas import ErrorOut, JobAccepted, SortRequest

router = APIRouter(tags=["sort"])


@router.post(
    "/sort", status_code=202, response_model=JobAccepted,
    responses={403: {"model": ErrorOut}, 409: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
async def sort(body: SortRequest, service: ServiceDep) -> JobAccepted:
    """Sort a trip like ``familyphoto sort`` does, in the background (resumable: a second request picks up
    where an interrupted one stopped); poll ``/jobs/{id}`` for progress and the counts per folder."""
    job_id = service.start_sort(body.source, body.destination, mode=body.mode, dry_run=body.dry_run)
    return JobAccepted(job_id=job_id, status_url=f"/jobs/{job_id}")
