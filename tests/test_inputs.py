"""Every kind of input a family's folder holds: each gives a result or a clear one-line error."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inference.image_io import ImageDecodeError, decode_image

pytestmark = pytest.mark.usefixtures("data")


@pytest.fixture(scope="module")
def group_photo(data: Path) -> Image.Image:
    return Image.open(data / "family-dev/photos/bbt3.jpg").convert("RGB")


@pytest.fixture(scope="module")
def reference(pipeline, data: Path):
    """bbt3.jpg as it is: 5 faces, howard, leonard, penny, raj and sheldon."""
    return pipeline.analyze(data / "family-dev/photos/bbt3.jpg", crops=False).result


def _save(img: Image.Image, path: Path, **kw) -> Path:
    img.save(path, **kw)
    return path


def _present(pipeline, path: Path) -> set[str]:
    return set(pipeline.analyze(path, crops=False).result.present)


def test_reference_photo(reference):
    assert len(reference.faces) == 5
    assert set(reference.present) == {"howard", "leonard", "penny", "raj", "sheldon"}


@pytest.mark.parametrize("fmt,suffix", [("PNG", ".png"), ("WEBP", ".webp"), ("HEIF", ".heic"), ("BMP", ".bmp")])
def test_formats(pipeline, group_photo, reference, tmp_path, fmt, suffix):
    kw = {"quality": 95} if fmt in ("WEBP", "HEIF") else {}
    path = _save(group_photo, tmp_path / f"photo{suffix}", format=fmt, **kw)
    assert _present(pipeline, path) == set(reference.present)


def test_grayscale_and_palette_and_rgba(pipeline, group_photo, reference, tmp_path):
    for mode in ("L", "P", "RGBA", "LA"):
        img = group_photo.convert(mode)
        path = _save(img, tmp_path / f"photo-{mode}.png")
        result = pipeline.analyze(path, crops=False).result
        assert len(result.faces) >= 3, mode
        assert (result.width, result.height) == group_photo.size


def test_sixteen_bit(pipeline, group_photo, tmp_path):
    gray16 = (np.asarray(group_photo.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    path = _save(Image.fromarray(gray16), tmp_path / "photo16.png")
    assert Image.open(path).mode.startswith("I")
    result = pipeline.analyze(path, crops=False).result
    assert len(result.faces) >= 3


@pytest.mark.parametrize("orientation,transpose", [(6, Image.Transpose.ROTATE_90), (3, Image.Transpose.ROTATE_180), (8, Image.Transpose.ROTATE_270)])
def test_exif_rotated_phone_photo_boxes_as_seen(pipeline, group_photo, reference, tmp_path, orientation, transpose):
    # A phone stores the sensor's pixels and an orientation tag; the photo as seen is upright.
    stored = group_photo.transpose(transpose)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = _save(stored, tmp_path / "phone.jpg", exif=exif, quality=95)
    result = pipeline.analyze(path, crops=False).result
    assert (result.width, result.height) == group_photo.size
    assert len(result.faces) == len(reference.faces)
    for face in result.faces:
        nearest = min(reference.faces, key=lambda f: abs(f.box.x1 - face.box.x1) + abs(f.box.y1 - face.box.y1))
        assert abs(nearest.box.x1 - face.box.x1) <= 12 and abs(nearest.box.y2 - face.box.y2) <= 12
        # Same face, same person: re-encoding moves probabilities a little, never the best match
        # (calibrated probabilities are not pinned near 1: a few points of change, measured up to 0.053).
        best = max(face.probabilities, key=face.probabilities.get)
        assert best == nearest.member
        assert abs(face.probabilities[best] - nearest.probabilities[best]) < 0.1


def test_panorama_detects_on_a_reduced_copy_and_maps_boxes_back(pipeline, group_photo, reference, tmp_path):
    # The faces must be over 80 px on the 1600 px detection copy, i.e. over 1/20 of the long side.
    canvas = Image.new("RGB", (12000, 9000), (90, 110, 90))
    scale = 8
    big = group_photo.resize((group_photo.width * scale, group_photo.height * scale))
    canvas.paste(big, (500, 2000))
    path = _save(canvas, tmp_path / "panorama.jpg", quality=85)
    del canvas, big
    result = pipeline.analyze(path, crops=True).result
    assert (result.width, result.height) == (12000, 9000)
    assert set(result.present) == set(reference.present)
    for face in result.faces:
        ref = min(reference.faces, key=lambda f: abs(f.box.x1 * scale + 500 - face.box.x1))
        tolerance = 0.15 * face.box.width  # detected at another scale: boxes differ by a few pixels there
        assert abs(ref.box.x1 * scale + 500 - face.box.x1) <= tolerance
        assert abs(ref.box.y1 * scale + 2000 - face.box.y1) <= tolerance
        assert abs(ref.box.x2 * scale + 500 - face.box.x2) <= tolerance
        assert Image.open(io.BytesIO(face.crop_jpeg)).size[0] > 0


def test_no_face(pipeline, tmp_path):
    gradient = np.tile(np.linspace(0, 255, 640, dtype=np.uint8), (480, 1))
    path = _save(Image.fromarray(gradient), tmp_path / "sky.jpg")
    result = pipeline.analyze(path).result
    assert result.faces == [] and result.present == []


def _bad(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_truncated_jpeg(data, tmp_path):
    full = (data / "family-dev/photos/bbt1.jpg").read_bytes()
    path = _bad(tmp_path, "cut.jpg", full[: len(full) // 2])
    with pytest.raises(ImageDecodeError) as err:
        decode_image(path, min_long_side=2000, max_pixels=10**8)
    assert err.value.kind == "corrupt" and "truncated" in str(err.value)
    assert "\n" not in str(err.value)


def test_text_file_named_jpg(tmp_path):
    path = _bad(tmp_path, "notes.jpg", b"shopping list: milk, eggs\n")
    with pytest.raises(ImageDecodeError) as err:
        decode_image(path, min_long_side=2000, max_pixels=10**8)
    assert err.value.kind == "not_image"


def test_empty_file(tmp_path):
    with pytest.raises(ImageDecodeError) as err:
        decode_image(_bad(tmp_path, "empty.jpg", b""), min_long_side=2000, max_pixels=10**8)
    assert err.value.kind == "empty"


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    # A small file that claims 40000 x 40000 pixels.
    img = Image.new("1", (40000, 40000))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    assert len(buf.getvalue()) < 1_000_000
    with pytest.raises(ImageDecodeError) as err:
        decode_image(buf.getvalue(), min_long_side=2000, max_pixels=150_000_000)
    assert err.value.kind == "too_large"
    assert "limit of 150 megapixels" in str(err.value)  # the limit in force, not Pillow's own
