"""What the browser tests share: where things are, the service they start, screenshots.

Debian's chromium (``/usr/bin/chromium``) driven by Playwright; ``familyphoto serve`` on a free loopback port
with a fresh data directory, serving ``frontend/dist``. Screenshots go to ``tests/artifacts/webapp`` (or
``$FAMILYPHOTO_E2E_ARTIFACTS``); with ``FAMILYPHOTO_E2E_DOCS=docs/screenshots`` the docs' small copies too.
The fixtures ``sync_api``, ``browser`` and ``page`` are in conftest.py; each module starts its own ``service``.
"""

from __future__ import annotations

import json

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
DIST = Path(os.environ.get("FAMILYPHOTO_WEBAPP", ROOT / "frontend" / "dist"))
CHROMIUM = Path(os.environ.get("FAMILYPHOTO_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("FAMILYPHOTO_E2E_ARTIFACTS", ROOT / "tests" / "artifacts" / "webapp"))
DOCS = os.environ.get("FAMILYPHOTO_E2E_DOCS")  # e.g. docs/screenshots: small copies for the README
DOC_MAX_BYTES = 300_000
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
MAYBE_FROM = 0.2  # frontend/src/lib/faceWords.ts: an undecided face is "maybe <name>" from this probability on


def missing(reason: str) -> None:
    """Skip on a developer's machine; in CI (CI=true) everything must be there, so fail."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


def playwright_api():
    """Playwright's sync API, once chromium, the built web app and the package are all there."""
    if not CHROMIUM.exists():
        missing(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install -y chromium)")
    if not (DIST / "index.html").is_file():
        missing(f"the web app is not built at {DIST} (cd frontend && npm ci && npm run build)")
    try:
        from playwright import sync_api
    except ImportError:
        missing("browser tests need the playwright package (pip install -e '.[test]')")
    return sync_api


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """``familyphoto serve`` on ``data_dir`` (and ``env``), serving the built web app; its URL once ready."""
    exe = shutil.which("familyphoto", path=str(Path(sys.executable).parent)) or shutil.which("familyphoto")
    assert exe, "the familyphoto command is not installed (pip install -e .)"
    full_env = {**os.environ, "FAMILYPHOTO_DATA": str(data_dir), "FAMILYPHOTO_WEBAPP": str(DIST), **(env or {})}
    full_env.pop("FAMILYPHOTO_API_KEY", None)
    full_env.pop("FAMILYPHOTO_WEIGHTS", None)  # serve would serve that family rather than the data directory's
    port = _free_port()
    with (data_dir / "server.log").open("w") as log:
        proc = subprocess.Popen(
            [exe, "serve", "--host", "127.0.0.1", "--port", str(port)], env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while True:
                assert proc.poll() is None, f"the service exited: {(data_dir / 'server.log').read_text()[-3000:]}"
                try:
                    if httpx.get(f"{url}/health", timeout=2).json().get("ready"):
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "the service did not become ready in 180 s"
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def serving_library(data_dir: Path, photos_folder: Path) -> Iterator[str]:
    """:func:`serving` with ``photos_folder`` as the library's one folder; never retraining by itself, so a
    browser flow is not racy."""
    env = {"FAMILYPHOTO_LIBRARY_ROOTS": json.dumps([str(photos_folder)]), "FAMILYPHOTO_RETRAIN_AFTER": "0"}
    with serving(data_dir, env) as url:
        yield url



def screenshot(page, name: str, doc_shots: Collection[str], *, full_page: bool = True) -> Path:
    """The page as ``ARTIFACTS/<name>.png``; a small copy in the docs too when asked and ``name`` is one of them."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if full_page:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=full_page)
    if DOCS and name in doc_shots:
        _small_copy(path, ROOT / DOCS / path.name)
    return path


def _small_copy(src: Path, dest: Path, max_width: int = 800, max_height: int = 1300) -> None:
    """A README-sized PNG: at most 800 px wide, the top 1300 px, 256 colours or fewer, under 300 kB."""
    from PIL import Image

    image = Image.open(src).convert("RGB")
    if image.width > max_width:
        image = image.resize((max_width, round(image.height * max_width / image.width)), Image.Resampling.LANCZOS)
    image = image.crop((0, 0, image.width, min(image.height, max_height)))
    dest.parent.mkdir(parents=True, exist_ok=True)
    for colours in (256, 128, 64):
        image.quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(dest, optimize=True)
        if dest.stat().st_size < DOC_MAX_BYTES:
            return
    raise AssertionError(f"{dest} is over {DOC_MAX_BYTES} bytes even at 64 colours")


def at_phone_width(page, name: str, doc_shots: Collection[str]) -> None:
    """Re-lay the page out at 375 px: nothing may stick out sideways; screenshot it."""
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width} px wide at a {PHONE['width']} px phone"
    screenshot(page, f"{name}-phone", doc_shots)
    page.set_viewport_size(DESKTOP)
