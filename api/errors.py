"""Every error as ``{"detail": "one line"}`` with the right status; nothing escapes as a bare 500."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.labelled_upload import BadLabels
from api.service import NoFamily, Refused
from api.store import Conflict, NotFound
from inference.image_io import ImageDecodeError

log = logging.getLogger(__name__)

# How each kind of unusable photo maps to HTTP.
DECODE_STATUS = {"empty": 422, "not_image": 415, "corrupt": 422, "too_large": 413}


def decode_error_status(error: ImageDecodeError) -> int:
    return DECODE_STATUS.get(error.kind, 422)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ImageDecodeError)
    async def _decode(_: Request, exc: ImageDecodeError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=decode_error_status(exc))

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(BadLabels)
    async def _bad_labels(_: Request, exc: BadLabels) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(Refused)
    async def _refused(_: Request, exc: Refused) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(NoFamily)
    async def _no_family(_: Request, exc: NoFamily) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

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

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": f"internal error ({type(exc).__name__})"}, status_code=500)
