"""The library's engine on its own: a scan killed half-way keeps what it stored, the decision from stored
embeddings, the date a photo was taken, the cursor."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from api.services.library_store import LibraryStore
from api.services.store import FamilyStore
from inference.image_io import decode_image
from inference.pipeline import Pipeline
from library.analysis import analyse_photo
from library.decide import FacesToDecide, decide
from library.query import InvalidQuery, PhotoQuery, decode_cursor, encode_cursor
from library.scan import scan


@pytest.fixture(scope="module")
def bare_pipeline(settings):
    pipeline = Pipeline(settings)  # no family: what a scan's workers run
    pipeline.load()
    return pipeline


def test_a_scan_that_dies_keeps_every_photo_it_stored_and_the_next_goes_on(bare_pipeline, data, tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    for photo in sorted((data / "family-dev/photos").iterdir()):
        shutil.copyfile(photo, root / photo.name)
    store = FamilyStore(tmp_path / "data")
    index = LibraryStore(store, bare_pipeline.models.embedder)
    analysed: list[Path] = []

    def dies_after_two(paths):
        for path in paths:
            if len(analysed) == 2:
                raise KeyboardInterrupt  # the process killed mid-scan
            analysed.append(path)
            yield analyse_photo(bare_pipeline, path)

    with pytest.raises(KeyboardInterrupt):
        scan(index, [root], dies_after_two)
    assert len(index.known_photos(str(root))) == 2

    def every(paths):
        analysed.extend(paths)
        return (analyse_photo(bare_pipeline, p) for p in paths)

    analysed.clear()
    report = scan(index, [root], every)
    assert (report.unchanged, report.analysed) == (2, 3) and len(analysed) == 3
    assert len(index.known_photos(str(root))) == 5
    store.close()


def test_an_unreadable_photo_is_skipped_with_why_and_not_read_again(bare_pipeline, tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    (root / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    store = FamilyStore(tmp_path / "data")
    index = LibraryStore(store, bare_pipeline.models.embedder)
    first = scan(index, [root], lambda paths: (analyse_photo(bare_pipeline, p) for p in paths))
    assert first.skipped == 1 and "broken.jpg" in first.skips[0]["file"] and first.skips[0]["reason"]
    second = scan(index, [root], lambda paths: (analyse_photo(bare_pipeline, p) for p in paths))
    assert (second.unchanged, second.skipped) == (1, 0)
    assert index.counts().photos == 0 and index.counts().skipped == 1
    store.close()


def test_a_link_out_of_the_library_is_not_followed(bare_pipeline, data, tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    (root / "elsewhere.jpg").symlink_to(data / "family-dev/photos/bbt1.jpg")
    store = FamilyStore(tmp_path / "data")
    report = scan(LibraryStore(store, "sface"), [root], lambda paths: (analyse_photo(bare_pipeline, p) for p in paths))
    assert report.seen == 0 and "outside the library" in report.skips[0]["reason"]
    store.close()


def test_the_decision_keeps_named_faces_and_names_a_member_once_per_photo(pipeline, data):
    family = pipeline.family
    sheldon = analyse_photo(pipeline.with_family(None), data / "family-dev/enroll/sheldon/sheldon1.png")
    assert sheldon.faces
    embedding = sheldon.faces[0].embedding
    # Photo 1: Sheldon's face twice and a face a person named "penny"; photo 2: Sheldon, who is hidden.
    faces = FacesToDecide(
        face_ids=np.array([1, 2, 3, 4]), photo_ids=np.array([1, 1, 1, 2]),
        embeddings=np.stack([embedding, embedding, embedding, embedding]), named=[False, False, "penny", False],
    )
    decisions = {d.face_id: d for d in decide(family, faces)}
    assert [decisions[1].member, decisions[2].member].count("sheldon") == 1
    assert decisions[3].member == "penny" and decisions[4].member == "sheldon"
    assert decisions[1].probabilities["sheldon"] > 0.5
    hidden = {d.face_id: d.member for d in decide(family, faces, not_members={"sheldon"})}
    assert hidden[1] is None and hidden[4] is None


def test_the_date_taken_is_read_from_exif(tmp_path):
    image = Image.new("RGB", (40, 30), "gray")
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2019:07:14 16:05:09"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    assert decode_image(out.getvalue(), min_long_side=40, max_pixels=10**6).taken_at == "2019-07-14T16:05:09"
    plain = io.BytesIO()
    image.save(plain, format="JPEG")
    assert decode_image(plain.getvalue(), min_long_side=40, max_pixels=10**6).taken_at is None


def test_a_cursor_is_what_the_service_gave_and_nothing_else():
    assert decode_cursor(encode_cursor("2020-01-02T03:04:05", 42)) == ("2020-01-02T03:04:05", 42)
    for bad in ("", "abc", "!!!!", encode_cursor("x", 1)[:-3]):
        with pytest.raises(InvalidQuery):
            PhotoQuery(cursor=bad)


def test_the_data_folder_inside_a_library_folder_is_not_indexed(bare_pipeline, data, tmp_path):
    home = tmp_path / "home"
    (home / "photos").mkdir(parents=True)
    shutil.copyfile(data / "family-dev/photos/bbt2.jpg", home / "photos/bbt2.jpg")
    store = FamilyStore(home / "familyphoto")
    media = home / "familyphoto/library/media/thumbnail/ab"
    media.mkdir(parents=True)
    shutil.copyfile(data / "family-dev/photos/bbt3.jpg", media / "ab12.jpg")  # a thumbnail is no family photo
    report = scan(
        LibraryStore(store, "sface"), [home], lambda paths: (analyse_photo(bare_pipeline, p) for p in paths),
        exclude=(home / "familyphoto",),
    )
    assert (report.seen, report.analysed) == (1, 1)
    store.close()
