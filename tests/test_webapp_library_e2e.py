"""The library in the web app, in a real browser against the real service: scan a folder, open a person,
name a stranger's face as a new person, undo, name again, train, and see the library decided again.

Like ``test_webapp_e2e.py`` (both use ``webapp_support.py``): Debian's chromium driven by Playwright,
``familyphoto serve`` on a free loopback port with a fresh data directory, serving ``frontend/dist``. The
library's folder is a temporary one into which the test copies a few photos (copies: a scan skips links to
files outside its folders); the family (family-dev's members) is enrolled and trained over HTTP. The
service never retrains by itself here (``FAMILYPHOTO_RETRAIN_AFTER=0``), so the flow is not racy.
Screenshots go to ``tests/artifacts/webapp`` (or ``$FAMILYPHOTO_E2E_ARTIFACTS``); with
``FAMILYPHOTO_E2E_DOCS=docs/screenshots`` they also refresh the small copies in the docs. The tests run in
order and share the service.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import httpx
import pytest
from webapp_support import DESKTOP, MAYBE_FROM, screenshot, serving_library
from webapp_support import at_phone_width as phone_width

DOC_SHOTS = {"people", "person", "viewer", "viewer-phone"}
NEW_PERSON = "grandma"
pytestmark = pytest.mark.slow  # starts `familyphoto serve`, trains a family, scans a folder (browser: conftest.py)


@pytest.fixture(scope="module")
def photos_folder(data: Path, tmp_path_factory) -> Path:
    """The library's one folder: copies of family-dev's photos and jurassic6's (strangers to this family)."""
    folder = tmp_path_factory.mktemp("library-photos")
    for source in [*sorted((data / "family-dev" / "photos").glob("*.jpg")), *sorted((data / "jurassic6" / "photos").iterdir())]:
        shutil.copyfile(source, folder / f"{source.parent.parent.name}-{source.name}")
    return folder


@pytest.fixture(scope="module")
def service(sync_api, photos_folder: Path, tmp_path_factory):
    """``familyphoto serve`` with an empty data directory and ``photos_folder`` as its library."""
    with serving_library(tmp_path_factory.mktemp("webapp-library-data"), photos_folder) as url:
        yield url


def shot(page, name: str, *, full_page: bool = True) -> Path:
    return screenshot(page, name, DOC_SHOTS, full_page=full_page)


def at_phone_width(page, name: str) -> None:
    phone_width(page, name, DOC_SHOTS)


def card_name(member: str) -> re.Pattern[str]:
    """The People grid's link to ``member``: "leonard 4 photos"."""
    return re.compile(rf"^{re.escape(member)} \d+ photos?$")


def face_words(face: dict) -> str:
    """What the page says a library face is (frontend/src/lib/libraryFaces.ts over faceWords.ts)."""
    if face["member"] is not None:
        return face["member"]
    if face["named_by"] == "person":
        return "not in the family"
    name, p = max(face["probabilities"].items(), key=lambda kv: kv[1], default=(None, 0.0))
    return f"maybe {name}" if p >= MAYBE_FROM else "not in the family"


def test_the_family_is_enrolled_and_trained(http, data: Path, wait_for_job):
    enroll = data / "family-dev" / "enroll"
    for member_dir in sorted(p for p in enroll.iterdir() if p.is_dir()):
        assert http.post("/members", json={"name": member_dir.name}).status_code == 201
        files = [("files", (f.name, f.read_bytes(), "image/jpeg")) for f in sorted(member_dir.iterdir())]
        assert http.post(f"/members/{member_dir.name}/photos", files=files).status_code == 200
    accepted = http.post("/train")
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(http, accepted.json()["job_id"])
    assert job["state"] == "succeeded", job
    assert http.get("/library").json()["decided"]


def test_scan_the_folder(page, http, photos_folder: Path):
    copied = len(list(photos_folder.iterdir()))
    page.goto("/#/people")
    page.get_by_role("heading", name="People", level=1).wait_for()
    folders = page.get_by_role("list", name="Photo folders")
    assert str(photos_folder) in folders.inner_text() and "0 photos" in folders.inner_text()

    page.get_by_role("button", name="Scan for new photos").click()
    page.get_by_role("progressbar", name="Scan progress").wait_for()  # live from /jobs/{id}
    page.get_by_text("The last scan is finished.").wait_for(timeout=300_000)
    counts = page.get_by_test_id("scan-counts").inner_text()
    assert counts.startswith(f"{copied} photos found · {copied} analysed"), counts
    assert f"{copied} photos" in folders.inner_text()
    status = http.get("/library").json()
    assert status["photos"] == copied and status["scan"]["state"] == "succeeded"

    # The people grid (asked again after the scan), most photos first, as the service counts them.
    people = http.get("/people").json()
    assert people[0]["photos"] > 0
    cards = page.get_by_role("list", name="People").get_by_role("link")
    cards.first.locator(".person-card__count").filter(has_text=re.compile(rf"^{people[0]['photos']} photos?$")).wait_for()
    assert [cards.nth(i).locator(".person-card__name").inner_text() for i in range(cards.count())] == [p["name"] for p in people]
    first = cards.first.locator("img")
    first.evaluate("img => img.complete || new Promise(r => img.addEventListener('load', r, {once: true}))")
    assert first.evaluate("img => img.naturalWidth > 0")  # the cover face, from /faces/{id}/crop
    shot(page, "people")
    at_phone_width(page, "people")


def _stranger_photo(http: httpx.Client) -> tuple[str, dict, int]:
    """A member, a photo of theirs with a face of nobody of the family in it, and that face's index (left to right)."""
    for person in http.get("/people").json():
        page = http.get("/library/photos", params={"member": person["name"], "limit": 50}).json()
        for photo in page["items"]:
            for i, face in enumerate(photo["faces"]):
                if face["member"] is None:
                    return person["name"], photo, i
    raise AssertionError("no photo of a member has a stranger in it")


def test_open_a_person_and_their_photos(page, http):
    member, _, _ = _stranger_photo(http)
    expected = http.get("/library/photos", params={"member": member, "limit": 50}).json()
    page.goto("/#/people")
    page.get_by_role("list", name="People").get_by_role("link", name=card_name(member)).click()
    page.wait_for_url(f"**/#/people/{member}")
    page.get_by_role("heading", name=member, level=1).wait_for()
    page.get_by_test_id("total").filter(has_text=re.compile(rf"^{expected['total']} photos?")).wait_for()
    thumbs = page.get_by_role("list", name="Photos").get_by_role("link")
    assert thumbs.count() == len(expected["items"])
    # Newest first, as the service lists them, each opening the viewer with this list.
    assert [thumbs.nth(i).get_attribute("href") for i in range(thumbs.count())] == [
        f"#/photos/{p['id']}?person={member}" for p in expected["items"]
    ]
    shot(page, "person")
    at_phone_width(page, "person")


def test_name_a_stranger_as_a_new_person_undo_and_name_again(page, http):
    member, photo, index = _stranger_photo(http)
    page.goto(f"/#/people/{member}")
    page.locator(f'.thumbs a[href^="#/photos/{photo["id"]}?"]').click()
    page.wait_for_url(f"**/#/photos/{photo['id']}?person={member}")

    boxes = page.get_by_test_id("face-box")
    boxes.first.wait_for()
    assert boxes.all_inner_texts() == [f"{i + 1} {face_words(f)}" for i, f in enumerate(photo["faces"])]
    entries = page.get_by_role("list", name="Faces in this photo").locator("li.face")
    entry = entries.nth(index)
    number = index + 1

    # The photo fits a desktop window, and every face's name is in sight without scrolling.
    preview = page.locator(".viewer__frame img")
    preview.evaluate("img => img.complete || new Promise(r => img.addEventListener('load', r, {once: true}))")
    assert preview.evaluate("img => img.naturalWidth > 0")
    frame = preview.bounding_box()
    assert frame["y"] + frame["height"] <= DESKTOP["height"], frame
    for i in range(entries.count()):
        box = entries.nth(i).locator(".face__title").bounding_box()
        assert box["y"] + box["height"] <= DESKTOP["height"], f"face {i + 1}'s name is below the fold"

    # A click on its box picks the face; "New person…", a name, and it is named at once.
    boxes.nth(index).click()
    entry.get_by_role("button", name="New person…").click()
    entry.get_by_label("New person’s name").fill(NEW_PERSON)
    entry.get_by_role("button", name=f"Add {NEW_PERSON}").click()
    entry.get_by_text(f"Saved: {NEW_PERSON}, new to the family.").wait_for()
    assert entry.locator(".face__title").inner_text() == f"{number} {NEW_PERSON} · named by you"
    assert boxes.nth(index).inner_text() == f"{number} {NEW_PERSON} ✓"
    assert page.get_by_test_id("changes").inner_text().startswith("1 change since the last training")
    face = http.get(f"/library/photos/{photo['id']}").json()["faces"][index]
    assert (face["member"], face["named_by"]) == (NEW_PERSON, "person")

    # Undo: the family decides it again.
    entry.get_by_role("button", name="Undo").click()
    entry.get_by_text("Undone: the family decides this face again.").wait_for()
    face = http.get(f"/library/photos/{photo['id']}").json()["faces"][index]
    assert face["named_by"] == "model"
    assert entry.locator(".face__title").inner_text() == f"{number} {face_words(face)}"
    assert entry.get_by_role("button", name="Undo").count() == 0

    # Again, by keyboard, picking the new member from the suggestions this time.
    field = entry.get_by_label("This is")
    field.focus()
    page.keyboard.type(NEW_PERSON)
    assert page.evaluate(
        "id => [...document.getElementById(id).options].map(o => o.value)", field.get_attribute("list")
    ).count(NEW_PERSON) == 1
    page.keyboard.press("Enter")
    entry.get_by_text(f"Saved: {NEW_PERSON}.").wait_for()
    assert entry.locator(".face__title").inner_text() == f"{number} {NEW_PERSON} · named by you"
    face = http.get(f"/library/photos/{photo['id']}").json()["faces"][index]
    assert (face["member"], face["named_by"]) == (NEW_PERSON, "person")
    shot(page, "viewer", full_page=False)
    at_phone_width(page, "viewer")


def test_previous_and_next_walk_the_list(page, http):
    member, photo, _ = _stranger_photo(http)
    listed = [p["id"] for p in http.get("/library/photos", params={"member": member, "limit": 50}).json()["items"]]
    at = listed.index(photo["id"])
    page.goto(f"/#/photos/{photo['id']}?person={member}")
    page.get_by_test_id("position").filter(has_text=f"Photo {at + 1} of {len(listed)}").wait_for()
    if at + 1 < len(listed):
        page.keyboard.press("ArrowRight")
        page.wait_for_url(f"**/#/photos/{listed[at + 1]}?person={member}")
        page.get_by_role("button", name="Previous photo").click()
        page.wait_for_url(f"**/#/photos/{photo['id']}?person={member}")
    if at > 0:
        page.keyboard.press("ArrowLeft")
        page.wait_for_url(f"**/#/photos/{listed[at - 1]}?person={member}")


def test_train_and_see_the_library_decided_again(page, http):
    named = next(
        (p, i)
        for p in http.get("/library/photos", params={"member": NEW_PERSON}).json()["items"]
        for i, f in enumerate(p["faces"])
        if f["member"] == NEW_PERSON
    )
    photo, index = named
    page.goto(f"/#/photos/{photo['id']}")
    page.get_by_test_id("face-box").first.wait_for()
    page.get_by_role("button", name="Train now").click()
    page.get_by_role("progressbar", name="Training progress").wait_for()
    page.get_by_text("Training finished").wait_for(timeout=300_000)
    training = http.get("/library").json()["training"]
    assert training["state"] == "succeeded" and "library" in training["result"]
    assert page.get_by_test_id("changes").inner_text().startswith("The family has learnt every name")
    # The viewer still shows the name a person gave: no training changes it.
    entry = page.get_by_role("list", name="Faces in this photo").locator("li.face").nth(index)
    assert entry.locator(".face__title").inner_text() == f"{index + 1} {NEW_PERSON} · named by you"

    page.get_by_role("link", name="People", exact=True).click()
    card = page.get_by_role("list", name="People").get_by_role("link", name=card_name(NEW_PERSON))
    card.wait_for()
    person = next(p for p in http.get("/people").json() if p["name"] == NEW_PERSON)
    assert person["photos"] >= 1
    assert card.locator(".person-card__count").inner_text() == f"{person['photos']} photo{'s' if person['photos'] != 1 else ''}"
    assert card.locator("img").count() == 1  # a face of theirs now
    card.click()
    page.get_by_role("heading", name=NEW_PERSON, level=1).wait_for()
    thumbs = page.get_by_role("list", name="Photos").get_by_role("link")
    thumbs.first.wait_for()
    assert thumbs.count() == person["photos"]
