"""Who may talk to the service from a browser: its own Host names, and for changes its own origin.

A service on 127.0.0.1 is still reachable from every web page its user opens: a page can post a
form to it (cross-site request forgery) or point its own name at 127.0.0.1 (DNS rebinding). The
browser says where a request comes from (``Origin``, ``Sec-Fetch-Site``) and which name it used
(``Host``); this pure ASGI middleware refuses, before any body is read:

* a ``Host`` the service does not serve (400) — ``allowed_hosts``, loopback by default;
* a state-changing request (POST, PUT, PATCH, DELETE) from another site (403), unless its origin
  is one of ``cors_origins``. Requests without those headers (curl, other programs) are not
  browsers' and pass; the API key, when set, guards them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def hostname(host: str) -> str:
    """The name of a ``Host`` header, without its port (``[::1]:8000`` -> ``::1``)."""
    try:
        return (urlsplit(f"//{host}").hostname or "").lower()
    except ValueError:  # not a host name at all ("[", a bad port): served by no one
        return ""


class BrowserGuard:
    def __init__(self, app: ASGIApp, *, allowed_hosts: list[str], trusted_origins: list[str]) -> None:
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.allowed_hosts = {h.lower().strip("[]") for h in allowed_hosts}
        self.trusted_origins = {o.rstrip("/").lower() for o in trusted_origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if not self.any_host and hostname(host) not in self.allowed_hosts:
            await _refuse(send, 400, f"this service does not answer to the name {host!r}: add it to FAMILYPHOTO_ALLOWED_HOSTS")
            return
        if scope["method"] in UNSAFE_METHODS:
            origin = headers.get("origin", "").rstrip("/").lower()
            own = f"{scope.get('scheme', 'http')}://{host}".lower()
            site = headers.get("sec-fetch-site", "")
            if origin not in self.trusted_origins and (site in ("cross-site", "same-site") or (origin and origin != own)):
                await _refuse(send, 403, "refused: a change requested by another web site (only the service's own pages, "
                              "or the origins in FAMILYPHOTO_CORS_ORIGINS, may change it)")
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(HTTPException):
    """A request body that passed its limit while being read (chunked, or a Content-Length that lied)."""

    def __init__(self, detail: str) -> None:
        super().__init__(413, detail)


class UploadGuard:
    """Before a byte of a request body is read: the API key (when set), then the size limit, from
    ``Content-Length`` and again counted on the stream itself, so a chunked upload is cut off at the
    limit instead of being spooled to disk in full."""

    def __init__(self, app: ASGIApp, *, api_key: str | None, limit: Callable[[str], int], max_upload_mb: float) -> None:
        self.app, self.api_key, self.limit, self.max_upload_mb = app, api_key, limit, max_upload_mb

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if self.api_key and not secrets.compare_digest(headers.get("x-api-key", "").encode(), self.api_key.encode()):
            await _refuse(send, 401, "missing or wrong X-API-Key")
            return
        limit = self.limit(scope["path"])
        too_large = f"request is over the {self.max_upload_mb:g} MB upload limit"
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await _refuse(send, 413, too_large)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(too_large)  # FastAPI passes an HTTPException raised while parsing through
            return message

        await self.app(scope, counted, send)
