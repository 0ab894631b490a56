"""Peak memory of decoding one big 16-bit PNG, in a fresh process (what one /predict request costs).

    .venv/bin/python bench/decode_memory.py [--side 12000] [--mode I;16|RGB|P]

Writes a SIDE x SIDE PNG (16-bit gray by default; 8-bit colour or a palette) to a temp file, then decodes it in a child process the way
the pipeline does (long side >= 1600) and prints the growth of the child's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import sys
from pathlib import Path
from inference.image_io import decode_image
def hwm():  # this process's peak RSS in bytes (/proc's, per process image: ru_maxrss survives exec)
    return next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:"))
data = Path(sys.argv[1]).read_bytes()
base = hwm()
image = decode_image(data, min_long_side=1600, max_pixels=150_000_000)
grew = hwm() - base
print(f"{image.width}x{image.height} {sys.argv[2]} PNG ({len(data) // 1024} KB): decoded to {image.pixels.shape}, "
      f"peak RSS +{grew / 2**20:.0f} MB = {grew / (image.width * image.height):.1f} bytes/pixel")
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", type=int, default=12000)
    parser.add_argument("--mode", choices=["I;16", "RGB", "P"], default="I;16", help="16-bit gray, 8-bit colour, palette")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big16.png"
        gray = (np.arange(args.side * args.side, dtype=np.uint32).reshape(args.side, args.side) % 65536).astype(np.uint16)
        image = Image.fromarray(gray) if args.mode == "I;16" else Image.fromarray((gray >> 8).astype(np.uint8)).convert(args.mode)
        del gray
        image.save(path)
        del image
        # cwd: the project whose inference/ is measured (PYTHONPATH=another checkout measures that one)
        return subprocess.run([sys.executable, "-c", CHILD, str(path), args.mode], cwd=os.environ.get("PYTHONPATH", ROOT)).returncode


if __name__ == "__main__":
    sys.exit(main())
