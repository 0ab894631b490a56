"""Many photos on worker processes: results in order, and never the whole list in flight."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


WORKERS_THEN_HANG = """
import os, sys, time
from pathlib import Path
from inference.batch import map_in_workers
from inference.settings import Settings

def hang(path, marks):
    (Path(marks) / str(os.getpid())).touch()
    time.sleep(120)

list(map_in_workers(hang, [Path("a.jpg"), Path("b.jpg")], [sys.argv[1]] * 2, settings=Settings(), weights=None, detector=None, workers=2))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    """kill -9 of a command (or the service) takes its worker processes with it."""
    marks = tmp_path / "marks"
    marks.mkdir()
    root = Path(__file__).resolve().parents[1]
    parent = subprocess.Popen([sys.executable, "-c", WORKERS_THEN_HANG, str(marks)], cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    try:
        deadline = time.monotonic() + 120
        while len(os.listdir(marks)) < 2 and time.monotonic() < deadline and parent.poll() is None:
            time.sleep(0.2)
        workers = [int(name) for name in os.listdir(marks)]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "worker processes outlived their killed parent"
