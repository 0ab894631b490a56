"""``manifest.jsonl`` and ``manifest.csv`` written row by row as a sort goes: nothing held per photo.

Rows go to hidden ``.partial`` files beside the final ones; ``finish`` syncs and renames them
into place (readers see the previous manifest or the new one, never half of one), ``abort``
removes them (a killed run's leftovers are removed by the next run, as every ``.partial``).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

CSV_COLUMNS = ["source", "sha256", "present", "strangers", "faces", "folders", "error"]


class ManifestWriter:
    def __init__(self, dst: Path, names: tuple[str, str] = ("manifest.jsonl", "manifest.csv")) -> None:
        self._final = [dst / names[0], dst / names[1]]
        self._partial = [p.with_name(f".{p.name}.partial") for p in self._final]
        self._jsonl = self._partial[0].open("w", encoding="utf-8")
        self._csv_file = self._partial[1].open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._csv_file)
        self._csv.writerow(CSV_COLUMNS)

    def write(self, row: dict[str, Any]) -> None:
        """One photo's row (see ``sorting.run._row``)."""
        self._jsonl.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._csv.writerow([
            row["source"], row["sha256"] or "", ";".join(row["present"]), row["strangers"], len(row["faces"]),
            ";".join(row["folders"]), row["error"] or "",
        ])

    def finish(self) -> None:
        for fh in (self._jsonl, self._csv_file):
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        for partial, final in zip(self._partial, self._final):
            os.replace(partial, final)

    def abort(self) -> None:
        for fh in (self._jsonl, self._csv_file):
            fh.close()
        for partial in self._partial:
            partial.unlink(missing_ok=True)
