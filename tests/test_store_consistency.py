"""Nothing lost, nobody let in: one writer per data folder, jobs whose state and error agree, enrolment
and feedback idempotent by photo content, and a full disk that leaves nothing half-stored."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
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


# A full disk: nothing half-stored, and the store goes on --------------------------------------------
class _FullDisk:
    """The store's connection, except that statements starting with ``prefix`` find the disk full
    (after the first ``after`` of them)."""

    def __init__(self, db: sqlite3.Connection, prefix: str, after: int = 0) -> None:
        self._db, self._prefix, self._left = db, prefix, after

    def execute(self, sql: str, *args):
        if sql.startswith(self._prefix):
            self._left -= 1
            if self._left < 0:
                raise sqlite3.OperationalError("database or disk is full")
        return self._db.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self._db, name)


def test_a_full_disk_while_queuing_a_job_is_storage_full_and_leaves_no_transaction_open(tmp_path: Path) -> None:
    store = FamilyStore(tmp_path)
    real = store._db
    store._db = _FullDisk(real, "INSERT INTO jobs")  # type: ignore[assignment]
    with pytest.raises(StorageFull, match="is full: nothing was stored"):
        store.create_job("train")
    store._db = real
    assert not real.in_transaction
    store.add_member("grandma")  # the next write is not stuck behind a transaction left open
    assert store.members() == ["grandma"] and store.job(store.create_job("train")).state == "queued"


def test_a_full_disk_on_commit_stores_nothing(tmp_path: Path) -> None:
    """A face is one row (embedding and crop in it) in one transaction: a failed commit leaves none."""
    store = FamilyStore(tmp_path)
    store.add_member("grandma")
    real = store._db
    store._db = _FullDisk(real, "COMMIT")  # type: ignore[assignment]
    with pytest.raises(StorageFull):
        store.add_face("grandma", [0.0] * 128, [1, 2, 3, 4], b"crop", "a.jpg", "enrolment", photo_sha256="ab" * 32)
    store._db = real
    assert store.faces("grandma") == [] and not real.in_transaction


# Enrolment and feedback over HTTP -------------------------------------------------------------
@pytest.fixture()
def client(settings, tmp_path):
    with TestClient(create_app(settings.model_copy(update={"data": tmp_path / "data"}))) as c:
        yield c


@pytest.fixture(scope="module")
def solo_photos(data: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((data / "family-dev/enroll/sheldon").iterdir())[:2]]


def test_a_repeated_enrolment_returns_the_face_already_stored(client, solo_photos) -> None:
    assert client.post("/members", json={"name": "sheldon"}).status_code == 201
    first = client.post("/members/sheldon/photos", files=[("files", ("a.png", solo_photos[0], "image/png"))])
    assert first.status_code == 200, first.text
    assert [f["already_stored"] for f in first.json()["enrolled"]] == [False]
    again = client.post(  # a retry of an interrupted request, under another name, with a new photo
        "/members/sheldon/photos",
        files=[("files", ("renamed.png", solo_photos[0], "image/png")), ("files", ("b.png", solo_photos[1], "image/png"))],
    )
    assert again.status_code == 200, again.text
    enrolled = again.json()["enrolled"]
    assert [f["already_stored"] for f in enrolled] == [True, False]
    assert enrolled[0]["id"] == first.json()["enrolled"][0]["id"] and enrolled[0]["source"] == "a.png"
    assert len(client.get("/members/sheldon/faces").json()) == 2


def test_the_same_feedback_twice_is_one_example(client, data) -> None:
    photo = (data / "family-dev/photos/bbt1.jpg").read_bytes()
    assert client.post("/members", json={"name": "raj"}).status_code == 201
    faces = client.post("/predict?crops=false", files={"file": ("bbt1.jpg", photo, "image/jpeg")}).json()["faces"]
    box = json.dumps(faces[0]["box"])
    sent = [client.post("/feedback", files={"file": ("bbt1.jpg", photo, "image/jpeg")}, data={"box": box, "member": "raj"})
            for _ in range(2)]
    assert [r.status_code for r in sent] == [200, 200], sent[1].text
    assert sent[0].json()["face"]["id"] == sent[1].json()["face"]["id"]
    assert len(client.get("/members/raj/faces").json()) == 1
    assert [r.json()["face"]["already_stored"] for r in sent] == [False, True]


def test_a_full_disk_mid_enrolment_is_507_and_says_what_was_kept(client, solo_photos) -> None:
    """Each photo is stored whole or not at all: the one before the full disk is kept (and said so),
    the one that met it left nothing; sending both again adds only the missing one."""
    assert client.post("/members", json={"name": "sheldon"}).status_code == 201
    store = client.app.state.service.store
    real = store._db
    store._db = _FullDisk(real, "INSERT INTO faces", after=1)  # the second photo finds the disk full
    files = [("files", ("a.png", solo_photos[0], "image/png")), ("files", ("b.png", solo_photos[1], "image/png"))]
    r = client.post("/members/sheldon/photos", files=files)
    store._db = real
    assert r.status_code == 507
    assert "b.png was not stored" in r.json()["detail"] and "the 1 photo before it was stored" in r.json()["detail"]
    assert [f["source"] for f in client.get("/members/sheldon/faces").json()] == ["a.png"]
    assert not real.in_transaction
    again = client.post("/members/sheldon/photos", files=files)
    assert [f["already_stored"] for f in again.json()["enrolled"]] == [True, False]
    assert [f["source"] for f in client.get("/members/sheldon/faces").json()] == ["a.png", "b.png"]


# familyphoto enrol: a photo is known by its content, not its file name ------------------------------
@pytest.mark.slow  # runs the CLI in a subprocess, twice
def test_enrol_again_knows_photos_by_content_not_by_name(data: Path, tmp_path: Path) -> None:
    photos = sorted((data / "family-dev/enroll/sheldon").iterdir())[:2]
    family, store_dir = tmp_path / "family", tmp_path / "data"
    (family / "sheldon" / "2020").mkdir(parents=True)
    (family / "sheldon" / "a.png").symlink_to(photos[0])

    def enrol() -> str:
        run = subprocess.run([sys.executable, "-m", "cli.main", "enrol", str(family), "--data", str(store_dir), "--no-train"],
                             capture_output=True, text=True, cwd=ROOT, timeout=600, env={**os.environ, "COLUMNS": "120"}, check=False)
        assert run.returncode == 0, run.stderr
        return run.stderr

    enrol()
    (family / "sheldon" / "2020" / "a.png").symlink_to(photos[1])  # another photo, under a name already enrolled
    (family / "sheldon" / "copy.png").symlink_to(photos[0])  # the same photo, under a new name
    table = enrol()
    store = FamilyStore(store_dir)
    assert len(store.faces("sheldon")) == 2  # the new photo enrolled, the copy not twice
    store.close()
    row = next(line for line in table.splitlines() if line.startswith("│ sheldon"))  # member, new, already there, left out
    assert [cell.strip() for cell in row.strip("│").split("│")] == ["sheldon", "1", "2", "0"], table
