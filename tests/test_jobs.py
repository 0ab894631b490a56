"""Background jobs: progress reaches the store throttled, a failure is recorded, never raised."""

from __future__ import annotations

from pathlib import Path

from api.services.jobs import JobProgress, JobStage, run_job
from api.services.store import FamilyStore
from inference.progress import Progress


def test_progress_is_throttled_but_stages_are_written_at_once(tmp_path: Path) -> None:
    store = FamilyStore(tmp_path)
    job_id = store.create_job("sort")
    writes: list[dict] = []
    original = store.update_job
    store.update_job = lambda jid, **fields: (writes.append(fields), original(jid, **fields))  # type: ignore[method-assign]
    progress = JobProgress(store, job_id)
    for i in range(100):
        progress(Progress("sorting photos", i, 100))
    progress(Progress("writing the report", 1, 1))
    assert writes == [{"progress": 0.0, "stage": "sorting photos"}, {"progress": 1.0, "stage": "writing the report"}]
    assert store.job(job_id).stage == "writing the report"


def test_a_stage_fills_its_share_of_the_job(tmp_path: Path) -> None:
    store = FamilyStore(tmp_path)
    job_id = store.create_job("train")
    progress = JobProgress(store, job_id, {"validate": JobStage(0.1, 0.5), "train": JobStage(0.5, 0.9, "training")})
    progress(Progress("validate", 0, 1))
    assert (store.job(job_id).stage, store.job(job_id).progress) == ("validate", 0.1)
    progress(Progress("train", 1, 2))
    assert (store.job(job_id).stage, store.job(job_id).progress) == ("training", 0.7)
    progress(Progress("unlisted", 1, 4))  # a stage not listed spans the whole job
    assert (store.job(job_id).stage, store.job(job_id).progress) == ("unlisted", 0.25)


def test_run_job_records_the_result_or_the_failure(tmp_path: Path) -> None:
    store = FamilyStore(tmp_path)
    ok = store.create_job("train")
    run_job(store, ok, lambda progress: {"members": 2})
    assert (store.job(ok).state, store.job(ok).result, store.job(ok).progress) == ("succeeded", {"members": 2}, 1.0)

    def boom(progress):
        progress(Progress("halfway", 3, 10))
        raise ValueError("no member has an enrolled face yet")

    bad = store.create_job("evaluate")
    run_job(store, bad, boom)
    job = store.job(bad)
    assert (job.state, job.error, job.stage) == ("failed", "no member has an enrolled face yet", "failed")
