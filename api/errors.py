"""Every error as ``{"detail": "one line"}`` with the right status; nothing escapes as a bare 500.

The one place where the service layer's domain errors (``api/services/errors.py``) and the
pipeline's unusable photos become HTTP statuses.
"""

from __future__ import annotations

import logging
import sqlite3

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.services.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NoFamily,
    NotFound,
    ServiceError,
    StorageFull,
    TooLarge,
    is_disk_full,
)
from inference.image_io import ImageDecodeError
from library.query import InvalidQuery

log = logging.getLogger(__name__)

DISK_FULL_DETAIL = "the service's disk is full: nothing more could be stored; free some space"

# How each kind of unusable photo maps to HTTP.
DECODE_STATUS = {"empty": 422, "not_image": 415, "corrupt": 422, "too_large": 413}


# How each domain error maps to HTTP (a subclass takes its nearest listed ancestor's status).
SERVICE_STATUS: dict[type[ServiceError], int] = {
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    NoFamily: 409,
    TooLarge: 413,
    InvalidRequest: 422,
    StorageFull: 507,
}


def decode_error_status(error: ImageDecodeError) -> int:
    return DECODE_STATUS.get(error.kind, 422)


def service_error_status(error: ServiceError) -> int:
    for cls in type(error).__mro__:
        if cls in SERVICE_STATUS:
            return SERVICE_STATUS[cls]
    return 500


def disk_full_in(error: BaseException) -> bool:
    """Whether ``error``, what it was raised from or during, or any error of its group, is a full disk
    or quota (:func:`api.services.errors.is_disk_full`)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        exc = pending.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        if is_disk_full(exc):
            return True
        if isinstance(exc, BaseExceptionGroup):
            pending.extend(exc.exceptions)
        pending.extend((exc.__cause__, exc.__context__))
    return False


def error_status(error: Exception) -> int | None:
    """The status a request failing with ``error`` answers; None for an error that is not the client's."""
    if isinstance(error, ImageDecodeError):
        return decode_error_status(error)
    if isinstance(error, ServiceError):
        return service_error_status(error)
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ImageDecodeError)
    async def _decode(_: Request, exc: ImageDecodeError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=decode_error_status(exc))

    @app.exception_handler(ServiceError)
    async def _service(_: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=service_error_status(exc))

    @app.exception_handler(InvalidQuery)
    async def _query(_: Request, exc: InvalidQuery) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
            parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", "invalid"))
        return JSONResponse({"detail": "; ".join(parts) or "invalid request"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    # The OS's and the database's errors are answered here rather than by the catch-all below, so a
    # full disk is a 507 on a connection that stays open (the catch-all's 500 closes it).
    @app.exception_handler(OSError)
    @app.exception_handler(sqlite3.Error)
    async def _storage(request: Request, exc: Exception) -> JSONResponse:
        return _server_error(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return _server_error(request, exc)


def _server_error(request: Request, exc: BaseException) -> JSONResponse:
    # A write that found the disk full, wherever it was (uploads, reports, weights), even wrapped in
    # another error: the client's request was fine, the server cannot keep it.
    if disk_full_in(exc):
        log.error("disk full on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": DISK_FULL_DETAIL}, status_code=507)
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": f"internal error ({type(exc).__name__})"}, status_code=500)
