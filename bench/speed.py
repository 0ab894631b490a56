"""Speed of ``familyphoto predict`` against face_recognition's own CLI, same photos, same machine, same run.

    bash bench/setup_face_recognition_env.sh        # once: face_recognition in bench/.venv-fr
    .venv/bin/python bench/speed.py [--data ../shared/data] [--runs 3] [--repeat 2] [--models yunet+sface hog+dlib]
                                    [--json bench/out/speed.json]

Both sides get the family-dev enrolment crops (8 members x 5) and the same flat folder of
symlinked photos. Wall clock of each full command, best of --runs:
  ours    familyphoto predict UNKNOWN --weights W --no-crops            (all cores; trained once beforehand),
          once per --models pair (FAMILYPHOTO_DETECTOR / FAMILYPHOTO_EMBEDDER): the defaults beside the old ones
  theirs  face_recognition KNOWN UNKNOWN --cpus <cores>                 (encodes KNOWN on every call)
  known   face_recognition KNOWN EMPTY --cpus <cores>                   (just that encoding + start-up)
"theirs - known" is their time on the photos alone. KNOWN holds <member>__<n>.png; the
"__<n>" suffix is stripped to score. Their face count comes from an untimed pass of their
own detection code (the CLI prints one line per matching known image, not per face).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
OURS = Path(sys.executable).parent / "familyphoto"
THEIRS = ROOT / "bench/.venv-fr/bin/face_recognition"
SOURCES = ["family-dev/photos", "jurassic6/photos", "ageitgey_knn/test", "celeb5/val", "jurassic6/members"]
SUFFIXES = {".jpg", ".jpeg", ".png"}  # what face_recognition's CLI reads (ours reads these and more)
NOT_MEMBERS = {"unknown_person", "no_persons_found"}

# face_recognition_cli.test_image's detection (same shrink, same face_locations call), counting faces.
COUNT_FACES = """
import json, sys, numpy as np, PIL.Image, face_recognition
from multiprocessing import Pool
def count(path):
    image = face_recognition.load_image_file(path)
    if max(image.shape) > 1600:
        pil = PIL.Image.fromarray(image); pil.thumbnail((1600, 1600), PIL.Image.LANCZOS); image = np.array(pil)
    return len(face_recognition.face_locations(image))
with Pool(int(sys.argv[1])) as pool:
    print(sum(pool.map(count, sys.argv[2:], chunksize=1)))
"""


def photos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)


def build(data: Path, tmp: Path, repeat: int) -> tuple[Path, Path, Path, Path, list[Path]]:
    """FAMILY/<member>/*.png, KNOWN/<member>__<n>.png, UNKNOWN/<rep>_<i>.<ext>, EMPTY: symlinks only."""
    family, known, unknown, empty = (tmp / n for n in ("family", "known", "unknown", "empty"))
    for d in (known, unknown, empty):
        d.mkdir()
    for member_dir in sorted((data / "family-dev/enroll").iterdir()):
        (family / member_dir.name).mkdir(parents=True)
        for n, f in enumerate(photos(member_dir)):
            (family / member_dir.name / f.name).symlink_to(f.resolve())
            (known / f"{member_dir.name}__{n}{f.suffix}").symlink_to(f.resolve())
    base = [p for source in SOURCES for p in photos(data / source)]
    for rep in range(repeat):
        for i, f in enumerate(base):
            (unknown / f"{rep}_{i:04d}{f.suffix}").symlink_to(f.resolve())
    return family, known, unknown, empty, base


def timed(cmd: list[str | Path], env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess]:
    """Wall clock of one command; stdout and stderr captured; environment inherited, plus ``env``."""
    start = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env={**os.environ, **(env or {})})
    return time.perf_counter() - start, proc


def ours_found(stdout: str) -> dict:
    rows = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return {
        "photos": len(rows),
        "errors": sum("error" in r for r in rows),
        "faces": sum(len(r.get("faces", [])) for r in rows),
        "photos_with_face": sum(bool(r.get("faces")) for r in rows),
        "photos_with_member": sum(bool(r.get("present")) for r in rows),
        "photo_member_pairs": sum(len(r.get("present", [])) for r in rows),
    }


def theirs_found(stdout: str) -> dict:
    names: dict[str, set[str]] = {}
    for line in stdout.splitlines():
        if "," in line and not line.startswith("WARNING"):
            path, name = line.rsplit(",", 1)
            names.setdefault(Path(path).name, set()).add(name if name in NOT_MEMBERS else name.rsplit("__", 1)[0])
    members = {p: n - NOT_MEMBERS for p, n in names.items()}
    return {
        "photos": len(names),
        "photos_with_face": sum("no_persons_found" not in n for n in names.values()),
        "photos_with_member": sum(bool(m) for m in members.values()),
        "photo_member_pairs": sum(len(m) for m in members.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_data = os.environ.get("FAMILYPHOTO_TEST_DATA", str(ROOT.parent / "shared/data"))
    parser.add_argument("--data", type=Path, default=Path(default_data))
    parser.add_argument("--runs", type=int, default=1, help="runs of each command; the best counts")
    parser.add_argument("--repeat", type=int, default=1, help="put the photo set K times in UNKNOWN")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--models", nargs="+", default=["yunet+sface", "hog+dlib"], help="detector+embedder pairs")
    args = parser.parse_args()
    if not THEIRS.exists():
        sys.exit(f"{THEIRS} missing: run bash bench/setup_face_recognition_env.sh")
    cores = len(os.sched_getaffinity(0))

    with tempfile.TemporaryDirectory(prefix="familyphoto-speed-") as tmp_name:
        tmp = Path(tmp_name)
        family, known, unknown, empty, base = build(args.data.resolve(), tmp, args.repeat)
        files = sorted(unknown.iterdir())
        known_images = len(list(known.iterdir()))
        pixels = sum(w * h for w, h in (Image.open(f).size for f in files))
        train_s: dict[str, float] = {}
        commands: dict[str, tuple[list, dict[str, str] | None]] = {}
        for pair in args.models:
            detector, _, embedder = pair.partition("+")
            env = {"FAMILYPHOTO_DETECTOR": detector, "FAMILYPHOTO_EMBEDDER": embedder}
            weights = tmp / f"weights-{detector}-{embedder}"
            train_s[pair], proc = timed([OURS, "train", family, "--weights", weights], env)
            if proc.returncode:
                sys.exit(f"familyphoto train ({pair}) failed:\n{proc.stderr}")
            commands[f"ours {pair}"] = ([OURS, "predict", unknown, "--weights", weights, "--no-crops"], env)
        commands["theirs"] = ([THEIRS, known, unknown, "--cpus", str(cores)], None)
        commands["known"] = ([THEIRS, known, empty, "--cpus", str(cores)], None)
        best: dict[str, float] = {}
        out: dict[str, str] = {}
        for _ in range(args.runs):  # interleaved, so drifts in machine load hit both sides alike
            for name, (cmd, env) in commands.items():
                seconds, proc = timed(cmd, env)
                if proc.returncode and not name.startswith("ours"):  # ours exits 1 when some photo failed: counted below
                    sys.exit(f"{name} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
                best[name] = min(best.get(name, seconds), seconds)
                out[name] = proc.stdout
        count = subprocess.run([THEIRS.parent / "python", "-c", COUNT_FACES, str(cores), *map(str, base)],
                               capture_output=True, text=True, check=True)

    known_skipped = out["known"].count("WARNING: No faces found")
    ours = {pair: ours_found(out[f"ours {pair}"]) for pair in args.models}
    theirs = theirs_found(out["theirs"])
    theirs["faces"] = int(count.stdout) * args.repeat
    theirs_net = best["theirs"] - best["known"]
    figures = {
        "photos": len(files), "megapixels": pixels / 1e6, "cores": cores, "runs": args.runs, "repeat": args.repeat,
        "train_s": train_s, "ours_s": {p: best[f"ours {p}"] for p in args.models}, "theirs_s": best["theirs"],
        "theirs_known_s": best["known"], "theirs_net_s": theirs_net,
        "ratio_raw": {p: best["theirs"] / best[f"ours {p}"] for p in args.models},
        "ratio_net": {p: theirs_net / best[f"ours {p}"] for p in args.models},
        "known_images": known_images, "known_images_without_face": known_skipped,
        "ours_found": ours, "theirs_found": theirs,
    }

    n = len(files)
    print(f"{n} photos, {pixels / 1e6:.1f} Mpx, {cores} cores, best of {args.runs} run(s); familyphoto train "
          f"(not compared): " + ", ".join(f"{p} {s:.1f} s" for p, s in train_s.items()))
    print(f"{'command':<50} {'seconds':>8} {'photos/s':>9} {'theirs/ours':>12} {'net theirs/ours':>16}")
    for pair in args.models:
        ours_s = best[f"ours {pair}"]
        print(f"{'familyphoto predict --no-crops (' + pair + ')':<50} {ours_s:8.2f} {n / ours_s:9.2f} "
              f"{figures['ratio_raw'][pair]:12.2f} {figures['ratio_net'][pair]:16.2f}")
    print(f"{'face_recognition (incl. encoding KNOWN)':<50} {best['theirs']:8.2f} {n / best['theirs']:9.2f}")
    print(f"{'face_recognition, KNOWN only (empty dir)':<50} {best['known']:8.2f}")
    print(f"{'face_recognition on UNKNOWN minus KNOWN':<50} {theirs_net:8.2f} {n / theirs_net:9.2f}")
    print(f"\n{'found':<28} " + " ".join(f"{p:>12}" for p in args.models) + f" {'theirs':>7}")
    for key in ("photos", "faces", "photos_with_face", "photos_with_member", "photo_member_pairs"):
        print(f"{key:<28} " + " ".join(f"{ours[p][key]:>12}" for p in args.models) + f" {theirs[key]:>7}")
    print("ours unreadable photos: " + ", ".join(f"{p} {ours[p]['errors']}" for p in args.models)
          + f"; theirs: {known_skipped} of {known_images} KNOWN images without a face (skipped by face_recognition)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
