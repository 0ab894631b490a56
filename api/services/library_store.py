"""The library's rows in the data folder's database: photos, their faces, the names people gave them.

It shares the family store's connection and lock (one database, one writer), so naming a face and the
example that naming makes are one transaction. Embeddings are float32 blobs; a face's box is four
columns; its crop is in ``face_crops``, read only when asked for.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from api.services.errors import Conflict, NotFound
from api.services.store import FamilyStore, utc_now
from inference.types import Box, PhotoError
from library.analysis import AnalysedPhoto
from library.decide import Decision, FacesToDecide
from library.query import PhotoQuery, decode_cursor, encode_cursor
from library.scan import FileOnDisk, KnownPhoto
from library.types import LibraryFace, LibraryPhoto, Person, PhotoPage

_DECISIONS_PER_TRANSACTION = 5000


@dataclass(frozen=True)
class NamedFaces:
    named: list[int]  # face ids
    skipped: list[int]  # another face of their photo is the member, or gone
    created_member: bool


@dataclass(frozen=True)
class LibraryCounts:
    photos: int
    faces: int
    skipped: int
    named_faces: int
    per_root: dict[str, int]


class LibraryStore:
    """Reads and writes of the library's tables, through the family store's database."""

    def __init__(self, store: FamilyStore, embedder: str) -> None:
        self._store = store
        self.embedder = embedder  # what faces are embedded with in this service

    # Scanning (library.scan.ScanIndex) ---------------------------------------------------
    def known_photos(self, root: str) -> list[KnownPhoto]:
        rows = self._store.read("SELECT id, path, size, mtime_ns, sha256 FROM photos WHERE root=?", (root,))
        return [KnownPhoto(r["id"], r["path"], r["size"], r["mtime_ns"], r["sha256"]) for r in rows]

    def touch(self, photo_id: int, file: FileOnDisk) -> None:
        with self._store.transaction() as db:
            db.execute("UPDATE photos SET size=?, mtime_ns=? WHERE id=?", (file.size, file.mtime_ns, photo_id))

    def move(self, photo_id: int, file: FileOnDisk, root: str) -> None:
        with self._store.transaction() as db:
            db.execute(
                "UPDATE photos SET path=?, root=?, size=?, mtime_ns=? WHERE id=?",
                (str(file.path), root, file.size, file.mtime_ns, photo_id),
            )

    def remove(self, photo_ids: list[int]) -> None:
        """Photos gone from the disk: their faces go too; the examples people named in them stay."""
        with self._store.transaction() as db:
            db.executemany("DELETE FROM photos WHERE id=?", [(i,) for i in photo_ids])

    def store(
        self, file: FileOnDisk, root: str, outcome: AnalysedPhoto | PhotoError, decisions: list[Decision] | None = None
    ) -> int:
        """One analysed photo (or why it could not be), its faces and their decisions, in one transaction.
        A photo analysed before at this path is replaced (its content changed)."""
        error = outcome.message if isinstance(outcome, PhotoError) else None
        taken_at = outcome.taken_at if isinstance(outcome, AnalysedPhoto) else None
        taken_at = taken_at or datetime.fromtimestamp(file.mtime_ns / 1e9).isoformat(timespec="seconds")
        sha = outcome.sha256 if isinstance(outcome, AnalysedPhoto) else ""
        width, height = (outcome.width, outcome.height) if isinstance(outcome, AnalysedPhoto) else (0, 0)
        with self._store.transaction() as db:
            row = db.execute("SELECT id FROM photos WHERE path=?", (str(file.path),)).fetchone()
            values = (root, file.size, file.mtime_ns, sha, taken_at, width, height, self.embedder, error, utc_now())
            if row is None:
                photo_id = db.execute(
                    "INSERT INTO photos(root, size, mtime_ns, sha256, taken_at, width, height, embedder, error, indexed, path) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?)", (*values, str(file.path)),
                ).lastrowid
            else:
                photo_id = row["id"]
                db.execute(
                    "UPDATE photos SET root=?, size=?, mtime_ns=?, sha256=?, taken_at=?, width=?, height=?, embedder=?, "
                    "error=?, indexed=? WHERE id=?", (*values, photo_id),
                )
                db.execute("DELETE FROM library_faces WHERE photo_id=?", (photo_id,))
            if isinstance(outcome, AnalysedPhoto):
                for i, face in enumerate(outcome.faces):
                    decision = decisions[i] if decisions else None
                    face_id = db.execute(
                        "INSERT INTO library_faces(photo_id, x1, y1, x2, y2, score, embedding, member, probabilities, "
                        "sharpness) VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (photo_id, *face.box.as_list(), face.score, np.asarray(face.embedding, "<f4").tobytes(),
                         decision.member if decision else None, json.dumps(decision.probabilities if decision else {}),
                         face.sharpness),
                    ).lastrowid
                    db.execute("INSERT INTO face_crops(face_id, jpeg) VALUES (?, ?)", (face_id, face.crop_jpeg))
        return int(photo_id)

    # Deciding --------------------------------------------------------------------------
    def faces_to_decide(self, photo_ids: Iterable[int] | None = None) -> FacesToDecide:
        """Faces embedded by this service's embedder (all, or those of ``photo_ids``), grouped by photo, with
        the names people gave."""
        sql = (
            "SELECT lf.id, lf.photo_id, lf.embedding, lf.example_id, f.member AS named, g.ignored FROM library_faces lf "
            "JOIN photos p ON p.id=lf.photo_id LEFT JOIN faces f ON f.id=lf.example_id "
            "LEFT JOIN unnamed_groups g ON g.id=lf.group_id WHERE p.embedder=?"
        )
        args: tuple = (self.embedder,)
        if photo_ids is not None:
            ids = list(photo_ids)
            sql += f" AND lf.photo_id IN ({','.join('?' * len(ids))})"
            args += tuple(ids)
        rows = self._store.read(sql + " ORDER BY lf.photo_id, lf.id", args)
        dim = len(rows[0]["embedding"]) // 4 if rows else 0
        return FacesToDecide(
            face_ids=np.array([r["id"] for r in rows], dtype=np.int64),
            photo_ids=np.array([r["photo_id"] for r in rows], dtype=np.int64),
            embeddings=np.frombuffer(b"".join(r["embedding"] for r in rows), dtype="<f4").reshape(len(rows), dim).copy(),
            named=[_named(r) for r in rows],
        )

    def apply(self, decisions: Iterator[Decision]) -> int:
        """Write decisions (a face a person named meanwhile keeps its name); how many faces changed member."""
        changed = 0
        batch: list[Decision] = []
        for decision in decisions:
            batch.append(decision)
            if len(batch) >= _DECISIONS_PER_TRANSACTION:
                changed += self._apply(batch)
                batch = []
        return changed + self._apply(batch)

    def _apply(self, batch: list[Decision]) -> int:
        if not batch:
            return 0
        with self._store.transaction() as db:
            before = db.total_changes
            db.executemany(
                "UPDATE library_faces SET member=? WHERE id=? AND example_id IS NULL AND member IS NOT ?",
                [(d.member, d.face_id, d.member) for d in batch],
            )
            changed = db.total_changes - before
            db.executemany(
                "UPDATE library_faces SET probabilities=? WHERE id=?",
                [(json.dumps(d.probabilities), d.face_id) for d in batch],
            )
        return changed

    def clear_decisions(self) -> None:
        """No family to decide with: every face not named by a person is nobody's."""
        with self._store.transaction() as db:
            db.execute("UPDATE library_faces SET member=NULL, probabilities='{}' WHERE example_id IS NULL")

    # Reading -------------------------------------------------------------------------
    def counts(self) -> LibraryCounts:
        photos = self._store.read(
            "SELECT root, COUNT(*) AS n, SUM(error IS NOT NULL) AS bad FROM photos GROUP BY root"
        )
        faces = self._store.read("SELECT COUNT(*) AS n, COUNT(example_id) AS named FROM library_faces")[0]
        return LibraryCounts(
            photos=sum(r["n"] - r["bad"] for r in photos), faces=faces["n"], skipped=sum(r["bad"] for r in photos),
            named_faces=faces["named"], per_root={r["root"]: r["n"] - r["bad"] for r in photos},
        )

    def photos(self, query: PhotoQuery, hidden: set[str]) -> PhotoPage:
        where, args = _where(query, hidden)
        total = self._store.read(f"SELECT COUNT(*) AS n FROM photos p WHERE {where}", args)[0]["n"]
        page_where, page_args = where, args
        if query.cursor:
            taken_at, photo_id = decode_cursor(query.cursor)
            page_where += " AND (p.taken_at < ? OR (p.taken_at = ? AND p.id < ?))"
            page_args += (taken_at, taken_at, photo_id)
        rows = self._store.read(
            f"SELECT * FROM photos p WHERE {page_where} ORDER BY p.taken_at DESC, p.id DESC LIMIT ?",
            (*page_args, query.limit + 1),
        )
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        items = self._with_faces(rows, hidden)
        last = rows[-1] if rows else None
        return PhotoPage(items, encode_cursor(last["taken_at"], last["id"]) if more and last else None, total)

    def photo(self, photo_id: int, hidden: set[str]) -> LibraryPhoto:
        rows = self._store.read("SELECT * FROM photos WHERE id=? AND error IS NULL", (photo_id,))
        if not rows:
            raise NotFound(f"no photo {photo_id} in the library")
        return self._with_faces(rows, hidden)[0]

    def stored_photo(self, photo_id: int) -> KnownPhoto:
        """A readable photo's file and content, as the last scan knew them."""
        rows = self._store.read(
            "SELECT id, path, size, mtime_ns, sha256 FROM photos WHERE id=? AND error IS NULL", (photo_id,)
        )
        if not rows:
            raise NotFound(f"no photo {photo_id} in the library")
        r = rows[0]
        return KnownPhoto(r["id"], r["path"], r["size"], r["mtime_ns"], r["sha256"])

    def _with_faces(self, rows: list[sqlite3.Row], hidden: set[str]) -> list[LibraryPhoto]:
        ids = [r["id"] for r in rows]
        faces: dict[int, list[LibraryFace]] = {i: [] for i in ids}
        if ids:
            for f in self._store.read(
                f"SELECT id, photo_id, x1, y1, x2, y2, member, probabilities, example_id FROM library_faces "
                f"WHERE photo_id IN ({','.join('?' * len(ids))}) ORDER BY x1, y1, id", tuple(ids),
            ):
                faces[f["photo_id"]].append(_face(f, hidden))
        return [
            LibraryPhoto(r["id"], r["path"], r["taken_at"], r["width"], r["height"], faces[r["id"]]) for r in rows
        ]

    def face(self, face_id: int, hidden: Collection[str] = ()) -> LibraryFace:
        rows = self._store.read(
            "SELECT id, photo_id, x1, y1, x2, y2, member, probabilities, example_id FROM library_faces WHERE id=?",
            (face_id,),
        )
        if not rows:
            raise NotFound(f"no face {face_id} in the library")
        return _face(rows[0], hidden)

    def face_crop(self, face_id: int) -> bytes:
        rows = self._store.read("SELECT jpeg FROM face_crops WHERE face_id=?", (face_id,))
        if not rows:
            raise NotFound(f"no face {face_id} in the library")
        return rows[0]["jpeg"]

    def people(self, names: list[str]) -> list[Person]:
        """The members ``names`` with their library photos and faces and a cover face, most photos first."""
        counts = {
            r["member"]: r for r in self._store.read(
                "SELECT member, COUNT(DISTINCT photo_id) AS photos, COUNT(*) AS faces FROM library_faces "
                "WHERE member IS NOT NULL GROUP BY member"
            )
        }
        # The cover: a face a person named, else the largest; one row per member.
        covers = {
            r["member"]: r["id"] for r in self._store.read(
                "SELECT member, id FROM (SELECT member, id, ROW_NUMBER() OVER (PARTITION BY member "
                "ORDER BY example_id IS NULL, (x2-x1)*(y2-y1) DESC, id) AS rank FROM library_faces "
                "WHERE member IS NOT NULL) WHERE rank=1"
            )
        }
        people = [
            Person(name, counts[name]["photos"] if name in counts else 0, counts[name]["faces"] if name in counts else 0,
                   covers.get(name))
            for name in names
        ]
        return sorted(people, key=lambda p: (-p.photos, p.name.casefold()))

    # Naming ----------------------------------------------------------------------------
    def name_face(self, face_id: int, member: str | None, *, create: bool) -> tuple[int, bool]:
        """The face is ``member`` (None: nobody of the family), by a person: an example of them (made once),
        pinned. ``create``: a member of that name is created if there is none. Returns (photo id, whether
        the member was created). ``Conflict`` if another face of the photo was named ``member``."""
        with self._store.transaction() as db:
            created = self._member_for_naming(db, member, create=create)
            face = self._face_row(db, face_id)
            if member is not None and (other := self._named_elsewhere(db, face, member)) is not None:
                raise Conflict(
                    f"another face of this photo (face {other}) was named {member!r}: a person is in a photo "
                    "once; undo that name first"
                )
            self._name(db, face, member)
        return face["photo_id"], created

    def name_faces(self, face_ids: Iterable[int], member: str, *, create: bool) -> NamedFaces:
        """Many faces named ``member`` at once (one transaction), in the order given: a face whose photo
        already has a face named ``member`` (or one named just before it) is skipped, as is a face that is gone."""
        named, skipped = [], []
        with self._store.transaction() as db:
            created = self._member_for_naming(db, member, create=create)
            for face_id in face_ids:
                face = db.execute("SELECT * FROM library_faces WHERE id=?", (face_id,)).fetchone()
                if face is None or self._named_elsewhere(db, face, member) is not None:
                    skipped.append(face_id)
                    continue
                self._name(db, face, member)
                named.append(face_id)
        return NamedFaces(named, skipped, created)

    def _member_for_naming(self, db: sqlite3.Connection, member: str | None, *, create: bool) -> bool:
        """Whether ``member`` was created (``create``) for a name; ``NotFound`` if there is none and not ``create``."""
        if member is None or db.execute("SELECT 1 FROM members WHERE name=?", (member,)).fetchone():
            return False
        if not create:
            raise NotFound(f"no member named {member!r}")
        self._store.insert_member(db, member)
        return True

    @staticmethod
    def _named_elsewhere(db: sqlite3.Connection, face: sqlite3.Row, member: str) -> int | None:
        """Another face of the face's photo a person named ``member``, if any."""
        other = db.execute(
            "SELECT lf.id FROM library_faces lf JOIN faces f ON f.id=lf.example_id "
            "WHERE lf.photo_id=? AND lf.id<>? AND f.member=?", (face["photo_id"], face["id"], member),
        ).fetchone()
        return None if other is None else int(other["id"])

    def _name(self, db: sqlite3.Connection, face: sqlite3.Row, member: str | None) -> None:
        """Name one face inside the caller's transaction: its example made (or found), the face pinned to it
        and out of any unnamed group."""
        face_id = face["id"]
        if face["example_id"] is not None and self._example_member(db, face) == (member,):
            return  # named so already: one example, nothing changes
        self._drop_example(db, face)
        box = [face["x1"], face["y1"], face["x2"], face["y2"]]
        sha = db.execute("SELECT sha256, path FROM photos WHERE id=?", (face["photo_id"],)).fetchone()
        existing = db.execute(
            "SELECT id FROM faces WHERE COALESCE(member, '')=? AND photo_sha256=? AND box=?",
            (member or "", sha["sha256"], json.dumps(box)),
        ).fetchone()
        if existing is not None:
            example = existing["id"]
            self._store.count_change(db)  # (a new example counts itself)
        else:
            crop = db.execute("SELECT jpeg FROM face_crops WHERE face_id=?", (face_id,)).fetchone()
            example = self._store.insert_face(
                db, member, np.frombuffer(face["embedding"], dtype="<f4"), box, crop["jpeg"] if crop else b"",
                Path(sha["path"]).name, "library", sha["sha256"],
            )
        db.execute(
            "UPDATE library_faces SET member=?, example_id=?, group_id=NULL WHERE id=?", (member, example, face_id)
        )
        if member is not None:  # a member is in a photo once: the model's guess elsewhere in it gives way
            db.execute(
                "UPDATE library_faces SET member=NULL WHERE photo_id=? AND id<>? AND member=? AND example_id IS NULL",
                (face["photo_id"], face_id, member),
            )

    def unname_face(self, face_id: int) -> int:
        """Undo a person's name for this face (its example goes, unless another face of the same photo content
        still uses it); the face is nobody's until decided again. Returns its photo id."""
        with self._store.transaction() as db:
            face = self._face_row(db, face_id)
            if face["example_id"] is not None:
                self._drop_example(db, face)
                db.execute("UPDATE library_faces SET member=NULL, example_id=NULL WHERE id=?", (face_id,))
                self._store.count_change(db)
        return face["photo_id"]

    def _drop_example(self, db: sqlite3.Connection, face: sqlite3.Row) -> None:
        example = face["example_id"]
        if example is None:
            return
        shared = db.execute("SELECT 1 FROM library_faces WHERE example_id=? AND id<>?", (example, face["id"])).fetchone()
        if shared is None:
            db.execute("DELETE FROM faces WHERE id=?", (example,))

    @staticmethod
    def _example_member(db: sqlite3.Connection, face: sqlite3.Row) -> tuple[str | None] | None:
        if face["example_id"] is None:
            return None
        row = db.execute("SELECT member FROM faces WHERE id=?", (face["example_id"],)).fetchone()
        return (row["member"],) if row else None

    @staticmethod
    def _face_row(db: sqlite3.Connection, face_id: int) -> sqlite3.Row:
        row = db.execute("SELECT * FROM library_faces WHERE id=?", (face_id,)).fetchone()
        if row is None:
            raise NotFound(f"no face {face_id} in the library")
        return row


def _named(row: sqlite3.Row) -> str | None | bool:
    """A face's name given by a person (None: nobody of the family), False if none. A face of a group someone
    chose to ignore (strangers at the zoo) stays nobody's, as if named so."""
    if row["example_id"] is not None:
        return row["named"]
    return None if row["ignored"] else False


def _face(row: sqlite3.Row, hidden: Collection[str]) -> LibraryFace:
    member = row["member"] if row["member"] not in hidden else None  # a hidden member is never shown
    probabilities = {m: p for m, p in json.loads(row["probabilities"]).items() if m not in hidden}
    return LibraryFace(
        row["id"], row["photo_id"], Box(row["x1"], row["y1"], row["x2"], row["y2"]), member, probabilities,
        "person" if row["example_id"] is not None else "model",
    )


def _where(query: PhotoQuery, hidden: set[str]) -> tuple[str, tuple]:
    """The SQL condition on ``photos p`` for a query (every value a parameter)."""
    clauses, args = ["p.error IS NULL"], []
    members = [m for m in dict.fromkeys(query.members) if m not in hidden]
    if query.members and not members:
        clauses.append("0")  # only hidden members asked for: nobody to show
    has = "p.id IN (SELECT photo_id FROM library_faces WHERE member=?)"
    if members and query.match == "all":
        clauses += [has] * len(members)
        args += members
    elif members:
        clauses.append(f"p.id IN (SELECT photo_id FROM library_faces WHERE member IN ({','.join('?' * len(members))}))")
        args += members
    not_shown = [*members, *sorted(hidden)]
    if query.only:
        clauses.append(
            "NOT EXISTS (SELECT 1 FROM library_faces f WHERE f.photo_id=p.id AND f.member IS NOT NULL "
            f"AND f.member NOT IN ({','.join('?' * len(not_shown)) or 'NULL'}))"
        )
        args += not_shown
    if query.strangers != "any":
        hidden_list = sorted(hidden)
        stranger = f"(f.member IS NULL OR f.member IN ({','.join('?' * len(hidden_list)) or 'NULL'}))"
        clauses.append(
            f"{'' if query.strangers == 'with' else 'NOT '}EXISTS (SELECT 1 FROM library_faces f "
            f"WHERE f.photo_id=p.id AND {stranger})"
        )
        args += hidden_list
    if query.taken_from:
        clauses.append("p.taken_at >= ?")
        args.append(query.taken_from.isoformat())
    if query.taken_before:
        clauses.append("p.taken_at < ?")
        args.append(query.taken_before)
    return " AND ".join(clauses), tuple(args)
