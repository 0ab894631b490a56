"""What a sort has already done, under ``DST/.familyphoto/``: results by content hash and model.

A photo is analysed once per model: re-running a sort skips photos whose content hash has a
result made with the same model, and re-analyses everything after a re-training (the model id
changes). Each result is committed on its own, so an interrupted run keeps what it finished.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from inference.serialize import outcome_from_dict, outcome_to_dict
from inference.types import Outcome

STATE_DIR = ".familyphoto"


class SortCache:
    def __init__(self, dst: Path | None, model_id: str) -> None:
        """The cache of ``dst``; ``None`` keeps it in memory (a dry run writes nothing)."""
        self.model_id = model_id
        if dst is None:
            self.path = Path(":memory:")
        else:
            (dst / STATE_DIR).mkdir(parents=True, exist_ok=True)
            self.path = dst / STATE_DIR / "cache.sqlite"
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS results (hash TEXT, model TEXT, result TEXT, PRIMARY KEY (hash, model))"
        )
        # Every file a sort placed in DST, and which photo of which source folder it is: a sort
        # replaces or takes back only its own placements, never a file it did not put there.
        self._db.execute("CREATE TABLE IF NOT EXISTS placed (path TEXT PRIMARY KEY, root TEXT, source TEXT)")
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(placed)")}
        for column in sorted({"root", "source"} - columns):  # a cache from before sources were recorded
            self._db.execute(f"ALTER TABLE placed ADD COLUMN {column} TEXT")

    def done_hashes(self) -> set[str]:
        rows = self._db.execute("SELECT hash FROM results WHERE model=?", (self.model_id,))
        return {r[0] for r in rows}

    def get(self, digest: str) -> Outcome | None:
        row = self._db.execute("SELECT result FROM results WHERE hash=? AND model=?", (digest, self.model_id)).fetchone()
        return outcome_from_dict(json.loads(row[0])) if row else None

    def put(self, digest: str, result: Outcome) -> None:
        data = json.dumps(outcome_to_dict(result, crops=False))
        self._db.execute("INSERT OR REPLACE INTO results(hash, model, result) VALUES (?,?,?)", (digest, self.model_id, data))

    def placed(self, root: Path) -> set[str]:
        """Placements made from the source folder ``root`` (those of a cache that did not record
        their source count as its own: before, a destination had one source)."""
        rows = self._db.execute("SELECT path FROM placed WHERE root=? OR root IS NULL", (str(root),))
        return {r[0] for r in rows}

    def placement(self, root: Path, source: str, folder: str) -> str | None:
        """Where an earlier run placed photo ``source`` of ``root`` in ``folder``, if it did."""
        row = self._db.execute(
            "SELECT path FROM placed WHERE root=? AND source=? AND path LIKE ? ESCAPE '!'",
            (str(root), source, _like_prefix(folder)),
        ).fetchone()
        return row[0] if row else None

    def is_placed(self, relative: str) -> bool:
        return self._db.execute("SELECT 1 FROM placed WHERE path=?", (relative,)).fetchone() is not None

    def mark_placed(self, relative: str, root: Path, source: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO placed(path, root, source) VALUES (?,?,?)", (relative, str(root), source)
        )

    def unmark_placed(self, relative: str) -> None:
        self._db.execute("DELETE FROM placed WHERE path=?", (relative,))

    def close(self) -> None:
        self._db.close()


def _like_prefix(folder: str) -> str:
    """A LIKE pattern for the files directly in ``folder`` (its %, _ and ! taken literally)."""
    escaped = folder.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"{escaped}/%"
