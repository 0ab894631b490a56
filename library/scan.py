"""An incremental scan of the library's folders: what is new, changed, moved or gone since the last one.

A photo is known by its path, size and modification time; only a new or changed file is read. A file
whose content (sha256) is a photo that vanished from its old path is that photo moved: it keeps its
faces and the names people gave them. Each photo is stored on its own as soon as it is analysed, so a
scan killed half-way keeps what it did, and the next one goes on from there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from inference.inputs import SORT_OWN_NAMES, walk_photos
from inference.manifest import sha256_file
from inference.progress import OnProgress, Progress, no_progress
from inference.types import PhotoError
from library.analysis import AnalysedPhoto

FINDING, ANALYSING = "finding photos", "analysing photos"
MAX_SKIPS_LISTED = 1000  # a report names at most this many skipped files (the count is always whole)


@dataclass(frozen=True)
class FileOnDisk:
    path: Path
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class KnownPhoto:
    id: int
    path: str
    size: int
    mtime_ns: int
    sha256: str


class ScanIndex(Protocol):
    """Where a scan keeps what it found (the service's database)."""

    def known_photos(self, root: str) -> list[KnownPhoto]: ...
    def touch(self, photo_id: int, file: FileOnDisk) -> None: ...
    def move(self, photo_id: int, file: FileOnDisk, root: str) -> None: ...
    def store(self, file: FileOnDisk, root: str, outcome: AnalysedPhoto | PhotoError) -> None: ...
    def remove(self, photo_ids: list[int]) -> None: ...


Analyse = Callable[[list[Path]], Iterator[AnalysedPhoto | PhotoError]]


@dataclass
class ScanReport:
    """What a scan found and did (written into its job as it goes)."""

    seen: int = 0  # photos found in the folders
    analysed: int = 0
    unchanged: int = 0
    moved: int = 0
    removed: int = 0
    skipped: int = 0
    skips: list[dict[str, str]] = field(default_factory=list)  # {"file", "reason"}, the first MAX_SKIPS_LISTED
    unavailable: list[str] = field(default_factory=list)  # roots that could not be read: their photos are kept

    def skip(self, path: Path | str, reason: str) -> None:
        self.skipped += 1
        if len(self.skips) < MAX_SKIPS_LISTED:
            self.skips.append({"file": str(path), "reason": reason})

    def as_dict(self) -> dict:
        return {
            "seen": self.seen, "analysed": self.analysed, "unchanged": self.unchanged, "moved": self.moved,
            "removed": self.removed, "skipped": self.skipped, "skips": self.skips, "unavailable": self.unavailable,
        }


def scan(
    index: ScanIndex,
    roots: list[Path],
    analyse: Analyse,
    *,
    skip_dirs: frozenset[str] = frozenset(),
    exclude: tuple[Path, ...] = (),
    on_progress: OnProgress = no_progress,
    on_report: Callable[[ScanReport], None] = lambda _: None,
) -> ScanReport:
    """Bring the index up to date with ``roots`` (folders, resolved). ``analyse``: photos to analysed
    photos, in order (worker processes). ``exclude``: folders whose photos are never indexed from a root
    above them (the service's own data folder). ``on_report`` hears the counts after every photo."""
    report = ScanReport()
    on_progress(Progress(FINDING, 0, len(roots)))
    found: list[tuple[str, FileOnDisk]] = []
    known: dict[str, KnownPhoto] = {}
    for done, root in enumerate(roots, start=1):
        if not os.access(root, os.R_OK | os.X_OK) or not root.is_dir():
            report.unavailable.append(str(root))  # unmounted, removed: its photos stay as they are
            continue
        files = _files_under(root, roots, report, skip_dirs | SORT_OWN_NAMES)
        outside = [x for x in exclude if not root.is_relative_to(x)]
        files = [f for f in files if not any(f.path.is_relative_to(x) for x in outside)]
        found += [(str(root), f) for f in files]
        known.update((k.path, k) for k in index.known_photos(str(root)))
        on_progress(Progress(FINDING, done, len(roots)))
    report.seen = len(found)

    to_read: list[tuple[str, FileOnDisk, KnownPhoto | None]] = []
    for root, file in found:
        photo = known.pop(str(file.path), None)
        if photo is not None and (photo.size, photo.mtime_ns) == (file.size, file.mtime_ns):
            report.unchanged += 1
        else:
            to_read.append((root, file, photo))
    vanished = known  # known photos of these roots no longer where they were

    to_analyse = _moves_and_touches(index, to_read, vanished, report)
    on_report(report)
    on_progress(Progress(ANALYSING, 0, len(to_analyse)))
    for done, ((root, file), outcome) in enumerate(zip(to_analyse, analyse([f.path for _, f in to_analyse])), start=1):
        index.store(file, root, outcome)
        if isinstance(outcome, PhotoError):
            report.skip(file.path, outcome.message)
        else:
            report.analysed += 1
        on_progress(Progress(ANALYSING, done, len(to_analyse)))
        on_report(report)
    if vanished:
        index.remove([p.id for p in vanished.values()])
        report.removed = len(vanished)
    on_report(report)
    return report


def _files_under(root: Path, roots: list[Path], report: ScanReport, skip_dirs: frozenset[str]) -> list[FileOnDisk]:
    """The photos under ``root`` with their size and time; a link to a file outside every root is skipped
    (the service reads only the folders it was given)."""
    walk = walk_photos([root], skip_dirs=skip_dirs)
    for skipped in walk.errors:
        report.skip(skipped.path, skipped.reason)
    files = []
    for path in walk.photos:
        try:
            real = path.resolve(strict=True)
            info = path.stat()
        except OSError as exc:
            report.skip(path, f"cannot read file: {exc.strerror or exc}")
            continue
        if real != path and not any(real.is_relative_to(r) for r in roots):
            report.skip(path, "a link to a file outside the library's folders (not followed)")
            continue
        files.append(FileOnDisk(path, info.st_size, info.st_mtime_ns))
    return files


def _moves_and_touches(
    index: ScanIndex,
    to_read: list[tuple[str, FileOnDisk, KnownPhoto | None]],
    vanished: dict[str, KnownPhoto],
    report: ScanReport,
) -> list[tuple[str, FileOnDisk]]:
    """Files whose content is already known are not analysed again: a file only touched (same content at
    the same path) gets its new time; a vanished photo found at a new path is moved there. The rest is
    returned, to analyse. Files are hashed here only when something vanished or changed in place."""
    by_content = {p.sha256: p for p in vanished.values()}
    out = []
    for root, file, photo in to_read:
        if photo is None and not by_content:
            out.append((root, file))  # a new file, and no photo it could be: no need to read it twice
            continue
        try:
            digest = sha256_file(file.path)
        except OSError:
            out.append((root, file))  # analysing it will say why it cannot be read
            continue
        if photo is not None and photo.sha256 == digest:
            index.touch(photo.id, file)
            report.unchanged += 1
        elif photo is None and (moved := by_content.pop(digest, None)) is not None:
            index.move(moved.id, file, root)
            del vanished[moved.path]
            report.moved += 1
        else:
            out.append((root, file))
    return out
