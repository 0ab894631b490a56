"""Nothing lost, nobody let in: one writer per data folder, jobs whose state and error agree, enrolment
and feedback idempotent by photo content, and a full disk that leaves nothing half-stored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from api.services.errors import Busy, StorageFull
from api.services.jobs import run_job
from api.services.store import FamilyStore

ROOT = Path(__file__).resolve().parents[1]
OPEN_STORE = "import sys; from api.services.store import FamilyStore; FamilyStore(__import__('pathlib').Path(sys.argv[1]))"


# One writer per data folder ---------------------------------------------------------------
def test_a_second_store_on_the_folder_is_refused_in_this_process_too(tmp_path: Path) -> None:
    """The lock belongs to the open store, not to the process: a second store here is refused, the
    first one's live job is left alone, and the refusal does not let go of the first one's lock."""
    store = FamilyStore(tmp_path)
    job_id = store.create_job("train")
    store.update_job(job_id, state="running")
    with pytest.raises(Busy, match="stop it first, or enrol through the running service"):
        FamilyStore(tmp_path)
    job = store.job(job_id)
    assert (job.state, job.error, job.finished) == ("running", None, None)
    other = subprocess.run([sys.executable, "-c", OPEN_STORE, str(tmp_path)], capture_output=True, text=True,
                           cwd=ROOT, timeout=120, check=False)
    assert other.returncode != 0 and "Busy" in other.stderr  # still held, for every other process too
    assert store.job(job_id).state == "running"
    store.close()


def test_the_next_holder_marks_what_the_last_one_left_running_failed(tmp_path: Path) -> None:
    store = FamilyStore(tmp_path)
    job_id = store.create_job("sort")
    store.update_job(job_id, state="running", stage="sorting photos", progress=0.4)
    store.close()  # the service stopped (or died: the kernel drops the lock the same way)
    job = FamilyStore(tmp_path).job(job_id)
    assert (job.state, job.stage, job.error) == ("failed", "failed", "interrupted: the service stopped")
    assert job.finished is not None


# Jobs: state and error agree, and a finished job is final --------------------------------------
def test_a_finished_job_is_final_and_its_state_and_error_agree(tmp_path: Path) -> None:
    store = FamilyStore(tmp_path)
    ok = store.create_job("train")
    store.update_job(ok, state="running")
    store.update_job(ok, state="succeeded", stage="done", progress=1.0, result={"members": 2})
    store.update_job(ok, state="failed", stage="failed", error="interrupted: the service stopped")  # too late
    store.update_job(ok, progress=0.5, stage="train")  # a straggling progress write
    job = store.job(ok)
    assert (job.state, job.error, job.stage, job.progress, job.result) == ("succeeded", None, "done", 1.0, {"members": 2})

    bad = store.create_job("sort")
    store.update_job(bad, state="failed", stage="failed")  # no reason given: a failed job still has one
    store.update_job(bad, state="succeeded", stage="done", result={"photos": 1})
    job = store.job(bad)
    assert job.state == "failed" and job.error and job.result is None and job.finished is not None


def test_run_job_never_raises_even_when_its_end_cannot_be_recorded(tmp_path: Path) -> None:
    store = FamilyStore(tmp_path)
    job_id = store.create_job("train")
    real = store.update_job

    def full_at_the_end(jid, **fields):
        if fields.get("state") in ("succeeded", "failed"):
            raise StorageFull("the disk is full")
        real(jid, **fields)

    store.update_job = full_at_the_end  # type: ignore[method-assign]
    run_job(store, job_id, lambda progress: {"members": 1})  # on a thread of its own: must not raise
    assert store.job(job_id).state == "running"  # the next start marks it interrupted
