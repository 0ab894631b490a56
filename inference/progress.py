"""Progress of long work (training, evaluation, sorting, enrolment): one shape for every job.

The worker reports ``Progress(stage, done, total)``; each front end renders it its own way
(the CLI as a rich bar per stage, the service as a job's fraction and stage name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` items of one stage (``total`` 0: a stage with nothing to count)."""

    stage: str
    done: int
    total: int

    @property
    def fraction(self) -> float:
        """0-1 through this stage."""
        return 1.0 if self.total <= 0 else min(max(self.done / self.total, 0.0), 1.0)


OnProgress = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    """The default listener: nobody is watching."""
