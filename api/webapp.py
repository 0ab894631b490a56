"""The web app's built files, served at ``/`` beside the API on the same origin.

The API keeps its paths (``/predict``, ``/members``, ...) and is registered first, so it always
wins; the single-page app routes with the URL hash (``/#/family``), so no app path can collide
with an API path.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

log = logging.getLogger(__name__)


def mount_webapp(app: FastAPI, folder: Path | None) -> bool:
    """Serve ``folder`` (a Vite build with an ``index.html``) at ``/``; False when there is none."""
    if folder is None or not (folder / "index.html").is_file():
        log.info("no web app at %s (run `npm ci && npm run build` in frontend/); serving the API only", folder)
        return False
    app.mount("/", StaticFiles(directory=folder, html=True), name="webapp")
    return True
