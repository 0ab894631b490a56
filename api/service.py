"""What the routes call: the loaded pipeline, run off the event loop with bounded concurrency."""

from __future__ import annotations

import threading
from pathlib import Path

import anyio
from anyio import CapacityLimiter

from inference.family import Family
from inference.manifest import MANIFEST_NAME
from inference.pipeline import Analysis, Pipeline
from inference.settings import Settings


class FamilyService:
    """Owns the current pipeline. Models load once (``start``); a new family swaps in atomically."""

    def __init__(self, settings: Settings, weights: Path | None = None) -> None:
        self.settings = settings
        self.weights = weights or (settings.data / "weights")
        self._pipeline: Pipeline | None = None
        self._swap = threading.Lock()
        self._limiter = CapacityLimiter(settings.max_concurrency)

    @property
    def ready(self) -> bool:
        return self._pipeline is not None

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            raise RuntimeError("models are still loading")
        return self._pipeline

    def start(self) -> None:
        """Load the family (if any) and every model, once, at start-up."""
        family = Family.load(self.weights) if (self.weights / MANIFEST_NAME).is_file() else None
        pipeline = Pipeline(self.settings, family)
        pipeline.load()
        with self._swap:
            self._pipeline = pipeline

    async def analyze(self, data: bytes, *, crops: bool) -> Analysis:
        """One photo on a worker thread; at most ``max_concurrency`` at once, the rest wait."""
        pipeline = self.pipeline  # the pipeline a request started with serves it to the end
        return await anyio.to_thread.run_sync(lambda: pipeline.analyze(data, crops=crops), limiter=self._limiter)
