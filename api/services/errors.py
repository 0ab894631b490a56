"""What the service layer refuses, and why: domain errors, with no HTTP in them.

The web layer maps each to its status in one place (``api/errors.py``); the command line
prints their message. The message is what a client reads, so it says what to do.
"""

from __future__ import annotations

import errno
import sqlite3


class ServiceError(Exception):
    """Base of every refusal of the service layer."""


class InvalidRequest(ServiceError, ValueError):
    """The request itself is unusable: a bad name, a bad box, labels that do not fit the photos."""


class TooLarge(ServiceError):
    """Over one of the service's size limits (an upload's megabytes, a request's number of files)."""


class Forbidden(ServiceError):
    """The service may not do this here (e.g. sort a folder outside its sort roots)."""


class NotFound(ServiceError, LookupError):
    """No such member, face, job or evaluation file."""


class Conflict(ServiceError):
    """The change contradicts the current state (e.g. a member that already exists, a job already running)."""


class Busy(Conflict):
    """Another process is using the data folder: one writer per data folder."""


class NoFamily(ServiceError):
    """The request needs a trained family and there is none yet."""


class StorageFull(ServiceError, OSError):
    """The disk (or the user's quota) is full: nothing was stored."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk or quota is full (a failed write, or SQLite's SQLITE_FULL)."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc)
