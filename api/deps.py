"""What routes get through ``Depends``: the service, the settings, the API key check, the upload reader.

The app factory (``api/app.py``) puts the service and its settings on ``app.state``; only this
module reads them from there.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, UploadFile
from fastapi.security import APIKeyHeader

from api.guard import KEY_DETAIL
from api.schemas import ErrorOut
from api.services.errors import TooLarge
from api.services.family import FamilyService
from api.services.library import LibraryService
from api.settings import ServiceSettings

_CHUNK = 1 << 20


def get_service(request: Request) -> FamilyService:
    """The service the app was made with (models loaded at start-up)."""
    return request.app.state.service


def get_library(request: Request) -> LibraryService:
    """The library of the service's data folder."""
    return request.app.state.library


def get_app_settings(request: Request) -> ServiceSettings:
    """The settings the app was made with."""
    return request.app.state.settings


ServiceDep = Annotated[FamilyService, Depends(get_service)]
SettingsDep = Annotated[ServiceSettings, Depends(get_app_settings)]
LibraryDep = Annotated[LibraryService, Depends(get_library)]


API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False)
UNAUTHORIZED = {401: {"model": ErrorOut, "description": "Missing or wrong X-API-Key (when the service has one)."}}


def require_api_key(settings: SettingsDep, key: Annotated[str | None, Depends(API_KEY_HEADER)]) -> None:
    """401 unless the request carries the service's API key (when it has one)."""
    expected = settings.api_key
    if expected and not (key and secrets.compare_digest(key.encode(), expected.encode())):
        raise HTTPException(401, KEY_DETAIL)


class UploadReader:
    """An upload's bytes, read in chunks and refused (``TooLarge``) as soon as they pass the limit."""

    def __init__(self, max_upload_mb: float) -> None:
        self.max_upload_mb = max_upload_mb
        self.max_bytes = int(max_upload_mb * 1_000_000)

    async def __call__(self, upload: UploadFile) -> bytes:
        chunks, size = [], 0
        while chunk := await upload.read(_CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise TooLarge(f"{upload.filename or 'upload'} is over the {self.max_upload_mb:g} MB limit")
            chunks.append(chunk)
        return b"".join(chunks)


def get_upload_reader(settings: SettingsDep) -> UploadReader:
    return UploadReader(settings.max_upload_mb)


ReadUploadDep = Annotated[UploadReader, Depends(get_upload_reader)]
