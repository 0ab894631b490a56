"""Presence accuracy on the shared photo sets: precision/recall/F1 over (photo, member) pairs
and the share of stranger photos in which anyone is reported.

    python bench/accuracy.py [--data ../shared/data] [--models yunet+sface hog+dlib]

Scenarios: jurassic6 (enrol ~60% of each member's photos, predict the rest and the 3
labelled stills) and family-dev (enrol the crops, predict the 5 group photos). Strangers:
every photo of celeb5 and ageitgey_knn (nobody there belongs to either family). fiw-dev's
three real families (look-alike siblings, children from babyhood): each member's first 6 photos
enrolled, the rest predicted, the other two families' photos as strangers. Each ``--models``
pair (detector+embedder) runs every scenario: the defaults beside the old ones in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference.batch import analyze_paths  # noqa: E402
from inference.inputs import walk_photos  # noqa: E402
from inference.settings import Settings  # noqa: E402
from inference.types import PhotoResult  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.train import train_family  # noqa: E402


def photos(folder: Path) -> list[Path]:
    return walk_photos([folder]).photos


def link_family(members: dict[str, list[Path]], root: Path) -> Path:
    """A FAMILY_DIR of symlinks (the shared data is never copied)."""
    for member, files in members.items():
        (root / member).mkdir(parents=True)
        for f in files:
            (root / member / f.name).symlink_to(f.resolve())
    return root


def jurassic_split(data: Path, share: float, seed: int) -> tuple[dict[str, list[Path]], dict[Path, set[str]]]:
    rng = random.Random(seed)
    enrol, tests = {}, {}
    for folder in sorted((data / "jurassic6/members").iterdir()):
        files = photos(folder)
        rng.shuffle(files)
        k = round(len(files) * share)
        enrol[folder.name] = sorted(files[:k])
        tests.update({f: {folder.name} for f in files[k:]})
    labels = json.loads((data / "jurassic6/labels.json").read_text())
    tests.update({data / "jurassic6/photos" / name: set(members) for name, members in labels.items()})
    return enrol, tests


def family_dev(data: Path) -> tuple[dict[str, list[Path]], dict[Path, set[str]]]:
    enrol = {f.name: photos(f) for f in sorted((data / "family-dev/enroll").iterdir())}
    labels = json.loads((data / "family-dev/labels.json").read_text())
    return enrol, {data / "family-dev/photos" / n: set(m) for n, m in labels.items()}


def fiw_family(data: Path, family: str, enrolled: int = 6) -> tuple[dict[str, list[Path]], dict[Path, set[str]], list[Path]]:
    enrol, tests = {}, {}
    for folder in sorted((data / "fiw-dev" / family).iterdir()):
        files = photos(folder)
        enrol[folder.name] = files[:enrolled]
        tests.update({f: {folder.name} for f in files[enrolled:]})
    strangers = [p for other in sorted((data / "fiw-dev").iterdir()) if other.is_dir() and other.name != family for p in photos(other)]
    return enrol, tests, strangers


def score(results: dict[Path, set[str] | None], truth: dict[Path, set[str]]) -> dict:
    """Presence figures over (photo, member) pairs; ``None``: the photo could not be read."""
    tp = fp = fn = errors = 0
    for path, true in truth.items():
        said = results[path]
        if said is None:
            errors += 1
            said = set()
        tp += len(said & true)
        fp += len(said - true)
        fn += len(true - said)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"pairs_tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "errors": errors}


def run(name: str, enrol, truth, strangers: list[Path], settings: Settings, config: TrainConfig) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        family = link_family(enrol, Path(tmp) / "family")
        weights = Path(tmp) / "weights"
        t = time.perf_counter()
        report = train_family(family, weights, settings, config)
        train_s = time.perf_counter() - t
        paths = list(truth) + strangers
        t = time.perf_counter()
        results = {
            path: set(r.present) if isinstance(r, PhotoResult) else None
            for path, r in zip(paths, analyze_paths(paths, settings, weights=weights, crops=False))
        }
        predict_s = time.perf_counter() - t
    figures = score(results, truth)
    said = {p: results[p] or set() for p in paths}
    reporting = [p for p in strangers if said[p]]
    figures.update(
        stranger_photos=len(strangers),
        stranger_photos_reporting_anyone=len(reporting),
        stranger_far=len(reporting) / len(strangers) if strangers else 0.0,
        train_s=train_s,
        predict_s=predict_s,
        photos=len(paths),
        notes=report.notes,  # recipe-specific (the seed recipe: epochs, its pretraining)
    )
    misses = {str(p.relative_to(p.parents[2])): sorted(truth[p] - said[p]) for p in truth}
    figures["missed"] = {k: v for k, v in misses.items() if v}
    figures["false_accepts"] = {
        str(p.relative_to(p.parents[2])): sorted(said[p] - truth.get(p, set()))
        for p in paths
        if said[p] - truth.get(p, set())
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("FAMILYPHOTO_TEST_DATA", "../shared/data")))
    parser.add_argument("--models", nargs="+", default=["yunet+sface", "hog+dlib"], help="detector+embedder pairs")
    parser.add_argument("--scenarios", nargs="+", default=["jurassic6", "family-dev", "F0311", "F1002", "F0771"])
    parser.add_argument("--share", type=float, default=0.6, help="jurassic6 enrolment share")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="list every miss and false accept")
    args = parser.parse_args()
    strangers = photos(args.data / "celeb5") + photos(args.data / "ageitgey_knn/test") + photos(args.data / "ageitgey_knn/train")
    scenarios = {
        "jurassic6": lambda: (*jurassic_split(args.data, args.share, args.seed), strangers),
        "family-dev": lambda: (*family_dev(args.data), strangers),
        **{f: (lambda f=f: fiw_family(args.data, f)) for f in ("F0311", "F1002", "F0771")},
    }
    print(f"{'models':<12} {'scenario':<11} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}  strangers reporting anyone  train s  predict s")
    for pair in args.models:
        detector, _, embedder = pair.partition("+")
        settings = Settings(detector=detector, embedder=embedder or None)
        config = TrainConfig(detector=detector, seed=args.seed)
        for name in args.scenarios:
            enrol, truth, others = scenarios[name]()
            f = run(name, enrol, truth, others, settings, config)
            print(
                f"{pair:<12} {name:<11} {f['precision']:6.3f} {f['recall']:6.3f} {f['f1']:6.3f} {f['pairs_tp']:4d} {f['fp']:4d} {f['fn']:4d}"
                f"  {f['stranger_photos_reporting_anyone']:3d}/{f['stranger_photos']:<3d} = {f['stranger_far']:.3f}"
                f"        {f['train_s']:6.1f}  {f['predict_s']:8.1f}", flush=True,
            )
            if args.verbose:
                print("  missed:", f["missed"])
                print("  false accepts:", f["false_accepts"])


if __name__ == "__main__":
    main()
