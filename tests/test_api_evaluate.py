"""POST /evaluate as a job on real photos, and the report it serves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app


@pytest.fixture(scope="module")
def client(family_dev_weights: Path, settings, tmp_path_factory):
    app = create_app(settings.model_copy(update={"data": tmp_path_factory.mktemp("data")}), family_dev_weights)
    with TestClient(app) as c:
        yield c


def _files(data: Path, *names: str):
    return [("files", (n, (data / "family-dev/photos" / n).read_bytes(), "image/jpeg")) for n in names]


def test_no_report_before_any_evaluation(client):
    r = client.get("/evaluations/latest", follow_redirects=False)
    assert r.status_code == 404 and "POST /evaluate" in r.json()["detail"]


def test_evaluate_job_and_report(wait_for_job, client, data):
    # Labels leave raj out of bbt3 (he is there): one false accept by the labels' count.
    labels = {"bbt3.jpg": ["leonard", "howard", "sheldon", "penny"], "bbt2.jpg": ["leonard", "sheldon"]}
    r = client.post("/evaluate", files=_files(data, "bbt3.jpg", "bbt2.jpg"), data={"labels": json.dumps(labels)})
    assert r.status_code == 202, r.text
    job = wait_for_job(client, r.json()["job_id"])
    assert job["state"] == "succeeded", job
    assert job["kind"] == "evaluate"
    summary = job["result"]["summary"]
    assert summary["pairs"] == {"true_accepts": 6, "false_accepts": 1, "misses": 0}
    assert job["result"]["per_member"]["raj"]["false_accepts"] == 1
    page = client.get(job["result"]["report_url"])
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'id="confusion"' in page.text and "wrongly said raj" in page.text
    base = job["result"]["report_url"].rsplit("/", 1)[0]
    assert client.get(f"{base}/confusion.png").headers["content-type"] == "image/png"
    assert client.get(f"{base}/report.json").json()["summary"] == summary
    latest = client.get("/evaluations/latest", follow_redirects=False)
    assert latest.status_code == 307 and latest.headers["location"] == job["result"]["report_url"]
    # Nothing outside the evaluation's folder is reachable.
    job_id = r.json()["job_id"]
    for path in ("../../family.db", "..%2F..%2Ffamily.db", "report/../../../family.db"):
        assert client.get(f"/evaluations/{job_id}/{path}").status_code == 404


@pytest.mark.parametrize(
    "labels,words",
    [
        ("not json", "not JSON"),
        ('{"bbt1.jpg": "raj"}', "must be"),
        ('{"other.jpg": []}', "no labels for bbt1.jpg"),
        ('{"bbt1.jpg": [], "other.jpg": []}', "not uploaded: other.jpg"),
    ],
)
def test_bad_labels_are_422(client, data, labels, words):
    r = client.post("/evaluate", files=_files(data, "bbt1.jpg"), data={"labels": labels})
    assert r.status_code == 422 and words in r.json()["detail"], r.text


def test_evaluate_without_a_family_is_409(settings, tmp_path, data):
    app = create_app(settings.model_copy(update={"data": tmp_path}))
    with TestClient(app) as c:
        r = c.post("/evaluate", files=_files(data, "bbt1.jpg"), data={"labels": '{"bbt1.jpg": []}'})
    assert r.status_code == 409 and "no trained family" in r.json()["detail"]
