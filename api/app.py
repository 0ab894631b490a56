"""The FastAPI application factory: lifespan, middleware, routers, error handlers, the web app.

The routes live in ``api/routes/``, what they depend on in ``api/deps.py``, the work in
``api/services/``.
"""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from api.deps import UNAUTHORIZED, require_api_key
from api.errors import install_error_handlers
from api.guard import CHANGING_METHODS, BodyLimit, HeadAsGet, RequestGuard
from api.routes import evaluations, family, library, meta, people, predict, sort, unnamed
from api.schemas import ErrorOut
from api.services.family import FamilyService
from api.services.library import LibraryService
from api.settings import ServiceSettings
from api.uploads import route_limits, upload_routes
from api.version import package_version
from api.webapp import mount_webapp

DOCS_OFF_WITH_A_KEY = (
    "the interactive documentation is off while FAMILYPHOTO_API_KEY is set (a browser page cannot send the key): "
    "read the schema with the X-API-Key header at /openapi.json"
)


def create_app(settings: ServiceSettings, weights: Path | None = None) -> FastAPI:
    """The service for ``settings``; serves ``weights`` if given, else the family in ``settings.data``."""
    service = FamilyService(settings, weights)
    library_service = LibraryService(service)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        service.start()  # both models, once, before the first request
        library_service.start()
        # What start-up made lives as long as the service: out of the collector's full passes, which
        # walked it each time (~140 ms, one request in ~200 waited for it).
        gc.collect()
        gc.freeze()
        yield
        service.stop()

    keyed = bool(settings.api_key)
    app = FastAPI(
        title="Family Photo Classifier",
        version=package_version(),
        description="Finds every face in a photo and says which members of this family are in it, and who is not.",
        lifespan=lifespan,
        # With a key the schema needs it too (below), and the pages that show it are off.
        **({"openapi_url": None, "docs_url": None, "redoc_url": None} if keyed else {}),
    )
    app.state.service = service  # read through api.deps, never by the routes themselves
    app.state.library = library_service
    app.state.settings = settings
    install_error_handlers(app)

    protected = [Depends(require_api_key)]
    app.include_router(meta.router)  # /health is always open; /version asks for the key itself
    app.include_router(predict.router, dependencies=protected, responses=UNAUTHORIZED)
    app.include_router(family.router, dependencies=protected, responses=UNAUTHORIZED)
    app.include_router(evaluations.router, dependencies=protected, responses=UNAUTHORIZED)
    app.include_router(sort.router, dependencies=protected, responses=UNAUTHORIZED)
    app.include_router(library.router, dependencies=protected, responses=UNAUTHORIZED)
    app.include_router(people.router, dependencies=protected, responses=UNAUTHORIZED)
    app.include_router(unnamed.router, dependencies=protected, responses=UNAUTHORIZED)
    if keyed:
        _schema_behind_the_key(app, protected)

    _document_refusals(app)
    mount_webapp(app, settings.webapp)  # last: every API path above takes precedence

    # Pure ASGI middleware, outermost last: CORS headers on every answer (refusals too), then the
    # guard (name, origin, key, body type) before any body is read, then the body's byte count.
    uploading = (predict.router, family.router, evaluations.router, library.router)
    if missing := set(upload_routes(settings)) - {getattr(r, "path", None) for u in uploading for r in u.routes}:
        raise RuntimeError(f"upload limits name routes that do not exist: {sorted(missing)}")
    table, default = route_limits(settings)
    app.add_middleware(HeadAsGet)
    app.add_middleware(BodyLimit, table=table, default=default)
    app.add_middleware(
        RequestGuard, allowed_hosts=settings.served_hosts(), trusted_origins=settings.cors_origins,
        api_key=settings.api_key,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"]
        )
    return app


# What any change (POST, DELETE) may be answered besides its own errors (api/guard.py, api/errors.py).
CHANGE_REFUSALS = {
    403: "Asked by a page of another web site (its Origin or Sec-Fetch-Site): only the service's own pages, "
    "and the origins in FAMILYPHOTO_CORS_ORIGINS, may change it.",
    415: "A body that is neither JSON (application/json) nor a multipart/form-data upload.",
    507: "The server's disk is full: nothing of this request was saved.",
}


def _document_refusals(app: FastAPI) -> None:
    """Every changing operation of the schema lists :data:`CHANGE_REFUSALS` (its own 403 wins)."""
    make_schema = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = make_schema()
            error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
            for operations in schema["paths"].values():
                for method, operation in operations.items():
                    if method.upper() in CHANGING_METHODS:
                        for status, description in CHANGE_REFUSALS.items():
                            operation["responses"].setdefault(str(status), {"description": description, "content": error})
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _schema_behind_the_key(app: FastAPI, protected: list) -> None:
    """``/openapi.json`` with the key; ``/docs`` and ``/redoc`` say why they are off."""

    @app.get("/openapi.json", include_in_schema=False, dependencies=protected)
    async def openapi_with_key() -> JSONResponse:
        return JSONResponse(app.openapi())

    async def no_docs() -> JSONResponse:
        return JSONResponse(ErrorOut(detail=DOCS_OFF_WITH_A_KEY).model_dump(), status_code=404)

    app.add_api_route("/docs", no_docs, include_in_schema=False)
    app.add_api_route("/redoc", no_docs, include_in_schema=False)
