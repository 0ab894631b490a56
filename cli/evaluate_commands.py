"""``familyphoto evaluate`` and ``familyphoto calibrate``: how good the family is on labelled photos."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from cli.common import WeightsOption, WorkersOption, _fail, _fmt, _require_family, err, progress_bars, settings_with

LabelledArgument = Annotated[
    Path,
    typer.Argument(
        help="Labelled photos: a labels.json {file: [members]} beside them, or one folder per member of solo photos "
        "(plus an optional _strangers/ folder)."
    ),
]


def evaluate(
    labelled_dir: LabelledArgument,
    weights: WeightsOption = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Report folder (default: LABELLED_DIR's name + '-report').")] = None,
    workers: WorkersOption = None,
) -> None:
    """Measure the family on labelled photos and write a report (index.html, report.json)."""
    from training.assessment import evaluate_folder
    from training.labelled import LabelsError

    settings = settings_with(workers=workers)
    weights_dir = weights or settings.weights
    _require_family(weights_dir)
    out = out or Path(f"{labelled_dir.resolve().name}-report")
    try:
        with progress_bars() as on_progress:
            run = evaluate_folder(labelled_dir, weights_dir, out, settings, on_progress=on_progress)
    except LabelsError as exc:
        _fail(str(exc))
    for problem in run.labelled.problems:
        err.print(f"[yellow]skipped:[/yellow] {problem}", highlight=False)
    if run.unknown_names:
        err.print(
            f"[yellow]not in the family (counted as strangers):[/yellow] {', '.join(run.unknown_names)}", highlight=False
        )
    _print_figures("Evaluation", {"now": run.evaluation})
    _print_members(run.evaluation)
    err.print(f"Report: {run.report.resolve()}", highlight=False, soft_wrap=True)


def calibrate(
    labelled_dir: LabelledArgument,
    target_far: Annotated[
        float, typer.Option("--target-far", min=0.0, max=0.5, help="Largest share of impostor faces a member may accept.")
    ] = 0.01,
    weights: WeightsOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the figures; leave the manifest as it is.")] = False,
    workers: WorkersOption = None,
) -> None:
    """Re-set the members' thresholds from labelled photos and write them to the manifest."""
    from training.assessment import calibrate_folder
    from training.labelled import LabelsError

    settings = settings_with(workers=workers)
    weights_dir = weights or settings.weights
    _require_family(weights_dir)
    try:
        with progress_bars() as on_progress:
            run = calibrate_folder(
                labelled_dir, weights_dir, settings, target_far=target_far, dry_run=dry_run, on_progress=on_progress
            )
    except LabelsError as exc:
        _fail(str(exc))
    table = Table(title=f"Thresholds at a target false-accept rate of {target_far:.2%}")
    for column in ("member", "before", "after", "genuine", "impostor", "impostor FAR", "genuine FRR"):
        table.add_column(column, justify="left" if column == "member" else "right")
    for m, c in run.calibrations.items():
        if c is None:
            table.add_row(m, f"{run.before.thresholds[m]:.3f}", "unchanged", "0", "–", "–", "–")
        else:
            table.add_row(
                m, f"{run.before.thresholds[m]:.3f}", f"{c.threshold:.3f}", str(c.genuine_scores), str(c.impostor_scores),
                f"{c.false_accept_rate:.2%}", f"{c.false_reject_rate:.2%}",
            )
    err.print(table)
    _print_figures("On these photos", {"before": run.before, "after": run.after})
    if dry_run:
        err.print("Dry run: the manifest was not changed.")
    else:
        err.print(f"Thresholds written to {(weights_dir / 'manifest.json').resolve()} (a running service picks them up on restart).")


def _print_figures(title: str, evaluations: dict) -> None:
    table = Table(title=title)
    table.add_column("")
    for name in evaluations:
        table.add_column(name, justify="right")
    summaries = {k: v.summary() for k, v in evaluations.items()}
    rows = [
        ("photos", lambda s: str(s["photos"])),
        ("precision", lambda s: _fmt(s["precision"])),
        ("recall", lambda s: _fmt(s["recall"])),
        ("F1", lambda s: _fmt(s["f1"])),
        ("right / wrong / missed", lambda s: "{true_accepts} / {false_accepts} / {misses}".format(**s["pairs"])),
        ("stranger photos reporting anyone", lambda s: f"{s['stranger_photos_reporting_anyone']}/{s['stranger_photos']}"),
        ("unreadable photos", lambda s: str(s["unreadable"])),
    ]
    for label, cell in rows:
        table.add_row(label, *(cell(s) for s in summaries.values()))
    err.print(table)


def _print_members(evaluation) -> None:
    table = Table(title="Per member")
    for column in ("member", "precision", "recall", "photos", "false accepts", "misses"):
        table.add_column(column, justify="left" if column == "member" else "right")
    for m, f in evaluation.per_member.items():
        table.add_row(m, _fmt(f["precision"]), _fmt(f["recall"]), str(f["photos"]), str(f["false_accepts"]), str(f["misses"]))
    err.print(table)


def register(app: typer.Typer) -> None:
    """Add the commands to the ``familyphoto`` app."""
    app.command()(evaluate)
    app.command()(calibrate)
