"""Many photos on all cores: each worker process builds the pipeline once."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from inference.family import Family
from inference.pipeline import Pipeline
from inference.settings import Settings
from inference.types import Face, Outcome, PhotoError

T = TypeVar("T")
_AHEAD = 4  # photos queued per worker: keeps every worker busy without holding the whole list in flight


# One pipeline per worker process, built by the pool initializer.
_worker_pipeline: Pipeline | None = None


_PR_SET_PDEATHSIG = 1  # prctl(2)


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this worker when the process that started it dies (Linux), so a killed
    command or service never leaves ~500 MB workers behind; elsewhere the pool's own checks remain."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request above took effect
        os._exit(1)


def _init_worker(settings: Settings, weights: Path | None, detector: str | None, parent: int | None = None) -> None:
    global _worker_pipeline
    if parent is not None:
        _die_with_parent(parent)
    import torch

    torch.set_num_threads(1)  # the processes are the parallelism
    family = Family.load(weights) if weights is not None else None
    _worker_pipeline = Pipeline(settings, family, detector=detector)
    _worker_pipeline.load()


def worker_pipeline() -> Pipeline:
    """The pipeline of this worker process (inside a function run by :func:`map_in_workers`)."""
    assert _worker_pipeline is not None, "only available inside map_in_workers"
    return _worker_pipeline


def outcome_of(pipeline: Pipeline, source: bytes | Path, *, crops: bool) -> Outcome:
    """One photo's result, or why there is none (never raises for a bad photo)."""
    analysis = pipeline.analyze_or_error(source, crops=crops)
    return analysis if isinstance(analysis, PhotoError) else analysis.result


def _work(path: Path, crops: bool) -> Outcome:
    return outcome_of(worker_pipeline(), path, crops=crops)


def analyze_paths(
    paths: list[Path],
    settings: Settings,
    *,
    weights: Path | None,
    detector: str | None = None,
    crops: bool = True,
    workers: int | None = None,
) -> Iterator[Outcome]:
    """Results (or errors) for ``paths`` in order, computed by ``workers`` processes, at full precision."""
    yield from map_in_workers(_work, paths, [crops] * len(paths), settings=settings, weights=weights, detector=detector, workers=workers)


def _enrolment_work(path: Path, options: tuple[int, bool]) -> Face | PhotoError:
    min_face_size, chip = options
    # No crop: training does not need one, and it keeps the inter-process traffic small.
    return worker_pipeline().enrolment_face(path, min_face_size=min_face_size, chip=chip, crop=False)


def enrolment_faces(
    paths: list[Path],
    settings: Settings,
    *,
    detector: str | None,
    min_face_size: int,
    chip: bool = False,
    workers: int | None = None,
) -> Iterator[Face | PhotoError]:
    """The enrolment face of each solo photo (:meth:`Pipeline.enrolment_face`), in order, on ``workers`` processes."""
    yield from map_in_workers(
        _enrolment_work, paths, [(min_face_size, chip)] * len(paths),
        settings=settings, weights=None, detector=detector, workers=workers,
    )


def _every_face_work(path: Path, min_face_size: int) -> list[Face] | PhotoError:
    return worker_pipeline().every_face(path, min_face_size=min_face_size)


def every_face(
    paths: list[Path],
    settings: Settings,
    *,
    detector: str | None,
    min_face_size: int,
    workers: int | None = None,
) -> Iterator[list[Face] | PhotoError]:
    """Every face of each photo (:meth:`Pipeline.every_face`: embedded, with its chip), in order, on ``workers`` processes."""
    yield from map_in_workers(
        _every_face_work, paths, [min_face_size] * len(paths),
        settings=settings, weights=None, detector=detector, workers=workers,
    )


def _stop_opencv_threads() -> None:
    """OpenCV's own thread pool, joined before a fork (the processes are the parallelism).

    A forked child inherits the pool's state but not its threads: the first parallel OpenCV
    call there (loading YuNet) waited for them forever, seen when the forking process had run
    OpenCV before (the test suite). One thread in the parent leaves nothing to wait for.
    """
    cv2 = sys.modules.get("cv2")
    if cv2 is not None:
        cv2.setNumThreads(1)


def map_in_workers(
    fn: Callable[[Path, Any], T],
    paths: list[Path],
    extra: list[Any],
    *,
    settings: Settings,
    weights: Path | None,
    detector: str | None,
    workers: int | None,
    spawn: bool = False,
) -> Iterator[T]:
    """``map(fn, paths, extra)`` in order, each worker process holding one pipeline (``worker_pipeline()``).

    ``fn`` must be a module-level function (it is pickled to the workers). ``spawn``: for a
    caller with threads of its own (the service): workers are fresh processes, never forks,
    and nothing runs in the caller's process.
    """
    workers = max(1, min(workers or settings.workers, len(paths) or 1))
    if workers == 1 and not spawn:
        _init_worker(settings, weights, detector)
        yield from map(fn, paths, extra)
        return
    # fork: workers start in milliseconds and share the imported libraries; models are
    # loaded after the fork, in each worker, so no model state crosses processes. A process
    # with threads must not fork (a lock held by another thread is copied locked): spawn.
    fork = os.name == "posix" and not spawn
    if fork:
        _stop_opencv_threads()
    context = multiprocessing.get_context("fork" if fork else "spawn")
    initargs = (settings, weights, detector, os.getpid())
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=initargs) as pool:
        # A bounded window of submitted photos, not all of them (Executor.map would submit
        # 10,000 at once and hold every finished result that waits behind a slow one).
        items = zip(paths, extra)
        pending: deque[Future[T]] = deque(pool.submit(fn, *item) for item in islice(items, workers * _AHEAD))
        try:
            while pending:
                result = pending.popleft().result()
                for item in islice(items, 1):
                    pending.append(pool.submit(fn, *item))
                yield result
        finally:
            for future in pending:  # the consumer stopped early (Ctrl-C, an error): drop the queued work
                future.cancel()
