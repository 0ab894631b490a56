"""Both classifier recipes side by side on the same splits: presence P/R/F1, stranger false accepts,
training time.

    python bench/recipes.py [--data ../shared/data] [--recipes embedding-head seed] [--workers 2]

Scenarios and scoring are bench/accuracy.py's: jurassic6 (enrol 60% of each member's photos,
predict the rest and the 3 labelled stills), family-dev (enrol the crops, predict the 5 group
photos); strangers: every photo of celeb5 and ageitgey_knn (scored only, never trained on as
strangers). Models: the defaults (YuNet + SFace) unless --detector/--embedder say otherwise.

The seed recipe pretrains by distilling the embedder (training/distil.py) on every face of the
family's photos and of ``--pretrain-faces`` folders: by default the data's face-box sets
(detection/facemask_voc/images, detection/dlib_faces) and celeb5 and ageitgey_knn (unlabelled:
no identity, no "stranger" label is used; ``--pretrain-sets`` changes the list). Recipe
variants: ``seed`` (the default head), ``seed:frozen``, ``seed:finetune``, ``seed:random`` (the
original from random weights, no pretraining).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.accuracy import family_dev, jurassic_split, photos, run  # noqa: E402
from inference.registry import choose_models  # noqa: E402
from inference.settings import Settings  # noqa: E402
from training.config import SeedTraining, TrainConfig  # noqa: E402

PRETRAIN_SETS = ["detection/facemask_voc/images", "detection/dlib_faces", "celeb5", "ageitgey_knn"]


def recipe_config(variant: str, base: TrainConfig, pretrain_dirs: tuple[Path, ...]) -> TrainConfig:
    """``embedding-head``, ``seed`` or ``seed:frozen|finetune|random`` as a TrainConfig."""
    recipe, _, head = variant.partition(":")
    if recipe != "seed":
        return dataclasses.replace(base, recipe=recipe)
    seed = SeedTraining()
    if head == "random":
        seed = dataclasses.replace(seed, pretrain=False, head="finetune")
    elif head:
        seed = dataclasses.replace(seed, head=head)
    return dataclasses.replace(base, recipe="seed", seed_training=seed, pretrain_dirs=pretrain_dirs if seed.pretrain else ())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("FAMILYPHOTO_TEST_DATA", "../shared/data")))
    parser.add_argument("--recipes", nargs="+", default=["embedding-head", "seed"])
    parser.add_argument("--scenarios", nargs="+", default=["jurassic6", "family-dev"])
    parser.add_argument("--detector", default=None, help="default: the registry's (yunet)")
    parser.add_argument("--embedder", default=None, help="default: the registry's (sface)")
    parser.add_argument("--pretrain-sets", nargs="*", default=PRETRAIN_SETS, help="folders under --data for --pretrain-faces")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    settings = Settings(detector=args.detector, embedder=args.embedder, **({"workers": args.workers} if args.workers else {}))
    models = choose_models(settings)
    strangers = photos(args.data / "celeb5") + photos(args.data / "ageitgey_knn/test") + photos(args.data / "ageitgey_knn/train")
    pretrain_dirs = tuple(args.data / s for s in args.pretrain_sets)
    scenarios = {
        "jurassic6": lambda: jurassic_split(args.data, 0.6, args.seed),
        "family-dev": lambda: family_dev(args.data),
    }
    base = TrainConfig(detector=args.detector, seed=args.seed)
    print(
        f"detector={models.detector} embedder={models.embedder} workers={settings.workers} strangers={len(strangers)} photos; "
        f"seed defaults: {SeedTraining().head} head, {SeedTraining().distillation}; "
        f"pretrain faces: {', '.join(args.pretrain_sets) or 'none'}"
    )
    print("| scenario | recipe | P | R | F1 | tp/fp/fn | stranger photos with a false accept | train s |")
    print("|---|---|---|---|---|---|---|---|")
    notes = []
    for name in args.scenarios:
        enrol, truth = scenarios[name]()
        for variant in args.recipes:
            f = run(name, enrol, truth, strangers, settings, recipe_config(variant, base, pretrain_dirs))
            print(
                f"| {name} | {variant} | {f['precision']:.3f} | {f['recall']:.3f} | {f['f1']:.3f} | "
                f"{f['pairs_tp']}/{f['fp']}/{f['fn']} | {f['stranger_photos_reporting_anyone']}/{f['stranger_photos']} "
                f"({f['stranger_far']:.3f}) | {f['train_s']:.1f} |",
                flush=True,
            )
            n = f["notes"]
            if n:
                pre = n.get("pretraining") or {}
                by_source = ", ".join(f"{k}: {c['faces']}" for k, c in pre.get("sources", {}).items())
                notes.append(
                    f"{name} {variant}: {n['head']}; {n['epochs']} epochs (best {n['best_epoch']})"
                    + (f"; pretraining {pre['faces']} faces ({by_source}), "
                       f"{pre['epochs']} epochs, loss {pre['loss_first']:.4f} -> {pre['loss_final']:.4f}, "
                       f"{pre['seconds']:.0f} s (distillation {pre['distil_seconds']:.0f} s)" if pre else "")
                )
    for line in notes:
        print(line)


if __name__ == "__main__":
    main()
