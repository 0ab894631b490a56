"""Performance of the pipeline on the shared photos: latency, throughput, memory, model load, vs face_recognition.

    bash bench/setup_face_recognition_env.sh      # once, for the comparison (face_recognition in bench/.venv-fr)
    .venv/bin/python bench/perf.py [--data ../shared/data] [--runs 3] [--json bench/out/perf.json] [--quick]

Photos: the sources of bench/speed.py (family-dev/photos, jurassic6/photos, ageitgey_knn/test,
celeb5/val, jurassic6/members; --quick: at most 5 of each, evenly spaced). The family:
family-dev/enroll trained once into a temp dir with training.train.train_family (not compared).

Figures (ms = milliseconds, s = seconds, MP = megapixels of the photo as stored):
  latency    One process, one loaded Pipeline (--torch-threads: 1, as in analyze_paths' workers
             and `familyphoto predict`; 0 = torch's default, as in the service), after one untimed
             photo: wall clock of Pipeline.analyze(path, crops=False) per photo, the median of
             --runs passes; p50/p95 over photos, for all photos and per bucket of size (MP)
             and of faces found (by our detector). decode/detect/classify are the means of
             analysis.timings' stages (they add up to about the mean; classify = embed + score).
  all cores  inference.batch.analyze_paths(..., crops=False) with settings.workers =
             os.cpu_count(): wall clock of the whole call (pool start and each worker's model
             load included, imports and training not), best of --runs; photos/s = photos / that.
  memory     Peak summed RSS and PSS (MB) of this process and its descendants during the
             latency phase (one process) and the all-cores phase (this process + workers),
             sampled every 0.2 s from a helper process (PSS counts pages shared by the
             forked workers once; RSS counts them in every process). This process also holds the
             training's leftovers: its RSS just before each phase is printed beside the peak.
             "cold process" is the peak RSS (VmHWM) of the fresh load-time process below.
  model load A fresh `python -c` process per run, best and median of --runs: imports
             (torch, dlib, inference.*), then Family.load + Pipeline() + Pipeline.load()
             (detector, embedder, family classifier, timed apart), then its first photo
             (slower than later ones: first-call costs). "whole process" is the wall clock
             seen from outside; "rest" = that minus the timed parts inside (interpreter
             start and exit). The OS file cache is warm (no cache drop without root):
             a cold process, not a cold disk.
  vs theirs  face_recognition's CLI (bench/speed.py's commands and folders, --cpus <cores>)
             on the same photos, best of --runs, interleaved with the all-cores runs:
             "theirs" encodes the 40 KNOWN crops on every call; "known only" runs it on an
             empty folder (start-up + that encoding); "net" = theirs - known only. Ratios
             are their seconds over our all-cores seconds (>1: we are faster). Skipped with a
             note when bench/.venv-fr cannot be set up.
Timings depend on the machine's load: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import ROOT, TreeMemorySampler, default_data, percentile
from speed import SOURCES, THEIRS, build, photos, timed

from inference.batch import analyze_paths
from inference.family import Family
from inference.image_io import ImageDecodeError
from inference.pipeline import Pipeline
from inference.settings import Settings
from inference.types import PhotoError
from training.config import TrainConfig
from training.train import train_family

QUICK_PER_SOURCE = 5
SETUP_FR = ROOT / "bench/setup_face_recognition_env.sh"
MP_BUCKETS: list[tuple[str, float, float]] = [
    ("<0.5 MP", 0.0, 0.5), ("0.5-2 MP", 0.5, 2.0), ("2-8 MP", 2.0, 8.0), (">8 MP", 8.0, float("inf")),
]
FACE_BUCKETS: list[tuple[str, int, int]] = [("0 faces", 0, 0), ("1 face", 1, 1), ("2-3 faces", 2, 3), ("4+ faces", 4, 10**9)]

# Run in a fresh interpreter: argv = weights dir, one photo, project root, torch threads (0: torch's default).
# Prints one JSON line.
COLD_LOAD = """
import json, resource, sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[3])
from pathlib import Path
import torch, dlib
from inference.family import Family
from inference.pipeline import Pipeline
from inference.settings import Settings
if int(sys.argv[4]):
    torch.set_num_threads(int(sys.argv[4]))
t1 = time.perf_counter()
family = Family.load(Path(sys.argv[1]))
pipeline = Pipeline(Settings(), family)
t2 = time.perf_counter()
pipeline.detector.load()
t3 = time.perf_counter()
pipeline.embedder.load()
t4 = time.perf_counter()
family.classifier.load()
t5 = time.perf_counter()
pipeline.analyze(Path(sys.argv[2]), crops=False)
t6 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "family_s": (t2 - t1) + (t5 - t4), "detector_s": t3 - t2,
                  "embedder_s": t4 - t3, "load_s": t5 - t1, "first_photo_s": t6 - t5, "inside_s": t6 - t0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@dataclass
class PhotoTiming:
    """One photo of the latency phase: medians over the runs, in ms."""

    file: str
    megapixels: float
    faces: int
    wall_ms: float
    decode_ms: float
    detect_ms: float
    classify_ms: float


def select_photos(data: Path, quick: bool) -> list[Path]:
    """bench/speed.py's photos; with ``quick`` at most QUICK_PER_SOURCE per source, evenly spaced."""
    chosen: list[Path] = []
    for source in SOURCES:
        found = photos(data / source)
        if quick and len(found) > QUICK_PER_SOURCE:
            step = len(found) / QUICK_PER_SOURCE
            found = [found[int(i * step)] for i in range(QUICK_PER_SOURCE)]
        chosen += found
    return chosen


def rss_mb() -> float:
    """This process's current RSS in MB."""
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def cold_load(weights: Path, photo: Path, runs: int, threads: int) -> dict[str, Any]:
    """COLD_LOAD in --runs fresh processes: best and median of each figure (peak RSS: the largest)."""
    rows = []
    for _ in range(runs):
        seconds, proc = timed([sys.executable, "-c", COLD_LOAD, weights, photo, ROOT, str(threads)])
        if proc.returncode:
            sys.exit(f"cold load process failed:\n{proc.stderr[-2000:]}")
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append({**row, "process_s": seconds, "rest_s": seconds - row.pop("inside_s")})
    keys = [k for k in rows[0] if k != "peak_rss_mb"]
    return {
        "best": {k: min(r[k] for r in rows) for k in keys},
        "median": {k: statistics.median(r[k] for r in rows) for k in keys},
        "peak_rss_mb": max(r["peak_rss_mb"] for r in rows),
        "runs": rows,
    }


def measure_latency(pipeline: Pipeline, paths: list[Path], runs: int) -> tuple[list[PhotoTiming], list[str]]:
    """Per photo, the median over ``runs`` passes of the wall clock and stages of ``analyze``; unreadable photos apart."""
    samples: dict[Path, list[tuple[float, float, float, float, int, float]]] = {p: [] for p in paths}
    errors: list[str] = []
    pipeline.analyze(paths[0], crops=False)  # warm-up, untimed: first-call costs of torch/dlib
    for _ in range(runs):
        for path in paths:
            start = time.perf_counter()
            try:
                analysis = pipeline.analyze(path, crops=False)
            except (ImageDecodeError, OSError) as exc:
                if path not in errors:
                    errors.append(f"{path}: {exc}")
                continue
            wall = (time.perf_counter() - start) * 1000
            t, r = analysis.timings, analysis.result
            samples[path].append((wall, t.decode, t.detect, t.classify, len(r.faces), r.width * r.height / 1e6))
    timings = []
    for path, rows in samples.items():
        if rows:
            med = [statistics.median(col) for col in zip(*rows)]
            timings.append(PhotoTiming(str(path), rows[0][5], rows[0][4], med[0], med[1], med[2], med[3]))
    return timings, errors


def summarize(rows: list[PhotoTiming]) -> dict[str, float]:
    walls = [r.wall_ms for r in rows]
    mean = (lambda xs: statistics.fmean(xs) if xs else float("nan"))
    return {
        "photos": len(rows), "p50_ms": percentile(walls, 50), "p95_ms": percentile(walls, 95), "mean_ms": mean(walls),
        "decode_ms": mean([r.decode_ms for r in rows]), "detect_ms": mean([r.detect_ms for r in rows]),
        "classify_ms": mean([r.classify_ms for r in rows]),
    }


def latency_table(rows: list[PhotoTiming]) -> dict[str, dict[str, float]]:
    """summarize() for all photos and each size and face-count bucket."""
    groups: dict[str, list[PhotoTiming]] = {"all photos": rows}
    for name, lo, hi in MP_BUCKETS:
        groups[name] = [r for r in rows if lo <= r.megapixels < hi]
    for name, lo, hi in FACE_BUCKETS:
        groups[name] = [r for r in rows if lo <= r.faces <= hi]
    return {name: summarize(group) for name, group in groups.items()}


def theirs_available() -> bool:
    """bench/.venv-fr's face_recognition, set up once with SETUP_FR if missing."""
    if THEIRS.exists():
        return True
    print(f"{THEIRS} missing: running bash {SETUP_FR.relative_to(ROOT)} (once)...", flush=True)
    proc = subprocess.run(["bash", str(SETUP_FR)], capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode or not THEIRS.exists():
        print(f"face_recognition could not be set up (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
        return False
    return True


def loads() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=default_data())
    parser.add_argument("--runs", type=int, default=1, help="passes / runs of each measurement (median or best, see top)")
    parser.add_argument("--json", type=Path, help="also write the figures (and per-photo timings) here")
    parser.add_argument("--torch-threads", type=int, default=1,
                        help="torch threads in the latency and load processes (1, as in the workers; 0: torch's default, "
                        "as in the service)")
    parser.add_argument("--quick", action="store_true", help=f"at most {QUICK_PER_SOURCE} photos per source: a smoke run")
    args = parser.parse_args()
    data = args.data.resolve()
    cores = os.cpu_count() or 1
    settings = Settings(workers=cores)
    paths = select_photos(data, args.quick)
    if not paths:
        sys.exit(f"no photos under {data}")
    megapixels = sum(w * h for w, h in (Image.open(p).size for p in paths)) / 1e6
    load_before = loads()

    with tempfile.TemporaryDirectory(prefix="familyphoto-perf-") as tmp_name:
        tmp = Path(tmp_name)
        family_dir, known, _, empty, _ = build(data, tmp, repeat=0)  # FAMILY, KNOWN, EMPTY: symlinks only
        unknown = tmp / "photos"  # the selected photos, one flat folder of symlinks, for face_recognition
        unknown.mkdir()
        for i, p in enumerate(paths):
            (unknown / f"{i:04d}{p.suffix}").symlink_to(p)
        print(f"{len(paths)} photos, {megapixels:.1f} MP{' (--quick)' if args.quick else ''}; {cores} cores; "
              f"--runs {args.runs}; load average before {load_before}", flush=True)

        weights = tmp / "weights"
        start = time.perf_counter()
        train_family(family_dir, weights, settings, TrainConfig())
        train_s = time.perf_counter() - start
        print(f"train family-dev (once, not compared): {train_s:.1f} s", flush=True)

        cold = cold_load(weights, paths[0], args.runs, args.torch_threads)

        fr = theirs_available()
        commands = {"theirs": [THEIRS, known, unknown, "--cpus", str(cores)], "known": [THEIRS, known, empty, "--cpus", str(cores)]}
        best: dict[str, float] = {}
        peak_all = (0.0, 0.0)
        rss_before_all = rss_mb()
        results: list[Any] = []
        for _ in range(args.runs):  # interleaved, so drifts in machine load hit both sides alike
            with TreeMemorySampler() as mem:
                start = time.perf_counter()
                results = list(analyze_paths(paths, settings, weights=weights, crops=False, workers=cores))
                seconds = time.perf_counter() - start
            best["ours"] = min(best.get("ours", seconds), seconds)
            peak_all = (max(peak_all[0], mem.peak_rss_mb), max(peak_all[1], mem.peak_pss_mb))
            for name, cmd in commands.items() if fr else ():
                seconds, proc = timed(cmd)
                if proc.returncode:
                    print(f"face_recognition ({name}) failed ({proc.returncode}): {proc.stderr[-500:]}; comparison skipped")
                    fr = False
                    break
                best[name] = min(best.get(name, seconds), seconds)
        batch_errors = sum(isinstance(r, PhotoError) for r in results)

        family = Family.load(weights)
        pipeline = Pipeline(settings, family)
        pipeline.load()
        import torch

        if args.torch_threads:
            torch.set_num_threads(args.torch_threads)
        threads = torch.get_num_threads()
        rss_before_latency = rss_mb()
        with TreeMemorySampler() as mem_latency:
            timings, errors = measure_latency(pipeline, paths, args.runs)
    load_after = loads()

    table = latency_table(timings)
    figures: dict[str, Any] = {
        "photos": len(paths), "megapixels": megapixels, "quick": args.quick, "cores": cores, "runs": args.runs,
        "load_average_before": load_before, "load_average_after": load_after, "train_s": train_s,
        "latency": table, "latency_torch_threads": threads, "latency_errors": errors,
        "all_cores": {"seconds": best["ours"], "photos_per_s": len(paths) / best["ours"], "errors": batch_errors,
                      "workers": cores},
        "memory_mb": {
            "latency_peak_rss": mem_latency.peak_rss_mb, "latency_peak_pss": mem_latency.peak_pss_mb,
            "latency_rss_before": rss_before_latency, "all_cores_peak_rss": peak_all[0],
            "all_cores_peak_pss": peak_all[1], "all_cores_rss_before": rss_before_all,
            "cold_process_peak_rss": cold["peak_rss_mb"],
        },
        "model_load": cold,
        "face_recognition": None,
        "per_photo": [asdict(t) for t in timings],
    }

    print(f"\nLatency per photo, one process, loaded pipeline, torch threads {threads} "
          f"(ms; median of {args.runs} pass(es) per photo; stages: means)")
    print(f"{'group':<12} {'photos':>6} {'p50':>8} {'p95':>8} {'mean':>8} {'decode':>8} {'detect':>8} {'classify':>8}")
    for name, s in table.items():
        if not s["photos"]:
            print(f"{name:<12} {0:>6} {'-':>8} {'-':>8} {'-':>8} {'-':>8} {'-':>8} {'-':>8}")
            continue
        print(f"{name:<12} {s['photos']:>6} {s['p50_ms']:8.1f} {s['p95_ms']:8.1f} {s['mean_ms']:8.1f} "
              f"{s['decode_ms']:8.1f} {s['detect_ms']:8.1f} {s['classify_ms']:8.1f}")
        if name in ("all photos", MP_BUCKETS[-1][0]):
            print("-" * 75)
    if errors:
        print(f"{len(errors)} unreadable photo(s) left out: {'; '.join(errors[:3])}")

    m = figures["memory_mb"]
    print(f"\nAll cores: analyze_paths, {cores} workers: {best['ours']:.2f} s, {len(paths) / best['ours']:.2f} photos/s "
          f"(best of {args.runs}; {batch_errors} errors)")
    print(f"Peak memory, process tree (MB)     {'RSS':>8} {'PSS':>8}   this process's RSS before")
    print(f"  latency phase (1 process)        {m['latency_peak_rss']:8.0f} {m['latency_peak_pss']:8.0f}   {m['latency_rss_before']:.0f}")
    print(f"  all-cores phase (+ {cores} workers)    {m['all_cores_peak_rss']:8.0f} {m['all_cores_peak_pss']:8.0f}   {m['all_cores_rss_before']:.0f}")
    print(f"  cold process (load + 1 photo)    {m['cold_process_peak_rss']:8.0f} {'':>8}   (VmHWM)")

    b, med = cold["best"], cold["median"]
    print(f"\nModel load, fresh process (s)   {'best':>7} {'median':>7}   ({args.runs} process(es), warm OS file cache)")
    for key, label in (("process_s", "whole process"), ("import_s", "imports"), ("load_s", "load, all models"),
                       ("detector_s", "  detector"), ("embedder_s", "  embedder"), ("family_s", "  family"),
                       ("first_photo_s", "first photo"), ("rest_s", "rest: interpreter start+exit")):
        print(f"  {label:<30}{b[key]:7.2f} {med[key]:7.2f}")

    if fr:
        net = best["theirs"] - best["known"]
        figures["face_recognition"] = {
            "theirs_s": best["theirs"], "known_only_s": best["known"], "net_s": net,
            "ratio_raw": best["theirs"] / best["ours"], "ratio_net": net / best["ours"],
        }
        print(f"\nvs face_recognition CLI, --cpus {cores}, best of {args.runs}   {'seconds':>8} {'photos/s':>9} {'theirs/ours':>12}")
        print(f"  ours: analyze_paths, all cores               {best['ours']:8.2f} {len(paths) / best['ours']:9.2f}")
        print(f"  theirs: KNOWN PHOTOS (encodes KNOWN too)     {best['theirs']:8.2f} {len(paths) / best['theirs']:9.2f} "
              f"{best['theirs'] / best['ours']:12.2f}")
        print(f"  theirs: KNOWN EMPTY (start-up + KNOWN)       {best['known']:8.2f}")
        print(f"  theirs net (photos only)                     {net:8.2f} {len(paths) / net:9.2f} {net / best['ours']:12.2f}")
    else:
        print("\nvs face_recognition: skipped (face_recognition not available)")
    print(f"\nload average before {load_before}, after {load_after}")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
