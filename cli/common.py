"""What every ``familyphoto`` command shares: options, progress bars, errors (imported by main and the command modules)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from api.settings import ServiceSettings, get_service_settings
from inference.inputs import Skipped
from inference.progress import OnProgress, Progress as JobProgress
from inference.settings import Settings, get_settings

err = Console(stderr=True)
SettingsT = TypeVar("SettingsT", bound=Settings)


WeightsOption = Annotated[
    Optional[Path], typer.Option("--weights", "-w", help="Weights directory (default: $FAMILYPHOTO_WEIGHTS, else weights/).")
]
DetectorOption = Annotated[
    Optional[str],
    typer.Option(
        "--detector",
        help="Face detector: yunet (default: small and turned faces), hog (dlib), cnn (slow), or a trained frcnn/detectron2 "
        "(with $FAMILYPHOTO_DETECTOR_WEIGHTS or the family's manifest).",
    ),
]
WorkersOption = Annotated[Optional[int], typer.Option("--workers", "-j", min=1, help="Worker processes (default: all cores).")]


class _RateColumn(ProgressColumn):
    """Items per second, once rich has measured it."""

    def render(self, task) -> Text:
        return Text(f"{task.speed:.1f}/s" if task.speed else "", style="progress.data.speed")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), _RateColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=False,
    )


# What each stage of long work is called on screen (stages not listed show their own name).
STAGE_LABELS = {
    "faces": "Finding each member's face",
    "strangers": "Finding stranger faces",
    "validate": "Validating on held-out faces",
    "train": "Training the classifier",
    "pretrain-faces": "Finding every face to pretrain on",
    "pretrain": "Pretraining (distilling the embedder)",
    "export": "Writing the weights",
    "predict": "Photos",
    "sort": "Sorting photos",
    "evaluate": "Scoring labelled photos",
    "detector": "Training the detector",
}


@contextmanager
def progress_bars(labels: dict[str, str] | None = None) -> Iterator[OnProgress]:
    """An :data:`OnProgress` that draws one bar per stage on stderr."""
    names = {**STAGE_LABELS, **(labels or {})}
    with _progress() as bar:
        tasks: dict[str, Any] = {}

        def on_progress(p: JobProgress) -> None:
            if p.stage not in tasks:
                tasks[p.stage] = bar.add_task(names.get(p.stage, p.stage), total=p.total)
            bar.update(tasks[p.stage], completed=p.done, total=p.total)

        yield on_progress


def report_skipped(skipped: list[Skipped], *, verb: str = "skipped") -> None:
    """Every input left out, with why, on stderr (errors in yellow)."""
    for s in skipped:
        style = "yellow" if s.error else "dim"
        err.print(f"[{style}]{verb}[/{style}] {s.path}: {s.reason}", highlight=False, soft_wrap=True)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _require_family(weights_dir: Path, settings: Settings | None = None) -> None:
    """Fail here, clearly, rather than in every worker, when there is no usable trained family
    (or the models chosen for it cannot score it)."""
    from inference.family import Family, FamilyInvalid, FamilyNotFound
    from inference.registry import choose_models

    try:
        choose_models(settings or get_settings(), Family.load(weights_dir))
    except (FamilyNotFound, FamilyInvalid, ValueError) as exc:
        _fail(str(exc))


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def settings_with(**options: Any) -> Settings:
    """The environment's settings (``FAMILYPHOTO_*``) with the options a command was given (None: not given)."""
    return _with_options(_read(get_settings), options)


def service_settings_with(**options: Any) -> ServiceSettings:
    """:func:`settings_with` for the service's commands (serve, enrol): the pipeline's fields and the service's."""
    return _with_options(_read(get_service_settings), options)


def _read(factory: Callable[[], SettingsT]) -> SettingsT:
    """The settings, or a one-line error naming each bad ``FAMILYPHOTO_*`` variable (exit 2)."""
    try:
        return factory()
    except ValidationError as exc:
        problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        _fail(problems)
        raise  # unreachable: _fail exits


def _with_options(settings: SettingsT, options: dict[str, Any]) -> SettingsT:
    given = {k: v for k, v in options.items() if v is not None}
    return settings.model_copy(update=given) if given else settings
