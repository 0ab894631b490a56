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
        self._db.execute("CREATE TABLE IF NOT EXISTS placed (path TEXT PRIMARY KEY)")

    def done_hashes(self) -> set[str]:
        rows = self._db.execute("SELECT hash FROM results WHERE model=?", (self.model_id,))
        return {r[0] for r in rows}

    def get(self, digest: str) -> Outcome | None:
        row = self._db.execute("SELECT result FROM results WHERE hash=? AND model=?", (digest, self.model_id)).fetchone()
        return outcome_from_dict(json.loads(row[0])) if row else None

    def put(self, digest: str, result: Outcome) -> None:
        data = json.dumps(outcome_to_dict(result, crops=False))
        self._db.execute("INSERT OR REPLACE INTO results(hash, model, result) VALUES (?,?,?)", (digest, self.model_id, data))

    def placed(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT path FROM placed")}

    def mark_placed(self, relative: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO placed(path) VALUES (?)", (relative,))

    def unmark_placed(self, relative: str) -> None:
        self._db.execute("DELETE FROM placed WHERE path=?", (relative,))

    def close(self) -> None:
        self._db.close()
