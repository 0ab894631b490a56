"""What a search of the library asks (members, dates, strangers), and the cursor of its pages."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal


class InvalidQuery(ValueError):
    """A search that cannot be answered as asked (a cursor that is not one, dates the wrong way round)."""


@dataclass(frozen=True)
class PhotoQuery:
    """Photos newest first with ``members`` in them (``match``: all of them or any), ``only`` them of the
    family, with or without strangers, taken between two days (both included); a page of ``limit``."""

    members: tuple[str, ...] = ()
    match: Literal["all", "any"] = "all"
    only: bool = False
    strangers: Literal["any", "with", "without"] = "any"
    taken_from: date | None = None
    taken_to: date | None = None
    limit: int = 50
    cursor: str | None = None

    def __post_init__(self) -> None:
        if self.taken_from and self.taken_to and self.taken_from > self.taken_to:
            raise InvalidQuery(f"from ({self.taken_from}) is after to ({self.taken_to})")
        if self.cursor is not None:
            decode_cursor(self.cursor)  # refused here, before any search

    @property
    def taken_before(self) -> str | None:
        """The first instant after ``taken_to`` (ISO), for a ``taken_at <`` comparison."""
        return (self.taken_to + timedelta(days=1)).isoformat() if self.taken_to else None


def encode_cursor(taken_at: str, photo_id: int) -> str:
    """Where the next page starts: after the photo (``taken_at``, ``photo_id``) in newest-first order."""
    return base64.urlsafe_b64encode(f"{taken_at}|{photo_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        taken_at, photo_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().rsplit("|", 1)
        return taken_at, int(photo_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidQuery("cursor is not one this service gave: pass next_cursor of the previous page") from None
