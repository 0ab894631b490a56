"""The family library over HTTP, on real photos: scans (new, unchanged, touched, moved, changed, gone), faces
decided as /predict decides them, people, filtered pages, pictures, naming faces, member changes, uploads."""

from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from api.app import create_app

pytestmark = pytest.mark.usefixtures("data")
DAY = 86_400


@pytest.fixture(scope="module")
def library_root(tmp_path_factory, data) -> Path:
    """Copies (the originals are never touched) of family-dev's group photos and jurassic6's, each a day apart."""
    root = tmp_path_factory.mktemp("library")
    photos = sorted((data / "family-dev/photos").iterdir()) + sorted((data / "jurassic6/photos").iterdir())
    for i, photo in enumerate(photos):
        (root / ("trip" if i < 5 else "park")).mkdir(exist_ok=True)
        target = root / ("trip" if i < 5 else "park") / photo.name
        shutil.copyfile(photo, target)
        when = 1_600_000_000 + i * DAY  # no EXIF dates in these: the file's time is the date taken
        os.utime(target, (when, when))
    return root


@pytest.fixture(scope="module")
def client(settings, tmp_path_factory, library_root, data, wait_for_job):
    service_settings = settings.model_copy(
        update={"data": tmp_path_factory.mktemp("library-data"), "library_roots": [library_root], "retrain_after": 0}
    )
    with TestClient(create_app(service_settings)) as c:
        enroll = data / "family-dev/enroll"
        for member in sorted(p.name for p in enroll.iterdir()):
            assert c.post("/members", json={"name": member}).status_code == 201
            files = [("files", (p.name, p.read_bytes(), "image/png")) for p in sorted((enroll / member).iterdir())]
            assert c.post(f"/members/{member}/photos", files=files).status_code == 200
        assert wait_for_job(c, c.post("/train").json()["job_id"])["state"] == "succeeded"
        yield c


def _scan(client, wait_for_job, **body) -> dict:
    r = client.post("/library/scan", json=body or None)
    assert r.status_code == 202, r.text
    job = wait_for_job(client, r.json()["job_id"])
    assert job["state"] == "succeeded", job["error"]
    return job["result"]


def _all_photos(client, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        page = client.get("/library/photos", params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            assert page["total"] == len(items)
            return items


def test_a_first_scan_indexes_every_photo_and_decides_them_as_predict_does(client, wait_for_job, library_root):
    result = _scan(client, wait_for_job)
    assert (result["seen"], result["analysed"], result["skipped"]) == (8, 8, 0)
    status = client.get("/library").json()
    assert status["photos"] == 8 and status["decided"] and status["faces"] >= 25
    root = next(r for r in status["roots"] if r["path"] == str(library_root.resolve()))
    assert root == {"path": str(library_root.resolve()), "photos": 8, "available": True, "scanned": True}
    for photo in _all_photos(client):
        predicted = client.post(
            "/predict", params={"crops": False}, files={"file": ("p", Path(photo["path"]).read_bytes())}
        ).json()
        # The library's decision, from the stored embeddings, is the photo's own decision.
        assert sorted(photo["present"]) == sorted(predicted["present"]), photo["path"]
        assert sorted(f["box"] for f in photo["faces"]) == sorted(f["box"] for f in predicted["faces"])
        assert [f["box"][0] for f in photo["faces"]] == sorted(f["box"][0] for f in photo["faces"])  # left to right


def test_people_count_their_photos_most_first(client, family_dev_labels):
    people = client.get("/people").json()
    assert [p["photos"] for p in people] == sorted((p["photos"] for p in people), reverse=True)
    sheldon = next(p for p in people if p["name"] == "sheldon")
    assert sheldon["photos"] == sum("sheldon" in members for members in family_dev_labels.values())
    cover = client.get(f"/faces/{sheldon['cover_face_id']}/crop")
    assert cover.headers["content-type"] == "image/jpeg" and Image.open(io.BytesIO(cover.content)).size[0] > 20


def test_pages_are_newest_first_and_filters_combine(client, family_dev_labels):
    everything = _all_photos(client)
    assert [p["taken_at"] for p in everything] == sorted((p["taken_at"] for p in everything), reverse=True)
    assert len({p["id"] for p in everything}) == 8
    present = {Path(p["path"]).name: set(p["present"]) for p in everything}

    def names(**params) -> set[str]:
        return {Path(p["path"]).name for p in _all_photos(client, **params)}

    assert names(member="penny") == {n for n, m in present.items() if "penny" in m}
    assert names(member=["amy", "howard"], match="any") == {n for n, m in present.items() if m & {"amy", "howard"}}
    assert names(member=["amy", "penny"]) == {n for n, m in present.items() if {"amy", "penny"} <= m}
    assert names(member="leonard", only=True) == {n for n, m in present.items() if m == {"leonard"}}
    with_strangers = names(strangers="with")
    assert with_strangers | names(strangers="without") == set(present) and not with_strangers & names(strangers="without")
    # Taken a day apart from 2020-09-13: the second to the fourth photo, both days included.
    days = sorted(p["taken_at"][:10] for p in everything)
    assert len(names(**{"from": days[1], "to": days[3]})) == 3
    assert client.get("/library/photos", params={"from": days[3], "to": days[1]}).status_code == 422
    assert client.get("/library/photos", params={"cursor": "not-a-cursor"}).status_code == 422
    assert client.get("/library/photos", params={"member": "nobody-at-all"}).json()["total"] == 0


def test_pictures_of_a_photo(client):
    photo = _all_photos(client)[0]
    for kind, longest in (("thumbnail", 360), ("preview", 1600)):
        r = client.get(f"/library/photos/{photo['id']}/{kind}")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        image = Image.open(io.BytesIO(r.content))
        assert max(image.size) <= longest and image.size[0] / image.size[1] == pytest.approx(photo["width"] / photo["height"], rel=0.02)
    assert client.get("/library/photos/999999").status_code == 404
    assert client.get("/library/photos/999999/preview").status_code == 404
    assert client.get("/faces/999999/crop").status_code == 404


def _stranger_face(client) -> tuple[dict, dict]:
    for photo in _all_photos(client):
        for face in photo["faces"]:
            if face["member"] is None:
                return photo, face
    raise AssertionError("no stranger's face in the library")


def test_naming_a_strangers_face_takes_effect_at_once_and_is_one_example(client):
    photo, face = _stranger_face(client)
    r = client.post(f"/faces/{face['id']}/name", json={"member": "grandma"})
    assert r.status_code == 200, r.text
    named = r.json()
    assert named["created_member"] and named["photo_id"] == photo["id"]
    assert named["face"]["member"] == "grandma" and named["face"]["named_by"] == "person"
    changes = named["changes_since_training"]
    again = client.post(f"/faces/{face['id']}/name", json={"member": "grandma"}).json()
    assert again["changes_since_training"] == changes and not again["created_member"]  # the same name twice: one example
    examples = client.get("/members/grandma/faces").json()
    assert len(examples) == 1 and examples[0]["origin"] == "library"
    assert client.get(f"/library/photos/{photo['id']}").json()["present"].count("grandma") == 1
    assert next(p for p in client.get("/people").json() if p["name"] == "grandma")["photos"] == 1


def test_a_person_is_named_once_per_photo_and_names_are_checked(client):
    photo = next(p for p in _all_photos(client) if "grandma" in p["present"])
    other = next(f for f in photo["faces"] if f["member"] != "grandma")
    r = client.post(f"/faces/{other['id']}/name", json={"member": "grandma"})
    assert r.status_code == 409 and "undo" in r.json()["detail"]
    assert client.post(f"/faces/{other['id']}/name", json={"member": "../etc"}).status_code == 422
    assert client.post("/faces/999999/name", json={"member": "grandma"}).status_code == 404


def test_undo_removes_the_example_and_the_model_decides_again(client):
    photo = next(p for p in _all_photos(client) if "grandma" in p["present"])
    face = next(f for f in photo["faces"] if f["member"] == "grandma")
    undone = client.delete(f"/faces/{face['id']}/name").json()
    assert undone["face"]["named_by"] == "model" and undone["face"]["member"] != "grandma"
    assert client.get("/members/grandma/faces").json() == []
    # "Not anyone in the family" is a name too, and undone the same way.
    nobody = client.post(f"/faces/{face['id']}/name", json={"member": None}).json()
    assert nobody["face"]["member"] is None and nobody["face"]["named_by"] == "person"
    assert client.delete(f"/faces/{face['id']}/name").json()["face"]["named_by"] == "model"


def test_a_training_redecides_the_library_and_keeps_what_people_named(client, wait_for_job):
    photo, face = _stranger_face(client)
    client.post(f"/faces/{face['id']}/name", json={"member": "grandma"})
    assert client.get("/library").json()["changes_since_training"] > 0
    job = wait_for_job(client, client.post("/train").json()["job_id"])
    assert job["state"] == "succeeded", job["error"]
    assert job["result"]["library"]["faces"] == client.get("/library").json()["faces"]
    assert client.get("/library").json()["changes_since_training"] == 0
    after = client.get(f"/library/photos/{photo['id']}").json()
    assert next(f for f in after["faces"] if f["id"] == face["id"])["member"] == "grandma"
    assert "grandma" in after["faces"][0]["probabilities"]  # the new family knows her


def test_renaming_hiding_and_merging_members_move_every_face(client):
    grandma_photos = {p["id"] for p in _all_photos(client, member="grandma")}
    renamed = client.patch("/members/grandma", json={"name": "nana"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "nana"
    assert {p["id"] for p in _all_photos(client, member="nana")} == grandma_photos
    assert "grandma" not in {m["name"] for m in client.get("/members").json()}
    assert client.patch("/members/nana", json={"name": "sheldon"}).status_code == 409

    hidden = client.patch("/members/nana", json={"hidden": True}).json()
    assert hidden["hidden"]
    assert "nana" not in {p["name"] for p in client.get("/people").json()}
    assert all("nana" not in p["present"] for p in _all_photos(client))
    client.patch("/members/nana", json={"hidden": False})
    assert {p["id"] for p in _all_photos(client, member="nana")} == grandma_photos

    assert client.post("/members", json={"name": "granny"}).status_code == 201
    merged = client.post("/members/nana/merge", json={"into": "granny"})
    assert merged.status_code == 200 and merged.json()["enrolled_faces"] == 1
    assert {p["id"] for p in _all_photos(client, member="granny")} == grandma_photos
    assert client.post("/members/nobody/merge", json={"into": "granny"}).status_code == 404


def test_rescans_read_only_what_changed_and_a_moved_photo_keeps_its_names(client, wait_for_job, library_root):
    assert _scan(client, wait_for_job)["unchanged"] == 8
    named = next(p for p in _all_photos(client, member="granny"))
    path = Path(named["path"])
    os.utime(path)  # touched: same content
    moved_to = library_root / "moved" / path.name
    moved_to.parent.mkdir()
    result = _scan(client, wait_for_job)
    assert (result["analysed"], result["unchanged"]) == (0, 8)
    path.rename(moved_to)
    result = _scan(client, wait_for_job)
    assert (result["moved"], result["analysed"], result["removed"]) == (1, 0, 0)
    after = client.get(f"/library/photos/{named['id']}").json()
    assert after["path"] == str(moved_to) and "granny" in after["present"]

    gone = next(p for p in _all_photos(client) if "granny" not in p["present"])
    Path(gone["path"]).unlink()
    changed = next(p for p in _all_photos(client) if p["id"] not in (gone["id"], named["id"]))
    Image.new("RGB", (64, 48), "white").save(changed["path"], format="PNG" if changed["path"].endswith(".png") else "JPEG")
    result = _scan(client, wait_for_job)
    assert (result["removed"], result["analysed"]) == (1, 1)
    assert client.get(f"/library/photos/{gone['id']}").status_code == 404
    assert client.get(f"/library/photos/{changed['id']}").json()["faces"] == []
    assert client.get("/members/granny/faces").json()  # the named face's example outlives any file


def test_a_scan_reads_only_the_library_folders(client, tmp_path):
    assert client.post("/library/scan", json={"roots": [str(tmp_path)]}).status_code == 403


def test_uploads_are_kept_and_indexed_once(client, data):
    photo = (data / "family-dev/photos/bbt2.jpg").read_bytes()
    files = [("files", ("from phone.jpg", photo, "image/jpeg")), ("files", ("notes.txt", b"not a photo", "text/plain"))]
    added = client.post("/library/photos", files=files)
    assert added.status_code == 201
    first, bad = added.json()
    assert first["photo"] is not None and set(first["photo"]["present"]) >= {"sheldon"}
    assert bad["photo"] is None and "not an image" in bad["error"]
    again = client.post("/library/photos", files=files[:1]).json()[0]
    assert again["photo"]["id"] == first["photo"]["id"]
    uploads = next(r for r in client.get("/library").json()["roots"] if r["path"].endswith("uploads"))
    assert uploads["photos"] == 1


def test_an_interrupted_scan_resumes_when_the_service_starts(settings, tmp_path, library_root, wait_for_job):
    from api.services.store import FamilyStore

    data_dir = tmp_path / "data"
    store = FamilyStore(data_dir)
    job = store.create_job("scan")
    store.update_job(job, state="running", result={"roots": [str(library_root.resolve())]})
    store.close()  # as if killed: the job never finished
    service_settings = settings.model_copy(update={"data": data_dir, "library_roots": [library_root]})
    with TestClient(create_app(service_settings)) as c:
        deadline = time.monotonic() + 120
        while (latest := c.get("/library").json()["scan"])["id"] == job and time.monotonic() < deadline:
            time.sleep(0.2)
        assert latest["id"] != job
        assert wait_for_job(c, latest["id"])["state"] == "succeeded"
        assert c.get("/library").json()["photos"] == len(list(library_root.rglob("*.*")))
        assert c.get(f"/jobs/{job}").json()["error"] == "interrupted: the service stopped"


def test_naming_a_named_face_again_as_someone_else_is_one_change(client):
    photo, face = _stranger_face(client)
    before = client.post(f"/faces/{face['id']}/name", json={"member": "granny"}).json()["changes_since_training"]
    after = client.post(f"/faces/{face['id']}/name", json={"member": None}).json()
    assert after["changes_since_training"] == before + 1 and after["face"]["member"] is None
    assert client.delete(f"/faces/{face['id']}/name").json()["changes_since_training"] == before + 2
