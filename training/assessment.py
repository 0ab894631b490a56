"""Evaluate or recalibrate a trained family on a labelled folder: what the CLI and the API both run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inference.pipeline import Pipeline
from inference.progress import OnProgress, no_progress
from inference.settings import Settings
from training.calibrate import Calibration
from training.evaluate import Evaluation, collect, evaluate, sweep
from training.labelled import LabelledSet, load_labelled
from training.recalibrate import recalibrate, write_thresholds
from training.report import write_report



@dataclass
class EvaluationRun:
    labelled: LabelledSet
    evaluation: Evaluation
    report: Path  # index.html
    unknown_names: list[str]  # labelled names that are not members of the family (counted as strangers)


@dataclass
class CalibrationRun:
    labelled: LabelledSet
    before: Evaluation
    after: Evaluation
    calibrations: dict[str, Calibration | None]


def evaluate_folder(
    labelled_dir: Path, weights: Path, out: Path, settings: Settings, *, on_progress: OnProgress = no_progress,
    pipeline: Pipeline | None = None,
) -> EvaluationRun:
    """Run the family on every labelled photo and write the report into ``out``
    (``pipeline``: a loaded pipeline to run in this process instead of worker processes)."""
    labelled = load_labelled(labelled_dir)
    family, outcomes = collect(labelled, weights, settings, on_progress=on_progress, pipeline=pipeline)
    thresholds = family.manifest.thresholds
    evaluation = evaluate(outcomes, family.members, thresholds)
    unknown = sorted(labelled.names - set(family.members))
    context = {
        "labelled_dir": str(Path(labelled_dir).resolve()),
        "layout": labelled.layout,
        "weights": str(Path(weights).resolve()),
        "report_dir": str(out.resolve()),
        "recipe": family.manifest.recipe,
        "detector": settings.detector or family.manifest.detector,
        "labels_not_in_family": unknown,
        "labels_problems": labelled.problems,
    }
    report = write_report(out, evaluation, sweep(outcomes, family.members, thresholds), context)
    return EvaluationRun(labelled, evaluation, report, unknown)


def calibrate_folder(
    labelled_dir: Path, weights: Path, settings: Settings, *, target_far: float, dry_run: bool = False,
    on_progress: OnProgress = no_progress,
) -> CalibrationRun:
    """New thresholds at ``target_far`` from the labelled photos, written to the manifest unless ``dry_run``."""
    labelled = load_labelled(labelled_dir)
    family, outcomes = collect(labelled, weights, settings, on_progress=on_progress)
    before = evaluate(outcomes, family.members, family.manifest.thresholds)
    calibrations = recalibrate(family, outcomes, target_far=target_far)
    thresholds = dict(family.manifest.thresholds)
    thresholds.update({m: c.threshold for m, c in calibrations.items() if c is not None})
    after = evaluate(outcomes, family.members, thresholds)
    if not dry_run:
        write_thresholds(
            weights, family.manifest, calibrations, source=Path(labelled_dir).resolve(), target_far=target_far, family=family
        )
    return CalibrationRun(labelled, before, after, calibrations)
