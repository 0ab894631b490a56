"""What a client can send never makes a 500: odd paths, odd bodies, HEAD; with a key, the schema needs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def client(settings, tmp_path):
    with TestClient(create_app(settings.model_copy(update={"data": tmp_path, "sort_roots": [tmp_path]}))) as c:
        yield c


def test_odd_requests_are_client_errors(client, tmp_path, data):
    photo = (data / "family-dev/photos/bbt1.jpg").read_bytes()
    deep = "[" * 100_000 + "]" * 100_000
    r = client.post("/evaluate", files=[("files", ("a.jpg", photo))], data={"labels": deep})
    assert r.status_code == 422 and "nested too deeply" in r.json()["detail"]
    assert client.get("/evaluations/" + "a/" * 3000).status_code == 404
    r = client.post("/sort", json={"source": f"{tmp_path}/a\u0000b", "destination": str(tmp_path / "c")})
    assert r.status_code == 422 and "not a usable path" in r.json()["detail"]


def test_head_answers_wherever_get_does(client):
    for path in ("/health", "/members", "/version"):
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]


def test_with_a_key_the_schema_needs_it_too(settings, tmp_path):
    with TestClient(create_app(settings.model_copy(update={"data": tmp_path, "api_key": "s3cret"}))) as c:
        assert c.get("/openapi.json").status_code == 401
        assert c.get("/openapi.json", headers={"X-API-Key": "s3cret"}).json()["info"]["title"] == "Family Photo Classifier"
        assert c.get("/docs").status_code == 404 and c.get("/redoc").status_code == 404  # pages cannot send the key
        assert c.get("/health").status_code == 200


def test_an_empty_key_refuses_to_start(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "cli.main", "serve", "--port", "9", "--data", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ, "FAMILYPHOTO_API_KEY": ""},
    )
    assert run.returncode == 2 and "FAMILYPHOTO_API_KEY is set but empty" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_keyless_service_refuses_other_sites_and_other_names(client):
    """Another web page can neither post to it (CSRF) nor reach it under its own name (DNS rebinding)."""
    assert client.post("/train", headers={"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post("/members", json={"name": "x"}, headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.post("/members", content=b'{"name": "x"}', headers={"Content-Type": "text/plain"}).status_code == 415
    r = client.get("/members", headers={"Host": "evil.example:8000"})
    assert r.status_code == 400 and "FAMILYPHOTO_ALLOWED_HOSTS" in r.json()["detail"]
    assert client.get("/members", headers={"Host": "[::1"}).status_code == 400  # not even a name
    # Its own pages, and programs that are not browsers (no Origin), still work.
    own = client.post("/members", json={"name": "grandma"}, headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 201
    assert client.post("/members", json={"name": "leo"}).status_code == 201
    assert client.get("/members", headers={"Host": "localhost:8000"}).status_code == 200


def test_trusted_origins_may_change_it(settings, tmp_path):
    app = create_app(settings.model_copy(update={"data": tmp_path, "cors_origins": ["http://localhost:5173"]}))
    with TestClient(app) as c:
        headers = {"Origin": "http://localhost:5173", "Sec-Fetch-Site": "same-site"}
        assert c.post("/members", json={"name": "grandma"}, headers=headers).status_code == 201


def test_the_same_photo_twice_is_one_face(client, data):
    photo = sorted((data / "family-dev/enroll/sheldon").iterdir())[0].read_bytes()
    assert client.post("/members", json={"name": "grandma"}).status_code == 201
    ids = []
    for name in ("a.png", "again-under-another-name.png"):  # a retry; the same photo renamed
        r = client.post("/members/grandma/photos", files=[("files", (name, photo, "image/png"))])
        assert r.status_code == 200, r.text
        ids += [f["id"] for f in r.json()["enrolled"]]
    assert len(set(ids)) == 1 and len(client.get("/members/grandma/faces").json()) == 1


def test_a_full_disk_is_507_and_stores_nothing(client, data, monkeypatch):
    import errno

    from api.services.store import FamilyStore

    photo = sorted((data / "family-dev/enroll/sheldon").iterdir())[0].read_bytes()
    assert client.post("/members", json={"name": "grandma"}).status_code == 201
    real_insert = FamilyStore.insert_face

    def full(self, db, *args):
        db.execute("UPDATE counters SET value=value+1")  # written, then rolled back with the rest
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FamilyStore, "insert_face", full)
    r = client.post("/members/grandma/photos", files=[("files", ("a.png", photo, "image/png"))])
    assert r.status_code == 507 and "disk is full" in r.json()["detail"]
    monkeypatch.setattr(FamilyStore, "insert_face", real_insert)
    assert client.get("/members/grandma/faces").json() == []


def test_member_names_must_be_folder_names(client):
    for name in ("manifest.csv", "CON", "a:b", "😀" * 64, "dad."):
        r = client.post("/members", json={"name": name})
        assert r.status_code == 422 and "folder name" in r.json()["detail"], name
    assert client.post("/members", json={"name": "Léo"}).status_code == 201


def test_an_enrolment_holds_one_photo_at_a_time(client, data, monkeypatch):
    """Photos of one request are read and enrolled one after the other, never all read first."""
    import anyio

    service = client.app.state.service
    assert client.post("/members", json={"name": "grandma"}).status_code == 201
    photos = sorted((data / "family-dev/enroll/sheldon").iterdir())[:3]
    events = []

    def reader(path):
        async def read() -> bytes:
            events.append(f"read {path.name}")
            return path.read_bytes()
        return read

    enrol_photo = service.enrol_photo
    monkeypatch.setattr(service, "enrol_photo", lambda m, n, d: events.append(f"enrol {n}") or enrol_photo(m, n, d))
    anyio.run(service.enrol_async, "grandma", [(p.name, reader(p)) for p in photos])
    assert events == [e for p in photos for e in (f"read {p.name}", f"enrol {p.name}")]


def _post_chunks(app, path: str, chunks: int, headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    """POST ``chunks`` MB to ``app`` as a chunked body (no Content-Length), straight through ASGI:
    (the status answered, how many MB the app read)."""
    import anyio

    pulled, status = 0, 0

    head = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'  # a photo that never ends

    async def receive():
        nonlocal pulled
        if pulled < chunks:
            pulled += 1
            body = (head if pulled == 1 else b"") + b"\0" * (1 << 20)
            return {"type": "http.request", "body": body, "more_body": pulled < chunks}
        await anyio.sleep(3600)  # nothing more: the app must not wait for it

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
        "scheme": "http", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 1), "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"multipart/form-data; boundary=x"), *headers],
        "http_version": "1.1", "asgi": {"version": "3.0"},
    }

    async def run():
        with anyio.fail_after(60):
            await app(scope, receive, send)

    anyio.run(run)
    return status, pulled


def test_a_chunked_upload_is_cut_off_at_the_limit(settings, tmp_path):
    app = create_app(settings.model_copy(update={"data": tmp_path, "max_upload_mb": 5}))
    status, read = _post_chunks(app, "/predict", 100, [])
    assert status == 413 and read <= 8  # 5 MB and the multipart allowance, not 100


def test_without_the_key_no_body_is_read(settings, tmp_path):
    app = create_app(settings.model_copy(update={"data": tmp_path, "api_key": "s3cret"}))
    assert _post_chunks(app, "/predict", 50, []) == (401, 0)
    status, read = _post_chunks(app, "/members", 1, [(b"x-api-key", b"s3cret")])
    assert status != 401 and read == 1  # with the key, the body is read
