"""Uploads, read as they arrive: each route's limits, counted on the body itself, chunked or not.

Two layers, both before any route code runs:

* :class:`api.guard.BodyLimit` counts every byte of a request body as it is received and
  answers 413 once it passes the route's :class:`UploadLimits` (``Content-Length`` is only a
  shortcut: a chunked body is counted the same);
* :class:`UploadRoute` parses a multipart body with :class:`StreamedMultiPartParser`: the files are
  written to temporary files one after the other, as they arrive, and a file over
  ``FAMILYPHOTO_MAX_UPLOAD_MB`` (or one file too many) stops the parse there (413), not after it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Callable, Coroutine
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute
from starlette.datastructures import FormData, Headers
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import Scope

from api.errors import DISK_FULL_DETAIL, disk_full_in
from api.settings import ServiceSettings

SCOPE_KEY = "familyphoto.upload_limits"  # where BodyLimit leaves the route's limits for the parser
_MIB = 1 << 20
_PER_FILE_OVERHEAD = 16 << 10  # a part's boundary and headers (file name, content type)


@dataclass(frozen=True)
class UploadLimits:
    """What one request to a route may send."""

    max_files: int  # files in a multipart body
    max_file_bytes: int  # bytes of one file
    max_body_bytes: int  # bytes of the whole body, files, fields and multipart framing together
    max_field_bytes: int = _MIB  # bytes of one text field (a batch's labels, a box)
    max_fields: int = 16  # text fields

    @property
    def max_file_mb(self) -> float:
        return self.max_file_bytes / 1_000_000


def upload_routes(settings: ServiceSettings) -> dict[str, int]:
    """How many photos each upload route takes at most (the route's path, as declared)."""
    return {
        "/predict": 1,
        "/feedback": 1,
        "/predict/batch": settings.max_batch_files,
        "/members/{name}/photos": settings.max_batch_files,
        "/evaluate": settings.max_evaluate_files,
        "/library/photos": settings.max_batch_files,
    }


def route_limits(settings: ServiceSettings) -> tuple[list[tuple[re.Pattern[str], UploadLimits]], UploadLimits]:
    """Each upload route's limits (by the pattern of its path), and those of every other request: a
    JSON body of at most 1 MiB, no files."""
    file_bytes = int(settings.max_upload_mb * 1_000_000)
    table = []
    for path, files in upload_routes(settings).items():
        field_bytes = max(_MIB, files * 1024)  # /evaluate's labels name every photo
        body = files * (file_bytes + _PER_FILE_OVERHEAD) + field_bytes + _MIB
        table.append((compile_path(path)[0], UploadLimits(files, file_bytes, body, field_bytes)))
    return table, UploadLimits(max_files=0, max_file_bytes=0, max_body_bytes=_MIB)


def limits_for(scope: Scope, table: list[tuple[re.Pattern[str], UploadLimits]], default: UploadLimits) -> UploadLimits:
    path = scope.get("path", "")
    for pattern, limits in table:
        if pattern.match(path):
            return limits
    return default


class UploadRefused(Exception):
    """A multipart body over its route's limits (413)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class StreamedMultiPartParser(MultiPartParser):
    """Starlette's multipart parser with a per-file byte limit and a file-count limit applied while the
    body streams in, and small in-memory buffers: anything over 64 KiB goes to a temporary file, so
    a thousand photos never sit in memory together."""

    spool_max_size = 64 << 10

    def __init__(self, headers: Headers, stream: AsyncGenerator[bytes, None], limits: UploadLimits) -> None:
        # One file more than allowed for Starlette's own count: ours (below) says which limit it is.
        super().__init__(
            headers, stream, max_files=limits.max_files + 1, max_fields=limits.max_fields,
            max_part_size=limits.max_field_bytes,
        )
        self.limits = limits
        self._files = 0
        self._file_bytes = 0

    def on_part_begin(self) -> None:
        super().on_part_begin()
        self._file_bytes = 0

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        if self._current_part.file is not None:
            self._files += 1
            if self._files > self.limits.max_files:
                raise UploadRefused(f"more than {self.limits.max_files} files: over the limit for this request")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        upload = self._current_part.file
        if upload is not None:
            self._file_bytes += end - start
            if self._file_bytes > self.limits.max_file_bytes:
                name = (upload.filename or "upload")[:200]
                raise UploadRefused(f"{name} is over the {self.limits.max_file_mb:g} MB limit")
        super().on_part_data(data, start, end)


class UploadRequest(Request):
    """A request whose multipart form is parsed by :class:`StreamedMultiPartParser` within the limits
    :class:`api.guard.BodyLimit` chose for its route."""

    async def form(self, **_: Any) -> FormData:  # type: ignore[override]  # the route's limits, not the caller's
        if self._form is not None:
            return self._form
        if self.headers.get("content-type", "").partition(";")[0].strip().lower() != "multipart/form-data":
            return await super().form()  # url-encoded or none: Starlette's, bounded by BodyLimit
        limits = self.scope.get(SCOPE_KEY) or limits_for(self.scope, *route_limits(self.app.state.settings))
        try:
            async with aclosing(self.stream()) as stream:
                self._form = await StreamedMultiPartParser(self.headers, stream, limits).parse()
        except UploadRefused as exc:
            raise HTTPException(413, exc.detail) from None
        except MultiPartException as exc:
            status = 413 if "exceeded maximum size" in exc.message else 400
            raise HTTPException(status, exc.message) from None
        except OSError as exc:
            if disk_full_in(exc):  # the temporary files filled the disk
                raise HTTPException(507, DISK_FULL_DETAIL) from None
            raise
        return self._form


class UploadRoute(APIRoute):
    """An API route whose form is read by :class:`UploadRequest` (FastAPI's custom route class)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_streamed_uploads(request: Request) -> Response:
            return await handler(UploadRequest(request.scope, request.receive))

        return with_streamed_uploads
