"""Both classifier recipes side by side on the same splits: presence P/R/F1, stranger false accepts,
training time.

    python bench/recipes.py [--data ../shared/data] [--recipes embedding-head seed] [--workers 2]

Scenarios and scoring are bench/accuracy.py's: jurassic6 (enrol 60% of each member's photos,
predict the rest and the 3 labelled stills), family-dev (enrol the crops, predict the 5 group
photos); strangers: every photo of celeb5 and ageitgey_knn. Detector: HOG for both recipes.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.accuracy import family_dev, jurassic_split, photos, run  # noqa: E402
from inference.settings import Settings  # noqa: E402
from training.config import TrainConfig  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("FAMILYPHOTO_TEST_DATA", "../shared/data")))
    parser.add_argument("--recipes", nargs="+", default=["embedding-head", "seed"])
    parser.add_argument("--scenarios", nargs="+", default=["jurassic6", "family-dev"])
    parser.add_argument("--detector", default="hog")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    settings = Settings(detector=args.detector, **({"workers": args.workers} if args.workers else {}))
    strangers = photos(args.data / "celeb5") + photos(args.data / "ageitgey_knn/test") + photos(args.data / "ageitgey_knn/train")
    scenarios = {
        "jurassic6": lambda: jurassic_split(args.data, 0.6, args.seed),
        "family-dev": lambda: family_dev(args.data),
    }
    print(f"detector={args.detector} workers={settings.workers} strangers={len(strangers)} photos")
    print("| scenario | recipe | P | R | F1 | tp/fp/fn | stranger photos with a false accept | train s |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.scenarios:
        enrol, truth = scenarios[name]()
        for recipe in args.recipes:
            config = TrainConfig(detector=args.detector, seed=args.seed, recipe=recipe)
            f = run(name, enrol, truth, strangers, settings, config)
            print(
                f"| {name} | {recipe} | {f['precision']:.3f} | {f['recall']:.3f} | {f['f1']:.3f} | "
                f"{f['pairs_tp']}/{f['fp']}/{f['fn']} | {f['stranger_photos_reporting_anyone']}/{f['stranger_photos']} "
                f"({f['stranger_far']:.3f}) | {f['train_s']:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
