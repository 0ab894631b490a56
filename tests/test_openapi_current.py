"""The web app's types are generated from frontend/openapi.json: it must be the service's schema as built now."""

from __future__ import annotations

import json
from pathlib import Path

from api.openapi import openapi_schema

COMMITTED = Path(__file__).resolve().parents[1] / "frontend" / "openapi.json"
REGENERATE = ".venv/bin/python -m api.openapi > frontend/openapi.json"


def _paths_differing(old: dict, new: dict) -> list[str]:
    keys = sorted(set(old.get("paths", {})) | set(new.get("paths", {})))
    changed = [k for k in keys if old.get("paths", {}).get(k) != new.get("paths", {}).get(k)]
    schemas_old, schemas_new = old.get("components", {}).get("schemas", {}), new.get("components", {}).get("schemas", {})
    names = sorted(set(schemas_old) | set(schemas_new))
    return changed + [f"#/components/schemas/{n}" for n in names if schemas_old.get(n) != schemas_new.get(n)]


def test_frontend_openapi_json_is_current():
    assert COMMITTED.is_file(), f"{COMMITTED} is missing: run `{REGENERATE}`"
    committed = json.loads(COMMITTED.read_text())
    current = json.loads(json.dumps(openapi_schema()))  # through JSON, as the file was written
    if committed != current:
        changed = _paths_differing(committed, current) or ["(info or other top-level fields)"]
        raise AssertionError(
            "frontend/openapi.json is out of date with the service's API; the web app's types are generated from it.\n"
            f"Regenerate it with `{REGENERATE}`, then `cd frontend && npm run build` to check the app still fits.\n"
            "Differs at: " + ", ".join(changed[:20])
        )
