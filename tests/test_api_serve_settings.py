"""``familyphoto serve`` and its settings: which family it serves (--weights > FAMILYPHOTO_WEIGHTS > --data's own)."""

from __future__ import annotations

from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.settings import ServiceSettings, get_service_settings
from cli.main import app as familyphoto
from inference.family import Family
from inference.settings import Settings


@pytest.fixture
def serve(monkeypatch, tmp_path: Path):
    """``serve(*args) -> app``: runs ``familyphoto serve`` up to uvicorn, and returns the app it would serve."""
    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    monkeypatch.setenv("FAMILYPHOTO_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("FAMILYPHOTO_WEIGHTS", raising=False)

    def run(*args: str):
        get_service_settings.cache_clear()  # the environment of this test, not of an earlier one
        result = CliRunner().invoke(familyphoto, ["serve", *args])
        assert result.exit_code == 0, result.output
        return served["app"]

    yield run
    get_service_settings.cache_clear()


def test_serve_honours_familyphoto_weights(serve, monkeypatch, family_dev_weights: Path) -> None:
    monkeypatch.setenv("FAMILYPHOTO_WEIGHTS", str(family_dev_weights))
    with TestClient(serve("--port", "8123"), base_url="http://127.0.0.1:8123") as client:  # a Host it serves
        names = [m["name"] for m in client.get("/members").json()]
    assert names == sorted(Family.load(family_dev_weights).manifest.members) and len(names) == 8


def test_weights_option_beats_the_environment_which_beats_the_data_directory(
    serve, monkeypatch, family_dev_weights: Path, tmp_path: Path
) -> None:
    assert serve().state.service.weights == tmp_path / "data" / "weights"  # neither: the data directory's own
    monkeypatch.setenv("FAMILYPHOTO_WEIGHTS", str(tmp_path / "not-a-family"))
    assert serve("--weights", str(family_dev_weights)).state.service.weights == family_dev_weights


def test_service_settings_extend_the_pipeline_settings(monkeypatch) -> None:
    monkeypatch.setenv("FAMILYPHOTO_MAX_UPLOAD_MB", "3")
    monkeypatch.setenv("FAMILYPHOTO_DETECT_SIZE", "800")
    settings = ServiceSettings()
    assert isinstance(settings, Settings) and (settings.max_upload_mb, settings.detect_size) == (3.0, 800)
    assert not set(Settings.model_fields) & {"data", "host", "port", "max_upload_mb", "api_key", "webapp"}
    assert settings.served_weights() is None and settings.served_weights(Path("w")) == Path("w")
