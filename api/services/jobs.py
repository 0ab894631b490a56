"""Running a background job (train, evaluate, sort): its progress, its result or its failure, in the store."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from api.services.store import FamilyStore
from inference.progress import OnProgress, Progress

log = logging.getLogger(__name__)

_MIN_INTERVAL_S = 0.5  # progress reaches the database at most this often (a write per photo is waste)


@dataclass(frozen=True)
class JobStage:
    """Where a stage of the work lies in its job: the share of the job done when the stage starts and
    when it ends, and the job's name for it (None: the stage's own)."""

    start: float
    end: float
    label: str | None = None


# A job's stages by the name the work reports them under; a stage not listed spans the whole job.
Stages = Mapping[str, JobStage]
_WHOLE_JOB = JobStage(0.0, 1.0)


class JobProgress:
    """The :data:`~inference.progress.OnProgress` of a running job: ``Progress(stage, done, total)`` becomes
    the job's ``stage`` (its label in ``stages``) and ``progress`` (0-1 over the whole job: the stage's
    share of it). A new stage is written at once, the rest throttled."""

    def __init__(self, store: FamilyStore, job_id: str, stages: Stages | None = None) -> None:
        self._store, self._job_id = store, job_id
        self._stages = dict(stages or {})
        self._stage: str | None = None
        self._last = 0.0

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if progress.stage == self._stage and now - self._last < _MIN_INTERVAL_S:
            return
        stage = self._stages.get(progress.stage, _WHOLE_JOB)
        share = stage.start + (stage.end - stage.start) * progress.fraction
        fields: dict[str, Any] = {"progress": round(min(max(share, 0.0), 1.0), 3)}
        if progress.stage != self._stage:
            self._stage = progress.stage
            fields["stage"] = stage.label or progress.stage
        self._last = now
        self._store.update_job(self._job_id, **fields)


Work = Callable[[OnProgress], dict[str, Any]]


def run_job(store: FamilyStore, job_id: str, work: Work, stages: Stages | None = None) -> None:
    """Run ``work`` (which returns the job's result) and record how it ended; never raises."""
    try:
        store.update_job(job_id, state="running", stage="starting", progress=0.0)
        result = work(JobProgress(store, job_id, stages))
    except Exception as exc:  # a failed job is reported, never raised into the void
        log.exception("job %s failed", job_id)
        _record(store, job_id, state="failed", stage="failed", error=str(exc) or type(exc).__name__)
    else:
        _record(store, job_id, state="succeeded", stage="done", progress=1.0, result=result)


def _record(store: FamilyStore, job_id: str, **fields: Any) -> None:
    """How a job ended, into the store; if even that fails (a full disk), the job's end is logged, and the
    next start marks it failed ("interrupted")."""
    try:
        store.update_job(job_id, **fields)
    except Exception:
        log.exception("job %s ended %s, but that could not be recorded", job_id, fields.get("state"))


def start_job(store: FamilyStore, job_id: str, work: Work, stages: Stages | None = None) -> None:
    """:func:`run_job` on a daemon thread of its own."""
    threading.Thread(
        target=_one_torch_thread, args=(run_job, store, job_id, work, stages), name=f"job-{job_id[:8]}", daemon=True
    ).start()


def _one_torch_thread(fn: Callable[..., None], *args: Any) -> None:
    # torch's thread count is each thread's own: a new thread gets the machine's (all cores), and a second
    # OpenMP thread that spins between calls took a third of a scan's CPU (measured: 13 ms a photo, 3 with one).
    import torch

    torch.set_num_threads(1)
    fn(*args)
