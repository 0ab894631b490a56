"""The FastAPI application: thin routes over the inference pipeline."""

from __future__ import annotations

import importlib.metadata
import secrets
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader

from api.errors import decode_error_status, install_error_handlers
from api.evaluation_routes import router as evaluation_router
from api.family_routes import router as family_router
from api.schemas import BatchItemOut, ErrorOut, FaceOut, HealthOut, PredictionOut, Timings, VersionOut
from api.services.family import FamilyService
from api.sort_routes import router as sort_router
from api.webapp import mount_webapp
from inference.image_io import ImageDecodeError
from inference.pipeline import Analysis
from inference.serialize import result_to_dict
from inference.settings import Settings

PHOTO_ERRORS = {
    413: {"model": ErrorOut, "description": "Upload over the size limit, or an image with too many pixels."},
    415: {"model": ErrorOut, "description": "Not an image."},
    422: {"model": ErrorOut, "description": "Unreadable, truncated or empty image, or bad fields."},
}
_CHUNK = 1 << 20
_MULTIPART_OVERHEAD = 1 << 20  # boundaries and headers around the files


API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False)


def require_api_key(request: Request, key: Annotated[str | None, Depends(API_KEY_HEADER)]) -> None:
    """401 unless the request carries the service's API key (when it has one)."""
    expected = request.app.state.settings.api_key
    if expected and not (key and secrets.compare_digest(key.encode(), expected.encode())):
        raise HTTPException(401, "missing or wrong X-API-Key")


def create_app(settings: Settings, weights: Path | None = None) -> FastAPI:
    """The service for ``settings``; serves ``weights`` if given, else the family in ``settings.data``."""
    service = FamilyService(settings, weights)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        service.start()  # both models, once, before the first request
        yield
        service.stop()

    app = FastAPI(
        title="Family Photo Classifier",
        version=_version(),
        description="Finds every face in a photo and says which members of this family are in it, and who is not.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.settings = settings
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"]
        )

    protected = [Depends(require_api_key)]
    unauthorized = {401: {"model": ErrorOut, "description": "Missing or wrong X-API-Key (when the service has one)."}}
    max_bytes = int(settings.max_upload_mb * 1_000_000)

    async def read_upload(upload: UploadFile) -> bytes:
        """The upload's bytes, refusing (413) as soon as it passes the limit."""
        chunks, size = [], 0
        while chunk := await upload.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise HTTPException(413, f"{upload.filename or 'upload'} is over the {settings.max_upload_mb:g} MB limit")
            chunks.append(chunk)
        return b"".join(chunks)

    app.state.read_upload = read_upload
    app.include_router(family_router, dependencies=protected, responses=unauthorized)
    app.include_router(evaluation_router, dependencies=protected, responses=unauthorized)
    app.include_router(sort_router, dependencies=protected, responses=unauthorized)

    @app.middleware("http")
    async def refuse_oversized_bodies(request: Request, call_next):
        # Refuse before reading a byte when the client says the body is too big for any route:
        # one photo per route but /predict/batch and /evaluate, which take several.
        length = request.headers.get("content-length")
        files = {"/predict/batch": settings.max_batch_files, "/evaluate": settings.max_evaluate_files}
        limit = max_bytes * files.get(request.url.path, 1) + _MULTIPART_OVERHEAD
        if length and length.isdigit() and int(length) > limit:
            return JSONResponse({"detail": f"request is over the {settings.max_upload_mb:g} MB upload limit"}, status_code=413)
        return await call_next(request)

    @app.get("/health", response_model=HealthOut, tags=["service"])
    async def health() -> HealthOut:
        """Whether the models are loaded and the service is ready for photos (never needs the API key)."""
        ready = service.ready
        return HealthOut(status="ok" if ready else "loading", ready=ready, members=len(service.pipeline.members) if ready else 0)

    @app.get("/version", response_model=VersionOut, dependencies=protected, responses=unauthorized, tags=["service"])
    async def version() -> VersionOut:
        """The service's version and the models it runs."""
        pipeline = service.pipeline
        family = pipeline.family
        return VersionOut(
            version=_version(),
            detector=pipeline.detector.describe(),
            embedder=pipeline.embedder.describe(),
            recipe=family.manifest.recipe if family else None,
            family_created=family.manifest.created.isoformat() if family else None,
        )

    @app.post(
        "/predict", response_model=PredictionOut, response_model_exclude_unset=True,
        dependencies=protected, responses={**PHOTO_ERRORS, **unauthorized}, tags=["predict"],
    )
    async def predict(
        file: Annotated[UploadFile, File(description="One photo: JPEG, PNG, WebP, HEIC, ...")],
        crops: Annotated[bool, Query(description="Include a base64 JPEG crop of each face.")] = True,
    ) -> PredictionOut:
        """Who is in one photo: every face with its box, per-member probabilities and decided member."""
        analysis = await service.analyze(await read_upload(file), crops=crops)
        return _prediction(analysis, crops)

    @app.post(
        "/predict/batch", response_model=list[BatchItemOut], response_model_exclude_unset=True,
        dependencies=protected, responses={413: PHOTO_ERRORS[413], 422: PHOTO_ERRORS[422], **unauthorized}, tags=["predict"],
    )
    async def predict_batch(
        files: Annotated[list[UploadFile], File(description="Several photos.")],
        crops: Annotated[bool, Query(description="Include a base64 JPEG crop of each face.")] = True,
    ) -> list[BatchItemOut]:
        """Several photos, results in the same order; a bad file gets an error entry, not a failed batch."""
        if len(files) > settings.max_batch_files:
            raise HTTPException(413, f"{len(files)} files is over the limit of {settings.max_batch_files} per batch")
        out = []
        for upload in files:
            name = upload.filename or f"file{len(out) + 1}"
            try:
                analysis = await service.analyze(await read_upload(upload), crops=crops)
            except ImageDecodeError as exc:
                out.append(BatchItemOut(file=name, status=decode_error_status(exc), error=str(exc)))
            except HTTPException as exc:
                out.append(BatchItemOut(file=name, status=exc.status_code, error=str(exc.detail)))
            else:
                out.append(BatchItemOut(file=name, status=200, result=_prediction(analysis, crops)))
        return out

    mount_webapp(app, settings.webapp)  # last: every API path above takes precedence
    return app


def _prediction(analysis: Analysis, crops: bool) -> PredictionOut:
    body = result_to_dict(analysis.result, crops=crops)
    return PredictionOut(
        width=body["width"], height=body["height"], present=body["present"],
        faces=[FaceOut(**face) for face in body["faces"]],
        timings_ms=Timings(**analysis.timings.as_dict()),
    )


def _version() -> str:
    try:
        return importlib.metadata.version("familyphoto")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"
