"""Decoding costs a few bytes a pixel, whatever the format: a big 16-bit PNG is reduced to what
detection needs and converted to 8 bits a band of rows at a time (it once cost 26 bytes a pixel)."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inference.image_io import decode_image

ROOT = Path(__file__).resolve().parents[1]


# bench/decode_memory.py's measurement (a fresh process's VmHWM) on a 6000 x 6000 PNG: what the decoder
# itself holds (2 bytes a pixel for 16-bit gray, 1 for a palette), plus a band of rows and the reduced
# copy, no full-size copy in another mode. Before: 26 bytes a pixel (float64 copies); then 3.6 (a
# full-size 8-bit copy of a 16-bit image) and 5.5 (a palette image converted to RGB at full size).
@pytest.mark.parametrize("mode,bound", [("I;16", 3.2), ("P", 2.5)])
def test_a_big_png_costs_little_more_than_its_decoder_holds(mode, bound):
    run = subprocess.run([sys.executable, str(ROOT / "bench/decode_memory.py"), "--side", "6000", "--mode", mode],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    match = re.search(r"decoded to \((\d+), (\d+), 3\), peak RSS \+\d+ MB = ([\d.]+) bytes/pixel", run.stdout)
    assert match, run.stdout
    assert float(match[3]) < bound, run.stdout
    assert (match[1], match[2]) == ("2000", "2000")  # reduced by a whole factor, long side still >= 1600


def test_reduced_in_bands_is_the_same_as_reduced_at_once():
    """Each band of rows is converted and reduced on its own: the pixels are those of one reduce."""
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 65536, size=(1203, 3301), dtype=np.uint16)  # neither side a multiple of the factor
    buffer = io.BytesIO()
    Image.fromarray(gray).save(buffer, format="PNG")
    decoded = decode_image(buffer.getvalue(), min_long_side=1000, max_pixels=10**8)
    expected = np.asarray(Image.fromarray((gray.astype(np.uint32) * 255 // 65535).astype(np.uint8)).reduce(3))
    assert (decoded.width, decoded.height) == (3301, 1203)
    assert decoded.pixels.shape == (*expected.shape, 3) and (decoded.pixels[..., 0] == expected).all()


def test_a_16_bit_png_turned_by_exif_is_seen_upright():
    """A phone's 16-bit PNG stored sideways (EXIF orientation 6): pixels as a person sees them, so boxes
    map to the photo's own frame (a converted copy once lost the EXIF and stayed sideways)."""
    gray = np.zeros((100, 300), dtype=np.uint16)
    gray[:, :50] = 65535  # the stored image's left strip is the top of the photo as seen
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.fromarray(gray).save(buffer, format="PNG", exif=exif.tobytes())
    decoded = decode_image(buffer.getvalue(), min_long_side=1600, max_pixels=10**8)
    assert (decoded.width, decoded.height) == (100, 300) and decoded.pixels.shape == (300, 100, 3)
    assert (decoded.pixels[:50] == 255).all() and (decoded.pixels[50:] == 0).all()
    assert decoded.scale == 1.0


def test_32_bit_values_outside_16_bits_are_clipped_not_wrapped():
    values = np.array([[-5, 0, 65535, 70000, 2**20, 32896]], dtype=np.int32)
    buffer = io.BytesIO()
    Image.fromarray(values, mode="I").save(buffer, format="TIFF")
    pixels = decode_image(buffer.getvalue(), min_long_side=1600, max_pixels=10**8).pixels
    assert pixels[0, :, 0].tolist() == [0, 0, 255, 255, 255, 128]


def test_sixteen_bit_values_scale_to_eight():
    values = np.array([[0, 257, 65535, 32896]], dtype=np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format="PNG")
    pixels = decode_image(buffer.getvalue(), min_long_side=1600, max_pixels=10**8).pixels
    assert pixels[0, :, 0].tolist() == [0, 1, 255, 128] and (pixels[..., 0] == pixels[..., 2]).all()

