"""One interface for every model: loaded lazily, once, safely from many threads."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Any


class InferenceModel(ABC):
    """A model that loads its weights on first use (or on an explicit ``load()``).

    Subclasses implement ``_load`` (read weights, build the model) and their own typed
    prediction method that calls ``self.load()`` first. Loading happens once per process,
    guarded by a lock, so a service can warm models at start-up and share them across threads.
    """

    name: str = "model"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    def load(self) -> None:
        """Load the model's weights if not done yet (idempotent, thread-safe)."""
        if self._loaded:
            return
        with self._lock:
            if not self._loaded:
                self._load()
                self._loaded = True

    @abstractmethod
    def _load(self) -> None: ...

    def describe(self) -> dict[str, Any]:
        """What this model is, for manifests and ``/version``."""
        return {"name": self.name}
