"""``familyphoto enrol``: put a folder family into the service's store, where the web app manages it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from cli.common import _fail, _progress, err, report_skipped, service_settings_with
from inference.inputs import STRANGERS_DIR, FamilyDirError, read_member_folders


def enrol(
    family_dir: Annotated[Path, typer.Argument(help="One folder per member of solo photos: FAMILY_DIR/<member>/*.jpg")],
    data: Annotated[Optional[Path], typer.Option(help="The service's data directory (default $FAMILYPHOTO_DATA).")] = None,
    train: Annotated[bool, typer.Option("--train/--no-train", help="Train the service's family afterwards.")] = True,
) -> None:
    """Enrol solo photos into the service's family (as the web app's Family screen does), then train it.

    Members are created as needed; a photo already enrolled for its member (the same photo, by
    content, whatever its name) is not enrolled again, so running it again adds only new photos.
    Refused while another process (the service) holds DIR. Serve the result with
    ``familyphoto serve --data DIR``.
    """
    from api.services.errors import ServiceError
    from api.services.family import FamilyService

    try:
        family = read_member_folders(family_dir).require_members()
    except FamilyDirError as exc:
        _fail(str(exc))
    report_skipped(family.skipped)
    settings = service_settings_with(data=data)
    service = FamilyService(settings)
    try:
        service.start()
    except ServiceError as exc:  # Busy: the service (or another enrol) holds the data folder; StorageFull
        _fail(str(exc))
    try:
        store = service.store
        assert store is not None
        table = Table(title=f"Enrolled into {settings.data}")
        for column in ("member", "new faces", "already there", "left out"):
            table.add_column(column, justify="left" if column == "member" else "right")
        left_out: list[tuple[str, str]] = []
        with _progress() as bar:
            # Members, then _strangers/ (None: nobody of the family, an impostor example).
            groups: list[tuple[str | None, list[Path]]] = [*family.members.items(), (None, family.strangers)]
            for member, photos in groups:
                if not photos:
                    continue
                if member is not None and member not in store.members():
                    store.add_member(member)
                label = member if member is not None else f"{STRANGERS_DIR}/ (nobody of the family)"
                # A photo already enrolled is known by its content (its face comes back already_stored,
                # without running the models); only faces stored before photos were recorded by content
                # are known by file name alone.
                by_name_only = {f.source for f in store.faces(member) if f.photo_sha256 is None}
                todo = [p for p in photos if p.name not in by_name_only]
                task = bar.add_task(label, total=len(todo))
                enrolment = service.enrol(  # one photo at a time, read when its turn comes
                    member, [(p.name, p) for p in todo],
                    on_progress=lambda p, task=task: bar.update(task, completed=p.done, total=p.total),
                )
                folder = member if member is not None else STRANGERS_DIR
                left_out += [(f"{folder}/{r.file}", r.reason) for r in enrolment.rejected]
                new = sum(not face.already_stored for face in enrolment.enrolled)
                there = len(photos) - len(todo) + len(enrolment.enrolled) - new
                table.add_row(label, str(new), str(there), str(len(enrolment.rejected)))
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
    except ServiceError as exc:  # StorageFull: what was stored is whole; running it again goes on from there
        _fail(str(exc))
    finally:
        service.stop()


def register(app: typer.Typer) -> None:
    app.command()(enrol)
