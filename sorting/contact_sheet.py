"""``DST/index.html``: a contact sheet per member that opens from disk, to check a sort by eye."""

from __future__ import annotations

import html
import io
from typing import Any
from urllib.parse import quote

import numpy as np
from PIL import Image, ImageOps

THUMBS = "thumbs"
SHEET_FIELDS = ("source", "sha256", "folders", "placed", "present", "error")  # what render() reads of a row
_SIZE = 240


def thumbnail_jpeg(source: bytes | np.ndarray) -> bytes | None:
    """A small, upright JPEG of a photo's bytes or of its decoded RGB pixels (None if unreadable).

    From bytes, JPEGs decode at reduced scale; from pixels (upright already), nothing is decoded.
    """
    try:
        if isinstance(source, np.ndarray):
            img = Image.fromarray(source)
        else:
            with Image.open(io.BytesIO(source)) as opened:
                opened.draft("RGB", (_SIZE, _SIZE))
                img = ImageOps.exif_transpose(opened.convert("RGB"))
        img.thumbnail((_SIZE, _SIZE), reducing_gap=2.0)
        out = io.BytesIO()
        img.save(out, format="JPEG", quality=80)
        return out.getvalue()
    except Exception:  # noqa: BLE001 - a thumbnail is a nicety; the sort goes on without it
        return None


def render(rows: list[dict[str, Any]], thumbs_dir: str) -> str:
    """The page: one section per folder, members first, each thumbnail linking to the sorted photo."""
    by_folder: dict[str, list[tuple[dict[str, Any], str]]] = {}
    for row in rows:
        for folder, placed in zip(row["folders"], row["placed"]):
            by_folder.setdefault(folder, []).append((row, placed))
    order = sorted(f for f in by_folder if not f.startswith("_")) + sorted(f for f in by_folder if f.startswith("_"))
    errors = [r for r in rows if r.get("error")]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>Sorted photos</title><style>",
        "body{font-family:system-ui,sans-serif;margin:1rem;color:#222}h2{margin-top:2rem}",
        "nav a{margin-right:1rem}.grid{display:flex;flex-wrap:wrap;gap:6px}",
        ".grid a{display:block;width:160px;text-decoration:none;color:#444;font-size:12px;overflow:hidden}",
        ".grid img{width:160px;height:120px;object-fit:cover;background:#ddd;display:block}",
        "</style></head><body><h1>Sorted photos</h1><nav>",
    ]
    parts += [f"<a href='#{quote(f)}'>{html.escape(f)} ({len(by_folder[f])})</a>" for f in order]
    parts.append("</nav>")
    for folder in order:
        parts.append(f"<h2 id='{quote(folder)}'>{html.escape(folder)} — {len(by_folder[folder])} photos</h2><div class='grid'>")
        for row, placed in by_folder[folder]:
            href = quote(placed)
            thumb = quote(f"{thumbs_dir}/{row['sha256']}.jpg") if row.get("sha256") else href
            alt = html.escape(f"{row['source']}: {', '.join(row['present']) or 'no family member'}")
            parts.append(f"<a href='{href}'><img src='{thumb}' alt='{alt}' loading='lazy'>{html.escape(row['source'])}</a>")
        parts.append("</div>")
    if errors:
        parts.append(f"<h2 id='unreadable'>Unreadable — {len(errors)}</h2><ul>")
        parts += [f"<li>{html.escape(r['source'])}: {html.escape(r['error'])}</li>" for r in errors]
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "".join(parts)
