"""Adapters from an :data:`~inference.progress.OnProgress` to the callbacks training and sorting still take.

``training.train_from_dataset`` calls ``progress(stage, done, total)``; ``sorting.sort_photos`` and
``training.assessment.evaluate_folder`` call ``progress(done, total)``. Once they take an ``OnProgress``
themselves, each call site in ``api/services/family.py`` passes its ``OnProgress`` directly (one line
each) and this module goes.
"""

from __future__ import annotations

from collections.abc import Callable

from inference.progress import OnProgress, Progress


def staged(on_progress: OnProgress) -> Callable[[str, int, int], None]:
    """``progress(stage, done, total)`` reported as ``Progress(stage, done, total)``."""
    return lambda stage, done, total: on_progress(Progress(stage, done, total))


def counted(on_progress: OnProgress, stage: str) -> Callable[[int, int], None]:
    """``progress(done, total)`` of work in one stage reported as ``Progress(stage, done, total)``."""
    return lambda done, total: on_progress(Progress(stage, done, total))
