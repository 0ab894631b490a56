"""Running ``familyphoto`` as a user does, in a subprocess of this checkout (for the command-line tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def familyphoto(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``familyphoto ARGS...``: its exit code, stdout and stderr (a wide terminal: rich wraps nothing)."""
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, timeout=600,
        env={**os.environ, "COLUMNS": "120", **(env or {})}, cwd=ROOT,
    )
