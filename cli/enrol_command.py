"""``familyphoto enrol``: put a folder family, or the groups ``familyphoto discover`` found and a person named, into
the service's store, where the web app manages it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.progress import Progress
from rich.table import Table

from cli.common import _fail, _progress, err, report_skipped, service_settings_with
from cli.discover_output import GroupFace, NotDiscoverOutput, read_clusters
from inference.inputs import STRANGERS_DIR, FamilyDirError, MemberFolders, member_name_problem, read_member_folders

if TYPE_CHECKING:
    from api.services.family import FamilyService
    from api.services.store import FamilyStore


@dataclass(frozen=True)
class NamedGroups:
    """The groups of a discover ``clusters.json`` that a person named: each member's faces, in the file's order."""

    source: Path
    members: dict[str, list[GroupFace]]


def enrol(
    family_dir: Annotated[
        Optional[Path],
        typer.Argument(metavar="FAMILY_DIR", help="One folder per member of solo photos: FAMILY_DIR/<member>/*.jpg"),
    ] = None,
    from_discover: Annotated[
        Optional[Path],
        typer.Option("--from-discover", metavar="CLUSTERS_JSON", help="A clusters.json written by familyphoto discover (instead of FAMILY_DIR)."),
    ] = None,
    name: Annotated[
        Optional[list[str]],
        typer.Option("--name", metavar="GROUP=MEMBER", help="With --from-discover: GROUP=MEMBER, e.g. person_01=grandma (repeat for each group)."),
    ] = None,
    data: Annotated[Optional[Path], typer.Option(help="The service's data directory (default $FAMILYPHOTO_DATA).")] = None,
    train: Annotated[bool, typer.Option("--train/--no-train", help="Train the service's family afterwards.")] = True,
) -> None:
    """Enrol solo photos (FAMILY_DIR), or the faces of the groups ``familyphoto discover`` found and you named
    (--from-discover), into the service's family (as the web app's Family screen does), then train it.

    Members are created as needed; a face already enrolled for its member (the same photo, by
    content, whatever its name) is not enrolled again, so running it again adds only new faces.
    Refused while another process (the service) holds DIR. Serve the result with
    ``familyphoto serve --data DIR``.
    """
    if (family_dir is None) == (from_discover is None):
        _fail("give either FAMILY_DIR or --from-discover CLUSTERS_JSON (one of them)")
    if name and from_discover is None:
        _fail("--name names the groups of --from-discover CLUSTERS_JSON; a FAMILY_DIR's folders are its names")
    family: MemberFolders | None = None
    groups: NamedGroups | None = None
    if from_discover is not None:
        groups = _named_groups(from_discover, name or [])
    else:
        assert family_dir is not None
        try:
            family = read_member_folders(family_dir).require_members()
        except FamilyDirError as exc:
            _fail(str(exc))
        report_skipped(family.skipped)
    settings = service_settings_with(data=data)
    with _service(settings) as service:
        store = service.store
        assert store is not None
        table = Table(title=f"Enrolled into {settings.data}")
        for column in ("member", "new faces", "already there", "left out"):
            table.add_column(column, justify="left" if column == "member" else "right")
        with _progress() as bar:
            if family is not None:
                left_out = _enrol_folders(service, store, family, table, bar)
            else:
                assert groups is not None
                left_out = _enrol_groups(service, store, groups, table, bar)
        err.print(table)
        for what, reason in left_out:
            err.print(f"[yellow]left out:[/yellow] {what}: {reason}", highlight=False, soft_wrap=True)
        if train:
            err.print("Training the service's family...")
            job = store.job(service.train_now())
            if job.state != "succeeded":
                _fail(f"training failed: {job.error}")
            err.print(f"Trained {len(job.result['members'])} members in {job.result['seconds']:.1f} s; serve it with:")
            err.print(f"  familyphoto serve --data {settings.data}", highlight=False)


@contextmanager
def _service(settings) -> Iterator[FamilyService]:
    """The service's family on the data folder, its models loaded, the folder held for the command's length."""
    from api.services.errors import ServiceError
    from api.services.family import FamilyService

    service = FamilyService(settings)
    try:
        service.start()
    except ServiceError as exc:  # Busy: the service (or another enrol) holds the data folder; StorageFull
        _fail(str(exc))
    try:
        yield service
    except ServiceError as exc:  # StorageFull: what was stored is whole; running it again goes on from there
        _fail(str(exc))
    finally:
        service.stop()


def _enrol_folders(
    service: FamilyService, store: FamilyStore, family: MemberFolders, table: Table, bar: Progress
) -> list[tuple[str, str]]:
    """Each member folder's photos (then _strangers/) enrolled, a row each; the photos left out, with why."""
    left_out: list[tuple[str, str]] = []
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
    return left_out


def _enrol_groups(
    service: FamilyService, store: FamilyStore, groups: NamedGroups, table: Table, bar: Progress
) -> list[tuple[str, str]]:
    """Each named group's faces enrolled for its member, a row per member; the faces left out, with why."""
    from api.services.errors import StorageFull
    from api.services.family import Enrolment

    left_out: list[tuple[str, str]] = []
    for member, faces in groups.members.items():
        if member not in store.members():
            store.add_member(member)
        task = bar.add_task(member, total=len(faces))
        enrolment = Enrolment()
        for done, face in enumerate(faces, start=1):
            try:  # each photo read, checked and analysed again when its turn comes
                enrolment.add(service.enrol_face_at(member, face.photo, face.box, sha256=face.sha256))
            except StorageFull:
                raise enrolment.disk_full(str(face.photo)) from None
            bar.update(task, completed=done)
        left_out += [(f"{member}: {r.file}", r.reason) for r in enrolment.rejected]
        new = sum(not f.already_stored for f in enrolment.enrolled)
        table.add_row(member, str(new), str(len(enrolment.enrolled) - new), str(len(enrolment.rejected)))
    return left_out


def _named_groups(clusters: Path, names: list[str]) -> NamedGroups:
    """The faces of each member named by ``names`` (``GROUP=MEMBER``), checked before anything is stored:
    exit 2 for a file that is not discover's, an unknown group, a bad name, or a member twice in one photo."""
    try:
        discovery = read_clusters(clusters)
    except NotDiscoverOutput as exc:
        _fail(str(exc))
    if not names:
        _fail("name at least one group: --name person_01=NAME (the groups are in index.html beside clusters.json)")
    known = {g.name: g for g in discovery.groups}
    members: dict[str, list[GroupFace]] = {}
    named: dict[str, str] = {}
    for given in names:
        group, sep, member = given.partition("=")
        group, member = group.strip(), member.strip()
        if not sep or not group or not member:
            _fail(f"--name {given!r}: write GROUP=MEMBER, e.g. person_01=grandma")
        if group not in known:
            listed = ", ".join(list(known)[:5]) + (", ..." if len(known) > 5 else "")
            _fail(f"--name {given!r}: {clusters} has no group {group!r} (it has {listed or 'none'})")
        if group in named:
            _fail(f"--name {given!r}: {group} is already named {named[group]!r}")
        if (problem := member_name_problem(member)) is not None:
            _fail(f"--name {given!r}: {problem}")
        named[group] = member
        members.setdefault(member, []).extend(known[group].faces)
    for member, faces in members.items():
        # A person is in a photo once: two faces of one photo cannot both be theirs.
        twice = [photo for photo, n in Counter(f.photo for f in faces).items() if n > 1]
        if twice:
            from_groups = ", ".join(g for g, m in named.items() if m == member)
            more = f" (and {len(twice) - 1} more photos)" if len(twice) > 1 else ""
            _fail(
                f"{member} ({from_groups}) would be in {twice[0]} twice{more}: a person is in a photo once; "
                "name only one of those groups, or take the wrong face out of clusters.json"
            )
    return NamedGroups(clusters, members)


def register(app: typer.Typer) -> None:
    app.command()(enrol)
