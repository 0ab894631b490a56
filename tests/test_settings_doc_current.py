"""docs/settings.md is generated from the settings' fields: it must say what the settings say now."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from api.settings_doc import settings_markdown

COMMITTED = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
REGENERATE = ".venv/bin/python -m api.settings_doc > docs/settings.md"


def test_docs_settings_md_is_current():
    assert COMMITTED.is_file(), f"{COMMITTED} is missing: run `{REGENERATE}`"
    committed, current = COMMITTED.read_text(encoding="utf-8"), settings_markdown()
    if committed != current:
        diff = difflib.unified_diff(committed.splitlines(), current.splitlines(), "docs/settings.md", "settings now", lineterm="", n=0)
        raise AssertionError(
            f"docs/settings.md is out of date with the settings' fields.\nRegenerate it with `{REGENERATE}`.\n"
            + "\n".join(list(diff)[:40])
        )


def test_the_page_does_not_depend_on_the_machine(monkeypatch, tmp_path: Path):
    before = settings_markdown()
    monkeypatch.setattr(os, "cpu_count", lambda: 977)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("FAMILYPHOTO_PORT", "9")  # the page shows defaults, not this environment
    after = settings_markdown()
    assert after == before and "977" not in after and str(tmp_path) not in after
