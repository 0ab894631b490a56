"""``familyphoto discover``: group the faces of the people who recur in a folder of photos, for a person to name
(``familyphoto enrol --from-discover``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.table import Table

from cli.common import DetectorOption, WorkersOption, _fail, err, progress_bars, report_skipped, settings_with
from cli.discover_output import (
    CLUSTERS_JSON,
    INDEX_HTML,
    Discovery,
    Group,
    GroupFace,
    NotDiscoverOutput,
    group_folder_name,
    previous_run,
    remove_previous,
    write_output,
)
from inference.inputs import Skipped
from inference.progress import Progress as JobProgress
from library.face_quality import QualitySettings

STAGE = "discover"
_DEFAULTS = QualitySettings()


def discover(
    album: Annotated[Path, typer.Argument(help="Folder of photos (walked recursively). Only ever read.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Where the groups go: empty, new, or a previous discover's output.")
    ],
    workers: WorkersOption = None,
    detector: DetectorOption = None,
    min_face_px: Annotated[
        int,
        typer.Option("--min-face-px", min=1, help="Faces with a shorter side under this (photo pixels) are left out."),
    ] = _DEFAULTS.min_face_px,
    min_sharpness: Annotated[
        float,
        typer.Option("--min-sharpness", min=0.0, help="Faces less sharp than this (variance of the Laplacian) are left out."),
    ] = _DEFAULTS.min_sharpness,
) -> None:
    """Group the faces of the people who recur in ALBUM: OUT/person_01/ (largest group first) links to their photos,
    OUT/index.html shows their faces, OUT/clusters.json lists them. Name them with
    ``familyphoto enrol --from-discover OUT/clusters.json --name person_01=NAME``."""
    from inference.inputs import walk_photos
    from inference.registry import UnknownModel, build_detector, choose_models, embedder_class
    from inference.types import PhotoError
    from library.analysis import AnalysedPhoto, analyse_paths
    from library.discover import GroupSettings, group_faces
    from library.face_quality import usable_faces

    if not album.is_dir():
        _fail(f"{album} is not a folder")
    album, out = album.resolve(), out.resolve()
    if out == album or album in out.parents:
        _fail(f"--out {out} is inside {album}: the next run would find its own links; choose a folder outside it")
    try:
        previous = previous_run(out)
    except NotDiscoverOutput as exc:
        _fail(str(exc))
    settings = settings_with(workers=workers, detector=detector)
    try:
        models = choose_models(settings)
        build_detector(models, settings)  # a trained detector without its weights: say so here, not in each worker
    except (UnknownModel, ValueError) as exc:
        _fail(str(exc))
    settings = settings.model_copy(update={"detector": models.detector, "embedder": models.embedder})
    quality = QualitySettings(min_face_px, min_sharpness)

    walk = walk_photos([album])
    skipped: list[Skipped] = list(walk.errors)
    faces: list[tuple[GroupFace, np.ndarray, float]] = []  # each face, its embedding, its sharpness
    with progress_bars({STAGE: "Analysing photos"}) as on_progress:
        on_progress(JobProgress(STAGE, 0, len(walk.photos)))
        results = analyse_paths(walk.photos, settings, workers=settings.workers, spawn=False) if walk.photos else []
        for done, (path, result) in enumerate(zip(walk.photos, results), start=1):
            if isinstance(result, PhotoError):
                skipped.append(Skipped(path, result.message, error=True))
            elif isinstance(result, AnalysedPhoto):
                faces += [
                    (GroupFace(path, f.box, result.sha256, f.crop_jpeg), f.embedding, f.sharpness) for f in result.faces
                ]
            on_progress(JobProgress(STAGE, done, len(walk.photos)))

    boxes = [face.box for face, _, _ in faces]
    big = usable_faces(boxes, None, quality)
    keep = usable_faces(boxes, [sharpness for _, _, sharpness in faces], quality)
    embeddings = np.asarray([e for _, e, _ in faces], dtype=np.float32) if faces else np.zeros((0, 0), np.float32)
    photos = np.asarray([str(face.photo) for face, _, _ in faces])  # faces of one photo are two people
    labels = group_faces(
        embeddings, keep=keep, photos=photos, settings=GroupSettings.for_embedder(embedder_class(models.embedder))
    )
    count = int(labels.max(initial=-1)) + 1
    groups = [
        Group(group_folder_name(i, count), [faces[j][0] for j in np.flatnonzero(labels == i)]) for i in range(count)
    ]
    discovery = Discovery(
        album=album, detector=models.detector, embedder=models.embedder,
        quality=quality, groups=groups,
        faces_alone=int((keep & (labels < 0)).sum()), faces_too_small=int((~big).sum()),
        faces_too_blurred=int((big & ~keep).sum()),
        skipped=[(str(s.path), s.reason) for s in skipped],
    )
    if previous is not None:
        remove_previous(out, previous)
    try:
        discovery, linked = write_output(out, discovery)
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror or exc}")

    report_skipped(skipped)
    _print_summary(discovery, len(walk.photos), out)
    if linked != "symlink":
        placed = "hard links" if linked == "hardlink" else "copies"
        err.print(f"[yellow]symbolic links cannot be made in {out}: the photos were placed as {placed}[/yellow]")
    if skipped:
        err.print(f"[yellow]{len(skipped)} photos or folders could not be read (listed above).[/yellow]")
        raise typer.Exit(1)


def _print_summary(discovery: Discovery, photos: int, out: Path) -> None:
    table = Table(title=f"People found in {photos} photos of {discovery.album}")
    table.add_column("")
    table.add_column("count", justify="right")
    grouped = sum(len(g.faces) for g in discovery.groups)
    for what, n in (
        ("groups", len(discovery.groups)),
        ("faces grouped", grouped),
        ("faces alone (in no group)", discovery.faces_alone),
        ("faces left out as too small or blurred", discovery.faces_too_small + discovery.faces_too_blurred),
    ):
        table.add_row(what, str(n))
    err.print(table)
    for group in discovery.groups[:10]:
        err.print(f"  {group.name}: {len(group.faces)} faces in {len(group.photos)} photos", highlight=False)
    if len(discovery.groups) > 10:
        err.print(f"  ... and {len(discovery.groups) - 10} more groups", highlight=False)
    err.print(f"Wrote {out / INDEX_HTML} and {out / CLUSTERS_JSON}.", highlight=False)
    if discovery.groups:
        err.print(
            f"Name a group with: familyphoto enrol --from-discover {out / CLUSTERS_JSON} --name person_01=NAME",
            highlight=False, soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    app.command()(discover)
