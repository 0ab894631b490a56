"""The FastAPI application factory: lifespan, middleware, routers, error handlers, the web app.

The routes live in ``api/routes/``, what they depend on in ``api/deps.py``, the work in
``api/services/``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import UNAUTHORIZED, require_api_key
from api.errors import install_error_handlers
from api.guard import BrowserGuard, UploadGuard
from api.routes import evaluations, family, meta, predict, sort
from api.services.family import FamilyService
from api.settings import ServiceSettings
from api.version import package_version
from api.webapp import mount_webapp

_MULTIPART_OVERHEAD = 1 << 20  # boundaries and headers around the files


def create_app(settings: ServiceSettings, weights: Path | None = None) -> FastAPI:
    """The service for ``settings``; serves ``weights`` if given, else the family in ``settings.data``."""
    service = FamilyService(settings, weights)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        service.start()  # both models, once, before the first request
        yield
        service.stop()

    # With a key, the schema needs it too; the interactive pages are off, as a browser page
    # cannot send the X-API-Key header (docs/service.md says how to read the schema then).
    keyed = bool(settings.api_key)
    app = FastAPI(
        title="Family Photo Classifier",
        version=package_version(),
        description="Finds every face in a photo and says which members of this family are in it, and who is not.",
        lifespan=lifespan,
        **({"openapi_url": None, "docs_url": None, "redoc_url": None} if keyed else {}),
    )
    app.state.service = service  # read through api.deps, never by the routes themselves
    app.state.settings = settings
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"]
        )

    protected = [Depends(require_api_key)]
    app.include_router(meta.router)  # /health is always open; /version asks for the key itself
    app.include_router(predict.router, dependencies=protected, responses=UNAUTHORIZED)
    app.include_router(family.router, dependencies=protected, responses=UNAUTHORIZED)
    app.include_router(evaluations.router, dependencies=protected, responses=UNAUTHORIZED)
    app.include_router(sort.router, dependencies=protected, responses=UNAUTHORIZED)

    if keyed:

        @app.get("/openapi.json", include_in_schema=False, dependencies=protected)
        async def openapi_with_key() -> JSONResponse:
            return JSONResponse(app.openapi())

    mount_webapp(app, settings.webapp)  # last: every API path above takes precedence
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        UploadGuard, api_key=settings.api_key, limit=_body_limit(settings), max_upload_mb=settings.max_upload_mb
    )
    # Outermost: a foreign Host or another site's change is refused before anything else runs.
    app.add_middleware(BrowserGuard, allowed_hosts=settings.served_hosts(), trusted_origins=settings.cors_origins)
    return app


class HeadAsGet:
    """``HEAD`` answered wherever ``GET`` is: the GET's status and headers, no body (RFC 9110).

    FastAPI routes list their methods, so without this a HEAD of a GET route is a 405.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b"", "more_body": message.get("more_body", False)}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)


def _body_limit(settings: ServiceSettings) -> Callable[[str], int]:
    """Bytes a request to a path may carry: one photo's worth, but for /predict/batch and /evaluate,
    which take several."""
    max_bytes = int(settings.max_upload_mb * 1_000_000)
    files = {"/predict/batch": settings.max_batch_files, "/evaluate": settings.max_evaluate_files}
    return lambda path: max_bytes * files.get(path, 1) + _MULTIPART_OVERHEAD
