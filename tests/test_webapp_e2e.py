"""The web app in a real browser against the real service: enrol, train, who's in bbt3.jpg, correct, reload.

Debian's chromium (``/usr/bin/chromium``, installed by ``.ci/run``) driven by Playwright; the service is
``familyphoto serve`` on a free loopback port with a fresh data directory, serving ``frontend/dist``
(``cd frontend && npm ci && npm run build``). Screenshots of every screen go to ``tests/artifacts/webapp``
(or ``$FAMILYPHOTO_E2E_ARTIFACTS``); with ``FAMILYPHOTO_E2E_DOCS=docs/screenshots`` they also refresh the
README's small copies. The tests run in order and share the service and the family.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import time
from pathlib import Path

import httpx
import pytest
from webapp_support import ARTIFACTS, MAYBE_FROM, screenshot, serving
from webapp_support import at_phone_width as phone_width

DOC_SHOTS = {"photo", "photo-phone", "family", "family-phone", "family-first-run", "batch", "batch-phone"}
UI_MEMBER = "sheldon"  # added, enrolled and trained through the page; the others over HTTP for speed
pytestmark = pytest.mark.slow  # starts `familyphoto serve` and trains a family through the page (browser: conftest.py)


@pytest.fixture(scope="module")
def family_dev(data: Path) -> Path:
    return data / "family-dev"


@pytest.fixture(scope="module")
def service(sync_api, tmp_path_factory):
    """``familyphoto serve`` with an empty data directory, serving the built web app at ``/``."""
    with serving(tmp_path_factory.mktemp("webapp-data")) as url:
        yield url


def shot(page, name: str) -> Path:
    return screenshot(page, name, DOC_SHOTS)


def at_phone_width(page, name: str) -> None:
    phone_width(page, name, DOC_SHOTS)


def test_first_visit_without_a_family_lands_on_family(page, service):
    page.goto("/")
    page.wait_for_url("**/#/family")
    page.get_by_role("heading", name="Welcome! Teach it who your family is").wait_for()
    assert page.get_by_role("link", name="Family", exact=True).get_attribute("aria-current") == "page"
    shot(page, "family-first-run")


def test_enrol_and_train_through_the_page(page, service, family_dev: Path):
    enroll = family_dev / "enroll"
    # Everyone but UI_MEMBER over HTTP, for speed.
    with httpx.Client(base_url=service, timeout=120) as http:
        for member_dir in sorted(p for p in enroll.iterdir() if p.is_dir() and p.name != UI_MEMBER):
            assert http.post("/members", json={"name": member_dir.name}).status_code == 201
            files = [("files", (f.name, f.read_bytes(), "image/jpeg")) for f in sorted(member_dir.iterdir())]
            assert http.post(f"/members/{member_dir.name}/photos", files=files).status_code == 200

    page.goto("/#/family")
    page.get_by_label("New member’s name").fill(UI_MEMBER)
    page.get_by_role("button", name="Add member").click()
    card = page.get_by_role("article", name=UI_MEMBER)
    card.get_by_text("0 faces enrolled").wait_for()

    photos = sorted((enroll / UI_MEMBER).iterdir())
    not_a_photo = {"name": "shopping-list.jpg", "mimeType": "image/jpeg", "buffer": b"eggs, milk, bread"}
    files = [{"name": p.name, "mimeType": "image/jpeg", "buffer": p.read_bytes()} for p in photos]
    card.get_by_label(f"Add photos of {UI_MEMBER}").set_input_files([*files, not_a_photo])
    card.get_by_text(f"Took {len(photos)} faces; 1 photo left out:").wait_for(timeout=90_000)
    rejected = card.locator(".rejected li")
    assert rejected.count() == 1 and rejected.first.inner_text().startswith("shopping-list.jpg:")
    assert card.get_by_role("img", name=f"{UI_MEMBER}, from {photos[0].name}").is_visible()
    assert card.locator(".face-grid img").count() == len(photos)

    page.get_by_role("button", name="Train", exact=True).click()
    progress = page.get_by_role("progressbar", name="Training progress")
    progress.wait_for()
    assert page.get_by_role("button", name="Training…").is_disabled()
    page.get_by_text("the new family is in use").wait_for(timeout=300_000)
    assert progress.get_attribute("value") == "1"

    table = page.get_by_role("table")
    members = sorted(p.name for p in enroll.iterdir() if p.is_dir())
    assert sorted(table.locator("tbody th").all_inner_texts()) == members
    shot(page, "family")
    at_phone_width(page, "family")


def drop(page, photo: Path) -> None:
    """Drop ``photo`` on the page's drop zone, as a file dragged from the desktop would be."""
    transfer = page.evaluate_handle(
        """([b64, name]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: "image/jpeg" }));
            return transfer;
        }""",
        [base64.b64encode(photo.read_bytes()).decode("ascii"), photo.name],
    )
    page.dispatch_event("[data-testid=dropzone]", "dragover", {"dataTransfer": transfer})
    page.dispatch_event("[data-testid=dropzone]", "drop", {"dataTransfer": transfer})


def face_words(face: dict) -> str:
    """What the page says a face (as /predict answers it) is: faceWords in frontend/src/lib/faceWords.ts."""
    if face["member"] is not None:
        return face["member"]
    name, p = max(face["probabilities"].items(), key=lambda kv: kv[1], default=(None, 0.0))
    return f"maybe {name}" if p >= MAYBE_FROM else "not in the family"


def test_who_is_in_bbt3(page, service, family_dev: Path):
    expected = set(json.loads((family_dev / "labels.json").read_text())["bbt3.jpg"])
    page.goto("/#/")
    page.get_by_role("heading", name="Who’s in this photo?").wait_for()
    drop(page, family_dev / "photos" / "bbt3.jpg")
    card = page.get_by_role("article", name="bbt3.jpg")
    card.get_by_test_id("present").wait_for(timeout=90_000)

    boxes = card.get_by_test_id("face-box")
    assert boxes.count() == 5
    names = {label.split(" ", 1)[1] for label in boxes.all_inner_texts()}
    assert names == expected == {"howard", "leonard", "penny", "raj", "sheldon"}
    assert card.locator(".box--member").count() == 5
    present = card.get_by_test_id("present").locator(".chip").all_inner_texts()
    assert sorted(present) == sorted(expected)
    # Each face: its crop, its member in words, and a bar per member; no threshold marks (every one is 50% now).
    faces = card.get_by_role("list", name="Faces in bbt3.jpg").locator("li.face")
    assert faces.count() == 5
    assert faces.first.locator(".face__crop").evaluate("img => img.naturalWidth > 0")
    titles = [faces.nth(i).get_by_role("heading").inner_text() for i in range(5)]
    assert {t.split(" ", 1)[1] for t in titles} == expected
    assert faces.first.locator(".bar").count() == 8
    assert card.locator(".bar__threshold").count() == 0
    assert "it is that member when the bar reaches 50%" in card.locator(".legend").inner_text()
    # The boxes sit on the photo.
    frame = card.locator(".photo__frame img").bounding_box()
    for box in [boxes.nth(i).bounding_box() for i in range(5)]:
        assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
    shot(page, "photo")
    at_phone_width(page, "photo")


def test_a_file_that_is_not_a_photo_says_so_beside_it(page, service, family_dev: Path):
    page.goto("/#/")
    notes = {"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo at all"}
    bbt2 = {"name": "bbt2.jpg", "mimeType": "image/jpeg", "buffer": (family_dev / "photos" / "bbt2.jpg").read_bytes()}
    page.get_by_label("Choose photos").set_input_files([notes, bbt2])
    bad = page.get_by_role("article", name="notes.jpg")
    assert "“notes.jpg” is not a picture the service can read" in bad.get_by_role("alert").inner_text(timeout=60_000)
    good = page.get_by_role("article", name="bbt2.jpg")
    good.get_by_test_id("present").wait_for(timeout=90_000)
    assert good.get_by_role("alert").count() == 0
    assert good.locator(".box--stranger").count() >= 1  # the man behind leonard: not family
    # Every face in plain words, as the service decided it: the member, "maybe <name>" or "not in the family";
    # numbered left to right, whatever order the service lists them in.
    with httpx.Client(base_url=service, timeout=120) as http:
        answer = http.post("/predict", files={"file": (bbt2["name"], bbt2["buffer"], "image/jpeg")})
        assert answer.status_code == 200, answer.text
    words = [face_words(f) for f in sorted(answer.json()["faces"], key=lambda f: (f["box"][0], f["box"][1]))]
    assert any(w == "not in the family" or w.startswith("maybe ") for w in words)
    faces = good.get_by_role("list", name="Faces in bbt2.jpg").locator("li.face")
    assert [faces.nth(i).get_by_role("heading").inner_text() for i in range(faces.count())] == [
        f"{i + 1} {w}" for i, w in enumerate(words)
    ]
    for i, w in enumerate(words):
        assert faces.nth(i).get_by_role("heading", name=f"{i + 1} {w}").is_visible()
    shot(page, "photo-error")


def test_correct_a_face(page, service, family_dev: Path):
    page.goto("/#/")
    page.get_by_label("Choose photos").set_input_files(family_dev / "photos" / "bbt1.jpg")
    card = page.get_by_role("article", name="bbt1.jpg")
    card.get_by_test_id("present").wait_for(timeout=90_000)
    face = card.locator("li.face").first
    member = face.locator(".face__title").inner_text().split(" ", 1)[1].strip()
    with httpx.Client(base_url=service) as http:
        before = len(http.get(f"/members/{member}/faces").json())

    # By keyboard: open the correction, pick who, tab to Save, press Enter.
    face.get_by_text("Wrong? Correct it").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    select = face.get_by_label("This is")
    assert select.evaluate("el => el === document.activeElement")
    select.select_option(member)
    page.keyboard.press("Tab")
    assert face.get_by_role("button", name="Save").evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    face.get_by_text("the next training will use it").wait_for(timeout=60_000)
    shot(page, "photo-corrected")

    with httpx.Client(base_url=service) as http:
        faces = http.get(f"/members/{member}/faces").json()
    assert len(faces) == before + 1
    assert faces[-1]["origin"] == "feedback" and faces[-1]["source"] == "bbt1.jpg"


def test_family_survives_a_reload(page, service, family_dev: Path):
    page.goto("/#/family")
    page.get_by_role("article", name=UI_MEMBER).locator(".face-grid img").first.wait_for()
    page.reload()
    page.wait_for_url("**/#/family")
    members = sorted(p.name for p in (family_dev / "enroll").iterdir() if p.is_dir())
    cards = page.locator("article.member")
    cards.first.wait_for()
    assert sorted(cards.locator("h3").all_inner_texts()) == members
    sheldon = page.get_by_role("article", name=UI_MEMBER)
    sheldon.locator(".face-grid img").first.wait_for()
    assert sheldon.locator(".face-grid img").count() >= 5
    assert page.get_by_role("table").locator("tbody tr").count() == len(members)


def test_many_photos_table_filter_and_csv(page, service, family_dev: Path, tmp_path: Path):
    labels = json.loads((family_dev / "labels.json").read_text())
    photos = sorted((family_dev / "photos").glob("bbt*.jpg"))
    page.goto("/#/batch")
    page.get_by_label("Choose photos").set_input_files(photos)
    page.get_by_text(f"{len(photos)} photos done.").wait_for(timeout=180_000)
    rows = page.locator("table.batch tbody tr")
    assert rows.count() == len(photos)
    assert rows.locator("th").all_inner_texts() == [p.name for p in photos]
    shot(page, "batch")

    page.get_by_label("Show").select_option(label="photos with amy")
    shown = rows.locator("th").all_inner_texts()
    assert shown and all("amy" in rows.nth(i).locator("td").nth(1).inner_text() for i in range(len(shown)))
    assert "bbt4.jpg" in shown  # the one photo amy is in
    at_phone_width(page, "batch")

    page.get_by_label("Show").select_option(label="all photos")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    path = tmp_path / "out.csv"
    download.value.save_as(path)
    table = list(csv.DictReader(io.StringIO(path.read_text())))
    assert [r["file"] for r in table] == [p.name for p in photos]
    bbt3 = next(r for r in table if r["file"] == "bbt3.jpg")
    assert set(bbt3["members_present"].split(";")) == set(labels["bbt3.jpg"])


def test_family_links_the_latest_evaluation_report(page, service, family_dev: Path):
    labels = json.loads((family_dev / "labels.json").read_text())
    names = ["bbt1.jpg", "bbt2.jpg"]
    with httpx.Client(base_url=service, timeout=60) as http:
        files = [("files", (n, (family_dev / "photos" / n).read_bytes(), "image/jpeg")) for n in names]
        accepted = http.post("/evaluate", files=files, data={"labels": json.dumps({n: labels[n] for n in names})})
        assert accepted.status_code == 202, accepted.text
        deadline = time.monotonic() + 120
        while (job := http.get(accepted.json()["status_url"]).json())["state"] not in ("succeeded", "failed"):
            assert time.monotonic() < deadline, "the evaluation did not finish in 120 s"
            time.sleep(0.3)
    assert job["state"] == "succeeded", job
    page.goto("/#/family")
    panel = page.get_by_role("region", name="How good is it on your photos?")
    panel.get_by_text("On 2 labelled photos").wait_for()
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=str(ARTIFACTS / "family-evaluation.png"))
    panel.get_by_role("link", name="Open the latest evaluation report").click()
    page.wait_for_url("**/report/index.html")
    assert page.eval_on_selector("#confusion", "img => img.complete && img.naturalWidth > 100")
    assert page.locator("h1").inner_text() == "How good is it on your family?"
