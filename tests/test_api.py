"""The REST service with real models and real photos, through httpx."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from api.app import create_app


@pytest.fixture(scope="module")
def client(family_dev_weights: Path, settings, tmp_path_factory):
    app = create_app(settings.model_copy(update={"data": tmp_path_factory.mktemp("data"), "max_upload_mb": 2.0}), family_dev_weights)
    with TestClient(app) as c:  # runs the lifespan: models load once here
        yield c


def _photo(data: Path, name: str = "bbt1.jpg") -> tuple[str, bytes, str]:
    return (name, (data / "family-dev/photos" / name).read_bytes(), "image/jpeg")


def test_health_and_version(client):
    r = client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "ready": True, "members": 8}
    v = client.get("/version").json()
    assert v["detector"]["name"] == "yunet" and v["embedder"]["name"] == "sface" and v["recipe"] == "embedding-head"


def test_members(client):
    members = client.get("/members").json()
    assert [m["name"] for m in members] == ["amy", "bernadette", "howard", "leonard", "penny", "raj", "sheldon", "stuart"]
    assert all(m["enrolled_faces"] == 5 and m["threshold"] == 0.5 for m in members)  # calibrated: 50% for everyone


def test_predict_group_photo(client, data, family_dev_labels):
    r = client.post("/predict", files={"file": _photo(data, "bbt3.jpg")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["width"], body["height"]) == Image.open(data / "family-dev/photos/bbt3.jpg").size
    assert sorted(body["present"]) == sorted(family_dev_labels["bbt3.jpg"])
    assert set(body["timings_ms"]) == {"decode", "detect", "classify", "total"}
    for face in body["faces"]:
        assert len(face["box"]) == 4 and len(face["probabilities"]) == 8
        crop = Image.open(io.BytesIO(base64.b64decode(face["crop"])))
        x1, y1, x2, y2 = face["box"]
        assert crop.format == "JPEG"
        # the crop is the face with a margin: same aspect as the box, give or take the margin
        assert abs(crop.size[0] / crop.size[1] - (x2 - x1) / (y2 - y1)) < 0.3
    no_crops = client.post("/predict?crops=false", files={"file": _photo(data, "bbt3.jpg")}).json()
    assert all("crop" not in f for f in no_crops["faces"])
    assert no_crops["present"] == body["present"]


@pytest.mark.parametrize(
    "content,status,words",
    [
        (b"", 422, "empty"),
        (b"just some text", 415, "not an image"),
    ],
)
def test_bad_photos_get_clear_errors(client, content, status, words):
    r = client.post("/predict", files={"file": ("x.jpg", content, "image/jpeg")})
    assert r.status_code == status
    assert words in r.json()["detail"]


def test_truncated_jpeg(client, data):
    full = (data / "family-dev/photos/bbt1.jpg").read_bytes()
    r = client.post("/predict", files={"file": ("cut.jpg", full[: len(full) // 2], "image/jpeg")})
    assert r.status_code == 422 and "truncated" in r.json()["detail"]


@pytest.mark.slow  # PNG-encodes a 40000 x 40000 image; test_inputs' decoder test stays in the quick run
def test_decompression_bomb_refused(client):
    buf = io.BytesIO()
    Image.new("1", (40000, 40000)).save(buf, format="PNG")
    r = client.post("/predict", files={"file": ("bomb.png", buf.getvalue(), "image/png")})
    assert r.status_code == 413 and "megapixels" in r.json()["detail"]


def test_upload_over_the_limit(client):
    r = client.post("/predict", files={"file": ("big.jpg", b"\xff" * 3_000_000, "image/jpeg")})
    assert r.status_code == 413 and "limit" in r.json()["detail"]


def test_missing_field_is_422(client):
    r = client.post("/predict", files={"other": ("x.jpg", b"abc", "image/jpeg")})
    assert r.status_code == 422 and "file" in r.json()["detail"]


def test_batch_keeps_order_and_isolates_bad_files(client, data):
    r = client.post(
        "/predict/batch?crops=false",
        files=[("files", _photo(data, "bbt2.jpg")), ("files", ("notes.jpg", b"hello", "image/jpeg")), ("files", _photo(data, "bbt3.jpg"))],
    )
    assert r.status_code == 200
    items = r.json()
    assert [i["file"] for i in items] == ["bbt2.jpg", "notes.jpg", "bbt3.jpg"]
    assert [i["status"] for i in items] == [200, 415, 200]
    assert sorted(items[0]["result"]["present"]) == ["leonard", "sheldon"]
    assert "error" in items[1] and "result" not in items[1]


def test_openapi_describes_routes_and_errors(client):
    schema = client.get("/openapi.json").json()
    predict = schema["paths"]["/predict"]["post"]
    assert {"200", "413", "415", "422"} <= set(predict["responses"])
    assert "PredictionOut" in schema["components"]["schemas"]
    assert {"/health", "/version", "/members", "/predict/batch"} <= set(schema["paths"])


def test_api_key_guards_everything_but_health(family_dev_weights, settings, tmp_path):
    app = create_app(settings.model_copy(update={"data": tmp_path, "api_key": "s3cret"}), family_dev_weights)
    with TestClient(app) as c:
        assert c.get("/health").status_code == 200
        assert c.get("/members").status_code == 401
        assert c.get("/members", headers={"X-API-Key": "wrong"}).status_code == 401
        assert c.get("/members", headers={"X-API-Key": "s3cret"}).status_code == 200


def test_fresh_install_without_family_still_finds_faces(settings, tmp_path, data):
    app = create_app(settings.model_copy(update={"data": tmp_path}))
    with TestClient(app) as c:
        assert c.get("/members").json() == []
        body = c.post("/predict?crops=false", files={"file": _photo(data, "bbt2.jpg")}).json()
        assert len(body["faces"]) >= 2  # leonard, sheldon and people in the background
        assert all(f["member"] is None and f["probabilities"] == {} for f in body["faces"])
        assert body["present"] == []


def test_health_answers_while_16_clients_post_photos(client, data):
    """Inference runs on worker threads with bounded concurrency: the event loop stays free."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    photo = _photo(data, "bbt3.jpg")
    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(client.post, "/predict?crops=false", files={"file": photo}) for _ in range(16)]
        health_latencies = []
        while not all(f.done() for f in futures):
            start = time.perf_counter()
            assert client.get("/health").status_code == 200
            health_latencies.append(time.perf_counter() - start)
            time.sleep(0.05)
        statuses = [f.result().status_code for f in futures]
    assert statuses == [200] * 16
    assert len(health_latencies) >= 5  # the photos took a while, and /health kept answering
    # Typically milliseconds; the median, not the maximum, so one scheduling hiccup on a busy
    # 2-core machine cannot fail it (a blocked event loop would hold most answers for whole photos).
    assert sorted(health_latencies)[len(health_latencies) // 2] < 0.5


def test_cors_origins(family_dev_weights, settings, tmp_path):
    app = create_app(settings.model_copy(update={"data": tmp_path, "cors_origins": ["http://localhost:5173"]}), family_dev_weights)
    with TestClient(app) as c:
        ok = c.options("/predict", headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"})
        assert ok.headers.get("access-control-allow-origin") == "http://localhost:5173"
        other = c.get("/health", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_batch_over_the_file_count_limit(family_dev_weights, settings, tmp_path):
    app = create_app(settings.model_copy(update={"data": tmp_path, "max_batch_files": 2}), family_dev_weights)
    with TestClient(app) as c:
        r = c.post("/predict/batch", files=[("files", ("a.jpg", b"x", "image/jpeg"))] * 3)
        assert r.status_code == 413 and "limit" in r.json()["detail"]
