"""The FastAPI application factory: lifespan, middleware, routers, error handlers, the web app.

The routes live in ``api/routes/``, what they depend on in ``api/deps.py``, the work in
``api/services/``.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from api.deps import UNAUTHORIZED, require_api_key
from api.errors import install_error_handlers
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

    app = FastAPI(
        title="Family Photo Classifier",
        version=package_version(),
        description="Finds every face in a photo and says which members of this family are in it, and who is not.",
        lifespan=lifespan,
    )
    app.state.service = service  # read through api.deps, never by the routes themselves
    app.state.settings = settings
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"]
        )
    _refuse_oversized_bodies(app, settings)

    protected = [Depends(require_api_key)]
    app.include_router(meta.router)  # /health is always open; /version asks for the key itself
    app.include_router(predict.router, dependencies=protected, responses=UNAUTHORIZED)
    app.include_router(family.router, dependencies=protected, responses=UNAUTHORIZED)
    app.include_router(evaluations.router, dependencies=protected, responses=UNAUTHORIZED)
    app.include_router(sort.router, dependencies=protected, responses=UNAUTHORIZED)

    mount_webapp(app, settings.webapp)  # last: every API path above takes precedence
    return app


def _refuse_oversized_bodies(app: FastAPI, settings: ServiceSettings) -> None:
    """Refuse before reading a byte when the client says the body is too big for any route:
    one photo per route but /predict/batch and /evaluate, which take several."""
    max_bytes = int(settings.max_upload_mb * 1_000_000)
    files = {"/predict/batch": settings.max_batch_files, "/evaluate": settings.max_evaluate_files}

    @app.middleware("http")
    async def refuse_oversized_bodies(request: Request, call_next):
        length = request.headers.get("content-length")
        limit = max_bytes * files.get(request.url.path, 1) + _MULTIPART_OVERHEAD
        if length and length.isdigit() and int(length) > limit:
            return JSONResponse({"detail": f"request is over the {settings.max_upload_mb:g} MB upload limit"}, status_code=413)
        return await call_next(request)
