"""No 500 for anything a client can send (odd paths, odd bodies, HEAD), and a full disk is a 507."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import tempfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import DISK_FULL_DETAIL

ROOT = Path(__file__).resolve().parents[1]
WEBAPP = Path(os.environ.get("FAMILYPHOTO_WEBAPP", ROOT / "frontend" / "dist"))


@pytest.fixture(scope="module")
def sort_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sort-root")


@pytest.fixture(scope="module")
def client(settings, family_dev_weights, tmp_path_factory, sort_root):
    update = {"data": tmp_path_factory.mktemp("odd-data"), "sort_roots": [sort_root], "webapp": WEBAPP}
    with TestClient(create_app(settings.model_copy(update=update), family_dev_weights)) as c:
        yield c


@pytest.fixture(scope="module")
def photo(data) -> bytes:
    return (data / "family-dev/photos/bbt1.jpg").read_bytes()


def test_labels_nested_too_deeply_are_a_422(client, photo):
    deep = "[" * 100_000 + "]" * 100_000
    r = client.post("/evaluate", files=[("files", ("a.jpg", photo))], data={"labels": deep})
    assert r.status_code == 422 and "nested too deeply" in r.json()["detail"]  # before: 500 (RecursionError)


@pytest.mark.parametrize(
    "path",
    ["/evaluations/" + "a/" * 3000, "/evaluations/abc/a%00b", "/evaluations/abc/" + "b" * 300 + "/index.html",
     "/evaluations/" + "j" * 100 + "/report/index.html", "/evaluations/a%00b/report"],
)
def test_absurd_evaluation_paths_are_not_found(client, path):
    r = client.get(path)
    assert r.status_code == 404 and "no such file" in r.json()["detail"]  # before: 500 (ENAMETOOLONG, NUL)


@pytest.mark.parametrize(
    "source,words",
    [("{root}/a\x00b", "NUL"), ("{root}/" + "a" * 300, "too long"), ("~nosuchuser-familyphoto/photos", "no such user")],
)
def test_unusable_sort_paths_are_a_422(client, sort_root, source, words):
    r = client.post("/sort", json={"source": source.format(root=sort_root), "destination": str(sort_root / "out")})
    assert r.status_code == 422 and words in r.json()["detail"]  # before: 500


def test_head_is_answered_wherever_get_is(client):
    job = client.post("/members", json={"name": "howard-jr"})
    assert job.status_code == 201
    paths = ["/health", "/members", "/version", "/members/howard-jr/faces", "/jobs/nosuchjob", "/evaluations/latest",
             "/openapi.json", "/docs", "/nowhere"]
    if (WEBAPP / "index.html").is_file():
        paths += ["/", "/index.html"]
    for path in paths:
        get, head = client.get(path, follow_redirects=False), client.head(path, follow_redirects=False)
        assert head.status_code == get.status_code, path  # before: 405 for every API route
        assert head.content == b"", path
        assert head.headers.get("content-type") == get.headers.get("content-type"), path
    assert client.head("/train").status_code == client.get("/train").status_code  # POST only: as GET (404 or 405)


def test_nothing_a_client_sends_is_a_500(client, photo):
    """Odd bodies and paths a client can send: each answered with a 4xx, never a 500."""
    jsonish = {"Content-Type": "application/json"}
    requests = [
        ("POST", "/members", {"content": b"[" * 100_000 + b"]" * 100_000, "headers": jsonish}),
        ("POST", "/members", {"content": b'{"name": ' + b"1" * 5000 + b"}", "headers": jsonish}),
        ("POST", "/members", {"content": b'{"name": "\xff"}', "headers": jsonish}),
        ("POST", "/members", {"json": {"name": "a" * 100_000}}),
        ("POST", "/predict", {"content": b"junk", "headers": {"Content-Type": "multipart/form-data"}}),
        ("POST", "/predict", {"content": b"junk", "headers": {"Content-Type": "multipart/form-data; boundary=" + "x" * 100}}),
        ("POST", "/predict?crops=maybe", {"files": {"file": ("a.jpg", photo)}}),
        ("POST", "/predict", {"files": {"file": ("a.jpg", photo)}, "data": {f"f{i}": "x" for i in range(100)}}),
        ("POST", "/feedback", {"files": {"file": ("a.jpg", photo)}, "data": {"box": "[" * 100_000, "member": ""}}),
        ("POST", "/feedback", {"files": {"file": ("a.jpg", photo)}, "data": {"box": "[1, 2, 3, " + "9" * 5000 + "]"}}),
        ("POST", "/evaluate", {"files": [("files", ("a\x00.jpg", photo))], "data": {"labels": json.dumps({"a\x00.jpg": []})}}),
        ("POST", "/evaluate", {"files": [("files", ("a.jpg", photo))], "data": {"labels": "1" * 5000}}),
        ("DELETE", "/members/x/faces/99999999999999999999999", {}),
        ("DELETE", "/members/a%00b", {}),
        ("GET", "/members/" + "a" * 5000 + "/faces", {}),
        ("GET", "/jobs/a%00b", {}),
        ("GET", "/evaluations/latest/" + "a/" * 500, {}),
        ("POST", "/sort", {"json": {"source": "\x00", "destination": "\x00", "mode": "link"}}),
        ("POST", "/sort", {"json": {"source": "/", "destination": "/tmp", "mode": "move"}}),
        ("PUT", "/members", {}),
        ("FOO", "/members", {}),
    ]
    for method, path, options in requests:
        r = client.request(method, path, **options)
        assert 400 <= r.status_code < 500, (method, path[:80], r.status_code, r.text[:200])
        assert "detail" in r.json(), (method, path[:80])


# A full disk -----------------------------------------------------------------------------------

class FullDatabase(sqlite3.Connection):
    """A connection to a database on a disk that fills up on demand: once ``full``, every write fails as
    SQLite's does (SQLITE_FULL); reads go on."""

    full = False

    def execute(self, sql, *args):
        if FullDatabase.full and sql.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
            raise sqlite3.OperationalError("database or disk is full")
        return super().execute(sql, *args)


@pytest.fixture
def full_disk_client(settings, family_dev_weights, tmp_path, monkeypatch):
    """A service whose database fills up when ``FullDatabase.full`` is set."""
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: connect(*a, **{**k, "factory": FullDatabase}))
    monkeypatch.setattr(FullDatabase, "full", False)
    with TestClient(create_app(settings.model_copy(update={"data": tmp_path}), family_dev_weights)) as c:
        yield c


def _disk_full(r) -> bool:
    """507, saying so (the store's own words for its writes, api/errors.py's for the rest)."""
    detail = r.json()["detail"]
    return r.status_code == 507 and (detail == DISK_FULL_DETAIL or ("disk" in detail and "is full" in detail))


def test_a_full_database_is_a_507(full_disk_client, data, monkeypatch):
    client = full_disk_client
    assert client.post("/members", json={"name": "amy"}).status_code == 201
    monkeypatch.setattr(FullDatabase, "full", True)
    photo = (data / "family-dev/enroll/amy/amy1.png").read_bytes()
    assert _disk_full(client.post("/members/amy/photos", files=[("files", ("amy1.png", photo))]))  # before: 500
    assert _disk_full(client.post("/members", json={"name": "bernadette"}))
    assert _disk_full(client.request("DELETE", "/members/amy"))
    assert client.get("/members").status_code == 200  # reads still work
    monkeypatch.setattr(FullDatabase, "full", False)  # space freed: the same requests go through
    assert client.post("/members/amy/photos", files=[("files", ("amy1.png", photo))]).status_code == 200
    monkeypatch.setattr(FullDatabase, "full", True)
    assert _disk_full(client.post("/train"))  # before: 500


def test_a_full_disk_while_saving_an_evaluation_is_a_507(client, photo, monkeypatch):
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)  # the last step of every file the service writes
    labels = json.dumps({"a.jpg": ["howard"]})
    r = client.post("/evaluate", files=[("files", ("a.jpg", photo))], data={"labels": labels})
    assert _disk_full(r)  # before: 500 "internal error (OSError)"


def test_a_full_disk_while_an_upload_arrives_is_a_507(client, photo, monkeypatch):
    """An upload over 64 KiB goes to a temporary file as it arrives: the disk can fill up there too."""

    class NoSpace:
        def __init__(self, *args, **kwargs) -> None:
            pass

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        closed = False

        def close(self) -> None:
            self.closed = True

    monkeypatch.setattr(tempfile, "TemporaryFile", NoSpace)
    assert _disk_full(client.post("/predict", files={"file": ("a.jpg", photo)}))  # before: 400 "error parsing the body"
    monkeypatch.undo()
    assert client.post("/predict?crops=false", files={"file": ("a.jpg", photo)}).status_code == 200
