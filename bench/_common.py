"""Helpers shared by the bench scripts: the data folder, photos repeated with distinct content,
process-tree memory, percentiles.

``tree_memory_mb`` reads /proc (Linux only). ``TreeMemorySampler`` samples a process tree
from a separate helper process, so sampling neither holds the GIL of the measured process
nor counts itself: ``python bench/_common.py --sample PID INTERVAL`` is that helper.
"""

from __future__ import annotations

import json
import math
import os
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

ROOT = Path(__file__).resolve().parents[1]


def default_data() -> Path:
    """The shared photo data: $FAMILYPHOTO_TEST_DATA, else ../shared/data beside the project."""
    return Path(os.environ.get("FAMILYPHOTO_TEST_DATA", str(ROOT.parent / "shared/data")))


def repeat_photos(
    base: Sequence[Path], folder: Path, target: int, *, first: Literal["symlink", "copy"], first_rep: int = 0
) -> list[Path]:
    """``target`` photos as folder/rep<k>/r<k>_<i>.<ext>: ``base`` repeated, from repeat ``first_rep`` on.

    Repeat 0 holds symlinks to ``base`` (``first="symlink"``) or plain copies; every later repeat k holds
    real copies with a few bytes appended after the image data (ignored by decoders: the same pixels, a
    new sha256), so no content-hash cache can answer them and two repeats are never the same content.
    """
    files: list[Path] = []
    rep = first_rep
    while len(files) < target:
        (folder / f"rep{rep:02d}").mkdir(parents=True)
        for i, original in enumerate(base[: target - len(files)]):
            f = folder / f"rep{rep:02d}" / f"r{rep:02d}_{i:04d}{original.suffix.lower()}"
            if rep == 0 and first == "symlink":
                f.symlink_to(original)
            elif rep == 0:
                f.write_bytes(original.read_bytes())
            else:  # bytes after the JPEG EOI / PNG IEND: ignored by decoders, new content hash
                f.write_bytes(original.read_bytes() + f"\0bench-repeat-{rep}".encode())
            files.append(f)
        rep += 1
    return files


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def tree_memory_mb(root: int, exclude: frozenset[int] = frozenset()) -> tuple[float, float]:
    """(RSS, PSS) in MB summed over ``root`` and all its descendants (from /proc), minus ``exclude``."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    kb = {"VmRSS:": 0, "Pss:": 0}
    todo = [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        if pid in exclude:
            continue
        for name, key in (("status", "VmRSS:"), ("smaps_rollup", "Pss:")):
            try:
                kb[key] += next(
                    int(l.split()[1]) for l in Path(f"/proc/{pid}/{name}").read_text().splitlines() if l.startswith(key)
                )
            except (OSError, StopIteration):
                continue  # ended meanwhile, or a kernel thread
    return kb["VmRSS:"] / 1024, kb["Pss:"] / 1024


class TreeMemorySampler:
    """Peak summed RSS and PSS (MB) of a process tree while the ``with`` block runs.

    Sampled every ``interval`` seconds by a helper process (excluded from the sums);
    a peak shorter than the interval can be missed. Results in ``peak_rss_mb``/``peak_pss_mb``.
    """

    def __init__(self, root: int | None = None, interval: float = 0.2) -> None:
        self.root = os.getpid() if root is None else root
        self.interval = interval
        self.peak_rss_mb = self.peak_pss_mb = math.nan
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> Self:
        self._proc = subprocess.Popen(
            [sys.executable, __file__, "--sample", str(self.root), str(self.interval)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self._proc.stdout is not None
        self._proc.stdout.readline()  # "ready": the first sample is taken
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        assert self._proc is not None
        out, _ = self._proc.communicate("")  # EOF on stdin: take a last sample, print the peaks, exit
        peaks = json.loads(out.strip().splitlines()[-1])
        self.peak_rss_mb, self.peak_pss_mb = peaks["rss_mb"], peaks["pss_mb"]


def _sample_main(root: int, interval: float) -> None:
    """The sampler helper: sample until stdin closes, then print {"rss_mb", "pss_mb"} peaks."""
    me = frozenset({os.getpid()})
    peak_rss = peak_pss = 0.0
    first = True
    while True:
        rss, pss = tree_memory_mb(root, me)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        if first:
            print("ready", flush=True)
            first = False
        started = time.perf_counter()
        ready, _, _ = select.select([sys.stdin], [], [], interval)
        if ready and not sys.stdin.read(1):  # EOF
            rss, pss = tree_memory_mb(root, me)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            break
        time.sleep(max(0.0, interval - (time.perf_counter() - started)))
    print(json.dumps({"rss_mb": peak_rss, "pss_mb": peak_pss}), flush=True)


if __name__ == "__main__" and sys.argv[1:2] == ["--sample"]:
    _sample_main(int(sys.argv[2]), float(sys.argv[3]))
