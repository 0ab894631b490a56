"""The rows of the people nobody has named yet: which unnamed group each library face is in.

A face can be grouped while nobody named it and no member was decided for it; a face named, or decided
after a training, leaves its group. Writes never trust what was read before them: a face named meanwhile
is never put in a group, and a group named or merged meanwhile takes no new faces.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from api.services.errors import NotFound
from api.services.store import FamilyStore
from inference.types import Box
from library.discover import NO_GROUP
from library.face_quality import face_sharpness

_SAMPLES = 4  # faces shown for a group: its largest, one per photo where it can
_GONE = "no unnamed group {} (named, merged or gone since: list GET /people/unnamed again)"


@dataclass(frozen=True)
class GroupableFaces:
    """The library's faces nobody has named and no member was decided for (this embedder's)."""

    face_ids: np.ndarray  # N, int64
    photo_ids: np.ndarray  # N, int64
    embeddings: np.ndarray  # N x D, float32
    boxes: list[Box]
    sharpness: np.ndarray  # N, float64
    group_ids: np.ndarray  # N, int64; NO_GROUP: in none
    ignored: set[int]  # the groups someone chose to ignore


@dataclass(frozen=True)
class UnnamedGroup:
    id: int
    faces: int
    photos: int
    sample_face_ids: list[int]
    ignored: bool


@dataclass(frozen=True)
class GroupFace:
    face_id: int
    photo_id: int
    box: Box
    embedding: np.ndarray


class GroupStore:
    """Reads and writes of unnamed groups, through the family store's database."""

    def __init__(self, store: FamilyStore, embedder: str) -> None:
        self._store = store
        self.embedder = embedder

    # Grouping ---------------------------------------------------------------------------
    def groupable(self) -> GroupableFaces:
        """Every face that may be in a group now, faces leaving theirs first (named, or decided a member)."""
        with self._store.transaction() as db:
            db.execute(
                "UPDATE library_faces SET group_id=NULL WHERE group_id IS NOT NULL "
                "AND (member IS NOT NULL OR example_id IS NOT NULL)"
            )
        rows = self._store.read(
            "SELECT lf.id, lf.photo_id, lf.embedding, lf.x1, lf.y1, lf.x2, lf.y2, lf.sharpness, lf.group_id FROM library_faces lf "
            "JOIN photos p ON p.id=lf.photo_id WHERE p.embedder=? AND lf.member IS NULL AND lf.example_id IS NULL "
            "ORDER BY lf.id", (self.embedder,),
        )
        dim = len(rows[0]["embedding"]) // 4 if rows else 0
        sharpness = np.array([np.nan if r["sharpness"] is None else r["sharpness"] for r in rows], dtype=np.float64)
        ids = np.array([r["id"] for r in rows], dtype=np.int64)
        unmeasured = np.flatnonzero(np.isnan(sharpness))
        if len(unmeasured):  # faces indexed before sharpness was kept: measured once, from their crops
            sharpness[unmeasured] = self._measure(ids[unmeasured].tolist())
        return GroupableFaces(
            face_ids=ids,
            photo_ids=np.array([r["photo_id"] for r in rows], dtype=np.int64),
            embeddings=np.frombuffer(b"".join(r["embedding"] for r in rows), dtype="<f4").reshape(len(rows), dim).copy(),
            boxes=[Box(r["x1"], r["y1"], r["x2"], r["y2"]) for r in rows],
            sharpness=sharpness,
            group_ids=np.array([NO_GROUP if r["group_id"] is None else r["group_id"] for r in rows], dtype=np.int64),
            ignored={r["id"] for r in self._store.read("SELECT id FROM unnamed_groups WHERE ignored")},
        )

    def _measure(self, face_ids: list[int]) -> list[float]:
        values = []
        for lo in range(0, len(face_ids), 500):
            chunk = face_ids[lo : lo + 500]
            crops = {
                r["face_id"]: r["jpeg"] for r in self._store.read(
                    f"SELECT face_id, jpeg FROM face_crops WHERE face_id IN ({','.join('?' * len(chunk))})", tuple(chunk)
                )
            }
            measured = [face_sharpness(crops.get(i, b"")) for i in chunk]
            with self._store.transaction() as db:
                db.executemany("UPDATE library_faces SET sharpness=? WHERE id=?", list(zip(measured, chunk)))
            values += measured
        return values

    def place(self, face_ids: Sequence[int], labels: Sequence[int], known: Iterable[int]) -> dict[int, int]:
        """Put faces in groups: ``labels`` are ids of ``known`` groups, or new labels (a new group each);
        NO_GROUP takes a face out of its group. Only faces still nobody's move; returns the new labels' ids."""
        known = set(known)
        new_ids: dict[int, int] = {}
        with self._store.transaction() as db:
            for label in sorted(set(labels) - known - {NO_GROUP}):
                new_ids[label] = int(db.execute("INSERT INTO unnamed_groups DEFAULT VALUES").lastrowid)
            db.executemany(
                "UPDATE library_faces SET group_id=? WHERE id=? AND member IS NULL AND example_id IS NULL "
                "AND (? IS NULL OR EXISTS (SELECT 1 FROM unnamed_groups g WHERE g.id=?))",
                [
                    (gid, face, gid, gid)
                    for face, label in zip(face_ids, labels)
                    for gid in [None if label == NO_GROUP else new_ids.get(label, label)]
                ],
            )
            self._drop_empty(db)
        return new_ids

    @staticmethod
    def _drop_empty(db: sqlite3.Connection) -> None:
        db.execute(
            "DELETE FROM unnamed_groups WHERE id NOT IN "
            "(SELECT DISTINCT group_id FROM library_faces WHERE group_id IS NOT NULL)"
        )

    # Reading ----------------------------------------------------------------------------
    def groups(self, *, min_faces: int = 2, ignored: bool = False) -> list[UnnamedGroup]:
        """Groups of at least ``min_faces`` faces (``ignored``: the ignored ones too), largest first."""
        rows = self._store.read(
            "SELECT g.id, g.ignored, COUNT(lf.id) AS faces, COUNT(DISTINCT lf.photo_id) AS photos FROM unnamed_groups g "
            "JOIN library_faces lf ON lf.group_id=g.id WHERE (? OR NOT g.ignored) GROUP BY g.id HAVING faces >= ? "
            "ORDER BY faces DESC, photos DESC, g.id", (int(ignored), min_faces),
        )
        samples = self._samples([r["id"] for r in rows])
        return [UnnamedGroup(r["id"], r["faces"], r["photos"], samples.get(r["id"], []), bool(r["ignored"])) for r in rows]

    def group(self, group_id: int) -> UnnamedGroup:
        """One group, whatever its size (``NotFound`` if it has no faces: named, merged or gone)."""
        rows = self._store.read(
            "SELECT g.id, g.ignored, COUNT(lf.id) AS faces, COUNT(DISTINCT lf.photo_id) AS photos FROM unnamed_groups g "
            "JOIN library_faces lf ON lf.group_id=g.id WHERE g.id=? GROUP BY g.id", (group_id,),
        )
        if not rows:
            raise NotFound(_GONE.format(group_id))
        r = rows[0]
        return UnnamedGroup(r["id"], r["faces"], r["photos"], self._samples([group_id])[group_id], bool(r["ignored"]))

    def _samples(self, group_ids: list[int]) -> dict[int, list[int]]:
        if not group_ids:
            return {}
        out: dict[int, list[int]] = {}
        few = len(group_ids) <= 500  # else all groups at once (an IN list has a limit)
        where = f"group_id IN ({','.join('?' * len(group_ids))})" if few else "group_id IS NOT NULL"
        args = tuple(group_ids) if few else ()
        # Largest faces first, a photo's second face only after every photo's first.
        for r in self._store.read(
            "SELECT group_id, id FROM (SELECT group_id, id, ROW_NUMBER() OVER (PARTITION BY group_id ORDER BY "
            "in_photo, area DESC, id) AS rank FROM (SELECT group_id, id, (x2-x1)*(y2-y1) AS area, ROW_NUMBER() OVER "
            "(PARTITION BY group_id, photo_id ORDER BY (x2-x1)*(y2-y1) DESC, id) AS in_photo FROM library_faces "
            f"WHERE {where})) WHERE rank <= ? ORDER BY group_id, rank", (*args, _SAMPLES),
        ):
            out.setdefault(r["group_id"], []).append(r["id"])
        return {g: out.get(g, []) for g in group_ids}

    def faces(self, group_id: int) -> list[GroupFace]:
        rows = self._store.read(
            "SELECT id, photo_id, x1, y1, x2, y2, embedding FROM library_faces WHERE group_id=? ORDER BY id", (group_id,)
        )
        if not rows:
            raise NotFound(_GONE.format(group_id))
        return [
            GroupFace(r["id"], r["photo_id"], Box(r["x1"], r["y1"], r["x2"], r["y2"]), np.frombuffer(r["embedding"], "<f4"))
            for r in rows
        ]

    # Changing ---------------------------------------------------------------------------
    def set_ignored(self, group_id: int, ignored: bool) -> None:
        with self._store.transaction() as db:
            db.execute("UPDATE unnamed_groups SET ignored=? WHERE id=?", (int(ignored), group_id))

    def merge(self, group_id: int, into: int) -> None:
        """Every face of ``group_id`` into ``into``, which keeps its id (and whether it is ignored)."""
        with self._store.transaction() as db:
            db.execute("UPDATE library_faces SET group_id=? WHERE group_id=?", (into, group_id))
            self._drop_empty(db)

    def release(self, face_ids: Iterable[int]) -> None:
        """These faces out of their group (left out when a group was named)."""
        with self._store.transaction() as db:
            db.executemany("UPDATE library_faces SET group_id=NULL WHERE id=?", [(i,) for i in face_ids])
            self._drop_empty(db)
