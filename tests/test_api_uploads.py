"""Uploads are refused as they arrive, not after: the key before the body, the limits on the stream
(chunked or not), and an enrolment handles its photos one at a time.

Most tests drive the ASGI app directly with a body that is produced as it is read, and count how
much of it the service pulled before answering: a body the service refuses must stay unread.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.datastructures import UploadFile

from api.app import create_app
from api.services.family import FamilyService

MB = 1_000_000
CHUNK = 1 << 20
BOUNDARY = "familyphoto-test-boundary"


@dataclass
class Answer:
    status: int
    detail: str
    pulled: int  # bytes of the body the app had read when it answered


def drive(app, path: str, chunks: Iterator[bytes], *, headers: dict[str, str], method: str = "POST") -> Answer:
    """One request through the whole ASGI app, its body read from ``chunks`` only as the app asks for it."""
    pulled = 0
    messages: list[dict] = []

    async def receive() -> dict:
        nonlocal pulled
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict) -> None:
        messages.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "127.0.0.1:8000", **headers}.items()],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return Answer(start["status"], json.loads(body).get("detail", "") if body else "", pulled)


def multipart(files: list[tuple[str, str, int]], fields: dict[str, str] | None = None) -> Iterator[bytes]:
    """A multipart body, produced lazily: ``files`` as (field, file name, size in bytes) of filler."""
    for name, value in (fields or {}).items():
        yield f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for field, filename, size in files:
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        for start in range(0, size, CHUNK):
            yield b"\xff" * min(CHUNK, size - start)
        yield b"\r\n"
    yield f"--{BOUNDARY}--\r\n".encode()


CHUNKED = {"content-type": f"multipart/form-data; boundary={BOUNDARY}", "transfer-encoding": "chunked"}


@pytest.fixture
def app_for(settings, tmp_path):
    """``app_for(**settings) -> app``: the service's app (not started: these requests never reach a route)."""

    def make(**update):
        return create_app(settings.model_copy(update={"data": tmp_path, "webapp": None, **update}))

    return make


@pytest.mark.parametrize("path", ["/predict", "/members/grandma/photos", "/evaluate", "/members"])
def test_the_key_is_checked_before_the_body_is_read(app_for, path):
    app = app_for(api_key="s3cret")
    for headers in ({}, {"x-api-key": "wrong"}):
        answer = drive(app, path, multipart([("files", "big.jpg", 50 * MB)]), headers={**CHUNKED, **headers})
        assert (answer.status, answer.detail) == (401, "missing or wrong X-API-Key")
        assert answer.pulled == 0  # before: all 50 MB spooled to disk, then the 401


def test_a_chunked_photo_is_refused_once_over_the_limit_not_after(app_for):
    app = app_for(max_upload_mb=1.0)
    answer = drive(app, "/predict", multipart([("file", "huge.jpg", 60 * MB)]), headers=CHUNKED)
    assert answer.status == 413 and "huge.jpg is over the 1 MB limit" in answer.detail
    assert answer.pulled < 3 * CHUNK  # before: the 60 MB were read (and spooled) first


def test_each_file_of_a_batch_is_held_to_the_limit_as_it_streams(app_for):
    app = app_for(max_upload_mb=1.0)
    files = [("files", "small.jpg", MB // 2), ("files", "huge.jpg", 40 * MB), ("files", "after.jpg", MB // 2)]
    answer = drive(app, "/predict/batch", multipart(files), headers=CHUNKED)
    assert answer.status == 413 and "huge.jpg is over the 1 MB limit" in answer.detail
    assert answer.pulled < MB // 2 + 3 * CHUNK


def test_too_many_files_stop_the_upload_at_the_first_one_too_many(app_for):
    app = app_for(max_upload_mb=1.0, max_batch_files=2)
    files = [("files", f"{i}.jpg", MB // 2) for i in range(40)]  # each under the limit, 20 MB in all
    answer = drive(app, "/predict/batch", multipart(files), headers=CHUNKED)
    assert answer.status == 413 and "limit" in answer.detail
    assert answer.pulled < 4 * MB  # the third file's header ends it


def test_the_whole_body_is_counted_not_only_its_files(app_for):
    """A small form, then 100 MiB after its closing boundary: the parser would read it all; the byte count stops it."""
    app = app_for(max_upload_mb=1.0)
    body = itertools.chain(multipart([("file", "small.jpg", 1000)]), (b"x" * CHUNK for _ in range(100)))
    answer = drive(app, "/predict", body, headers=CHUNKED)
    assert answer.status == 413 and "limit" in answer.detail
    assert answer.pulled < 6 * CHUNK  # one photo's limit and the form's framing, not 100 MiB


def test_json_routes_take_small_bodies_only(app_for):
    app = app_for()
    body = iter([b'{"name": "' + b"a" * CHUNK] + [b"a" * CHUNK] * 30 + [b'"}'])
    answer = drive(app, "/members", body, headers={"content-type": "application/json", "transfer-encoding": "chunked"})
    assert answer.status == 413 and "limit" in answer.detail
    assert answer.pulled <= 2 * CHUNK + 20  # before: 31 MiB read, then a 422


def test_a_content_length_over_the_limit_is_refused_unread(app_for):
    app = app_for(max_upload_mb=1.0)
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}", "content-length": str(500 * MB)}
    answer = drive(app, "/predict", multipart([("file", "huge.jpg", 500 * MB)]), headers=headers)
    assert answer.status == 413 and answer.pulled == 0


def test_photos_within_the_limits_still_go_through(settings, tmp_path, data):
    """A whole batch of real photos, chunked, well within the limits (2 MB each, 3 photos)."""
    app = create_app(settings.model_copy(update={"data": tmp_path, "max_upload_mb": 2.0, "max_batch_files": 3}))
    photos = [("files", (name, (data / "family-dev/photos" / name).read_bytes(), "image/jpeg")) for name in ("bbt1.jpg", "bbt2.jpg")]
    with TestClient(app) as client:
        r = client.post("/predict/batch?crops=false", files=photos)
        assert r.status_code == 200 and [i["status"] for i in r.json()] == [200, 200]


def test_an_enrolment_handles_its_photos_one_at_a_time(settings, tmp_path, data, monkeypatch):
    """Each photo is read, enrolled and dropped before the next is read: never all of them in memory."""
    events: list[tuple[str, str]] = []
    read, enrol_photo = UploadFile.read, FamilyService.enrol_photo

    async def logged_read(self, size: int = -1) -> bytes:
        chunk = await read(self, size)
        if not events or events[-1] != ("read", self.filename):
            events.append(("read", self.filename))
        return chunk

    def logged_enrol(self, member, name, photo):
        events.append(("enrol", name))
        assert isinstance(photo, bytes | Path)
        return enrol_photo(self, member, name, photo)

    monkeypatch.setattr(UploadFile, "read", logged_read)
    monkeypatch.setattr(FamilyService, "enrol_photo", logged_enrol)
    names = ["amy1.png", "amy2.png", "amy3.png", "amy4.png"]
    files = [("files", (n, (data / "family-dev/enroll/amy" / n).read_bytes(), "image/png")) for n in names]
    with TestClient(create_app(settings.model_copy(update={"data": tmp_path}))) as client:
        assert client.post("/members", json={"name": "amy"}).status_code == 201
        r = client.post("/members/amy/photos", files=files)
    assert r.status_code == 200 and len(r.json()["enrolled"]) + len(r.json()["rejected"]) == 4
    # before: read, read, read, read, then enrol x 4 (every photo's bytes held at once)
    assert events == [(kind, n) for n in names for kind in ("read", "enrol")]
