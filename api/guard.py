"""Who may talk to the service, and with how much: pure ASGI middleware, before a route (or FastAPI's
body parsing) runs.

A service on 127.0.0.1 is still reachable from every web page its user opens: a page can post a
form to it (cross-site request forgery) or point a name of its own at 127.0.0.1 (DNS rebinding).
The browser says which name it used (``Host``) and where a request comes from (``Origin``,
``Sec-Fetch-Site``); a client without a key must not make the service read a body it will refuse.
:class:`RequestGuard` answers, in this order, before a byte of the body is read:

* 400 for a ``Host`` the service does not serve (``FAMILYPHOTO_ALLOWED_HOSTS``, loopback by default);
  ``/health`` answers any name, for health checks;
* 403 for a change (POST, PUT, PATCH, DELETE) asked by another site: ``Sec-Fetch-Site`` cross-site
  or same-site, or an ``Origin`` that is neither the service's own nor one of
  ``FAMILYPHOTO_CORS_ORIGINS``. Programs that are not browsers send neither header and pass;
* 401 for a change without the right ``X-API-Key`` when the service has one (the routes check it
  again, and check it on reads);
* 415 for a body that is neither JSON (``application/json``) nor a ``multipart/form-data`` upload.

:class:`BodyLimit` then counts the body as it is received (413 over the route's limit), and
:class:`HeadAsGet` answers ``HEAD`` wherever ``GET`` answers.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.uploads import SCOPE_KEY, UploadLimits, limits_for

CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_TYPES = frozenset({"application/json", "multipart/form-data"})
OPEN_PATHS = frozenset({"/health"})  # answered whatever the name, without a key
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

KEY_DETAIL = "missing or wrong X-API-Key"
CROSS_SITE_DETAIL = (
    "refused: a change asked by another web site; only the service's own pages (and the origins in "
    "FAMILYPHOTO_CORS_ORIGINS) may change it"
)
MEDIA_TYPE_DETAIL = "send JSON as Content-Type: application/json, and photos as multipart/form-data"


class RequestGuard:
    """Host, origin, API key and body type, checked before the body is read (see the module's doc)."""

    def __init__(
        self, app: ASGIApp, *, allowed_hosts: list[str], trusted_origins: list[str], api_key: str | None
    ) -> None:
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.hosts = {_allowed_name(h) for h in allowed_hosts if not h.startswith("*")}
        self.host_suffixes = tuple(h.lower()[1:] for h in allowed_hosts if h.startswith("*."))  # "*.lan" -> ".lan"
        self.any_origin = "*" in trusted_origins
        self.trusted_origins = {_origin(o) for o in trusted_origins if o != "*"}
        self.api_key = api_key.encode() if api_key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path, method = scope["path"], scope["method"]
        host = headers.get("host", "")
        if path not in OPEN_PATHS and not self._serves(host):
            shown = host[:100]
            await _refuse(send, 400, f"this service does not answer to the name {shown!r}: "
                                     "add it to FAMILYPHOTO_ALLOWED_HOSTS to use it")
            return
        if method in CHANGING_METHODS:
            if self._from_another_site(headers, host, scope.get("scheme", "http")):
                await _refuse(send, 403, CROSS_SITE_DETAIL)
                return
            if self.api_key and path not in OPEN_PATHS and not self._has_key(headers):
                await _refuse(send, 401, KEY_DETAIL)
                return
            if _has_body(headers) and _media_type(headers.get("content-type", "")) not in BODY_TYPES:
                await _refuse(send, 415, MEDIA_TYPE_DETAIL)
                return
        await self.app(scope, receive, send)

    def _serves(self, host_header: str) -> bool:
        if self.any_host:
            return True
        name = _host_name(host_header)
        return bool(name) and (name in self.hosts or (bool(self.host_suffixes) and name.endswith(self.host_suffixes)))

    def _from_another_site(self, headers: Headers, host_header: str, scheme: str) -> bool:
        origin = headers.get("origin")
        if origin is not None and (self.any_origin or _origin(origin) in self.trusted_origins):
            return False
        if headers.get("sec-fetch-site", "").lower() in ("cross-site", "same-site"):
            return True
        return origin is not None and not _same_place(origin, host_header, scheme)

    def _has_key(self, headers: Headers) -> bool:
        key = headers.get("x-api-key")
        return key is not None and self.api_key is not None and secrets.compare_digest(key.encode(), self.api_key)


class BodyLimit:
    """Counts each request body as it is received and answers 413 once it passes its route's limit
    (a ``Content-Length`` over it is refused before reading); leaves the route's :class:`UploadLimits`
    in the scope for the multipart parser."""

    def __init__(self, app: ASGIApp, *, table: list[tuple[re.Pattern[str], UploadLimits]], default: UploadLimits) -> None:
        self.app = app
        self.table, self.default = table, default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limits = limits_for(scope, self.table, self.default)
        scope[SCOPE_KEY] = limits
        too_large = BodyTooLarge(limits)
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > limits.max_body_bytes:
            await _refuse(send, 413, too_large.detail)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limits.max_body_bytes:
                    raise too_large  # an HTTPException: FastAPI and the error handlers answer it
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(send, 413, too_large.detail)


class BodyTooLarge(HTTPException):
    def __init__(self, limits: UploadLimits) -> None:
        if limits.max_files:
            detail = (f"request is over the upload limit ({limits.max_files} photo(s) of at most "
                      f"{limits.max_file_mb:g} MB each)")
        else:
            detail = f"request body is over the limit of {limits.max_body_bytes >> 20} MiB"
        super().__init__(413, detail)


class HeadAsGet:
    """``HEAD`` answered wherever ``GET`` is: the GET's status and headers, without the body (RFC 9110).

    FastAPI's routes list their methods, so without this a HEAD of a GET route is a 405.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


def _host_name(host: str) -> str:
    """The name of a ``Host`` header, lower case, without its port: ``[::1]:8000`` -> ``::1``."""
    try:
        name = urlsplit(f"//{host.strip()}").hostname or ""
    except ValueError:  # "[::1" and the like
        return ""
    return name.rstrip(".")


def _allowed_name(entry: str) -> str:
    """An entry of FAMILYPHOTO_ALLOWED_HOSTS as a Host's name: ``::1``, ``[::1]``, ``photos.lan:8000`` ..."""
    try:
        return str(ipaddress.ip_address(entry.strip().strip("[]")))
    except ValueError:
        return _host_name(entry)


def _origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def _same_place(origin: str, host_header: str, scheme: str) -> bool:
    """Whether ``Origin`` names the host and port this request was sent to (its ``Host``). The scheme is
    not compared: behind a proxy that ends TLS the service sees http where the page says https."""
    try:
        o = urlsplit(_origin(origin))
        h = urlsplit(f"//{host_header.strip().lower()}")
        o_port = o.port or _DEFAULT_PORTS.get(o.scheme)
        h_port = h.port or _DEFAULT_PORTS.get(o.scheme) or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number, a broken IPv6 literal
        return False
    return bool(o.hostname) and o.hostname == h.hostname and o_port == h_port


def _has_body(headers: Headers) -> bool:
    return headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers


def _media_type(content_type: str) -> str:
    return content_type.partition(";")[0].strip().lower()


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({
        "type": "http.response.start", "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})
