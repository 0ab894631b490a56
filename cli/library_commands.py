"""``familyphoto library scan|status|search``: the service's library from the command line (same data folder)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from cli.common import WorkersOption, _fail, err, progress_bars, service_settings_with

if TYPE_CHECKING:
    from api.services.library import LibraryService

app = typer.Typer(help="The family library: every photo indexed once, searched by who is in it.", no_args_is_help=True)
DataOption = Annotated[Optional[Path], typer.Option(help="The service's data directory (default $FAMILYPHOTO_DATA).")]


@contextmanager
def _library(data: Path | None, **options) -> Iterator[LibraryService]:
    """The library of ``data``, its models loaded, the data folder held for the command's length."""
    from api.services.errors import ServiceError
    from api.services.family import FamilyService
    from api.services.library import LibraryService

    service = FamilyService(service_settings_with(data=data, **options))
    try:
        service.start()
    except ServiceError as exc:  # Busy: the service holds the data folder
        _fail(str(exc))
    try:
        library = LibraryService(service)
        library.start(background=False)
        yield library
    except ServiceError as exc:
        _fail(str(exc))
    finally:
        service.stop()


@app.command()
def scan(
    roots: Annotated[
        Optional[list[Path]],
        typer.Argument(help="Folders of photos to index (default: $FAMILYPHOTO_LIBRARY_ROOTS); never written to."),
    ] = None,
    data: DataOption = None,
    workers: WorkersOption = None,
) -> None:
    """Index the photos of ROOTS: new, changed, moved and deleted ones (an unchanged photo is not read again).

    Without ROOTS: $FAMILYPHOTO_LIBRARY_ROOTS, else every folder indexed before. Stopped half-way, it goes on
    from there the next time. Give the service the same folders (FAMILYPHOTO_LIBRARY_ROOTS) to rescan them there.
    """
    given = [r.expanduser().resolve() for r in roots] if roots else None
    for root in given or []:
        if not root.is_dir():
            _fail(f"{root} is not a folder")
    with _library(data, library_roots=given, workers=workers) as library:
        if not library.settings.library_roots:  # the folders indexed before
            known = [Path(r) for r, _, _, scanned in library.status().roots if not scanned]
            library.settings.library_roots = known
        if not library.settings.library_roots:
            _fail("no folder to scan: name one (familyphoto library scan ~/Pictures) or set FAMILYPHOTO_LIBRARY_ROOTS")
        with progress_bars({"finding photos": "Finding photos", "analysing photos": "Analysing photos"}) as bar:
            job = library.scan_now([str(r) for r in library.roots], on_progress=bar)
        result = job.result or {}
        if job.state != "succeeded":
            _fail(f"the scan stopped: {job.error}")
        for skip in result.get("skips", []):
            err.print(f"[yellow]skipped[/yellow] {skip['file']}: {skip['reason']}", highlight=False, soft_wrap=True)
        for root in result.get("unavailable", []):
            err.print(f"[yellow]not available[/yellow] {root}: its photos are kept as they were", highlight=False)
        err.print(
            f"{result.get('seen', 0)} photos: {result.get('analysed', 0)} analysed, {result.get('unchanged', 0)} "
            f"unchanged, {result.get('moved', 0)} moved, {result.get('removed', 0)} gone, {result.get('skipped', 0)} skipped",
            highlight=False,
        )


@app.command()
def status(data: DataOption = None) -> None:
    """What the library holds: photos and faces per folder, names given, changes not learnt yet."""
    with _library(data) as library:
        s = library.status()
    table = Table(title="Library")
    table.add_column("folder")
    table.add_column("photos", justify="right")
    for path, photos, available, _ in s.roots:
        table.add_row(path + ("" if available else " (not available)"), str(photos))
    err.print(table)
    err.print(
        f"{s.photos} photos, {s.faces} faces ({s.named_faces} named by a person), {s.skipped} files skipped; "
        f"{s.changes_since_training} changes since the last training", highlight=False,
    )
    if s.scan is not None:
        err.print(f"last scan: {s.scan.state} {s.scan.finished or ''}", highlight=False)


@app.command()
def search(
    member: Annotated[list[str], typer.Option("--member", "-m", help="A member in the photo (repeat for several).")],
    any_: Annotated[bool, typer.Option("--any", help="Photos with any of them (default: all of them).")] = False,
    only: Annotated[bool, typer.Option("--only", help="Nobody else of the family in the photo.")] = False,
    taken_from: Annotated[Optional[str], typer.Option("--from", help="Taken on or after YYYY-MM-DD.")] = None,
    taken_to: Annotated[Optional[str], typer.Option("--to", help="Taken on or before YYYY-MM-DD.")] = None,
    data: DataOption = None,
) -> None:
    """Photos with MEMBERs in them, newest first, as JSON Lines on stdout: path, date taken, members present."""
    from library.query import InvalidQuery, PhotoQuery

    try:
        start, end = (date.fromisoformat(d) if d else None for d in (taken_from, taken_to))
        query = PhotoQuery(tuple(member), "any" if any_ else "all", only, "any", start, end, limit=200)
    except (ValueError, InvalidQuery) as exc:
        _fail(str(exc))
    with _library(data) as library:
        known = {p.name for p in library.people()}
        if unknown := [m for m in member if m not in known]:
            _fail(f"no member named {', '.join(map(repr, unknown))} (members: {', '.join(sorted(known)) or 'none'})")
        while True:
            page = library.photos(query)
            for photo in page.items:
                sys.stdout.write(json.dumps({"path": photo.path, "taken_at": photo.taken_at, "present": photo.present}) + "\n")
            if page.next_cursor is None:
                break
            query = PhotoQuery(query.members, query.match, query.only, "any", start, end, query.limit, page.next_cursor)


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="library")
