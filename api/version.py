"""The installed package's version (what ``/version`` and the OpenAPI schema say)."""

from __future__ import annotations

import importlib.metadata


def package_version() -> str:
    try:
        return importlib.metadata.version("familyphoto")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"
