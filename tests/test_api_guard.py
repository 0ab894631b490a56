"""Nobody let in: other web sites cannot drive the service (CSRF, DNS rebinding), an empty key never
means "no key", and with a key the schema needs it too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from api.app import create_app
from api.settings import ServiceSettings, get_service_settings
from cli.main import app as familyphoto

ROOT = Path(__file__).resolve().parents[1]
EVIL = "http://evil.example"


@pytest.fixture(scope="module")
def service_settings(settings, tmp_path_factory):
    return settings.model_copy(update={"data": tmp_path_factory.mktemp("guard-data"), "webapp": None})


@pytest.fixture(scope="module")
def client(service_settings):
    """A keyless service (the default), as `familyphoto serve` runs it on 127.0.0.1."""
    with TestClient(create_app(service_settings)) as c:
        yield c


def _members(client) -> list[str]:
    return [m["name"] for m in client.get("/members").json()]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"},  # a page of another site, as browsers say it
        {"Origin": EVIL},  # an older browser: Origin only
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # another port or subdomain of the same site is another origin
        {"Origin": "null"},  # a sandboxed frame or a file:// page
        {"Origin": "http://testserver:8080"},  # the right name on another port
    ],
)
def test_a_keyless_service_refuses_changes_asked_by_another_site(client, headers):
    before = _members(client)
    r = client.post("/train", headers=headers)
    assert r.status_code == 403 and "another web site" in r.json()["detail"]  # before: 202, a training started
    form = {**headers, "Content-Type": "multipart/form-data; boundary=x"}
    r = client.post("/members", content=b'--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nmallory\r\n--x--\r\n', headers=form)
    assert r.status_code == 403
    r = client.request("DELETE", "/members/anyone", headers=headers)
    assert r.status_code == 403
    assert _members(client) == before


def test_its_own_pages_and_programs_that_are_not_browsers_may_change_it(client):
    own = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/members", json={"name": "grandma"}, headers=own).status_code == 201
    assert client.post("/members", json={"name": "grandpa"}).status_code == 201  # curl: neither header
    on_a_port = {"Host": "localhost:8000", "Origin": "http://localhost:8000", "Sec-Fetch-Site": "same-origin"}
    assert client.request("DELETE", "/members/grandpa", headers=on_a_port).status_code == 204
    assert client.post("/members", json={"name": "leo"}, headers={"Sec-Fetch-Site": "none"}).status_code == 201
    assert {"grandma", "leo"} <= set(_members(client)) and "grandpa" not in _members(client)


def test_the_origins_it_is_told_to_trust_may_change_it(service_settings, tmp_path):
    app = create_app(service_settings.model_copy(update={"data": tmp_path, "cors_origins": ["http://localhost:5173"]}))
    with TestClient(app) as c:
        trusted = {"Origin": "http://localhost:5173", "Sec-Fetch-Site": "same-site"}
        r = c.post("/members", json={"name": "grandma"}, headers=trusted)
        assert r.status_code == 201 and r.headers["access-control-allow-origin"] == "http://localhost:5173"
        assert c.post("/members", json={"name": "x"}, headers={"Origin": EVIL}).status_code == 403


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "text/plain; charset=utf-8"])
def test_json_bodies_only_as_application_json(client, content_type):
    """A form of another site can send text/plain or url-encoded bodies without asking: they are refused."""
    r = client.post("/members", content=b'{"name": "mallory"}', headers={"Content-Type": content_type})
    assert r.status_code == 415 and "application/json" in r.json()["detail"]  # before: 422, parsed for a change
    r = client.post("/train", content=b"x=1", headers={"Content-Type": content_type})
    assert r.status_code == 415  # before: 202
    assert "mallory" not in _members(client)
    name = f"ok{len(content_type)}".encode()
    r = client.post("/members", content=b'{"name": "' + name + b'"}', headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "[::2]:8000", ""])
def test_other_host_names_are_refused(client, host):
    """DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 reads as a foreign Host."""
    for method, path in (("GET", "/members"), ("GET", "/"), ("POST", "/train"), ("GET", "/docs")):
        r = client.request(method, path, headers={"Host": host})
        assert r.status_code == 400 and "FAMILYPHOTO_ALLOWED_HOSTS" in r.json()["detail"], (method, path)
    assert client.get("/health", headers={"Host": host}).status_code == 200  # health checks use any name


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "LOCALHOST", "[::1]:8000", "127.0.0.1"])
def test_loopback_names_are_served_on_any_port(client, host):
    assert client.get("/members", headers={"Host": host}).status_code == 200


def test_allowed_hosts_and_the_listening_address_extend_the_names(service_settings, tmp_path):
    update = {"data": tmp_path, "host": "photos.home.lan", "allowed_hosts": ["192.168.1.20", "*.family.example"]}
    with TestClient(create_app(service_settings.model_copy(update=update))) as c:
        for host in ("photos.home.lan:8000", "192.168.1.20:8000", "pi.family.example"):
            assert c.get("/members", headers={"Host": host}).status_code == 200, host
        for host in ("localhost:8000", "family.example.evil", "evil.example"):
            assert c.get("/members", headers={"Host": host}).status_code == 400, host
    assert ServiceSettings(host="0.0.0.0").served_hosts() == ["127.0.0.1", "localhost", "::1"]
    with TestClient(create_app(service_settings.model_copy(update={"data": tmp_path, "allowed_hosts": ["*"]}))) as c:
        assert c.get("/members", headers={"Host": "anything.example"}).status_code == 200


@pytest.fixture
def serve(monkeypatch, tmp_path):
    """``serve(*args, env) -> (result, started apps)``: ``familyphoto serve`` up to uvicorn, which is not run."""
    started: list = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append(app))
    monkeypatch.setenv("FAMILYPHOTO_DATA", str(tmp_path))

    def run(*args: str, env: dict[str, str]):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_service_settings.cache_clear()  # this test's environment
        result = CliRunner().invoke(familyphoto, ["serve", *args])
        for name in env:
            monkeypatch.delenv(name)
        get_service_settings.cache_clear()
        return result, started

    return run


def test_an_empty_key_refuses_to_start(serve):
    with pytest.raises(ValidationError, match="FAMILYPHOTO_API_KEY is set but empty"):
        ServiceSettings(api_key="")
    for empty in ("", "   "):
        result, started = serve(env={"FAMILYPHOTO_API_KEY": empty})
        assert result.exit_code != 0 and "FAMILYPHOTO_API_KEY is set but empty" in " ".join(result.output.split())
        assert started == []  # before: served with no key at all


def test_listening_beyond_this_machine_without_a_key_warns_loudly(serve):
    result, started = serve("--host", "0.0.0.0", env={})
    assert "serving on 0.0.0.0 without FAMILYPHOTO_API_KEY" in " ".join(result.output.split()) and len(started) == 1
    for args, env in ((("--host", "0.0.0.0"), {"FAMILYPHOTO_API_KEY": "s3cret"}), (("--host", "127.0.0.1"), {})):
        result, _ = serve(*args, env=env)
        assert result.exit_code == 0 and "without FAMILYPHOTO_API_KEY" not in result.output


def test_with_a_key_the_schema_needs_it_too(service_settings, tmp_path):
    app = create_app(service_settings.model_copy(update={"data": tmp_path, "api_key": "s3cret"}))
    with TestClient(app) as c:
        assert c.get("/openapi.json").status_code == 401  # before: 200, every route described to anyone
        assert c.get("/openapi.json", headers={"X-API-Key": "wrong"}).status_code == 401
        schema = c.get("/openapi.json", headers={"X-API-Key": "s3cret"}).json()
        assert "/predict" in schema["paths"] and "/openapi.json" not in schema["paths"]
        for page in ("/docs", "/redoc"):  # a browser page cannot send the key: off, and says why
            r = c.get(page, headers={"X-API-Key": "s3cret"})
            assert r.status_code == 404 and "FAMILYPHOTO_API_KEY" in r.json()["detail"]
        assert c.get("/health").json()["ready"] is True
    with TestClient(create_app(service_settings.model_copy(update={"data": tmp_path}))) as c:  # no key: all there
        assert [c.get(p).status_code for p in ("/openapi.json", "/docs", "/redoc")] == [200, 200, 200]


def test_compose_never_ships_an_empty_key_and_nginx_keeps_the_browsers_host():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert re.search(r"FAMILYPHOTO_API_KEY: \$\{FAMILYPHOTO_API_KEY:\?[^}]+\}", compose)  # before: ${...:-} (empty)
    nginx = (ROOT / "frontend/nginx.conf").read_text()
    assert "proxy_set_header Host $http_host;" in nginx  # the port too: the service compares it with Origin
