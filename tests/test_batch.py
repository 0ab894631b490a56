"""Many photos on worker processes: results in order, and never the whole list in flight."""

from __future__ import annotations

import os
import time
from pathlib import Path

from inference.batch import _AHEAD, map_in_workers


def _touch(path: Path, marks: str) -> str:
    """In a worker: leave a mark that this photo was started."""
    (Path(marks) / path.name).touch()
    return path.name


def test_submits_a_bounded_window_and_keeps_order(settings, tmp_path: Path) -> None:
    paths = [Path(f"/nonexistent/{i:03d}.jpg") for i in range(40)]  # names only: _touch reads nothing
    marks = tmp_path / "marks"
    marks.mkdir()
    work = map_in_workers(_touch, paths, [str(marks)] * len(paths), settings=settings, weights=None, detector=None, workers=2)
    first = next(work)
    time.sleep(1.0)  # give the workers time to run ahead as far as they may
    started = len(os.listdir(marks))
    assert first == paths[0].name
    assert started <= 2 * _AHEAD + 1, f"{started} of {len(paths)} started after one result was taken"
    rest = list(work)
    assert [first, *rest] == [p.name for p in paths]
    assert len(os.listdir(marks)) == len(paths)
