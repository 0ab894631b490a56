"""Files the project writes: atomically, with the mode the user's other files get."""

from __future__ import annotations


def test_written_files_get_the_users_usual_mode(tmp_path):
    """Weights, manifests and reports are readable like any file the user makes (not 0600)."""
    import os

    from inference.manifest import write_atomic

    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "index.html", b"<!doctype html>")
        assert (tmp_path / "index.html").stat().st_mode & 0o777 == 0o644
        os.umask(0o077)
        write_atomic(tmp_path / "private.json", b"{}")
        assert (tmp_path / "private.json").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)
