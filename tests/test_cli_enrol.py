"""``familyphoto enrol``: a folder family into the service's store, trained, and served to the web app."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cli_runner import familyphoto
from api.app import create_app




pytestmark = pytest.mark.slow  # every test runs the CLI in a subprocess


def test_enrol_then_serve_then_enrol_again(data: Path, settings, tmp_path: Path) -> None:
    family = tmp_path / "family"
    for member in ("leonard", "sheldon"):
        (family / member).mkdir(parents=True)
        for photo in sorted((data / "family-dev/enroll" / member).iterdir())[:3]:
            (family / member / photo.name).symlink_to(photo)
    (family / "sheldon" / "notes.jpg").write_text("not a photo")
    store = tmp_path / "data"

    first = familyphoto("enrol", str(family), "--data", str(store))
    assert first.returncode == 0, first.stderr
    assert "left out: sheldon/notes.jpg: not an image" in " ".join(first.stderr.split())
    assert "familyphoto serve --data" in first.stderr

    # The service started on that data directory serves the family it holds, with its faces.
    with TestClient(create_app(settings.model_copy(update={"data": store}))) as client:
        members = {m["name"]: m for m in client.get("/members").json()}
        assert {n: m["enrolled_faces"] for n, m in members.items()} == {"leonard": 3, "sheldon": 3}
        assert all(m["threshold"] is not None for m in members.values())
        assert len(client.get("/members/leonard/faces").json()) == 3
        photo = (data / "family-dev/photos/bbt2.jpg").read_bytes()
        assert sorted(client.post("/predict", files={"file": ("bbt2.jpg", photo)}).json()["present"]) == ["leonard", "sheldon"]

    # Again with one more photo: only that one is new; nothing is enrolled twice.
    extra = sorted((data / "family-dev/enroll/leonard").iterdir())[3]
    (family / "leonard" / extra.name).symlink_to(extra)
    again = familyphoto("enrol", str(family), "--data", str(store), "--no-train")
    assert again.returncode == 0, again.stderr
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:5]] for line in again.stderr.splitlines() if line.count("│") >= 5}
    assert rows["leonard"] == ["1", "3", "0"] and rows["sheldon"] == ["0", "3", "1"]


def test_enrol_refuses_bad_member_names(data: Path, tmp_path: Path) -> None:
    long_name = "x" * 65  # a legal folder name, too long for a member
    (tmp_path / long_name).mkdir()
    (tmp_path / long_name / "a.jpg").symlink_to(data / "family-dev/photos/bbt1.jpg")
    result = familyphoto("enrol", str(tmp_path), "--data", str(tmp_path / "d"))
    assert result.returncode == 2 and f"{long_name}: not a member: {long_name!r} is 65 characters" in " ".join(result.stderr.split())


def test_enrol_refuses_a_data_folder_the_service_holds(data: Path, settings, tmp_path: Path) -> None:
    """One writer per data folder: enrol while the service runs there is refused clearly, and
    the service's own jobs are left alone (not marked failed)."""
    family = tmp_path / "family"
    (family / "sheldon").mkdir(parents=True)
    (family / "sheldon" / "a.png").symlink_to(sorted((data / "family-dev/enroll/sheldon").iterdir())[0])
    store = tmp_path / "data"
    with TestClient(create_app(settings.model_copy(update={"data": store}))) as client:
        service = client.app.state.service
        job_id = service.store.create_job("train")  # a job the running service has queued
        result = familyphoto("enrol", str(family), "--data", str(store), "--no-train")
        assert result.returncode == 2 and "another familyphoto process is using" in result.stderr
        assert service.store.job(job_id).state == "queued" and service.store.job(job_id).error is None
    again = familyphoto("enrol", str(family), "--data", str(store), "--no-train")  # the service stopped: free
    assert again.returncode == 0, again.stderr
