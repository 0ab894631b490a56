"""``familyphoto library``: scan a folder into a data folder, rescan it, search it (JSON Lines)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli_runner import familyphoto

pytestmark = pytest.mark.slow  # every step runs the CLI in a subprocess


def test_scan_status_and_search(data: Path, tmp_path: Path, family_dev_labels) -> None:
    family = tmp_path / "family"
    for member in ("penny", "sheldon"):
        shutil.copytree(data / "family-dev/enroll" / member, family / member)
    store = tmp_path / "data"
    assert familyphoto("enrol", str(family), "--data", str(store)).returncode == 0
    photos = tmp_path / "photos"
    shutil.copytree(data / "family-dev/photos", photos)

    first = familyphoto("library", "scan", str(photos), "--data", str(store))
    assert first.returncode == 0, first.stderr
    assert "5 photos: 5 analysed" in first.stderr
    again = familyphoto("library", "scan", "--data", str(store))  # the folders indexed before
    assert again.returncode == 0 and "5 unchanged" in again.stderr, again.stderr

    status = familyphoto("library", "status", "--data", str(store))
    assert str(photos) in status.stderr and "5 photos" in status.stderr

    found = familyphoto("library", "search", "--member", "penny", "--member", "sheldon", "--data", str(store))
    assert found.returncode == 0, found.stderr
    lines = [json.loads(line) for line in found.stdout.splitlines()]
    expected = {name for name, members in family_dev_labels.items() if {"penny", "sheldon"} <= set(members)}
    assert {Path(line["path"]).name for line in lines} == expected
    assert all({"penny", "sheldon"} <= set(line["present"]) and line["taken_at"] for line in lines)

    unknown = familyphoto("library", "search", "--member", "grandma", "--data", str(store))
    assert unknown.returncode == 2 and "no member named 'grandma'" in unknown.stderr
