"""``familyphoto``: the command line of the family photo classifier."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from cli.common import (
    DetectorOption,
    WeightsOption,
    WorkersOption,
    _fail,
    _fmt,
    _require_family,
    err,
    progress_bars,
    report_skipped,
    service_settings_with,
    settings_with,
)
from inference.progress import Progress as JobProgress
from inference.settings import get_settings

app = typer.Typer(help="Who of your family is in each photo, on your own computer.", no_args_is_help=True, add_completion=False)

@app.command()
def train(
    family_dir: Annotated[Path, typer.Argument(help="One folder per member of solo photos: FAMILY_DIR/<member>/*.jpg")],
    weights: WeightsOption = None,
    strangers: Annotated[
        Optional[Path], typer.Option("--strangers", help="Photos of people outside the family, to calibrate against.")
    ] = None,
    detector: DetectorOption = None,
    val_share: Annotated[float, typer.Option(min=0.0, max=0.5, help="Share of each member's faces held out for validation.")] = 0.2,
    target_far: Annotated[float, typer.Option(min=0.0, max=0.5, help="False-accept rate the thresholds aim at.")] = 0.01,
    seed: Annotated[int, typer.Option(help="Seed of the validation split.")] = 0,
    workers: WorkersOption = None,
    recipe: Annotated[
        str, typer.Option(help="Classifier: embedding-head (default) or seed (the original ResNet18 on 30x30 crops).")
    ] = "embedding-head",
    detector_weights: Annotated[
        Optional[Path], typer.Option("--detector-weights", help="Trained detector directory, for --detector frcnn/detectron2.")
    ] = None,
    pretrain_faces: Annotated[
        Optional[list[Path]],
        typer.Option(
            "--pretrain-faces",
            help="--recipe seed: a folder of photos whose every face also pretrains the ResNet18 (distilled from the "
            "embedder, with every face of the family's and the strangers' photos). Repeatable.",
        ),
    ] = None,
) -> None:
    """Teach it a family from solo photos: FAMILY_DIR/<member>/*.jpg → weights directory."""
    from inference.inputs import FamilyDirError
    from inference.registry import RECIPES
    from training.config import TrainConfig
    from training.train import train_family

    settings = settings_with(workers=workers, detector_weights=detector_weights and detector_weights.resolve())
    out_dir = weights or settings.weights
    if strangers is not None and not strangers.is_dir():
        _fail(f"--strangers {strangers} is not a folder")
    if recipe not in RECIPES:
        _fail(f"--recipe must be {' or '.join(RECIPES)}, not {recipe!r}")
    for folder in pretrain_faces or []:
        if not folder.is_dir():
            _fail(f"--pretrain-faces {folder} is not a folder")
    if pretrain_faces and recipe != "seed":
        _fail("--pretrain-faces is for --recipe seed (the embedding-head recipe needs no pretraining)")
    config = TrainConfig(
        detector=detector, val_share=val_share, seed=seed, target_far=target_far, strangers_dir=strangers, recipe=recipe,
        pretrain_dirs=tuple(pretrain_faces or ()),
    )
    with progress_bars() as on_progress:
        try:
            report = train_family(family_dir, out_dir, settings, config, on_progress)
        except (FamilyDirError, ValueError) as exc:
            _fail(str(exc))
    report_skipped(report.skipped)
    for path, reason in report.dataset.dropped:
        err.print(f"[yellow]dropped[/yellow] {path}: {reason}", highlight=False, soft_wrap=True)
    for path, reason in report.dropped_strangers:
        err.print(f"[yellow]dropped stranger photo[/yellow] {path}: {reason}", highlight=False, soft_wrap=True)
    _print_train_report(report)
    if report.notes:
        n = report.notes
        pre = n.get("pretraining")
        if pre:
            by_source = ", ".join(f"{name}: {c['faces']}" for name, c in pre["sources"].items())
            err.print(
                f"Seed recipe pretraining: {pre['faces']} faces ({by_source}) "
                f"distilled from {pre['teacher']}, {pre['epochs']} epochs, final loss {pre['loss_final']:.4f}, "
                f"{pre['seconds']:.0f} s; kept as {pre['file']}.", highlight=False, soft_wrap=True,
            )
        err.print(
            f"Seed recipe: {n.get('head', 'whole net')}; {n['epochs']} epochs, best validation loss at epoch {n['best_epoch']}"
            f"{' (early stopping)' if n['early_stopping'] else ''}.", highlight=False,
        )
    err.print(f"Wrote {out_dir} in {report.seconds:.1f} s.", highlight=False)
    if report.failed:
        err.print(f"[yellow]{report.failed} photos or folders could not be read (listed above).[/yellow]")
        raise typer.Exit(1)


def _print_train_report(report) -> None:
    calibrated_on = "held-out faces" if report.manifest.recipe == "seed" else "leave-one-out"
    table = Table(title=f"Per member (validation: held-out faces; calibration: {calibrated_on})")
    for column in ("member", "faces", "val precision", "val recall", "threshold", "calib. FAR", "calib. FRR"):
        table.add_column(column, justify="left" if column == "member" else "right")
    counts = report.dataset.counts()
    for member in report.dataset.members:
        val = report.validation.get(member, {})
        cal = report.calibration[member]
        table.add_row(
            member, str(counts[member]),
            f"{_fmt(val.get('precision'))} ({val.get('faces', 0)})", _fmt(val.get("recall")),
            f"{report.manifest.thresholds[member]:.3f}", f"{cal.false_accept_rate:.3f} / {cal.impostor_scores}",
            f"{cal.false_reject_rate:.2f}",
        )
    err.print(table)
    if report.stranger_faces:
        err.print(f"Calibrated against {report.stranger_faces} stranger faces as well as the other members.")
    for warning in report.warnings:
        err.print(f"[yellow]warning[/yellow] {warning}", highlight=False, soft_wrap=True)


@app.command()
def predict(
    paths: Annotated[list[Path], typer.Argument(help="Photos or folders (walked recursively).")],
    weights: WeightsOption = None,
    no_crops: Annotated[bool, typer.Option("--no-crops", help="Leave the base64 face crops out.")] = False,
    detector: DetectorOption = None,
    workers: WorkersOption = None,
) -> None:
    """Who is in each photo: one JSON object per photo on stdout (JSON Lines)."""
    from inference.batch import analyze_paths
    from inference.inputs import walk_photos
    from inference.serialize import outcome_to_dict
    from inference.types import PhotoError

    settings = get_settings()
    weights_dir = weights or settings.weights
    _require_family(weights_dir)
    walk = walk_photos(paths)
    failed = len(walk.errors)
    for skip in walk.errors:  # missing inputs, unreadable folders, broken links: a JSON line each, like a bad photo
        _emit({"file": str(skip.path), "error": skip.reason})
    files = walk.photos
    with progress_bars() as on_progress:
        on_progress(JobProgress("predict", 0, len(files)))
        results = analyze_paths(files, settings, weights=weights_dir, detector=detector, crops=not no_crops, workers=workers)
        for done, (path, result) in enumerate(zip(files, results), start=1):
            failed += isinstance(result, PhotoError)
            _emit(outcome_to_dict(result, file=path, crops=not no_crops))
            on_progress(JobProgress("predict", done, len(files)))
    if failed:
        err.print(f"[yellow]{failed} of {len(files) + len(walk.errors)} photos could not be read.[/yellow]")
        raise typer.Exit(1)


@app.command()
def sort(
    src: Annotated[Path, typer.Argument(help="Folder of photos (walked recursively). Only ever read.")],
    dst: Annotated[Path, typer.Argument(help="Where the member folders go.")],
    weights: WeightsOption = None,
    mode: Annotated[str, typer.Option(help="link (hard links, copies across filesystems), copy or symlink.")] = "link",
    workers: WorkersOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Decide, write only the manifest, place nothing.")] = False,
) -> None:
    """Sort a trip: every photo into DST/<member>/ (one folder per member in it), _strangers_only/, _no_faces/."""
    from sorting.run import SortInterrupted, sort_photos

    if mode not in ("link", "copy", "symlink"):
        _fail(f"--mode must be link, copy or symlink, not {mode!r}")
    if not src.is_dir():
        _fail(f"{src} is not a folder")
    settings = get_settings()
    weights_dir = weights or settings.weights
    _require_family(weights_dir)
    with progress_bars() as on_progress:
        try:
            report = sort_photos(
                src, dst, weights_dir, settings, mode=mode, dry_run=dry_run, workers=workers,  # type: ignore[arg-type]
                on_progress=on_progress,
            )
        except ValueError as exc:
            _fail(str(exc))
        except SortInterrupted as exc:
            _fail(str(exc), code=1)
    table = Table(title=f"{'Would sort' if dry_run else 'Sorted'} {report.photos} photos into {dst}")
    table.add_column("folder")
    table.add_column("photos", justify="right")
    for folder, count in sorted(report.folders.items()):
        table.add_row(folder, str(count))
    err.print(table)
    err.print(
        f"{report.analysed} analysed, {report.from_cache} from the cache of an earlier run, "
        f"{report.skipped} files skipped (not photos), {report.removed} placements of an earlier run taken back.",
        highlight=False,
    )
    for source, error in report.errors:
        err.print(f"[yellow]unreadable[/yellow] {source}: {error}", highlight=False, soft_wrap=True)
    err.print(f"Manifest: {dst / 'manifest.csv'} and manifest.jsonl", highlight=False)
    if report.errors:
        err.print(f"[yellow]{len(report.errors)} photos or folders could not be read (listed above).[/yellow]")
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default 8000).")] = None,
    weights: Annotated[
        Optional[Path],
        typer.Option("--weights", "-w", help="Serve this trained family (default: $FAMILYPHOTO_WEIGHTS, else the one in --data)."),
    ] = None,
    data: Annotated[Optional[Path], typer.Option(help="The service's data directory (default $FAMILYPHOTO_DATA).")] = None,
) -> None:
    """Run the REST service (models load once at start-up; see /docs)."""
    import uvicorn

    from api.app import create_app

    settings = service_settings_with(host=host, port=port, data=data)
    if not settings.api_key and not _loopback(settings.host):
        err.print(
            f"[bold red]warning: serving on {settings.host} without FAMILYPHOTO_API_KEY[/bold red]: anyone who can reach "
            "this address can see and change your family. Set FAMILYPHOTO_API_KEY, or serve on 127.0.0.1.",
            highlight=False, soft_wrap=True,
        )
    weights = settings.served_weights(weights)
    if weights is not None:
        _require_family(weights, settings)
    from api.services.errors import Busy
    from api.services.store import FamilyStore

    try:  # say it here, in one line, rather than as the service's start-up traceback
        FamilyStore(settings.data).close()
    except Busy as exc:
        _fail(str(exc))
    uvicorn.run(create_app(settings, weights), host=settings.host, port=settings.port, log_level="info")


def _loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


# Commands kept in their own modules, registered here so that `familyphoto --help` lists them all.
from cli import enrol_command, evaluate_commands  # noqa: E402

enrol_command.register(app)
evaluate_commands.register(app)


# Detector commands (train-detector, evaluate-detector, convert-detections): cli/model_commands.py.
from cli import model_commands  # noqa: E402

model_commands.register(app)

# The family library (library scan, status, search): cli/library_commands.py.
from cli import library_commands  # noqa: E402

library_commands.register(app)

# Grouping the people who recur in a folder, for a person to name (enrol --from-discover): cli/discover_command.py.
from cli import discover_command  # noqa: E402

discover_command.register(app)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
