"""Shared fixtures: the real photos in ../shared/data and a family trained on them once."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from api.settings import ServiceSettings
from inference.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("FAMILYPHOTO_TEST_DATA", ROOT.parent / "shared" / "data")).resolve()


# Markers (registered in pyproject.toml). `photos` and `browser` follow from what a test uses, so they are
# applied here, once; `slow` is a judgement, marked on the tests themselves.
BROWSER_FIXTURES = {"sync_api", "browser", "page"}  # the Playwright fixtures below
BROWSER_MODULES = {"test_webapp_e2e.py", "test_webapp_library_e2e.py", "test_webapp_discover_e2e.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))  # the whole closure: data reached through any fixture
        if "data" in fixtures:
            item.add_marker(pytest.mark.photos)
        if fixtures & BROWSER_FIXTURES or item.path.name in BROWSER_MODULES:
            item.add_marker(pytest.mark.browser)


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"test photos not found at {path} (set FAMILYPHOTO_TEST_DATA to the shared data folder)")
    return path


@pytest.fixture(scope="session")
def data() -> Path:
    return _require(DATA)


@pytest.fixture(scope="session")
def settings() -> ServiceSettings:
    """The pipeline's settings with the service's (a ServiceSettings is a Settings): for the pipeline and the service."""
    defaults = ServiceSettings(workers=2)
    # FastAPI's TestClient calls itself "testserver": a Host name this service is told to serve.
    return defaults.model_copy(update={"allowed_hosts": [*defaults.allowed_hosts, "testserver"]})


@pytest.fixture(scope="session")
def family_dev_weights(data: Path, settings: Settings, tmp_path_factory) -> Path:
    """family-dev's 8 members trained from their enrolment crops (trained once per session)."""
    from training.config import TrainConfig
    from training.train import train_family

    out = tmp_path_factory.mktemp("family-dev-weights")
    train_family(data / "family-dev/enroll", out, settings, TrainConfig())
    return out


@pytest.fixture(scope="session")
def family_dev_labels(data: Path) -> dict[str, list[str]]:
    return json.loads((data / "family-dev/labels.json").read_text())


@pytest.fixture(scope="session")
def pipeline(family_dev_weights: Path, settings: Settings):
    from inference.family import Family
    from inference.pipeline import Pipeline

    p = Pipeline(settings, Family.load(family_dev_weights))
    p.load()
    return p


def _wait_for_job(client, job_id: str, timeout: float = 180) -> dict:
    """Poll ``/jobs/{job_id}`` until it succeeds or fails; its progress stays within [0, 1]."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        assert 0.0 <= job["progress"] <= 1.0
        if job["state"] in ("succeeded", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


@pytest.fixture(scope="session")
def wait_for_job():
    """``wait_for_job(client, job_id, timeout=180) -> job``: a service job, once finished."""
    return _wait_for_job


# The browser tests' Playwright fixtures (tests/webapp_support.py); each browser module starts its own `service`.
@pytest.fixture(scope="module")
def sync_api():
    from webapp_support import playwright_api

    return playwright_api()


@pytest.fixture(scope="module")
def browser(sync_api):
    from webapp_support import CHROMIUM, CHROMIUM_ARGS

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def http(service):
    """An HTTP client of the module's service (to set up and check what the browser does)."""
    import httpx

    with httpx.Client(base_url=service, timeout=120) as client:
        yield client


@pytest.fixture
def page(browser, service):
    """A desktop-sized page of the module's service; any uncaught error in it fails the test."""
    from webapp_support import DESKTOP

    context = browser.new_context(viewport=DESKTOP, base_url=service)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
