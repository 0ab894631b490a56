"""Print the service's OpenAPI schema (what the web app's types are generated from).

``python -m api.openapi > frontend/openapi.json``; a test checks the committed copy is current.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from api.settings import ServiceSettings


def openapi_schema() -> dict:
    """The schema of the service as built now (no models are loaded)."""
    from api.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        return create_app(ServiceSettings(data=Path(tmp), webapp=None)).openapi()


def main() -> None:
    json.dump(openapi_schema(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
