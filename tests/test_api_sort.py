"""POST /sort: a folder of the server's disk sorted as a job, only inside the allowed roots."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app


@pytest.fixture(scope="module")
def root(tmp_path_factory, data: Path) -> Path:
    root = tmp_path_factory.mktemp("photos")
    (root / "trip").mkdir()
    for name in ("bbt3.jpg", "bbt2.jpg"):
        # Copies: a link to a file outside the sort roots is refused (not read) by design.
        (root / "trip" / name).write_bytes((data / "family-dev/photos" / name).read_bytes())
    (root / "trip/notes.txt").write_text("not a photo")
    return root


@pytest.fixture(scope="module")
def client(family_dev_weights: Path, settings, tmp_path_factory, root: Path):
    update = {"data": tmp_path_factory.mktemp("data"), "sort_roots": [root], "workers": 1}
    with TestClient(create_app(settings.model_copy(update=update), family_dev_weights)) as c:
        yield c


@pytest.mark.slow  # two sort jobs on worker processes
def test_sort_job_fills_member_folders(wait_for_job, client, root: Path):
    before = hashlib.sha256((root / "trip/bbt3.jpg").read_bytes()).hexdigest()
    r = client.post("/sort", json={"source": str(root / "trip"), "destination": str(root / "sorted")})
    assert r.status_code == 202, r.text
    job = wait_for_job(client, r.json()["job_id"])
    assert job["state"] == "succeeded", job
    result = job["result"]
    assert (result["photos"], result["analysed"], result["skipped"]) == (2, 2, 1)
    assert result["folders"] == {"raj": 1, "leonard": 2, "howard": 1, "penny": 1, "sheldon": 2}
    assert sorted(p.name for p in (root / "sorted/leonard").iterdir()) == ["bbt2.jpg", "bbt3.jpg"]
    assert (root / "sorted/index.html").is_file() and Path(result["manifest"]).is_file()
    assert hashlib.sha256((root / "trip/bbt3.jpg").read_bytes()).hexdigest() == before
    again = wait_for_job(client, client.post("/sort", json={"source": str(root / "trip"), "destination": str(root / "sorted")}).json()["job_id"])
    assert (again["result"]["analysed"], again["result"]["from_cache"]) == (0, 2)


@pytest.mark.parametrize(
    "source,destination,status,words",
    [
        ("/etc", "{root}/out", 403, "outside the folders"),
        ("{root}/trip", "/tmp/elsewhere", 403, "outside the folders"),
        ("{root}/missing", "{root}/out", 422, "not a folder"),
        ("{root}/trip", "{root}/trip/sorted", 422, "must not be inside"),
    ],
)
def test_refused_folders(client, root: Path, source, destination, status, words):
    r = client.post("/sort", json={"source": source.format(root=root), "destination": destination.format(root=root)})
    assert r.status_code == status and words in r.json()["detail"], r.text


def test_sort_is_off_without_roots(family_dev_weights, settings, tmp_path):
    with TestClient(create_app(settings.model_copy(update={"data": tmp_path}), family_dev_weights)) as c:
        r = c.post("/sort", json={"source": str(tmp_path), "destination": str(tmp_path / "x")})
    assert r.status_code == 403 and "FAMILYPHOTO_SORT_ROOTS" in r.json()["detail"]
