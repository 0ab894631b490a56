"""Speed and peak memory of ``familyphoto sort`` on a large trip, against face_recognition's CLI.

    bash bench/setup_face_recognition_env.sh        # once, for the comparison: face_recognition in bench/.venv-fr
    .venv/bin/python bench/sort.py [--data ../shared/data] [--target 2000]

SRC (in a temp dir) holds the real photos of --data, repeated until --target photos, as
rep<k>/r<k>_<i>.<ext>. rep00 is symlinks to the originals; later repeats are real copies with
a few bytes appended after the image data (decodes the same, different sha256), so sort's
content-hash cache cannot answer them: every photo is real work. Then, all cores, wall clock
and peak memory of the whole process tree (summed RSS and PSS of the command and all its
descendants, sampled every 0.2 s):
  familyphoto train family-dev/enroll                   (once; printed, not compared)
  familyphoto sort SRC DST --weights W --workers <cores>   (default mode: link)
  familyphoto sort SRC DST ... again                       (same DST: all from the cache)
  face_recognition KNOWN FLAT --cpus <cores>               (FLAT: the same files, one folder)
KNOWN and the family come from bench/speed.py (family-dev enrolment crops, <member>__<n>.png).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import repeat_photos, tree_memory_mb
from speed import OURS, ROOT, SOURCES, THEIRS, build, photos

SORT_SOURCES = [*SOURCES, "celeb5/train"]


def base_photos(data: Path) -> list[Path]:
    """The shared photos a large trip is made of (resolved), in a fixed order."""
    base = [p.resolve() for source in SORT_SOURCES for p in photos(data / source)]
    if not base:
        sys.exit(f"no photos under {data}")
    return base


def make_src(data: Path, tmp: Path, target: int) -> tuple[Path, Path, list[Path]]:
    """SRC/rep<k>/r<k>_<i>.<ext> (target photos) and FLAT/ (symlinks to the same files, one folder)."""
    src, flat = tmp / "src", tmp / "flat"
    flat.mkdir()
    files = repeat_photos(base_photos(data), src, target, first="symlink")
    for f in files:
        (flat / f.name).symlink_to(f)
    return src, flat, files


def run_sampled(cmd: list[str | Path], log: Path) -> tuple[float, int, str, float, float]:
    """(seconds, exit code, stdout+stderr, peak tree RSS MB, peak tree PSS MB) of one command."""
    with log.open("w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=subprocess.STDOUT)
        peak_rss = peak_pss = 0.0
        while proc.poll() is None:
            rss, pss = tree_memory_mb(proc.pid)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(0.2)
        seconds = time.perf_counter() - start
    return seconds, proc.returncode, log.read_text(), peak_rss, peak_pss


def check(name: str, code: int, output: str) -> None:
    if code:
        sys.exit(f"{name} failed ({code}):\n{output[-3000:]}")


def cache_line(output: str) -> str:
    found = re.search(r"\d+ analysed, \d+ from the cache", " ".join(output.split()))
    return found.group(0) if found else "(analysed/cache counts not found in the output)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_data = os.environ.get("FAMILYPHOTO_TEST_DATA", str(ROOT.parent / "shared/data"))
    parser.add_argument("--data", type=Path, default=Path(default_data))
    parser.add_argument("--target", type=int, default=2000, help="photos in SRC (the real ones, repeated)")
    parser.add_argument("--no-compare", action="store_true", help="skip face_recognition (e.g. a memory check on 10,000 photos)")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory(prefix="familyphoto-sortbench-") as tmp_name:
        tmp = Path(tmp_name)
        family, known, *_ = build(args.data.resolve(), tmp, repeat=0)  # FAMILY and KNOWN only
        src, flat, files = make_src(args.data.resolve(), tmp, args.target)
        megapixels = sum(w * h for w, h in (Image.open(f).size for f in files)) / 1e6
        print(
            f"SRC: {len(files)} photos, {megapixels:.1f} Mpx, {len(list(src.iterdir()))} subfolders; "
            f"{cores} cores; load average before {' '.join(f'{x:.2f}' for x in load_before)}"
        )

        weights, dst = tmp / "weights", tmp / "dst"
        train_s, code, output, _, _ = run_sampled([OURS, "train", family, "--weights", weights], tmp / "train.log")
        check("familyphoto train", code, output)
        print(f"familyphoto train family-dev: {train_s:.1f} s")

        sort_cmd = [OURS, "sort", src, dst, "--weights", weights, "--workers", str(cores)]
        sort_s, code, output, rss, pss = run_sampled(sort_cmd, tmp / "sort.log")
        check("familyphoto sort", code, output)
        print(
            f"familyphoto sort: {sort_s:.1f} s, {len(files) / sort_s:.2f} photos/s, "
            f"peak tree memory {rss:.0f} MB RSS summed ({pss:.0f} MB PSS); {cache_line(output)}"
        )
        with (dst / "manifest.csv").open(newline="") as f:
            rows = list(csv.DictReader(f))
        folders = Counter(folder for r in rows for folder in r["folders"].split(";") if folder)
        errors = sum(bool(r["error"]) for r in rows)

        again_s, code, output, _, _ = run_sampled(sort_cmd, tmp / "sort2.log")
        check("familyphoto sort (second run)", code, output)
        print(f"familyphoto sort again, same DST: {again_s:.1f} s; {cache_line(output)}")

        if args.no_compare:
            print("face_recognition: skipped (--no-compare)")
        elif THEIRS.exists():
            theirs_s, code, output, t_rss, t_pss = run_sampled(
                [THEIRS, known, flat, "--cpus", str(cores)], tmp / "theirs.log"
            )
            check("face_recognition", code, output)
            print(
                f"face_recognition KNOWN FLAT --cpus {cores}: {theirs_s:.1f} s, {len(files) / theirs_s:.2f} photos/s, "
                f"peak tree memory {t_rss:.0f} MB RSS summed ({t_pss:.0f} MB PSS)"
            )
            print(f"ratio face_recognition / familyphoto sort (wall clock): {theirs_s / sort_s:.2f}x")
        else:
            print(f"{THEIRS} missing: run  bash bench/setup_face_recognition_env.sh  to compare; skipped")

    print(f"\nmanifest.csv: {len(rows)} rows, {errors} errors")
    for folder, count in sorted(folders.items()):
        print(f"  {folder:<24} {count:>6}")
    print(f"load average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
