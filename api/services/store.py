"""The service's family, kept in SQLite under the data directory.

Members, their enrolled faces (embedding, box, crop, source file name), stranger examples
and training jobs. Every write is one transaction, so an acknowledged change survives a
crash and a half-done one leaves nothing behind. Trained weights live beside the database
in ``weights/`` (the same directory format ``familyphoto train`` writes).
"""

from __future__ import annotations

import fcntl
import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import numpy as np

from api.services.errors import Busy, Conflict, NotFound, StorageFull, is_disk_full

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS members (
    name TEXT PRIMARY KEY,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS faces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    member TEXT REFERENCES members(name) ON DELETE CASCADE,  -- NULL: a stranger example
    embedding BLOB NOT NULL,
    box TEXT NOT NULL,
    crop BLOB NOT NULL,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,  -- 'enrolment' or 'feedback'
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS faces_member ON faces(member);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,  -- queued, running, succeeded, failed
    progress REAL NOT NULL,
    stage TEXT NOT NULL,
    result TEXT,
    error TEXT,
    created TEXT NOT NULL,
    finished TEXT
);
"""



@dataclass(frozen=True)
class FaceRecord:
    id: int
    member: str | None
    box: list[int]
    crop: bytes
    source: str
    origin: str
    created: str
    photo_sha256: str | None = None  # the photo it came from (None: stored before photos were recorded)
    already_stored: bool = False  # returned for a repeat: an earlier request stored it, nothing was added


@dataclass(frozen=True)
class JobRecord:
    id: str
    kind: str
    state: str
    progress: float
    stage: str
    result: dict[str, Any] | None
    error: str | None
    created: str
    finished: str | None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")




LOCK_FILE = ".lock"
FINISHED = ("succeeded", "failed")  # a job in one of these states is final


def _lock_data_folder(data_dir: Path) -> IO[bytes]:
    """Hold DATA/.lock while the store is open: ``flock``, which belongs to this open file (not to the
    process, as a POSIX ``lockf`` would: a second store in the same process is refused too, and closing
    it cannot drop the first one's lock); the kernel drops it when the process ends, however it ends.
    ``Busy`` if another store, in this process or another, holds it."""
    try:
        fh = open(data_dir / LOCK_FILE, "a+b")  # noqa: SIM115 - held open while the store lives
    except OSError as exc:
        if is_disk_full(exc):
            raise StorageFull(f"the disk holding {data_dir} is full: free some space") from None
        raise
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise Busy(
            f"another familyphoto process is using {data_dir} (is the service running on it?): stop it first, "
            "or enrol through the running service (the web app's Family screen, POST /members/{name}/photos)"
        ) from None
    return fh


class FamilyStore:
    """Thread-safe access to ``family.db``: one connection, one lock, one transaction per write."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_file = _lock_data_folder(data_dir)  # one writer per data folder, before anything is read
        self.path = data_dir / "family.db"
        try:
            self._open()
        except BaseException:
            self._lock_file.close()  # a store that did not open holds nothing
            raise

    def _open(self) -> None:
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # acknowledged means on disk
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
            # Which photo each face came from (sha256 of its bytes): the same photo, box and member
            # is one face however often it is sent (a retry, a double click). Older stores gain the column.
            if "photo_sha256" not in {row[1] for row in self._db.execute("PRAGMA table_info(faces)")}:
                self._db.execute("ALTER TABLE faces ADD COLUMN photo_sha256 TEXT")
            self._db.execute(
                "CREATE UNIQUE INDEX IF NOT EXISTS faces_photo ON faces(COALESCE(member, ''), photo_sha256, box) "
                "WHERE photo_sha256 IS NOT NULL"
            )
            # A job that was running when the process died will never finish: say so. Only the
            # lock holder gets here, so a live process's jobs are never marked.
            self._db.execute(
                "UPDATE jobs SET state='failed', stage='failed', error='interrupted: the service stopped', finished=? "
                "WHERE state IN ('queued','running')",
                (_now(),),
            )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction, under the lock: committed whole, or rolled back whatever fails (the commit
        included), so the connection is never left inside a half-done one. A full disk is ``StorageFull``."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if is_disk_full(exc):
                    raise StorageFull(f"the disk holding {self.path.parent} is full: nothing was stored; free some space") from None
                raise

    def _write(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        """One statement in one transaction: stored whole, or (the commit failing too) not at all."""
        with self._transaction() as db:
            return db.execute(sql, args)

    def _read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # Members -------------------------------------------------------------------------
    def add_member(self, name: str) -> None:
        try:
            self._write("INSERT INTO members(name, created) VALUES (?, ?)", (name, _now()))
        except sqlite3.IntegrityError:
            raise Conflict(f"member {name!r} already exists") from None

    def members(self) -> list[str]:
        return [r["name"] for r in self._read("SELECT name FROM members ORDER BY name")]

    def require_member(self, name: str) -> None:
        if not self._read("SELECT 1 FROM members WHERE name=?", (name,)):
            raise NotFound(f"no member named {name!r}")

    def delete_member(self, name: str) -> None:
        if self._write("DELETE FROM members WHERE name=?", (name,)).rowcount == 0:
            raise NotFound(f"no member named {name!r}")

    def face_counts(self) -> dict[str, int]:
        rows = self._read("SELECT member, COUNT(*) AS n FROM faces WHERE member IS NOT NULL GROUP BY member")
        return {r["member"]: r["n"] for r in rows}

    # Faces ---------------------------------------------------------------------------
    def add_face(
        self, member: str | None, embedding: np.ndarray, box: list[int], crop: bytes, source: str, origin: str,
        photo_sha256: str | None = None,
    ) -> FaceRecord:
        """Store a face of ``member`` (None: a stranger example): its row, embedding and crop in one
        transaction, whole or not at all. The same photo, box and member already stored is not stored
        again: that face is returned, ``already_stored``."""
        if photo_sha256 is not None and (existing := self.face_of_photo(member, photo_sha256, box)) is not None:
            return existing
        try:
            cursor = self._write(
                "INSERT INTO faces(member, embedding, box, crop, source, origin, created, photo_sha256) VALUES (?,?,?,?,?,?,?,?)",
                (member, np.asarray(embedding, dtype="<f4").tobytes(), json.dumps(box), crop, source, origin, _now(), photo_sha256),
            )
        except sqlite3.IntegrityError:
            if photo_sha256 is not None and (existing := self.face_of_photo(member, photo_sha256, box)) is not None:
                return existing  # the same photo arrived twice at once
            raise NotFound(f"no member named {member!r}") from None
        return self.face(int(cursor.lastrowid))

    def face_of_photo(self, member: str | None, photo_sha256: str, box: list[int] | None = None) -> FaceRecord | None:
        """The face already stored for this photo (and box) and member, if any (``already_stored``)."""
        sql = "SELECT * FROM faces WHERE COALESCE(member, '')=? AND photo_sha256=?"
        args: tuple = (member or "", photo_sha256)
        if box is not None:
            sql, args = sql + " AND box=?", (*args, json.dumps(box))
        rows = self._read(sql + " ORDER BY id LIMIT 1", args)
        return self._face(rows[0], already_stored=True) if rows else None

    def faces(self, member: str | None) -> list[FaceRecord]:
        where, args = ("member IS NULL", ()) if member is None else ("member=?", (member,))
        rows = self._read(f"SELECT * FROM faces WHERE {where} ORDER BY id", args)
        return [self._face(r) for r in rows]

    def face(self, face_id: int) -> FaceRecord:
        rows = self._read("SELECT * FROM faces WHERE id=?", (face_id,))
        if not rows:
            raise NotFound(f"no face {face_id}")
        return self._face(rows[0])

    def delete_face(self, member: str, face_id: int) -> None:
        if self._write("DELETE FROM faces WHERE id=? AND member=?", (face_id, member)).rowcount == 0:
            raise NotFound(f"member {member!r} has no face {face_id}")

    def embeddings(self) -> tuple[list[str], np.ndarray, np.ndarray, list[int], np.ndarray]:
        """(members with faces, member embeddings N x 128, labels, face ids, stranger embeddings K x 128)."""
        rows = self._read("SELECT id, member, embedding FROM faces ORDER BY id")
        members = sorted({r["member"] for r in rows if r["member"] is not None})
        index = {m: i for i, m in enumerate(members)}
        own = [r for r in rows if r["member"] is not None]
        emb = np.array([np.frombuffer(r["embedding"], dtype="<f4") for r in own], dtype=np.float32).reshape(-1, 128)
        labels = np.array([index[r["member"]] for r in own], dtype=np.int64)
        strangers = [np.frombuffer(r["embedding"], dtype="<f4") for r in rows if r["member"] is None]
        return members, emb, labels, [r["id"] for r in own], np.array(strangers, dtype=np.float32).reshape(-1, 128)

    @staticmethod
    def _face(row: sqlite3.Row, *, already_stored: bool = False) -> FaceRecord:
        return FaceRecord(
            row["id"], row["member"], json.loads(row["box"]), row["crop"], row["source"], row["origin"], row["created"],
            row["photo_sha256"], already_stored,
        )

    # Jobs ----------------------------------------------------------------------------
    def create_job(self, kind: str) -> str:
        """A new queued job, unless one of this kind is already queued or running (Conflict)."""
        job_id = uuid.uuid4().hex
        with self._transaction() as db:  # a failed insert (a full disk) leaves no transaction open behind it
            running = db.execute("SELECT id FROM jobs WHERE kind=? AND state IN ('queued','running')", (kind,)).fetchone()
            if running:
                raise Conflict(f"a {kind} job is already running: {running['id']}")
            db.execute(
                "INSERT INTO jobs(id, kind, state, progress, stage, created) VALUES (?,?,?,?,?,?)",
                (job_id, kind, "queued", 0.0, "queued", _now()),
            )
        return job_id

    def update_job(self, job_id: str, **fields: Any) -> None:
        """Progress, stage, or how the job ended. A job goes queued -> running -> succeeded or failed,
        and a finished job is final: a later write to it changes nothing. A succeeded job has no error;
        a failed one always has one."""
        if "result" in fields:
            fields["result"] = json.dumps(fields["result"])
        if fields.get("state") in FINISHED:
            fields["finished"] = _now()
        if fields.get("state") == "succeeded":
            fields["error"] = None
        if fields.get("state") == "failed" and not fields.get("error"):
            fields["error"] = "failed (no reason recorded)"
        assignments = ", ".join(f"{k}=?" for k in fields)
        cursor = self._write(
            f"UPDATE jobs SET {assignments} WHERE id=? AND state NOT IN ('succeeded', 'failed')", (*fields.values(), job_id)
        )
        if cursor.rowcount == 0 and self._read("SELECT 1 FROM jobs WHERE id=?", (job_id,)):
            log.warning("job %s has finished already: %s not written", job_id, ", ".join(fields))

    def job(self, job_id: str) -> JobRecord:
        rows = self._read("SELECT * FROM jobs WHERE id=?", (job_id,))
        if not rows:
            raise NotFound(f"no job {job_id!r}")
        return self._job(rows[0])

    def latest_job(self, kind: str, *, state: str) -> JobRecord | None:
        """The most recently finished job of ``kind`` in ``state``, if any."""
        rows = self._read(
            "SELECT * FROM jobs WHERE kind=? AND state=? ORDER BY finished DESC, rowid DESC LIMIT 1", (kind, state)
        )
        return self._job(rows[0]) if rows else None

    @staticmethod
    def _job(r: sqlite3.Row) -> JobRecord:
        return JobRecord(
            r["id"], r["kind"], r["state"], r["progress"], r["stage"],
            json.loads(r["result"]) if r["result"] else None, r["error"], r["created"], r["finished"],
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._lock_file.close()  # the data folder is free for another process
