"""``/health`` (always open) and ``/version``: the service itself."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import UNAUTHORIZED, ServiceDep, SettingsDep, require_api_key
from api.schemas import HealthOut, LimitsOut, VersionOut
from api.version import package_version

router = APIRouter(tags=["service"])


@router.get("/health", response_model=HealthOut)
async def health(service: ServiceDep) -> HealthOut:
    """Whether the models are loaded and the service is ready for photos (never needs the API key)."""
    ready = service.ready
    return HealthOut(status="ok" if ready else "loading", ready=ready, members=len(service.pipeline.members) if ready else 0)


@router.get("/version", response_model=VersionOut, dependencies=[Depends(require_api_key)], responses=UNAUTHORIZED)
async def version(service: ServiceDep, settings: SettingsDep) -> VersionOut:
    """The service's version and the models it runs."""
    pipeline = service.pipeline
    family = pipeline.family
    return VersionOut(
        version=package_version(),
        detector=pipeline.detector.describe(),
        embedder=pipeline.embedder.describe(),
        recipe=family.manifest.recipe if family else None,
        family_created=family.manifest.created.isoformat() if family else None,
        limits=LimitsOut(max_upload_mb=settings.max_upload_mb, max_batch_files=settings.max_batch_files),
    )
