"""``familyphoto sort``: the right folders, nothing lost, originals untouched, resumable."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
from PIL import Image

from sorting.run import sort_photos

ROOT = Path(__file__).resolve().parents[1]


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _listing(dst: Path) -> set[str]:
    return {str(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file() and ".familyphoto" not in p.parts}


@pytest.fixture(scope="module")
def trip(data: Path, tmp_path_factory) -> Path:
    """A trip folder: group photos, two same-named photos in different subfolders, strangers,
    a photo without a face, a text file named .jpg, a corrupt JPEG and a non-photo file."""
    src = tmp_path_factory.mktemp("trip")
    (src / "day1").mkdir()
    (src / "day2").mkdir()
    for photo in sorted((data / "family-dev/photos").iterdir()):
        (src / "day1" / photo.name).write_bytes(photo.read_bytes())
    (src / "day2" / "bbt1.jpg").write_bytes((data / "family-dev/photos/bbt2.jpg").read_bytes())  # same name, other photo
    for photo in sorted((data / "ageitgey_knn/test").iterdir())[:2]:
        (src / "day2" / photo.name).write_bytes(photo.read_bytes())
    Image.fromarray(np.tile(np.linspace(0, 255, 320, dtype=np.uint8), (240, 1))).save(src / "day2" / "sky.jpg")
    (src / "day2" / "notes.jpg").write_text("not a photo")
    full = (data / "family-dev/photos/bbt3.jpg").read_bytes()
    (src / "day2" / "broken.jpg").write_bytes(full[: len(full) // 3])
    (src / "itinerary.txt").write_text("day 1: beach")
    return src


def test_sort_places_members_strangers_and_no_faces(
    trip, family_dev_weights, settings, tmp_path, family_dev_labels, pipeline
):
    before = _hashes(trip)
    dst = tmp_path / "sorted"
    report = sort_photos(trip, dst, family_dev_weights, settings)
    assert _hashes(trip) == before  # originals untouched
    assert report.photos == 11 and report.skipped == 1
    for name, members in family_dev_labels.items():
        target = "day1__bbt1.jpg" if name == "bbt1.jpg" else name
        found = set(pipeline.analyze(trip / "day1" / name, crops=False).result.present)
        assert len(found) >= len(members) - 1 and found <= set(members), name  # test_recognition's figures
        placed = {folder.name for folder in dst.iterdir() if (folder / target).is_file()}
        assert placed == found, (name, placed, found)  # in each member's folder it names, and only there
    assert (dst / "leonard" / "day2__bbt1.jpg").is_file()  # the clash kept both photos
    assert (dst / "_no_faces" / "sky.jpg").is_file()
    assert {p.name for p in (dst / "_strangers_only").iterdir()} == {"alex_lacamoire1.jpg", "johnsnow_test1.jpg"}
    assert not any(dst.rglob("*.partial"))
    # hard links: the same file, no copy
    assert (dst / "sheldon" / "bbt3.jpg").stat().st_ino == (trip / "day1" / "bbt3.jpg").stat().st_ino
    # the manifest matches the folders, and reports the unreadable files
    with (dst / "manifest.csv").open() as fh:
        rows = {r["source"]: r for r in csv.DictReader(fh)}
    assert len(rows) == 11
    entries = [json.loads(line) for line in (dst / "manifest.jsonl").read_text().splitlines()]
    placed = {f"{folder}/{e['name']}" for e in entries for folder in e["folders"]}
    assert placed == _listing(dst) - {"manifest.csv", "manifest.jsonl", "index.html"}
    assert all(rows[e["source"]]["folders"] == ";".join(e["folders"]) for e in entries)
    assert "not an image" in rows["day2/notes.jpg"]["error"] and "truncated" in rows["day2/broken.jpg"]["error"]
    assert rows["day2/notes.jpg"]["folders"] == ""
    # the contact sheet links every placed photo and shows a thumbnail of each
    page = (dst / "index.html").read_text()
    links = set(re.findall(r"<a href='([^']+)'><img src='([^']+)'", page))
    assert {unquote(href) for href, _ in links} == placed
    assert all((dst / unquote(src)).is_file() for _, src in links)
    assert "notes.jpg" in page.split("Unreadable")[1]


@pytest.mark.slow  # two sorts
def test_second_run_uses_the_cache_and_changes_nothing(trip, family_dev_weights, settings, tmp_path):
    dst = tmp_path / "sorted"
    first = sort_photos(trip, dst, family_dev_weights, settings)
    listing = _listing(dst)
    again = sort_photos(trip, dst, family_dev_weights, settings)
    assert first.analysed >= 10
    assert again.analysed == 0 and again.from_cache == 11
    assert _listing(dst) == listing and again.removed == 0


def test_dry_run_writes_only_the_report(trip, family_dev_weights, settings, tmp_path):
    dst = tmp_path / "dry"
    report = sort_photos(trip, dst, family_dev_weights, settings, dry_run=True)
    assert {p.name for p in dst.iterdir()} == {"manifest.csv", "manifest.jsonl"}  # no folders, cache or page
    assert report.folders["sheldon"] == 6  # the 5 group photos and day2's copy of bbt2


@pytest.mark.slow  # a second full sort; the linking one stays quick
def test_copy_mode_makes_real_copies(trip, family_dev_weights, settings, tmp_path):
    dst = tmp_path / "copies"
    sort_photos(trip, dst, family_dev_weights, settings, mode="copy")
    copy, original = dst / "sheldon" / "bbt3.jpg", trip / "day1" / "bbt3.jpg"
    assert copy.stat().st_ino != original.stat().st_ino
    assert copy.read_bytes() == original.read_bytes()


@pytest.mark.slow  # the CLI in a subprocess, and two more sorts
def test_killed_worker_then_resume_equals_an_uninterrupted_run(trip, family_dev_weights, settings, tmp_path):
    reference = tmp_path / "reference"
    sort_photos(trip, reference, family_dev_weights, settings)
    dst = tmp_path / "interrupted"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "sort", str(trip), str(dst), "--weights", str(family_dev_weights), "--workers", "2"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    cache = dst / ".familyphoto" / "cache.sqlite"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until some photos are done, then kill a worker
        try:
            with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
                if db.execute("SELECT COUNT(*) FROM results").fetchone()[0] >= 2:
                    break
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert children, "no worker processes to kill"
    os.kill(int(children[0]), signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    # 1 either way: interrupted (and says how to resume), or finished with the trip's unreadable files listed.
    assert proc.returncode == 1 and ("run the same command again" in err or "could not be read" in err), err
    resumed = sort_photos(trip, dst, family_dev_weights, settings)
    assert resumed.from_cache >= 2
    assert _listing(dst) == _listing(reference)
    assert (dst / "manifest.csv").read_text() == (reference / "manifest.csv").read_text()


def test_model_id_changes_with_every_detection_setting(family_dev_weights, settings):
    from sorting.run import model_id

    base = model_id(family_dev_weights, settings)
    assert model_id(family_dev_weights, settings.model_copy()) == base
    for update in (
        {"detector": "cnn"}, {"detector_weights": Path("/elsewhere")}, {"detector_min_score": 0.9},
        {"detect_size": 1200}, {"detect_max_upscale": 2.0}, {"min_face_score": 0.0},
    ):
        assert model_id(family_dev_weights, settings.model_copy(update=update)) != base, update


def test_sort_never_replaces_a_file_it_did_not_place(trip, family_dev_weights, settings, tmp_path):
    dst = tmp_path / "sorted"
    (dst / "sheldon").mkdir(parents=True)
    (dst / "sheldon" / "bbt3.jpg").write_text("precious")  # the user's own file, under a name the sort wants
    sort_photos(trip, dst, family_dev_weights, settings)
    assert (dst / "sheldon" / "bbt3.jpg").read_text() == "precious"
    original = (trip / "day1" / "bbt3.jpg").stat().st_ino
    assert (dst / "sheldon" / "bbt3 (2).jpg").stat().st_ino == original  # the photo took a free name
    rows = {e["source"]: e for e in map(json.loads, (dst / "manifest.jsonl").read_text().splitlines())}
    assert "sheldon/bbt3 (2).jpg" in rows["day1/bbt3.jpg"]["placed"]
    again = sort_photos(trip, dst, family_dev_weights, settings)  # a rerun keeps its own names
    assert again.removed == 0 and not (dst / "sheldon" / "bbt3 (3).jpg").exists()
    assert (dst / "sheldon" / "bbt3.jpg").read_text() == "precious"


@pytest.mark.slow  # three sorts in copy mode
def test_a_second_source_adds_to_the_destination(trip, data, family_dev_weights, settings, tmp_path):
    day3 = tmp_path / "day3"
    day3.mkdir()
    (day3 / "bbt3.jpg").write_bytes((data / "family-dev/photos/bbt4.jpg").read_bytes())  # same name, other photo
    dst = tmp_path / "sorted"
    sort_photos(trip, dst, family_dev_weights, settings, mode="copy")
    first = _listing(dst) - {"manifest.csv", "manifest.jsonl", "index.html"}
    second = sort_photos(day3, dst, family_dev_weights, settings, mode="copy")
    assert second.removed == 0 and first <= _listing(dst)  # the first source's copies all stay
    assert (dst / "sheldon" / "bbt3.jpg").read_bytes() == (trip / "day1" / "bbt3.jpg").read_bytes()
    assert (dst / "sheldon" / "bbt3 (2).jpg").read_bytes() == (day3 / "bbt3.jpg").read_bytes()
    third = sort_photos(trip, dst, family_dev_weights, settings, mode="copy")  # the first source again
    assert third.removed == 0 and (dst / "sheldon" / "bbt3 (2).jpg").read_bytes() == (day3 / "bbt3.jpg").read_bytes()


def test_sort_takes_any_member_and_file_name(trip, family_dev_weights, settings, tmp_path):
    """A family from before the member-name rule (members named like the sort's own files, or
    256 bytes of emoji) and a photo with a 250-byte name: the sort completes, twice."""
    from inference.inputs import member_folder_name
    from inference.manifest import Manifest

    weights = tmp_path / "weights"
    shutil.copytree(family_dev_weights, weights)
    manifest = Manifest.read(weights)
    renames = {"sheldon": "index.html", "leonard": "😀" * 64}
    members = [renames.get(m, m) for m in manifest.members]
    thresholds = {renames.get(m, m): t for m, t in manifest.thresholds.items()}
    manifest.model_copy(update={"members": members, "thresholds": thresholds}).write(weights)
    src = tmp_path / "src"
    src.mkdir()
    long_name = "a" * 246 + ".jpg"
    (src / long_name).write_bytes((trip / "day1" / "bbt2.jpg").read_bytes())
    dst = tmp_path / "sorted"
    for _ in range(2):
        report = sort_photos(src, dst, weights, settings)
        assert report.errors == []
    assert (dst / "index.html").read_text().startswith("<!doctype html>")  # the contact sheet, not a member
    for member in renames.values():
        assert (dst / member_folder_name(member) / long_name).is_file()


def test_a_confined_sort_never_follows_a_link_out_of_its_folders(trip, data, family_dev_weights, settings, tmp_path):
    root = tmp_path / "root"
    (root / "trip").mkdir(parents=True)
    (root / "trip" / "bbt2.jpg").write_bytes((trip / "day1" / "bbt2.jpg").read_bytes())
    (root / "trip" / "secret.jpg").symlink_to(data / "family-dev/photos/bbt3.jpg")  # outside the root
    report = sort_photos(root / "trip", root / "sorted", family_dev_weights, settings, confine=[root])
    assert report.photos == 1 and [e[0] for e in report.errors] == ["secret.jpg"]
    assert "outside the folders" in report.errors[0][1]
    assert not any(p.name == "secret.jpg" for p in (root / "sorted").rglob("*"))


def test_a_photo_is_placed_on_a_disk_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FAT and some network disks refuse hard links: the photo is copied under a name claimed exclusively,
    and a file already there is still never replaced."""
    from sorting.placing import place

    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"the photo")
    (tmp_path / "dst").mkdir()
    (tmp_path / "dst" / "taken.jpg").write_bytes(b"someone's file")

    def refused(*_: object, **__: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", refused)
    place(photo, tmp_path / "dst" / "a.jpg", "link", replace=False)
    assert (tmp_path / "dst" / "a.jpg").read_bytes() == b"the photo"
    with pytest.raises(FileExistsError):
        place(photo, tmp_path / "dst" / "taken.jpg", "copy", replace=False)
    assert (tmp_path / "dst" / "taken.jpg").read_bytes() == b"someone's file"
    assert sorted(p.name for p in (tmp_path / "dst").iterdir()) == ["a.jpg", "taken.jpg"]  # no partial left
