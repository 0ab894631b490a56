"""People nobody has named yet, over HTTP, on a fresh install: a scan of an unsorted album groups the faces
of the people who recur, a group named teaches the family, ignored groups stay strangers, groups merge, and
new photos join the groups there are."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageFilter

from api.app import create_app

pytestmark = pytest.mark.usefixtures("data")
PEOPLE = ("ben_afflek", "elton_john", "madonna")
LATER = 4  # each person's last photos, added by a second scan


@pytest.fixture(scope="module")
def album(tmp_path_factory, data) -> Path:
    """An unsorted album: celeb5's solo photos of three people in one folder (names prefixed by the person, for
    the test's truth only), their last photos held back, and a face blurred past use."""
    root = tmp_path_factory.mktemp("album")
    for person in PEOPLE:
        for photo in sorted((data / "celeb5/train" / person).iterdir())[:-LATER]:
            shutil.copyfile(photo, root / f"{person}--{photo.name}")
    first = sorted((data / "celeb5/train/madonna").iterdir())[0]
    Image.open(first).convert("RGB").filter(ImageFilter.GaussianBlur(4)).save(root / "blurred--madonna.jpg")
    return root


@pytest.fixture(scope="module")
def client(settings, tmp_path_factory, album, wait_for_job):
    service_settings = settings.model_copy(
        update={"data": tmp_path_factory.mktemp("fresh-data"), "library_roots": [album], "retrain_after": 0}
    )
    with TestClient(create_app(service_settings)) as c:
        r = c.post("/library/scan", json=None)
        assert wait_for_job(c, r.json()["job_id"])["state"] == "succeeded"
        yield c


def _truth(client, face: dict) -> str:
    path = Path(client.get(f"/library/photos/{face['photo_id']}").json()["path"])
    return path.name.split("--")[0]


def _groups(client) -> list[dict]:
    r = client.get("/people/unnamed")
    assert r.status_code == 200, r.text
    return r.json()


def _faces(client, group_id: int) -> list[dict]:
    r = client.get(f"/people/unnamed/{group_id}/faces")
    assert r.status_code == 200, r.text
    return r.json()


def test_a_scan_groups_the_people_who_recur(client, album):
    groups = _groups(client)
    assert [g["faces"] for g in groups] == sorted((g["faces"] for g in groups), reverse=True)
    assert all(g["faces"] >= 2 and not g["ignored"] and g["looks_like"] is None for g in groups)  # no family yet
    seen: set[int] = set()
    largest: dict[str, int] = {}
    for group in groups:
        faces = _faces(client, group["id"])
        ids = {f["face_id"] for f in faces}
        assert len(faces) == group["faces"] and not ids & seen  # a face is in one group at most
        assert set(group["sample_face_ids"]) <= ids and group["photos"] == len({f["photo_id"] for f in faces})
        seen |= ids
        truths = Counter(_truth(client, f) for f in faces)
        person, n = truths.most_common(1)[0]
        assert n / len(faces) >= 0.9, truths  # one person per group
        largest[person] = max(largest.get(person, 0), n)
    # Each person is found, in a group of most of their photos; the blurred face is in none.
    for person in PEOPLE:
        assert largest.get(person, 0) >= 0.6 * len(list(album.glob(f"{person}--*"))), (person, largest)
    blurred = [p for p in client.get("/library/photos").json()["items"] if p["path"].endswith("blurred--madonna.jpg")][0]
    assert blurred["faces"] and not {f["id"] for f in blurred["faces"]} & seen


def test_naming_a_group_creates_the_member_and_trains(client, wait_for_job):
    group = _groups(client)[0]
    faces = _faces(client, group["id"])
    person = Counter(_truth(client, f) for f in faces).most_common(1)[0][0]
    wrong = [f["face_id"] for f in faces if _truth(client, f) != person]
    named = client.post(f"/people/unnamed/{group['id']}/name", json={"member": person, "exclude_face_ids": wrong})
    assert named.status_code == 200, named.text
    body = named.json()
    assert body["created_member"] and body["member"] == person
    assert set(body["named_face_ids"]) | set(body["skipped_face_ids"]) == {f["face_id"] for f in faces} - set(wrong)
    assert body["training_job_id"] and wait_for_job(client, body["training_job_id"])["state"] == "succeeded"
    assert client.get(f"/people/unnamed/{group['id']}/faces").status_code == 404  # the group is gone
    people = {p["name"]: p for p in client.get("/people").json()}
    assert people[person]["photos"] >= len(body["named_face_ids"])
    # Each named face is the member's, named by a person; a face the trained family decided is in no group.
    for face in faces:
        if face["face_id"] in body["named_face_ids"]:
            photo = client.get(f"/library/photos/{face['photo_id']}").json()
            assert {"id": face["face_id"], "member": person, "named_by": "person"}.items() <= next(
                f for f in photo["faces"] if f["id"] == face["face_id"]
            ).items()
    for other in _groups(client):
        for face in _faces(client, other["id"]):
            photo = client.get(f"/library/photos/{face['photo_id']}").json()
            assert next(f for f in photo["faces"] if f["id"] == face["face_id"])["member"] is None


def test_naming_refuses_what_cannot_be_a_name_or_a_group(client):
    group = _groups(client)[0]
    ids = [f["face_id"] for f in _faces(client, group["id"])]
    assert client.post(f"/people/unnamed/{group['id']}/name", json={"member": "a/b"}).status_code == 422
    everyone_out = client.post(f"/people/unnamed/{group['id']}/name", json={"member": "x", "exclude_face_ids": ids})
    assert everyone_out.status_code == 422 and "excluded" in everyone_out.json()["detail"]
    assert client.post("/people/unnamed/999999/name", json={"member": "x"}).status_code == 404
    assert client.get("/people/unnamed/0/faces").status_code == 422
    assert client.post(f"/people/unnamed/{group['id']}/merge", json={"into": group["id"]}).status_code == 422
    assert [g["id"] for g in _groups(client)][0] == group["id"]  # nothing changed


def test_new_photos_join_the_groups_there_are(client, data, album, wait_for_job):
    before = {g["id"]: g for g in _groups(client)}
    unnamed = [p for p in PEOPLE if p not in {m["name"] for m in client.get("/members").json()}]
    for person in unnamed:
        for photo in sorted((data / "celeb5/train" / person).iterdir())[-LATER:]:
            shutil.copyfile(photo, album / f"{person}--{photo.name}")
    r = client.post("/library/scan", json=None)
    assert wait_for_job(client, r.json()["job_id"])["state"] == "succeeded"
    after = {g["id"]: g for g in _groups(client)}
    grew = [i for i in before if i in after and after[i]["faces"] > before[i]["faces"]]
    assert grew, (before, after)  # the same ids, more faces
    for group_id in grew:
        truths = Counter(_truth(client, f) for f in _faces(client, group_id))
        assert truths.most_common(1)[0][1] / sum(truths.values()) >= 0.9


def test_ignored_groups_are_not_offered_and_stay_strangers(client, wait_for_job):
    group = _groups(client)[-1]
    r = client.post(f"/people/unnamed/{group['id']}/ignore")
    assert r.status_code == 200 and r.json()["ignored"]
    assert group["id"] not in {g["id"] for g in _groups(client)}
    faces = _faces(client, group["id"])  # still there, not offered
    assert wait_for_job(client, client.post("/train").json()["job_id"])["state"] == "succeeded"
    for face in faces:
        photo = client.get(f"/library/photos/{face['photo_id']}").json()
        assert next(f for f in photo["faces"] if f["id"] == face["face_id"])["member"] is None


def test_two_groups_merge_into_one(client):
    groups = _groups(client)
    assert len(groups) >= 2, groups
    a, b = groups[-1], groups[-2]
    r = client.post(f"/people/unnamed/{a['id']}/merge", json={"into": b["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == b["id"] and r.json()["faces"] == a["faces"] + b["faces"]
    assert client.get(f"/people/unnamed/{a['id']}").status_code == 404
    assert client.post(f"/people/unnamed/{b['id']}/merge", json={"into": a["id"]}).status_code == 404


def test_faces_indexed_before_sharpness_was_kept_are_measured_once(client):
    library = client.app.state.library
    before = [(g["id"], g["faces"]) for g in _groups(client)]
    with library.family.opened_store.transaction() as db:
        db.execute("UPDATE library_faces SET sharpness=NULL")
    library.discovery.update()
    rows = library.family.opened_store.read(
        "SELECT COUNT(*) AS n, COUNT(sharpness) AS measured FROM library_faces WHERE member IS NULL AND example_id IS NULL"
    )
    assert rows[0]["n"] > 0 and rows[0]["measured"] == rows[0]["n"]  # every face that may be grouped
    assert [(g["id"], g["faces"]) for g in _groups(client)] == before  # the same measure, the same groups


def test_an_older_library_gains_the_grouping_columns(tmp_path):
    import sqlite3

    from api.services.store import FamilyStore

    old = sqlite3.connect(tmp_path / "family.db")
    old.executescript(
        "CREATE TABLE photos (id INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL UNIQUE, root TEXT NOT NULL, "
        "size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL, taken_at TEXT NOT NULL, "
        "width INTEGER NOT NULL DEFAULT 0, height INTEGER NOT NULL DEFAULT 0, embedder TEXT, error TEXT, indexed TEXT NOT NULL);"
        "CREATE TABLE library_faces (id INTEGER PRIMARY KEY AUTOINCREMENT, photo_id INTEGER NOT NULL REFERENCES "
        "photos(id) ON DELETE CASCADE, x1 INTEGER NOT NULL, y1 INTEGER NOT NULL, x2 INTEGER NOT NULL, y2 INTEGER NOT NULL, "
        "score REAL NOT NULL, embedding BLOB NOT NULL, member TEXT, probabilities TEXT NOT NULL DEFAULT '{}', "
        "example_id INTEGER);"
        "INSERT INTO photos(path, root, size, mtime_ns, sha256, taken_at, indexed) VALUES ('/a.jpg', '/', 1, 1, 'x', 't', 't');"
        "INSERT INTO library_faces(photo_id, x1, y1, x2, y2, score, embedding) VALUES (1, 0, 0, 50, 50, 0.9, x'00');"
    )
    old.commit()
    old.close()
    store = FamilyStore(tmp_path)
    try:
        columns = {r["name"] for r in store.read("PRAGMA table_info(library_faces)")}
        assert {"sharpness", "group_id"} <= columns
        assert store.read("SELECT sharpness, group_id FROM library_faces")[0]["group_id"] is None  # the face kept
    finally:
        store.close()


def test_groups_named_while_a_training_runs_are_learnt_by_the_next(client, wait_for_job):
    groups = _groups(client)
    assert len(groups) >= 2, groups
    jobs = []
    for i, group in enumerate(groups[:2]):
        r = client.post(f"/people/unnamed/{group['id']}/name", json={"member": f"later_{i}"})
        assert r.status_code == 200, r.text
        jobs.append(r.json()["training_job_id"])
    assert jobs[0]  # the second (named while the first trains, here) started none: a waiter trains after it
    wait_for_job(client, jobs[0])
    deadline = time.monotonic() + 120
    while client.get("/library").json()["changes_since_training"] and time.monotonic() < deadline:
        time.sleep(0.5)
    status = client.get("/library").json()
    assert status["changes_since_training"] == 0 and status["training"]["state"] == "succeeded"
    assert {"later_0", "later_1"} <= set(status["training"]["result"]["members"])
