"""The service's settings: the pipeline's (``inference.settings.Settings``) plus what only the service uses."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator

from inference.settings import Settings


class ServiceSettings(Settings):
    """Settings of ``familyphoto serve`` (and of ``familyphoto enrol``, which fills its data directory).

    Every field, the pipeline's included, can be set with an environment variable named
    ``FAMILYPHOTO_<FIELD>``, e.g. ``FAMILYPHOTO_DATA=/srv/familyphoto`` or ``FAMILYPHOTO_PORT=8080``;
    all are listed in docs/settings.md (``python -m api.settings_doc``). A default that depends on
    the machine says so in ``json_schema_extra={"doc_default": ...}``, for that page.
    """

    data: Path = Field(
        default_factory=lambda: Path.home() / ".local" / "share" / "familyphoto",
        description="Where the service keeps its family (used when no weights directory is given).",
        json_schema_extra={"doc_default": "`~/.local/share/familyphoto`"},
    )
    host: str = Field("127.0.0.1", description="Address the service listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the service listens on.")
    max_upload_mb: float = Field(25.0, gt=0, description="Largest accepted upload, in megabytes (413 above).")
    max_batch_files: int = Field(50, ge=1, description="Most photos in one /predict/batch request.")
    sort_roots: list[Path] = Field(
        default_factory=list,
        description="Folders under which POST /sort may read and write on the server's disk; empty: the route refuses.",
    )
    library_roots: list[Path] = Field(
        default_factory=list,
        description="Folders of photos the library indexes (a JSON list); read only: the service never writes, moves "
        "or deletes anything in them. Photos uploaded to the library are kept in the data folder.",
    )
    retrain_after: int = Field(
        3, ge=0, description="Retrain by itself (then decide the library again) after this many names, undos and "
        "member changes; 0: only when asked (POST /train).",
    )
    discover_min_face_px: int = Field(
        24, ge=1, description="Faces smaller than this (the box's shorter side, in the photo's pixels) are never put in "
        "an unnamed group (GET /people/unnamed): too small to tell people apart.",
    )
    discover_min_sharpness: float = Field(
        50.0, ge=0, description="Faces blurrier than this (variance of the Laplacian of the face at 64 px) are never put "
        "in an unnamed group: blurred faces of different people look alike. 0: no blur filter.",
    )
    max_evaluate_files: int = Field(1000, ge=1, description="Most labelled photos in one /evaluate request.")
    max_concurrency: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, description="Photos analysed at once by the service.",
        json_schema_extra={"doc_default": "number of CPU cores"},
    )
    api_key: str | None = Field(
        None,
        description="When set, every route but /health (and the web app's own files) requires the X-API-Key header, "
        "the schema included; /docs and /redoc are off. Set but empty: the service refuses to start.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins of web pages served elsewhere that may call the API from a browser, and change things "
        '(e.g. ["http://localhost:5173"]); the service\'s own origin always may.',
    )
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "::1"],
        description="Host names (any port) the service answers to, 400 for others (DNS rebinding); the listening "
        'address is added unless it is 0.0.0.0 or ::. A JSON list, e.g. ["localhost", "photos.home.lan"]; '
        '"*.home.lan" for every name under it; ["*"]: any.',
        json_schema_extra={"doc_default": '`["127.0.0.1", "localhost", "::1"]`'},
    )
    webapp: Path | None = Field(
        default_factory=lambda: Path(__file__).resolve().parents[1] / "frontend" / "dist",
        description="The web app's built files (`npm run build` in frontend/), served at / when the folder exists.",
        json_schema_extra={"doc_default": "`frontend/dist` beside the code"},
    )

    @field_validator("api_key")
    @classmethod
    def _no_empty_key(cls, key: str | None) -> str | None:
        # An empty variable is a mistake (an unset shell variable, a template), never "no key":
        # refusing to start beats silently serving without one.
        if key is not None and not key.strip():
            raise ValueError(
                "FAMILYPHOTO_API_KEY is set but empty: set a real key (e.g. `openssl rand -hex 16`), "
                "or unset the variable to run without one on this machine only"
            )
        return key

    def served_hosts(self) -> list[str]:
        """The Host names to answer to: ``allowed_hosts`` and the address it listens on (unless a wildcard)."""
        extra = [] if self.host in ("0.0.0.0", "::", "") else [self.host]
        return [*self.allowed_hosts, *extra]

    def served_weights(self, given: Path | None = None) -> Path | None:
        """The trained family to serve: ``given`` (``--weights``), else ``FAMILYPHOTO_WEIGHTS`` when it is
        set, else None: the family kept in the data directory."""
        if given is not None:
            return given
        return self.weights if "weights" in self.model_fields_set else None


@lru_cache(maxsize=1)
def get_service_settings() -> ServiceSettings:
    """The process-wide service settings (read once from the environment)."""
    return ServiceSettings()
