"""The library as the service runs it: scans as jobs, faces decided with the served family (again after
every training), names people give, member changes, uploads kept in the data folder.

Models load once, in the family service; a scan's worker processes load their own (spawned: the service
has threads). A face is decided when it is stored, and every face again after each training, from the
stored embeddings alone.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
import numpy as np

from api.services.discovery import GROUPING, Discovery
from api.services.errors import Conflict, Forbidden, InvalidRequest, NotFound, TooLarge
from api.services.family import FamilyService, MemberSummary, ReadBytes
from api.services.jobs import JobProgress, JobStage, run_job, start_job
from api.services.library_store import LibraryStore
from api.services.store import FINISHED, FamilyStore, JobRecord
from inference.family import Family
from inference.inputs import member_name_problem
from inference.manifest import write_atomic
from inference.progress import OnProgress, Progress
from inference.types import PhotoError
from library.analysis import AnalysedPhoto, analyse_paths, analyse_photo
from library.decide import Decision, FacesToDecide, decide
from library.media import MediaCache
from library.query import PhotoQuery
from library.scan import ANALYSING, FINDING, FileOnDisk, ScanReport, scan
from library.types import LibraryFace, LibraryPhoto, Person, PhotoPage

log = logging.getLogger(__name__)
SCAN_STAGES = {FINDING: JobStage(0.0, 0.05), ANALYSING: JobStage(0.05, 0.97), GROUPING: JobStage(0.97, 1.0)}
DECIDE_STAGE = "deciding the library"
INTERRUPTED = "interrupted: the service stopped"
_REPORT_EVERY_S = 1.0
_WAIT_FOR_TRAINING_S = 0.5


@dataclass(frozen=True)
class LibraryStatus:
    roots: list[tuple[str, int, bool, bool]]  # path, photos, available, scanned by the service
    photos: int
    faces: int
    skipped: int
    named_faces: int
    changes_since_training: int
    retrain_after: int
    scan: JobRecord | None
    training: JobRecord | None
    decided: bool


@dataclass(frozen=True)
class NamedFace:
    face: LibraryFace
    photo_id: int
    created_member: bool
    changes_since_training: int
    training_job_id: str | None


@dataclass(frozen=True)
class AddedPhoto:
    file: str
    photo: LibraryPhoto | None
    error: str | None


class LibraryService:
    """The library of one data folder, beside the family service that owns the models and the store."""

    def __init__(self, family: FamilyService) -> None:
        self.family = family
        self.settings = family.settings
        self.folder = self.settings.data / "library"
        self.uploads = self.folder / "uploads"
        self.media = MediaCache(self.folder / "media")
        self._decided_marker = self.folder / "decided-with.txt"
        self._index: LibraryStore | None = None
        self._discovery: Discovery | None = None
        self._waiting_lock = threading.Lock()
        self._waiting = False  # a thread waits to train after the running training

    def start(self, *, background: bool = True) -> None:
        """After the family service started: the library's rows, decisions caught up, an interrupted scan resumed
        (``background``: as jobs, for the service; else the decisions now, on this thread, and no scan)."""
        self.uploads.mkdir(parents=True, exist_ok=True)
        self._index = LibraryStore(self._store, self.family.pipeline.models.embedder)
        self._discovery = Discovery(
            self._store, self._index, self.settings, check_name=self.check_new_name,
            train=lambda: self.maybe_train(now=True),
        )
        self.family.after_training = self.decide_all
        if self._decided_marker_text() != self._family_marker():
            # Decided with another family (or a re-decision killed half-way): decide again (then group).
            if background:
                self._start_background("decide", self.decide_all, DECIDE_STAGE)
            else:
                self.decide_all(lambda _: None)
        elif background:  # faces a scan stored before it was killed, or before grouping existed: grouped
            self._start_background("group", self.discovery.update, GROUPING)
        if not background:
            return
        last = self._store.latest_job("scan")
        if last is not None and last.state == "failed" and last.error == INTERRUPTED:
            roots = (last.result or {}).get("roots")
            try:
                self.start_scan(roots)
                log.info("resuming the scan interrupted when the service stopped")
            except (Forbidden, InvalidRequest, Conflict) as exc:
                log.warning("the interrupted scan was not resumed: %s", exc)

    @property
    def _store(self) -> FamilyStore:
        return self.family.opened_store

    @property
    def index(self) -> LibraryStore:
        if self._index is None:
            raise RuntimeError("the library has not started")
        return self._index

    @property
    def discovery(self) -> Discovery:
        """The people nobody has named yet."""
        if self._discovery is None:
            raise RuntimeError("the library has not started")
        return self._discovery

    # Roots and scans --------------------------------------------------------------------
    @property
    def roots(self) -> list[Path]:
        """The folders the library indexes: the configured ones, then the uploads in the data folder."""
        return [*(r.expanduser().resolve() for r in self.settings.library_roots), self.uploads.resolve()]

    def status(self) -> LibraryStatus:
        store = self._store
        counts = self.index.counts()
        scannable = [str(r) for r in self.roots]
        # Folders scanned from the command line but not given to the service are listed too (their photos are).
        listed = [*scannable[:-1], *sorted(set(counts.per_root) - set(scannable)), scannable[-1]]
        return LibraryStatus(
            roots=[(r, counts.per_root.get(r, 0), Path(r).is_dir(), r in scannable) for r in listed],
            photos=counts.photos, faces=counts.faces, skipped=counts.skipped, named_faces=counts.named_faces,
            changes_since_training=store.changes(), retrain_after=self.settings.retrain_after,
            scan=store.latest_job("scan"), training=store.latest_job("train"), decided=self._decider() is not None,
        )

    def start_scan(self, roots: Sequence[str] | None = None) -> str:
        """Scan ``roots`` (paths of :attr:`roots`; None: all) in the background; ``Conflict`` if a scan runs."""
        chosen = self._chosen_roots(roots)
        store = self._store
        job_id = store.create_job("scan")
        start_job(store, job_id, lambda progress: self._scan(job_id, chosen, progress), SCAN_STAGES)
        return job_id

    def scan_now(self, roots: Sequence[str] | None = None, on_progress: OnProgress | None = None) -> JobRecord:
        """Scan on this thread (the command line), with worker processes forked; the finished job."""
        chosen = self._chosen_roots(roots)
        store = self._store
        job_id = store.create_job("scan")

        def work(progress: OnProgress) -> dict:
            def both(p: Progress) -> None:
                progress(p)
                if on_progress:
                    on_progress(p)
            return self._scan(job_id, chosen, both, spawn=False)

        run_job(store, job_id, work, SCAN_STAGES)
        return store.job(job_id)

    def _chosen_roots(self, roots: Sequence[str] | None) -> list[Path]:
        allowed = self.roots
        if roots is None:
            return allowed
        chosen = []
        for root in roots:
            try:
                path = Path(root).expanduser().resolve()
            except (OSError, ValueError, RuntimeError) as exc:
                raise InvalidRequest(f"not a usable path: {exc}") from None
            if path not in allowed:
                listed = ", ".join(str(r) for r in allowed[:-1]) or "none: set FAMILYPHOTO_LIBRARY_ROOTS"
                raise Forbidden(f"{root} is not one of the library's folders ({listed})")
            chosen.append(path)
        return chosen

    def _scan(self, job_id: str, roots: list[Path], progress: OnProgress, *, spawn: bool = True) -> dict:
        store = self._store
        settings = self.settings.model_copy(
            update={"detector": self.family.pipeline.models.detector, "embedder": self.index.embedder}
        )
        clock = _Every(_REPORT_EVERY_S)
        base = {"roots": [str(r) for r in roots]}

        def report(counts: ScanReport) -> None:  # the counts so far, in the job (a resumed scan knows its roots)
            if clock.due():
                store.update_job(job_id, result={**base, **counts.as_dict()})

        store.update_job(job_id, result=base)
        done = scan(
            _DecidingIndex(self), roots,
            lambda paths: analyse_paths(paths, settings, workers=self.settings.workers, spawn=spawn),
            exclude=(self.settings.data.resolve(),),  # its thumbnails are not the family's photos
            on_progress=progress, on_report=report,
        )
        return {**base, **done.as_dict(), "grouping": self.discovery.update(progress)}

    # Deciding -------------------------------------------------------------------------
    def _decider(self) -> Family | None:
        """The served family, if it can name the library's faces (trained on the library's embedder)."""
        family = self.family.pipeline.family
        if family is None or family.classifier.features != "embedding":
            return None
        if family.manifest.embedder != self.index.embedder:
            return None
        return family

    def _family_marker(self) -> str:
        family = self._decider()
        return "none" if family is None else f"{family.directory}|{family.manifest.created}"

    def _decided_marker_text(self) -> str | None:
        try:
            return self._decided_marker.read_text()
        except OSError:
            return None

    def decisions_for(self, faces: FacesToDecide) -> list[Decision]:
        family = self._decider()
        if family is None:
            return [Decision(int(i), n if n is not False else None, {}) for i, n in zip(faces.face_ids, faces.named)]  # type: ignore[misc]
        return list(decide(family, faces, not_members=self._store.not_decided()))

    def decide_all(self, progress: OnProgress) -> dict:
        """Every face of the library decided again with the served family, from the stored embeddings."""
        started = time.perf_counter()
        marker = self._family_marker()
        progress(Progress(DECIDE_STAGE, 0, 1))
        family = self._decider()
        faces = self.index.faces_to_decide()
        if family is None:
            self.index.clear_decisions()
            changed = 0
        else:
            changed = self.index.apply(decide(family, faces, not_members=self._store.not_decided()))
        write_atomic(self._decided_marker, marker.encode())
        progress(Progress(DECIDE_STAGE, 1, 1))
        return {
            "faces": len(faces.face_ids), "photos": len(set(faces.photo_ids.tolist())), "changed": changed,
            "seconds": round(time.perf_counter() - started, 2),
            "grouping": self.discovery.update(),  # faces decided a member leave their unnamed groups
        }

    def _start_background(self, kind: str, work: Callable[[OnProgress], dict], stage: str) -> None:
        """A one-stage job of ``kind`` on its own thread, unless one of that kind runs already."""
        store = self._store
        try:
            job_id = store.create_job(kind)
        except Conflict:
            return
        start_job(store, job_id, work, {stage: JobStage(0.0, 1.0)})

    def _decide_photos(self, photo_ids: list[int]) -> None:
        """Some photos decided again now (a name undone): the change shows at once."""
        self.index.apply(iter(self.decisions_for(self.index.faces_to_decide(photo_ids))))

    # Reading ----------------------------------------------------------------------------
    def photos(self, query: PhotoQuery) -> PhotoPage:
        return self.index.photos(query, self._store.hidden_members())

    def photo(self, photo_id: int) -> LibraryPhoto:
        return self.index.photo(photo_id, self._store.hidden_members())

    def people(self) -> list[Person]:
        """The family's members (enrolled here, or of the served family) but hidden ones."""
        return self.index.people([m.name for m in self.family.members() if not m.hidden])

    def face_crop(self, face_id: int) -> bytes:
        return self.index.face_crop(face_id)

    async def thumbnail(self, photo_id: int) -> Path:
        photo = self.index.stored_photo(photo_id)
        return await self._picture(lambda: self.media.thumbnail(photo.sha256, Path(photo.path), max_pixels=self.settings.max_pixels))

    async def preview(self, photo_id: int) -> Path:
        photo = self.index.stored_photo(photo_id)
        return await self._picture(lambda: self.media.preview(photo.sha256, Path(photo.path), max_pixels=self.settings.max_pixels))

    async def _picture(self, make) -> Path:
        try:
            return await anyio.to_thread.run_sync(make)
        except OSError:
            raise NotFound("the photo's file cannot be read now (moved, deleted or unmounted): scan the library again") from None

    # Naming -----------------------------------------------------------------------------
    def check_new_name(self, member: str) -> None:
        """A name faces may be given: a member's (not hidden), or a valid new one."""
        if (problem := member_name_problem(member)) is not None:
            raise InvalidRequest(problem)
        if member in self._store.hidden_members():
            raise Conflict(f"{member!r} is hidden: show them again first (PATCH /members/{member})")

    async def name_face(self, face_id: int, member: str | None) -> NamedFace:
        if member is not None:
            self.check_new_name(member)
        photo_id, created = self.index.name_face(face_id, member, create=True)
        return self._named(face_id, photo_id, created)

    async def unname_face(self, face_id: int) -> NamedFace:
        photo_id = self.index.unname_face(face_id)
        self._decide_photos([photo_id])
        return self._named(face_id, photo_id, False)

    def _named(self, face_id: int, photo_id: int, created: bool) -> NamedFace:
        job = self.maybe_train()
        return NamedFace(
            self.index.face(face_id, self._store.hidden_members()), photo_id, created,
            self._store.changes(), job,
        )

    def maybe_train(self, *, now: bool = False) -> str | None:
        """Start a training when enough has changed (``retrain_after``) or ``now``, unless one runs; its job id."""
        store = self._store
        every = self.settings.retrain_after
        if not now and (every == 0 or store.changes() < every):
            return None
        if not store.face_counts():
            return None  # nobody has an example yet: nothing to train
        try:
            return self.family.start_training()
        except Conflict:
            self._train_after_this_one(now=now)  # it misses these changes: the next one learns them
            return None

    def _train_after_this_one(self, *, now: bool) -> None:
        """Once the running training ends, train again if there are still changes it did not learn (one
        waiter at a time: names given meanwhile are learnt by the same next training)."""
        with self._waiting_lock:
            if self._waiting:
                return
            self._waiting = True

        def wait() -> None:
            try:
                while (job := self._store.latest_job("train")) is not None and job.state not in FINISHED:
                    time.sleep(_WAIT_FOR_TRAINING_S)
            finally:
                with self._waiting_lock:
                    self._waiting = False
            if self._store.changes():
                self.maybe_train(now=now)

        threading.Thread(target=wait, name="train-after", daemon=True).start()

    # Members ----------------------------------------------------------------------------
    def update_member(self, name: str, new_name: str | None, hidden: bool | None) -> MemberSummary:
        store = self._store
        store.require_member(name)
        renamed = new_name is not None and new_name != name
        if renamed:
            if (problem := member_name_problem(new_name)) is not None:
                raise InvalidRequest(problem)
            store.rename_member(name, new_name)
            name = new_name
        if hidden is not None:
            store.set_hidden(name, hidden)
        if renamed or hidden is not None:
            self.maybe_train(now=self.family.pipeline.family is not None)  # the family must learn the change
        return self._member(name)

    def merge_member(self, name: str, into: str) -> MemberSummary:
        self._store.merge_member(name, into)
        self.maybe_train(now=self.family.pipeline.family is not None)
        return self._member(into)

    def _member(self, name: str) -> MemberSummary:
        for member in self.family.members():
            if member.name == name:
                return member
        raise NotFound(f"no member named {name!r}")

    # Uploads ----------------------------------------------------------------------------
    async def add_uploads(self, uploads: Sequence[tuple[str, ReadBytes]]) -> list[AddedPhoto]:
        """Keep each uploaded photo in the data folder and index it at once (one at a time: never all in memory)."""
        if len(uploads) > self.settings.max_batch_files:
            raise TooLarge(f"{len(uploads)} files is over the limit of {self.settings.max_batch_files} per request")
        added = []
        for name, read in uploads:
            try:
                data = await read()
            except TooLarge as exc:
                added.append(AddedPhoto(name, None, str(exc)))
                continue
            added.append(await self.family._run(lambda: self._add_upload(name, data)))
        if any(a.photo is not None for a in added):
            await anyio.to_thread.run_sync(self.discovery.update)
        return added

    def _add_upload(self, name: str, data: bytes) -> AddedPhoto:
        pipeline = self.family.pipeline.with_family(None)  # the library stores embeddings; the family decides after
        analysed = analyse_photo(pipeline, data)
        if isinstance(analysed, PhotoError):
            return AddedPhoto(name, None, analysed.message)
        path = self.uploads / f"{analysed.sha256[:16]}-{_safe_name(name)}"
        if not path.exists():  # the same photo uploaded again is the same file
            write_atomic(path, data)
        info = path.stat()
        photo_id = _DecidingIndex(self).store(FileOnDisk(path, info.st_size, info.st_mtime_ns), str(self.uploads.resolve()), analysed)
        return AddedPhoto(name, self.photo(photo_id), None)


class _DecidingIndex:
    """The library's rows as a scan sees them (:class:`library.scan.ScanIndex`): each photo stored with its
    thumbnail and its faces decided by the served family."""

    def __init__(self, library: LibraryService) -> None:
        self._library = library
        self._index = library.index

    def known_photos(self, root: str):
        return self._index.known_photos(root)

    def touch(self, photo_id: int, file: FileOnDisk) -> None:
        self._index.touch(photo_id, file)

    def move(self, photo_id: int, file: FileOnDisk, root: str) -> None:
        self._index.move(photo_id, file, root)

    def remove(self, photo_ids: list[int]) -> None:
        self._index.remove(photo_ids)

    def store(self, file: FileOnDisk, root: str, outcome: AnalysedPhoto | PhotoError) -> int:
        decisions = None
        if isinstance(outcome, AnalysedPhoto):
            self._library.media.put("thumbnail", outcome.sha256, outcome.thumbnail_jpeg)  # before its row: never a row without one
            n = len(outcome.faces)
            faces = FacesToDecide(
                np.arange(n, dtype=np.int64), np.zeros(n, dtype=np.int64),
                np.stack([f.embedding for f in outcome.faces]) if n else np.zeros((0, 0), np.float32), [False] * n,
            )
            decisions = self._library.decisions_for(faces)
        return self._index.store(file, root, outcome, decisions)


class _Every:
    """True at most once per ``seconds`` (the first time at once)."""

    def __init__(self, seconds: float) -> None:
        self._seconds, self._last = seconds, float("-inf")

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._last >= self._seconds:
            self._last = now
            return True
        return False


_UNSAFE = re.compile(r"[^\w.\- ]+")


def _safe_name(name: str) -> str:
    """An upload's file name, made safe to keep on any disk (no folders, no odd characters)."""
    base = _UNSAFE.sub("_", Path(name).name).strip(" .") or "photo"
    stem, suffix = Path(base).stem[:80], Path(base).suffix[:10].lower()
    return f"{stem}{suffix or '.jpg'}"
