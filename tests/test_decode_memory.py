"""Decoding costs a few bytes a pixel, whatever the format: a big 16-bit PNG is reduced to what
detection needs and converted to 8 bits a band of rows at a time (it once cost 26 bytes a pixel)."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from inference.image_io import decode_image

ROOT = Path(__file__).resolve().parents[1]

def test_a_big_16_bit_png_costs_a_few_bytes_a_pixel():
    """bench/decode_memory.py's measurement (a fresh process's VmHWM), on a 6000 x 6000 16-bit PNG."""
    run = subprocess.run([sys.executable, str(ROOT / "bench/decode_memory.py"), "--side", "6000"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    match = re.search(r"decoded to \((\d+), (\d+), 3\), peak RSS \+\d+ MB = ([\d.]+) bytes/pixel", run.stdout)
    assert match, run.stdout
    # The 16-bit decode itself holds 2 bytes a pixel; before, float64 copies made it 26.
    assert float(match[3]) < 4.5, run.stdout
    assert (match[1], match[2]) == ("2000", "2000")  # reduced by a whole factor, long side still >= 1600


def test_sixteen_bit_values_scale_to_eight():
    values = np.array([[0, 257, 65535, 32896]], dtype=np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format="PNG")
    pixels = decode_image(buffer.getvalue(), min_long_side=1600, max_pixels=10**8).pixels
    assert pixels[0, :, 0].tolist() == [0, 1, 255, 128] and (pixels[..., 0] == pixels[..., 2]).all()


def test_a_16_bit_photo_turned_by_exif_is_upright():
    """The 8-bit (and reduced) copy carries no EXIF: the orientation comes from the file's own tag."""
    from PIL import ImageOps

    values = (np.arange(12, dtype=np.uint16).reshape(3, 4) * 257).astype(np.uint16)
    for orientation in (3, 6, 8):
        exif = Image.Exif()
        exif[0x0112] = orientation
        buffer = io.BytesIO()
        Image.fromarray(values).save(buffer, format="PNG", exif=exif)
        eight = io.BytesIO()
        Image.fromarray((values // 257).astype(np.uint8)).save(eight, format="PNG", exif=exif)
        seen = np.asarray(ImageOps.exif_transpose(Image.open(eight)))  # Pillow's reading of the same tag
        image = decode_image(buffer.getvalue(), min_long_side=1600, max_pixels=10**8)
        assert (image.width, image.height) == (seen.shape[1], seen.shape[0])
        assert (image.pixels[..., 0] == seen).all(), orientation
