"""``familyphoto sort``: a folder of photos into one folder per family member.

Safe by construction: originals are only read; every file placed in ``DST`` appears by an
atomic rename of a finished temporary file; each photo's result is cached by content hash
and model as soon as it is known, so an interrupted run resumes where it stopped and ends
equal to an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections import Counter
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inference.batch import map_in_workers, worker_pipeline
from inference.family import Family
from inference.image_io import read_photo_bytes
from inference.inputs import SORT_OWN_NAMES, PhotoWalk, Skipped, member_folder_name, photo_error, walk_photos
from inference.manifest import MANIFEST_NAME, write_atomic
from inference.progress import OnProgress, Progress, no_progress
from inference.registry import choose_models
from inference.serialize import result_to_dict
from inference.settings import Settings
from inference.types import Outcome, PhotoError, PhotoResult
from sorting.cache import STATE_DIR, SortCache
from sorting.contact_sheet import SHEET_FIELDS, THUMBS, render, thumbnail_jpeg
from sorting.manifest_writer import ManifestWriter
from sorting.placing import Mode, fit_name, free_names, place

STRANGERS_ONLY = "_strangers_only"
NO_FACES = "_no_faces"
MANIFESTS = ("manifest.jsonl", "manifest.csv")
CONTACT_SHEET = "index.html"
# The member-name rule keeps these free: no member folder can be one of the sort's own names.
assert {STRANGERS_ONLY, NO_FACES, STATE_DIR, CONTACT_SHEET, *MANIFESTS} <= SORT_OWN_NAMES


class SortInterrupted(RuntimeError):
    """A worker died mid-run; what finished is cached, and running again resumes."""


@dataclass
class SortReport:
    """What a run did: photos per folder, unreadable and skipped files."""

    photos: int = 0
    analysed: int = 0
    from_cache: int = 0
    folders: Counter = field(default_factory=Counter)
    errors: list[tuple[str, str]] = field(default_factory=list)
    skipped: int = 0  # files that are not photos
    removed: int = 0  # placements of an earlier run that the current results no longer want


def model_id(weights: Path, settings: Settings) -> str:
    """Changes whenever the family, the models that run or the detection settings change (so results are redone)."""
    digest = hashlib.sha256((weights / MANIFEST_NAME).read_bytes())
    models = choose_models(settings, Family.load(weights, verify=False))
    detection = (
        models.detector, models.detector_weights, models.embedder, settings.detector_min_score,
        settings.detect_size, settings.detect_max_upscale, settings.min_face_score,
    )
    digest.update("|".join(map(str, detection)).encode())
    return digest.hexdigest()[:16]


def _sort_work(path: Path, cache: tuple[str, str]) -> tuple[Path, str | None, Outcome | None, bytes | None]:
    """In a worker: hash the photo; unless the cache has it (result None), analyse it and make its thumbnail."""
    cache_path, model = cache
    try:
        data = read_photo_bytes(path)
    except OSError as exc:
        return path, None, photo_error(exc, path), None
    digest = hashlib.sha256(data).hexdigest()
    try:
        with sqlite3.connect(f"file:{cache_path}?mode=ro", uri=True) as db:
            if db.execute("SELECT 1 FROM results WHERE hash=? AND model=?", (digest, model)).fetchone():
                return path, digest, None, None
    except sqlite3.Error:
        pass  # no cache yet: analyse
    analysis = worker_pipeline().analyze_or_error(data, crops=False)
    if isinstance(analysis, PhotoError):
        return path, digest, analysis, thumbnail_jpeg(data)
    # The thumbnail comes from the pixels the analysis decoded (a PNG or HEIC is decoded once).
    return path, digest, analysis.result, thumbnail_jpeg(analysis.pixels)


def destination_names(photos: list[Path], src: Path) -> dict[Path, str]:
    """File names in DST: the photo's own name, unless another photo in SRC shares it.

    Clashing names become their path under SRC joined with ``__``, so two ``IMG_0001.jpg``
    from different subfolders never overwrite each other, whatever order they are met in.
    """
    counts = Counter(p.name for p in photos)
    return {p: p.name if counts[p.name] == 1 else fit_name("__".join(p.relative_to(src).with_suffix("").parts), p.suffix) for p in photos}


def folders_for(result: Outcome) -> list[str]:
    if isinstance(result, PhotoError):
        return []
    if result.present:
        return [member_folder_name(m) for m in result.present]
    return [STRANGERS_ONLY] if result.faces else [NO_FACES]


def _place_photo(
    path: Path, relative: str, folder: str, name: str, dst: Path, src: Path, mode: Mode, cache: SortCache
) -> str:
    """Put one photo in ``folder`` and return where (relative to ``dst``).

    Its own earlier placement (same source folder, same photo) is reused and may be replaced;
    anything else found under the name, a user's file or another source's photo, is left as it
    is and the photo takes the next free name (``IMG_0001 (2).jpg``). The placement is recorded
    before the file appears, so a killed run never leaves one untracked.
    """
    previous = cache.placement(src, relative, folder)
    if previous is not None:
        place(path, dst / previous, mode, replace=True)
        return previous
    for candidate in free_names(name):
        target = f"{folder}/{candidate}"
        if cache.is_placed(target) or os.path.lexists(dst / target):
            continue
        cache.mark_placed(target, src, relative)
        try:
            place(path, dst / target, mode, replace=False)
        except FileExistsError:  # appeared meanwhile: not ours, leave it
            cache.unmark_placed(target)
            continue
        return target
    raise AssertionError("unreachable: free_names never ends")


def sort_photos(
    src: Path,
    dst: Path,
    weights: Path,
    settings: Settings,
    *,
    mode: Mode = "link",
    dry_run: bool = False,
    workers: int | None = None,
    on_progress: OnProgress = no_progress,
    spawn: bool = False,
    confine: Sequence[Path] | None = None,
) -> SortReport:
    """Sort every photo under ``src`` into ``dst/<member>/``, ``_strangers_only/`` and ``_no_faces/``.

    ``spawn``: start fresh worker processes instead of forks (for a caller with threads: the service).
    ``confine``: the folders photos may really lie in (the service's sort roots): a link in ``src``
    to a file elsewhere is reported, never read.
    """
    src, dst = src.resolve(), dst.resolve()
    if dst == src or src in dst.parents:
        raise ValueError("DST_DIR must not be inside SRC_DIR (the sort would find its own output)")
    walk = walk_photos([src], skip_dirs={STATE_DIR})
    if confine is not None:
        walk = _confined(walk, [Path(root).resolve() for root in confine])
    photos = walk.photos
    report = SortReport(photos=len(photos), skipped=walk.not_photos)
    report.errors += [(str(s.path.relative_to(src)), s.reason) for s in walk.errors]
    names = destination_names(photos, src)

    dst.mkdir(parents=True, exist_ok=True)
    if not dry_run:
        _remove_partials(dst)
    cache = SortCache(None if dry_run else dst, model_id(weights, settings))
    # Rows stream to the manifests; only what the contact sheet needs stays in memory (no faces).
    manifest = ManifestWriter(dst, MANIFESTS)
    sheet: list[dict[str, Any]] = []
    wanted: set[str] = set()
    try:
        on_progress(Progress("sort", 0, len(photos)))
        work = map_in_workers(
            _sort_work, photos, [(str(cache.path), cache.model_id)] * len(photos),
            settings=settings, weights=weights, detector=None, workers=workers, spawn=spawn,
        )
        for done, (path, digest, result, thumb) in enumerate(work, start=1):
            if result is None:
                result = cache.get(digest)
                report.from_cache += 1
            else:
                report.analysed += 1
                if digest is not None and not dry_run:
                    if thumb is not None:
                        write_atomic(dst / STATE_DIR / THUMBS / f"{digest}.jpg", thumb)
                    cache.put(digest, result)
            relative = str(path.relative_to(src))
            folders = folders_for(result)
            placed = [
                f"{folder}/{names[path]}" if dry_run else _place_photo(path, relative, folder, names[path], dst, src, mode, cache)
                for folder in folders
            ]
            report.folders.update(folders)
            wanted.update(placed)
            if isinstance(result, PhotoError):
                report.errors.append((relative, result.message))
            row = _row(relative, digest, result, folders, placed, names[path])
            manifest.write(row)
            sheet.append({k: row[k] for k in SHEET_FIELDS})
            on_progress(Progress("sort", done, len(photos)))
    except BrokenProcessPool:
        manifest.abort()
        raise SortInterrupted(
            "a worker process died (killed, or out of memory); finished photos are saved: run the same command again to resume"
        ) from None
    except BaseException:
        manifest.abort()
        raise
    else:
        if not dry_run:
            # Results changed since an earlier run of this source (a new model): take back what
            # no longer belongs. Another source's placements in the same destination stay.
            for stale in sorted(cache.placed(src) - wanted):
                (dst / stale).unlink(missing_ok=True)
                cache.unmark_placed(stale)
                report.removed += 1
    finally:
        cache.close()
    manifest.finish()
    if not dry_run:
        write_atomic(dst / CONTACT_SHEET, render(sheet, f"{STATE_DIR}/{THUMBS}").encode("utf-8"))
    return report


def _confined(walk: PhotoWalk, roots: list[Path]) -> PhotoWalk:
    """The walk without photos whose real file lies outside ``roots`` (each reported)."""
    inside, outside = [], []
    for photo in walk.photos:
        real = photo.resolve()
        (inside if any(real == r or r in real.parents for r in roots) else outside).append(photo)
    outside_skips = [Skipped(p, "a link to a file outside the folders that may be sorted: not read", error=True) for p in outside]
    return PhotoWalk(inside, walk.skipped + outside_skips)


def _remove_partials(dst: Path) -> None:
    """Temporary files of a run that was killed mid-copy: never part of a result."""
    for partial in dst.rglob(".*.partial"):
        if STATE_DIR not in partial.relative_to(dst).parts:
            partial.unlink(missing_ok=True)


def _row(
    relative: str, digest: str | None, result: Outcome, folders: list[str], placed: list[str], name: str
) -> dict[str, Any]:
    """The photo's manifest row (JSON: probabilities at display precision)."""
    faces = result_to_dict(result, crops=False)["faces"] if isinstance(result, PhotoResult) else []
    return {
        "source": relative,
        "sha256": digest,
        "name": name,
        "folders": folders,
        "placed": placed,  # per folder, the file in DST (a taken name gives "name (2).jpg")
        "present": result.present if isinstance(result, PhotoResult) else [],
        "strangers": result.strangers if isinstance(result, PhotoResult) else 0,
        "faces": faces,
        "error": result.message if isinstance(result, PhotoError) else None,
    }
