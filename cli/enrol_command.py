"""``familyphoto enrol``: put a folder family into the service's store, where the web app manages it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from cli.common import _fail, _progress, err, report_skipped, settings_with
from inference.inputs import FamilyDirError, read_member_folders


def enrol(
    family_dir: Annotated[Path, typer.Argument(help="One folder per member of solo photos: FAMILY_DIR/<member>/*.jpg")],
    data: Annotated[Optional[Path], typer.Option(help="The service's data directory (default $FAMILYPHOTO_DATA).")] = None,
    train: Annotated[bool, typer.Option("--train/--no-train", help="Train the service's family afterwards.")] = True,
) -> None:
    """Enrol solo photos into the service's family (as the web app's Family screen does), then train it.

    Members are created as needed; a photo already enrolled for its member (same file name) is
    skipped, so running it again adds only new photos. Serve the result with
    ``familyphoto serve --data DIR``.
    """
    import anyio

    from api.service import FamilyService
    from api.store import valid_member_name

    try:
        family = read_member_folders(family_dir).require_members()
    except FamilyDirError as exc:
        _fail(str(exc))
    bad = [name for name in family.members if not valid_member_name(name)]
    if bad:
        _fail(f"not usable as member names: {', '.join(bad)} (1-64 characters, no slashes, not starting with '.' or '_')")
    report_skipped(family.skipped)
    settings = settings_with(data=data)
    service = FamilyService(settings)
    service.start()
    try:
        store = service.store
        assert store is not None
        table = Table(title=f"Enrolled into {settings.data}")
        for column in ("member", "new faces", "already there", "left out"):
            table.add_column(column, justify="left" if column == "member" else "right")
        left_out: list[tuple[str, str]] = []
        with _progress() as bar:
            for member, photos in family.members.items():
                if member not in store.members():
                    store.add_member(member)
                known = {f.source for f in store.faces(member)}
                new = [p for p in photos if p.name not in known]
                task = bar.add_task(member, total=len(new))
                enrolled = rejected = 0
                for photo in new:  # one at a time: never every photo in memory
                    done, refused = anyio.run(service.enrol, member, [(photo.name, photo.read_bytes())])
                    enrolled += len(done)
                    rejected += len(refused)
                    left_out += [(f"{member}/{r.file}", r.reason) for r in refused]
                    bar.advance(task)
                table.add_row(member, str(enrolled), str(len(photos) - len(new)), str(rejected))
        err.print(table)
        for name, reason in left_out:
            err.print(f"[yellow]left out:[/yellow] {name}: {reason}", highlight=False)
        if train:
            err.print("Training the service's family...")
            job = store.job(service.train_now())
            if job.state != "succeeded":
                _fail(f"training failed: {job.error}")
            err.print(f"Trained {len(job.result['members'])} members in {job.result['seconds']:.1f} s; serve it with:")
            err.print(f"  familyphoto serve --data {settings.data}", highlight=False)
    finally:
        service.stop()


def register(app: typer.Typer) -> None:
    app.command()(enrol)
