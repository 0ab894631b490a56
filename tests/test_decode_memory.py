"""Decoding costs a few bytes a pixel, whatever the format: a big 16-bit PNG is reduced to what
detection needs and converted to 8 bits a band of rows at a time (it once cost 26 bytes a pixel)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from inference.image_io import decode_image

ROOT = Path(__file__).resolve().parents[1]

PEAK = """
import sys
from pathlib import Path
from inference.image_io import decode_image
def hwm():  # this process's peak RSS in bytes (/proc's, per process image: ru_maxrss survives exec)
    return next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:"))
data = Path(sys.argv[1]).read_bytes()
base = hwm()
image = decode_image(data, min_long_side=1600, max_pixels=150_000_000)
print((hwm() - base) / (image.width * image.height), image.pixels.shape)
"""


def test_a_big_16_bit_png_costs_a_few_bytes_a_pixel(tmp_path):
    side = 6000
    gray = (np.arange(side * side, dtype=np.uint32).reshape(side, side) % 65536).astype(np.uint16)
    Image.fromarray(gray).save(tmp_path / "big16.png")
    del gray
    run = subprocess.run([sys.executable, "-c", PEAK, str(tmp_path / "big16.png")], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert run.returncode == 0, run.stderr
    bytes_per_pixel, shape = run.stdout.split(" ", 1)
    # The 16-bit decode itself holds 2 bytes a pixel; before, float64 copies made it 26.
    assert float(bytes_per_pixel) < 4.5, run.stdout
    assert shape.strip() == "(2000, 2000, 3)"  # reduced by a whole factor, long side still >= 1600


def test_sixteen_bit_values_scale_to_eight():
    values = np.array([[0, 257, 65535, 32896]], dtype=np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format="PNG")
    pixels = decode_image(buffer.getvalue(), min_long_side=1600, max_pixels=10**8).pixels
    assert pixels[0, :, 0].tolist() == [0, 1, 255, 128] and (pixels[..., 0] == pixels[..., 2]).all()
