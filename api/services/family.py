"""What the routes (and ``familyphoto enrol``) call: the loaded pipeline, the family store, and jobs.

Inference runs off the event loop on worker threads, at most ``max_concurrency`` at once.
A finished training swaps in a new pipeline (same loaded models, new family) in one
reference assignment: a request keeps the pipeline it started with to the end.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

import anyio
import torch
from anyio import CapacityLimiter

from api.services.errors import Forbidden, InvalidRequest, NoFamily, NotFound, StorageFull, TooLarge
from api.services.jobs import JobStage, Stages, run_job, start_job
from api.services.labelled_upload import LabelledUpload, parse_labels
from api.services.store import FaceRecord, FamilyStore, JobRecord
from api.settings import ServiceSettings
from inference.family import Family
from inference.image_io import ImageDecodeError, read_photo_bytes
from inference.inputs import member_name_problem, photo_error
from inference.manifest import MANIFEST_NAME
from inference.pipeline import Analysis, Pipeline
from inference.progress import OnProgress, Progress, no_progress
from inference.types import Box, PhotoError
from sorting.run import sort_photos
from training.assessment import evaluate_folder
from training.config import TrainConfig
from training.dataset import FaceDataset
from training.train import train_from_dataset

log = logging.getLogger(__name__)
REPORT_DIR = "report"
ENROL_STAGE = "enrolling photos"
T = TypeVar("T")
ReadBytes = Callable[[], Awaitable[bytes]]  # an upload's bytes, read when the service is ready for them

# Where each stage of a job's work lies in its progress (0-1), and what the job calls it.
TRAIN_STAGES: Stages = {
    "loading faces": JobStage(0.05, 0.1),
    "validate": JobStage(0.1, 0.5),
    "train": JobStage(0.5, 0.85),
    "export": JobStage(0.85, 0.9),
    "deciding the library": JobStage(0.9, 1.0),
}
EVALUATE_STAGES: Stages = {"evaluate": JobStage(0.0, 0.95, "analysing photos")}  # the report: the last 5%
SORT_STAGES: Stages = {"sort": JobStage(0.0, 1.0, "sorting photos")}


@dataclass(frozen=True)
class Rejected:
    file: str
    reason: str


@dataclass
class Enrolment:
    """What an enrolment did: the faces enrolled, and the photos rejected with why."""

    enrolled: list[FaceRecord] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def add(self, outcome: FaceRecord | Rejected) -> None:
        if isinstance(outcome, Rejected):
            self.rejected.append(outcome)
        else:
            self.enrolled.append(outcome)

    def disk_full(self, name: str) -> StorageFull:
        """The full disk that stopped this enrolment at photo ``name``, saying what was kept."""
        stored = sum(not face.already_stored for face in self.enrolled)
        kept = (
            f" (the {stored} photo{'s' if stored != 1 else ''} before it {'were' if stored != 1 else 'was'} stored, "
            "each whole; sending them again adds nothing twice)" if stored else ""
        )
        return StorageFull(f"the service's disk is full: {name} was not stored{kept}; free some space")


@dataclass(frozen=True)
class MemberSummary:
    """A member as the family knows them: enrolled in the store, trained in the served family, or both."""

    name: str
    enrolled_faces: int
    threshold: float | None
    validation: dict[str, float | int | None] = field(default_factory=dict)
    hidden: bool = False


class FamilyService:
    """Owns the current pipeline and the family store. Models load once (``start``)."""

    def __init__(self, settings: ServiceSettings, weights: Path | None = None) -> None:
        self.settings = settings
        self.trained_dir = settings.data / "weights"  # where the service's own trainings go
        self.weights = weights or self.trained_dir
        self.store: FamilyStore | None = None
        self._pipeline: Pipeline | None = None
        self._limiter = CapacityLimiter(settings.max_concurrency)
        self._torch_threads = 1
        # Run after each training, once the new family serves (the library decides its faces again): its result.
        self.after_training: Callable[[OnProgress], dict] | None = None

    @property
    def ready(self) -> bool:
        return self._pipeline is not None

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            raise RuntimeError("models are still loading")
        return self._pipeline

    def start(self) -> None:
        """Open the store, load the family (if any) and every model, once, at start-up."""
        self.store = FamilyStore(self.settings.data)
        # max_concurrency photos run at once; each gets its share of the cores, so torch's
        # own thread pool does not oversubscribe them (measured: 1 thread per photo under
        # load classifies in ~60 ms, 2 threads each in ~1 s on a busy 2-core machine).
        self._torch_threads = max(1, (os.cpu_count() or 1) // self.settings.max_concurrency)
        torch.set_num_threads(self._torch_threads)  # this thread's; request and job threads set their own
        family = Family.load(self.weights) if (self.weights / MANIFEST_NAME).is_file() else None
        pipeline = Pipeline(self.settings, family)
        pipeline.load()
        self._pipeline = pipeline

    def stop(self) -> None:
        if self.store is not None:
            self.store.close()

    @property
    def opened_store(self) -> FamilyStore:
        """The family store (the data folder's database), once the service has started."""
        return self._store

    @property
    def _store(self) -> FamilyStore:
        if self.store is None:
            raise RuntimeError("the service has not started: no family store yet")
        return self.store

    # Members and faces ------------------------------------------------------------------
    def members(self) -> list[MemberSummary]:
        """Enrolled members and those of the served trained family, with thresholds and validation figures."""
        store = self._store
        family = self.pipeline.family
        counts = store.face_counts()
        manifest = family.manifest if family else None
        # A member renamed, merged or deleted since the training is gone, though the family still knows them.
        trained = set(manifest.members if manifest else []) - store.retired_members()
        names = sorted(set(store.members()) | trained)
        hidden = store.hidden_members()
        out = []
        for name in names:
            calibration = manifest.calibration.get("members", {}).get(name, {}) if manifest else {}
            validation = manifest.training.get("validation", {}).get(name, {}) if manifest else {}
            out.append(
                MemberSummary(
                    name=name,
                    enrolled_faces=counts.get(name, int(calibration.get("enrolled_faces", 0))),
                    threshold=manifest.thresholds.get(name) if manifest else None,
                    validation={k: v for k, v in validation.items() if k in ("precision", "recall", "faces")},
                    hidden=name in hidden,
                )
            )
        return out

    def add_member(self, name: str) -> MemberSummary:
        """A new member, without faces yet (``InvalidRequest`` for an unusable name, ``Conflict`` if taken)."""
        if (problem := member_name_problem(name)) is not None:  # a member's name is a folder name too
            raise InvalidRequest(problem)
        self._store.add_member(name)
        return MemberSummary(name=name, enrolled_faces=0, threshold=None)

    def delete_member(self, name: str) -> None:
        self._store.delete_member(name)

    def faces(self, member: str) -> list[FaceRecord]:
        store = self._store
        store.require_member(member)
        return store.faces(member)

    def delete_face(self, member: str, face_id: int) -> None:
        self._store.delete_face(member, face_id)

    def job(self, job_id: str) -> JobRecord:
        return self._store.job(job_id)

    async def _run(self, fn: Callable[[], T]) -> T:
        threads = self._torch_threads

        def on_a_worker_thread() -> T:
            torch.set_num_threads(threads)  # each thread's own setting (a new one has all cores)
            return fn()

        return await anyio.to_thread.run_sync(on_a_worker_thread, limiter=self._limiter)

    async def analyze(self, data: bytes, *, crops: bool) -> Analysis:
        """One photo on a worker thread; at most ``max_concurrency`` at once, the rest wait."""
        pipeline = self.pipeline  # the pipeline a request started with serves it to the end
        return await self._run(lambda: pipeline.analyze(data, crops=crops))

    async def analyze_each(
        self, photos: Sequence[tuple[str, ReadBytes]], *, crops: bool
    ) -> list[tuple[str, Analysis | ImageDecodeError | TooLarge]]:
        """Several photos, read and analysed one at a time, in order; a photo that cannot be read or is
        over the upload limit gets its error in its place, the others go on."""
        limit = self.settings.max_batch_files
        if len(photos) > limit:
            raise TooLarge(f"{len(photos)} files is over the limit of {limit} per batch")
        out: list[tuple[str, Analysis | ImageDecodeError | TooLarge]] = []
        for name, read in photos:
            try:
                out.append((name, await self.analyze(await read(), crops=crops)))
            except (ImageDecodeError, TooLarge) as exc:
                out.append((name, exc))
        return out

    # Enrolment ----------------------------------------------------------------------------
    def enrol_photo(self, member: str | None, name: str, photo: bytes | Path) -> FaceRecord | Rejected:
        """Enrol the largest face of one solo photo of ``member`` (who must exist; None: a stranger
        example, nobody of the family), on this thread; or say why it was not."""
        store = self._store
        try:
            data = photo if isinstance(photo, bytes) else read_photo_bytes(photo)
        except OSError as exc:
            return Rejected(name, photo_error(exc, name).message)
        # The same photo of the same member is one face, however often it is sent: a retry after
        # an interrupted request, or the folder enrolled again under other file names.
        # The face comes back ``already_stored``, and the models do not even run.
        digest = hashlib.sha256(data).hexdigest()
        if (existing := store.face_of_photo(member, digest)) is not None:
            return existing
        face = self.pipeline.enrolment_face(data, min_face_size=TrainConfig.min_face_size)
        if isinstance(face, PhotoError):
            return Rejected(name, face.message)
        return store.add_face(  # one transaction: row, embedding and crop, or nothing
            member, face.embedding, face.box.as_list(), face.crop_jpeg, name, "enrolment", photo_sha256=digest
        )

    def enrol(
        self, member: str | None, photos: Sequence[tuple[str, bytes | Path]], on_progress: OnProgress = no_progress
    ) -> Enrolment:
        """Enrol the largest face of each solo photo, one at a time on this thread (a path is read only
        when its turn comes); say why the others were not. ``NotFound`` if there is no such member;
        ``member`` None enrols stranger examples (a family folder's ``_strangers/``)."""
        if member is not None:
            self._store.require_member(member)
        enrolment = Enrolment()
        on_progress(Progress(ENROL_STAGE, 0, len(photos)))
        for done, (name, photo) in enumerate(photos, start=1):
            try:
                enrolment.add(self.enrol_photo(member, name, photo))
            except StorageFull:
                raise enrolment.disk_full(name) from None
            on_progress(Progress(ENROL_STAGE, done, len(photos)))
        return enrolment

    async def enrol_async(self, member: str, photos: Sequence[tuple[str, ReadBytes]]) -> Enrolment:
        """:meth:`enrol` for a request: each photo read only when its turn comes and dropped after
        (an enrolment of 30 photos holds one in memory, not 30), enrolled on a worker thread."""
        self._store.require_member(member)
        enrolment = Enrolment()
        for name, read in photos:
            try:
                data = await read()
            except TooLarge as exc:
                enrolment.add(Rejected(name, str(exc)))
                continue
            try:
                enrolment.add(await self._run(partial(self.enrol_photo, member, name, data)))
            except StorageFull:
                raise enrolment.disk_full(name) from None
            del data
        return enrolment

    def enrol_face_at(
        self, member: str, photo: Path, box: Box, *, sha256: str | None = None, min_iou: float = 0.5
    ) -> FaceRecord | Rejected:
        """Enrol the face of ``photo`` at ``box`` (found there before, e.g. by ``familyphoto discover``) as an example
        of ``member`` (who must exist), on this thread; or say why it was not. The photo is analysed again and the
        face whose box overlaps ``box`` most (IoU at least ``min_iou``) is enrolled; ``sha256``: the photo's content
        when ``box`` was found, a photo changed since is not used. The same face enrolled again is ``already_stored``."""
        store = self._store
        name = str(photo)
        try:
            data = read_photo_bytes(photo)
        except OSError as exc:
            return Rejected(name, photo_error(exc, name).message)
        digest = hashlib.sha256(data).hexdigest()
        if sha256 is not None and digest != sha256:
            return Rejected(name, "the photo has changed since its faces were found (its content differs)")
        if (existing := store.face_of_photo(member, digest, box.as_list())) is not None:
            return existing  # enrolled before with this very box: the models need not run
        # Every face embedded, whatever the family's recipe scores: the store keeps embeddings.
        analysis = self.pipeline.with_family(None).analyze_or_error(data, crops=True)
        if isinstance(analysis, PhotoError):
            return Rejected(name, analysis.message)
        best = max(analysis.result.faces, key=lambda f: f.box.iou(box), default=None)
        overlap = best.box.iou(box) if best is not None else 0.0
        if best is None or best.embedding is None or overlap < min_iou:
            return Rejected(name, f"no face found again at {box.as_list()} (best overlap {overlap:.2f}, under {min_iou})")
        return store.add_face(
            member, best.embedding, best.box.as_list(), best.crop_jpeg or b"", photo.name, "enrolment", photo_sha256=digest
        )

    async def feedback(self, data: bytes, box: Box, member: str | None, source: str) -> FaceRecord:
        """Store the face at ``box`` as an example of ``member`` (None: a stranger)."""
        store = self._store
        if member is not None:
            store.require_member(member)
        pipeline = self.pipeline
        try:
            face = await self._run(lambda: pipeline.face_at(data, box))
        except ValueError as exc:
            if type(exc) is not ValueError:
                raise  # ImageDecodeError: an unusable photo, not a bad box
            raise InvalidRequest(str(exc)) from None
        return store.add_face(
            member, face.embedding, face.box.as_list(), face.crop_jpeg, source, "feedback",
            photo_sha256=hashlib.sha256(data).hexdigest(),  # the same correction twice is one example (already_stored)
        )

    # Training -------------------------------------------------------------------------
    def train_now(self) -> str:
        """Train on this thread (the command line's ``enrol``); returns the finished job's id."""
        store = self._store
        job_id = store.create_job("train")
        run_job(store, job_id, self._train, TRAIN_STAGES)
        return job_id

    def start_training(self) -> str:
        """Queue a training job and run it on a thread; ``Conflict`` if one is running."""
        store = self._store
        job_id = store.create_job("train")
        start_job(store, job_id, self._train, TRAIN_STAGES)
        return job_id

    # Evaluations ------------------------------------------------------------------------
    @property
    def evaluations_dir(self) -> Path:
        return self.settings.data / "evaluations"

    async def start_evaluation(self, uploads: Sequence[tuple[str, ReadBytes]], labels_json: str) -> str:
        """Save the labelled photos (one at a time: never all in memory) and evaluate the current
        family on them in the background. ``uploads``: (file name, read its bytes); ``labels_json``:
        ``{file: [members]}`` naming exactly those files."""
        store = self._store
        limit = self.settings.max_evaluate_files
        if len(uploads) > limit:
            raise TooLarge(f"{len(uploads)} files is over the limit of {limit} per evaluation")
        labels = parse_labels(labels_json, [name for name, _ in uploads])
        pipeline = self.pipeline  # the family being served now, whatever a training does meanwhile
        if pipeline.family is None:
            raise NoFamily("no trained family to evaluate yet: enrol members and train first")
        job_id = store.create_job("evaluate")
        folder = self.evaluations_dir / job_id
        try:
            saved = LabelledUpload(folder)
            for name, read in uploads:
                saved.add(name, await read(), labels[name])
            saved.finish()
        except BaseException as exc:
            shutil.rmtree(folder, ignore_errors=True)
            store.update_job(job_id, state="failed", stage="failed", error=f"upload failed: {exc}")
            raise

        def work(progress: OnProgress) -> dict:
            run = evaluate_folder(
                folder, pipeline.family.directory, folder / REPORT_DIR, self.settings, pipeline=pipeline,
                on_progress=progress,
            )
            return {
                "report_url": f"/evaluations/{job_id}/{REPORT_DIR}/index.html",
                "summary": run.evaluation.summary(),
                "per_member": run.evaluation.per_member,
                "labels_not_in_family": run.unknown_names,
            }

        start_job(store, job_id, work, EVALUATE_STAGES)
        return job_id

    def latest_report_url(self) -> str:
        """Where the report of the most recent successful evaluation is served."""
        job = self._store.latest_job("evaluate", state="succeeded")
        if job is None or not job.result:
            raise NotFound("no evaluation has finished yet: POST /evaluate with labelled photos")
        return job.result["report_url"]

    def evaluation_file(self, job_id: str, path: str) -> Path:
        """A file of an evaluation's folder (its report by default), never one outside it."""
        evaluations = self.evaluations_dir.resolve()
        try:
            root = (self.evaluations_dir / job_id).resolve()
            target = (root / (path or f"{REPORT_DIR}/index.html")).resolve()
            found = root.parent == evaluations and target.is_relative_to(root) and target.is_file()
        except (OSError, ValueError):  # a name too long for the disk, a NUL byte: no such file either
            found = False
        if not found:
            raise NotFound(f"no such file in evaluation {job_id[:64]!r}")
        return target

    # Sorting ----------------------------------------------------------------------------
    def start_sort(self, source: str, destination: str, *, mode: str, dry_run: bool) -> str:
        """Sort a folder on the server's disk in the background (both under ``sort_roots``)."""
        store = self._store
        roots = [r.resolve() for r in self.settings.sort_roots]
        if not roots:
            raise Forbidden("sorting server folders is off: set FAMILYPHOTO_SORT_ROOTS to the folders it may use")
        try:
            src, dst = Path(source).expanduser().resolve(), Path(destination).expanduser().resolve()
        except (OSError, ValueError) as exc:  # a NUL byte, a name too long for the disk
            raise InvalidRequest(f"not a usable path: {exc}") from None
        for path in (src, dst):
            if not any(path == r or r in path.parents for r in roots):
                raise Forbidden(f"{path} is outside the folders this service may sort ({', '.join(map(str, roots))})")
        if not src.is_dir():
            raise InvalidRequest(f"{src} is not a folder")
        if dst == src or src in dst.parents:
            raise InvalidRequest("the destination must not be inside the source (the sort would find its own output)")
        if self.pipeline.family is None:
            raise NoFamily("no trained family to sort with yet: enrol members and train first")
        weights = self.pipeline.family.directory

        def work(progress: OnProgress) -> dict:
            report = sort_photos(  # confine: a link in the source never reads a file outside the roots
                src, dst, weights, self.settings, mode=mode, dry_run=dry_run, spawn=True,
                on_progress=progress, confine=roots,
            )
            return {
                "photos": report.photos,
                "analysed": report.analysed,
                "from_cache": report.from_cache,
                "folders": dict(report.folders),
                "unreadable": [{"file": f, "error": e} for f, e in report.errors[:1000]],
                "skipped": report.skipped,
                "removed": report.removed,
                "manifest": str(dst / "manifest.csv"),
                "contact_sheet": None if dry_run else str(dst / "index.html"),
            }

        job_id = store.create_job("sort")
        start_job(store, job_id, work, SORT_STAGES)
        return job_id

    def _train(self, progress: OnProgress) -> dict:
        """Train on the store's faces and switch to the new family (a job's work)."""
        store = self._store
        progress(Progress("loading faces", 0, 1))
        changes = store.changes()  # what this training learns; later ones wait for the next
        members, embeddings, labels, face_ids, strangers = store.embeddings()
        if not members:
            raise ValueError("no member has an enrolled face yet: upload solo photos first")
        dataset = FaceDataset(members, embeddings, labels, [Path(f"face-{i}") for i in face_ids])
        # The store's faces were embedded by the serving pipeline's embedder: the family records
        # that one, never the default (a data folder from before keeps its own embedder).
        config = TrainConfig(embedder=self.pipeline.models.embedder)
        report = train_from_dataset(
            dataset, strangers, self.trained_dir, self.settings, config, on_progress=progress, source="service"
        )
        family = Family.load(self.trained_dir)
        family.classifier.load()  # before the switch: no request ever waits on a lazy load
        self._pipeline = self.pipeline.with_family(family)
        self.weights = self.trained_dir
        store.learnt(changes)
        library = self.after_training(progress) if self.after_training else None
        return {
            **({"library": library} if library is not None else {}),
            "members": report.manifest.members,
            "faces": report.dataset.counts(),
            "dropped": [{"face": str(p), "reason": r} for p, r in report.dataset.dropped],
            "validation": report.validation,
            "thresholds": report.manifest.thresholds,
            "stranger_faces": report.stranger_faces,
            "warnings": report.warnings,
            "seconds": round(report.seconds, 2),
        }
