"""Running a background job (train, evaluate, sort): its progress, its result or its failure, in the store."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from api.store import FamilyStore

log = logging.getLogger(__name__)

_MIN_INTERVAL_S = 0.5  # progress reaches the database at most this often (a write per photo is waste)


class JobProgress:
    """``progress(fraction, stage)`` for a running job: a new stage is written at once, the rest throttled."""

    def __init__(self, store: FamilyStore, job_id: str) -> None:
        self._store, self._job_id = store, job_id
        self._stage: str | None = None
        self._last = 0.0

    def __call__(self, fraction: float, stage: str | None = None) -> None:
        now = time.monotonic()
        if stage == self._stage and now - self._last < _MIN_INTERVAL_S:
            return
        fields: dict[str, Any] = {"progress": round(min(max(fraction, 0.0), 1.0), 3)}
        if stage is not None and stage != self._stage:
            fields["stage"] = self._stage = stage
        self._last = now
        self._store.update_job(self._job_id, **fields)


Work = Callable[[JobProgress], dict[str, Any]]


def run_job(store: FamilyStore, job_id: str, work: Work) -> None:
    """Run ``work`` (which returns the job's result) and record how it ended; never raises."""
    store.update_job(job_id, state="running", stage="starting", progress=0.0)
    try:
        result = work(JobProgress(store, job_id))
    except Exception as exc:  # noqa: BLE001 - a failed job is reported, never raised into the void
        log.exception("job %s failed", job_id)
        store.update_job(job_id, state="failed", stage="failed", error=str(exc) or type(exc).__name__)
    else:
        store.update_job(job_id, state="succeeded", stage="done", progress=1.0, result=result)


def start_job(store: FamilyStore, job_id: str, work: Work) -> None:
    """:func:`run_job` on a daemon thread of its own."""
    threading.Thread(target=run_job, args=(store, job_id, work), name=f"job-{job_id[:8]}", daemon=True).start()
