"""Many photos on all cores: each worker process builds the pipeline once."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from inference.family import Family
from inference.image_io import ImageDecodeError, is_image_path
from inference.pipeline import Analysis, Pipeline
from inference.serialize import result_to_dict
from inference.settings import Settings
from inference.types import Face

log = logging.getLogger(__name__)
T = TypeVar("T")
_AHEAD = 4  # photos queued per worker: keeps every worker busy without holding the whole list in flight


def iter_photo_paths(inputs: Iterable[Path]) -> Iterator[Path]:
    """Files as given; folders walked recursively (sorted) for photo suffixes."""
    for item in inputs:
        if item.is_dir():
            for path in sorted(p for p in item.rglob("*") if p.is_file() and is_image_path(p)):
                yield path
        else:
            yield item


def analyze_path(pipeline: Pipeline, path: Path, *, crops: bool, data: bytes | None = None) -> dict[str, Any]:
    """One photo's JSON result, or ``{"file", "error"}``: never raises for a bad photo.

    ``data``: the file's bytes when the caller has read them already.
    """
    return try_analyze(pipeline, path, crops=crops, data=data)[1]


def try_analyze(
    pipeline: Pipeline, path: Path, *, crops: bool, data: bytes | None = None
) -> tuple[Analysis | None, dict[str, Any]]:
    """(the analysis or None, the JSON result or ``{"file", "error"}``): never raises for a bad photo."""
    try:
        analysis = pipeline.analyze(path if data is None else data, crops=crops)
    except ImageDecodeError as exc:
        return None, {"file": str(path), "error": str(exc)}
    except OSError as exc:  # unreadable file: permissions, vanished, a folder...
        return None, {"file": str(path), "error": f"cannot read file: {exc.strerror or exc}"}
    except Exception as exc:  # noqa: BLE001 - one bad photo must not end a run of thousands
        log.exception("unexpected failure on %s", path)
        return None, {"file": str(path), "error": f"internal error: {type(exc).__name__}: {exc}"}
    return analysis, {"file": str(path), **result_to_dict(analysis.result, crops=crops)}


# One pipeline per worker process, built by the pool initializer.
_worker_pipeline: Pipeline | None = None


def _init_worker(settings: Settings, weights: Path | None, detector: str | None) -> None:
    global _worker_pipeline
    import torch

    torch.set_num_threads(1)  # the processes are the parallelism
    family = Family.load(weights) if weights is not None else None
    _worker_pipeline = Pipeline(settings, family, detector=detector)
    _worker_pipeline.load()


def worker_pipeline() -> Pipeline:
    """The pipeline of this worker process (inside a function run by :func:`map_in_workers`)."""
    assert _worker_pipeline is not None, "only available inside map_in_workers"
    return _worker_pipeline


def _work(path: Path, crops: bool) -> dict[str, Any]:
    return analyze_path(worker_pipeline(), path, crops=crops)


def analyze_paths(
    paths: list[Path],
    settings: Settings,
    *,
    weights: Path | None,
    detector: str | None = None,
    crops: bool = True,
    workers: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Results for ``paths`` in order, computed by ``workers`` processes."""
    yield from map_in_workers(_work, paths, [crops] * len(paths), settings=settings, weights=weights, detector=detector, workers=workers)


def _enroll_work(path: Path, min_face_size: int) -> tuple[Path, Face | None, str | None]:
    """(path, largest face or None, error or None) for one solo photo."""
    assert _worker_pipeline is not None
    try:
        face = _worker_pipeline.largest_face(path, min_face_size=min_face_size)
    except ImageDecodeError as exc:
        return path, None, str(exc)
    except OSError as exc:
        return path, None, f"cannot read file: {exc.strerror or exc}"
    if face is None:
        return path, None, f"no face found (or the largest is under {min_face_size} px)"
    face.crop_jpeg = None  # not needed for training; keeps the inter-process traffic small
    return path, face, None


def largest_faces(
    paths: list[Path], settings: Settings, *, detector: str | None, min_face_size: int, workers: int | None = None
) -> Iterator[tuple[Path, Face | None, str | None]]:
    """The largest face of each solo photo, in order, on ``workers`` processes."""
    yield from map_in_workers(
        _enroll_work, paths, [min_face_size] * len(paths), settings=settings, weights=None, detector=detector, workers=workers
    )


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
    context = multiprocessing.get_context("fork" if os.name == "posix" and not spawn else "spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(settings, weights, detector)) as pool:
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
