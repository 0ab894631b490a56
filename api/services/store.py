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
-- The library: every photo of the library's folders (and uploads), indexed once.
CREATE TABLE IF NOT EXISTS photos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL UNIQUE,
    root TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    taken_at TEXT NOT NULL,  -- ISO 8601, local time: EXIF DateTimeOriginal, else the file's time
    width INTEGER NOT NULL DEFAULT 0,
    height INTEGER NOT NULL DEFAULT 0,
    embedder TEXT,  -- what its faces were embedded with
    error TEXT,  -- why it could not be analysed (then it has no faces)
    indexed TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS photos_taken ON photos(taken_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS photos_sha ON photos(sha256);
CREATE INDEX IF NOT EXISTS photos_root ON photos(root);
CREATE TABLE IF NOT EXISTS library_faces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    x1 INTEGER NOT NULL, y1 INTEGER NOT NULL, x2 INTEGER NOT NULL, y2 INTEGER NOT NULL,
    score REAL NOT NULL,
    embedding BLOB NOT NULL,
    member TEXT,  -- a person's name for it, else the model's decision; NULL: nobody of the family
    probabilities TEXT NOT NULL DEFAULT '{}',
    -- Named by a person: the example (in faces) that naming made; no training changes this face.
    example_id INTEGER REFERENCES faces(id) ON DELETE SET NULL,
    sharpness REAL,  -- library.face_quality.face_sharpness of its crop; NULL: not measured yet
    group_id INTEGER REFERENCES unnamed_groups(id) ON DELETE SET NULL  -- its unnamed person, if any
);
CREATE INDEX IF NOT EXISTS library_faces_photo ON library_faces(photo_id);
CREATE INDEX IF NOT EXISTS library_faces_member ON library_faces(member, photo_id);
CREATE INDEX IF NOT EXISTS library_faces_example ON library_faces(example_id);
-- People nobody has named yet: library faces grouped by likeness (library.discover). Ids are never reused,
-- so a group named, merged or gone is never mistaken for another.
CREATE TABLE IF NOT EXISTS unnamed_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ignored INTEGER NOT NULL DEFAULT 0  -- strangers someone chose not to be asked about again
);
CREATE TABLE IF NOT EXISTS face_crops (
    face_id INTEGER PRIMARY KEY REFERENCES library_faces(id) ON DELETE CASCADE,
    jpeg BLOB NOT NULL
);
-- What the served family has not learnt yet: names, undos, member changes since the last training.
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
-- Names the served family may still decide but the family no longer has (renamed, merged, deleted):
-- never given to a face until the next training, which forgets them.
CREATE TABLE IF NOT EXISTS retired_members (
    name TEXT PRIMARY KEY
);
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


def utc_now() -> str:
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
            # Hidden members are never shown or decided, and are still somebody the others are not.
            if "hidden" not in {row[1] for row in self._db.execute("PRAGMA table_info(members)")}:
                self._db.execute("ALTER TABLE members ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0")
            # Grouping the faces nobody named: older libraries gain the columns (sharpness measured when needed).
            face_columns = {row[1] for row in self._db.execute("PRAGMA table_info(library_faces)")}
            if "sharpness" not in face_columns:
                self._db.execute("ALTER TABLE library_faces ADD COLUMN sharpness REAL")
            if "group_id" not in face_columns:
                self._db.execute(
                    "ALTER TABLE library_faces ADD COLUMN group_id INTEGER REFERENCES unnamed_groups(id) ON DELETE SET NULL"
                )
            self._db.execute("CREATE INDEX IF NOT EXISTS library_faces_group ON library_faces(group_id)")
            self._db.execute(
                "CREATE UNIQUE INDEX IF NOT EXISTS faces_photo ON faces(COALESCE(member, ''), photo_sha256, box) "
                "WHERE photo_sha256 IS NOT NULL"
            )
            # A job that was running when the process died will never finish: say so. Only the
            # lock holder gets here, so a live process's jobs are never marked.
            self._db.execute(
                "UPDATE jobs SET state='failed', stage='failed', error='interrupted: the service stopped', finished=? "
                "WHERE state IN ('queued','running')",
                (utc_now(),),
            )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
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
        with self.transaction() as db:
            return db.execute(sql, args)

    def read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # Members -------------------------------------------------------------------------
    def add_member(self, name: str) -> None:
        try:
            with self.transaction() as db:
                self.insert_member(db, name)
        except sqlite3.IntegrityError:
            raise Conflict(f"member {name!r} already exists") from None

    @staticmethod
    def insert_member(db: sqlite3.Connection, name: str, *, hidden: bool = False, created: str | None = None) -> None:
        """A new member, inside the caller's transaction (``IntegrityError`` if the name is taken)."""
        db.execute("INSERT INTO members(name, created, hidden) VALUES (?, ?, ?)", (name, created or utc_now(), int(hidden)))
        db.execute("DELETE FROM retired_members WHERE name=?", (name,))  # the name is the family's again

    def members(self) -> list[str]:
        return [r["name"] for r in self.read("SELECT name FROM members ORDER BY name")]

    def hidden_members(self) -> set[str]:
        return {r["name"] for r in self.read("SELECT name FROM members WHERE hidden=1")}

    def retired_members(self) -> set[str]:
        return {r["name"] for r in self.read("SELECT name FROM retired_members")}

    def not_decided(self) -> set[str]:
        """Names a face must not be given now: hidden members, and those renamed, merged or deleted since the
        served family was trained."""
        rows = self.read("SELECT name FROM members WHERE hidden=1 UNION SELECT name FROM retired_members")
        return {r["name"] for r in rows}

    def rename_member(self, name: str, new: str) -> None:
        """``name`` becomes ``new``: their examples and library faces follow (``Conflict`` if ``new`` is taken)."""
        with self.transaction() as db:
            row = self._member_row(db, name)
            if db.execute("SELECT 1 FROM members WHERE name=?", (new,)).fetchone():
                raise Conflict(f"member {new!r} already exists: merge {name!r} into them instead")
            self.insert_member(db, new, hidden=bool(row["hidden"]), created=row["created"])
            db.execute("UPDATE faces SET member=? WHERE member=?", (new, name))
            db.execute("UPDATE library_faces SET member=? WHERE member=?", (new, name))
            self._retire(db, name)

    def merge_member(self, name: str, into: str) -> None:
        """Every example and library face of ``name`` becomes ``into``'s, and ``name`` is removed."""
        if name == into:
            raise Conflict(f"cannot merge {name!r} into themselves")
        with self.transaction() as db:
            self._member_row(db, name)
            self._member_row(db, into)
            for face in db.execute("SELECT id, photo_sha256, box FROM faces WHERE member=?", (name,)).fetchall():
                twin = db.execute(  # the same face already an example of ``into``: keep that one
                    "SELECT id FROM faces WHERE member=? AND photo_sha256=? AND box=?", (into, face["photo_sha256"], face["box"])
                ).fetchone()
                if twin is None:
                    db.execute("UPDATE faces SET member=? WHERE id=?", (into, face["id"]))
                else:
                    db.execute("UPDATE library_faces SET example_id=? WHERE example_id=?", (twin["id"], face["id"]))
                    db.execute("DELETE FROM faces WHERE id=?", (face["id"],))
            db.execute("UPDATE library_faces SET member=? WHERE member=?", (into, name))
            self._retire(db, name)

    def set_hidden(self, name: str, hidden: bool) -> None:
        with self.transaction() as db:
            self._member_row(db, name)
            db.execute("UPDATE members SET hidden=? WHERE name=?", (int(hidden), name))
            self.count_change(db)

    @staticmethod
    def _member_row(db: sqlite3.Connection, name: str) -> sqlite3.Row:
        row = db.execute("SELECT * FROM members WHERE name=?", (name,)).fetchone()
        if row is None:
            raise NotFound(f"no member named {name!r}")
        return row

    def _retire(self, db: sqlite3.Connection, name: str) -> None:
        """``name`` leaves the family (its examples already moved or deleted): the served family may still
        decide it until the next training, so it is retired, never given to a face."""
        db.execute("DELETE FROM members WHERE name=?", (name,))
        db.execute("UPDATE library_faces SET member=NULL WHERE member=? AND example_id IS NULL", (name,))
        db.execute("INSERT OR IGNORE INTO retired_members(name) VALUES (?)", (name,))
        self.count_change(db)

    # What the served family has not learnt ---------------------------------------------
    @staticmethod
    def count_change(db: sqlite3.Connection, n: int = 1) -> None:
        """One more change the next training learns (inside the caller's transaction)."""
        db.execute(
            "INSERT INTO counters(name, value) VALUES ('changes', ?) ON CONFLICT(name) DO UPDATE SET value=value+?", (n, n)
        )

    def changes(self) -> int:
        rows = self.read("SELECT value FROM counters WHERE name='changes'")
        return int(rows[0]["value"]) if rows else 0

    def learnt(self, changes: int) -> None:
        """A training that started when there were ``changes`` has finished: those are learnt, and the names
        retired before it are forgotten (the new family has none of them)."""
        with self.transaction() as db:
            db.execute("UPDATE counters SET value=MAX(0, value-?) WHERE name='changes'", (changes,))
            db.execute("DELETE FROM retired_members WHERE name NOT IN (SELECT name FROM members)")

    def require_member(self, name: str) -> None:
        if not self.read("SELECT 1 FROM members WHERE name=?", (name,)):
            raise NotFound(f"no member named {name!r}")

    def delete_member(self, name: str) -> None:
        """Remove a member and their examples; their library faces are nobody's until decided again."""
        with self.transaction() as db:
            self._member_row(db, name)
            self._retire(db, name)  # the examples go with the member (ON DELETE CASCADE)

    def face_counts(self) -> dict[str, int]:
        rows = self.read("SELECT member, COUNT(*) AS n FROM faces WHERE member IS NOT NULL GROUP BY member")
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
            with self.transaction() as db:
                face_id = self.insert_face(db, member, embedding, box, crop, source, origin, photo_sha256)
        except sqlite3.IntegrityError:
            if photo_sha256 is not None and (existing := self.face_of_photo(member, photo_sha256, box)) is not None:
                return existing  # the same photo arrived twice at once
            raise NotFound(f"no member named {member!r}") from None
        return self.face(face_id)

    def insert_face(
        self, db: sqlite3.Connection, member: str | None, embedding: np.ndarray, box: list[int], crop: bytes, source: str,
        origin: str, photo_sha256: str | None,
    ) -> int:
        """A new example inside the caller's transaction, counted as a change; its id."""
        cursor = db.execute(
            "INSERT INTO faces(member, embedding, box, crop, source, origin, created, photo_sha256) VALUES (?,?,?,?,?,?,?,?)",
            (member, np.asarray(embedding, dtype="<f4").tobytes(), json.dumps(box), crop, source, origin, utc_now(), photo_sha256),
        )
        self.count_change(db)
        return int(cursor.lastrowid)

    def face_of_photo(self, member: str | None, photo_sha256: str, box: list[int] | None = None) -> FaceRecord | None:
        """The face already stored for this photo (and box) and member, if any (``already_stored``)."""
        sql = "SELECT * FROM faces WHERE COALESCE(member, '')=? AND photo_sha256=?"
        args: tuple = (member or "", photo_sha256)
        if box is not None:
            sql, args = sql + " AND box=?", (*args, json.dumps(box))
        rows = self.read(sql + " ORDER BY id LIMIT 1", args)
        return self._face(rows[0], already_stored=True) if rows else None

    def faces(self, member: str | None) -> list[FaceRecord]:
        where, args = ("member IS NULL", ()) if member is None else ("member=?", (member,))
        rows = self.read(f"SELECT * FROM faces WHERE {where} ORDER BY id", args)
        return [self._face(r) for r in rows]

    def face(self, face_id: int) -> FaceRecord:
        rows = self.read("SELECT * FROM faces WHERE id=?", (face_id,))
        if not rows:
            raise NotFound(f"no face {face_id}")
        return self._face(rows[0])

    def delete_face(self, member: str, face_id: int) -> None:
        """Remove an example; a library face it was named from is decided by the model again."""
        with self.transaction() as db:
            if db.execute("DELETE FROM faces WHERE id=? AND member=?", (face_id, member)).rowcount == 0:
                raise NotFound(f"member {member!r} has no face {face_id}")
            self.count_change(db)

    def embeddings(self) -> tuple[list[str], np.ndarray, np.ndarray, list[int], np.ndarray]:
        """(members with faces, member embeddings N x 128, labels, face ids, stranger embeddings K x 128)."""
        # A hidden member is nobody the family shows, and still somebody the others are not: a stranger here.
        rows = self.read(
            "SELECT f.id, CASE WHEN m.hidden THEN NULL ELSE f.member END AS member, f.embedding "
            "FROM faces f LEFT JOIN members m ON m.name=f.member ORDER BY f.id"
        )
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
        with self.transaction() as db:  # a failed insert (a full disk) leaves no transaction open behind it
            running = db.execute("SELECT id FROM jobs WHERE kind=? AND state IN ('queued','running')", (kind,)).fetchone()
            if running:
                raise Conflict(f"a {kind} job is already running: {running['id']}")
            db.execute(
                "INSERT INTO jobs(id, kind, state, progress, stage, created) VALUES (?,?,?,?,?,?)",
                (job_id, kind, "queued", 0.0, "queued", utc_now()),
            )
        return job_id

    def update_job(self, job_id: str, **fields: Any) -> None:
        """Progress, stage, or how the job ended. A job goes queued -> running -> succeeded or failed,
        and a finished job is final: a later write to it changes nothing. A succeeded job has no error;
        a failed one always has one."""
        if "result" in fields:
            fields["result"] = json.dumps(fields["result"])
        if fields.get("state") in FINISHED:
            fields["finished"] = utc_now()
        if fields.get("state") == "succeeded":
            fields["error"] = None
        if fields.get("state") == "failed" and not fields.get("error"):
            fields["error"] = "failed (no reason recorded)"
        assignments = ", ".join(f"{k}=?" for k in fields)
        cursor = self._write(
            f"UPDATE jobs SET {assignments} WHERE id=? AND state NOT IN ('succeeded', 'failed')", (*fields.values(), job_id)
        )
        if cursor.rowcount == 0 and self.read("SELECT 1 FROM jobs WHERE id=?", (job_id,)):
            log.warning("job %s has finished already: %s not written", job_id, ", ".join(fields))

    def job(self, job_id: str) -> JobRecord:
        rows = self.read("SELECT * FROM jobs WHERE id=?", (job_id,))
        if not rows:
            raise NotFound(f"no job {job_id!r}")
        return self._job(rows[0])

    def latest_job(self, kind: str, *, state: str | None = None) -> JobRecord | None:
        """The most recently finished job of ``kind`` in ``state``; without ``state``, the latest started."""
        if state is None:
            rows = self.read("SELECT * FROM jobs WHERE kind=? ORDER BY created DESC, rowid DESC LIMIT 1", (kind,))
        else:
            rows = self.read(
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
