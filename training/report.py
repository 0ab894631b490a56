"""The evaluation report: ``index.html`` (opens from disk), ``report.json``, two plots and thumbnails."""

from __future__ import annotations

import html
import io
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
from PIL import Image, ImageDraw

from inference.image_io import ImageDecodeError, decode_image
from inference.manifest import write_atomic
from training.evaluate import MISSED_COLUMN, STRANGER_ROW, Evaluation, PhotoVerdict

CONFUSION_PNG = "confusion.png"
SWEEP_PNG = "sweep.png"
REPORT_JSON = "report.json"
INDEX_HTML = "index.html"
THUMBS = "wrong"
_THUMB = 360
_GOOD, _BAD, _STRANGER = (22, 130, 60), (200, 30, 30), (110, 110, 110)


def write_report(out: Path, evaluation: Evaluation, sweep: list[dict], context: dict[str, Any]) -> Path:
    """Write the report into ``out`` (created if needed); returns the path of ``index.html``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / THUMBS).mkdir(exist_ok=True)
    gallery = [(v, _thumbnail(v, out / THUMBS / f"{i:04d}.jpg")) for i, v in enumerate(evaluation.wrong_photos)]
    write_atomic(out / CONFUSION_PNG, confusion_png(evaluation))
    write_atomic(out / SWEEP_PNG, sweep_png(sweep))
    data = report_json(evaluation, sweep, context)
    write_atomic(out / REPORT_JSON, json.dumps(data, indent=2).encode("utf-8"))
    write_atomic(out / INDEX_HTML, render_html(evaluation, data, gallery).encode("utf-8"))
    return out / INDEX_HTML


def report_json(evaluation: Evaluation, sweep: list[dict], context: dict[str, Any]) -> dict[str, Any]:
    """Everything the page shows, as data."""
    labels_rows = evaluation.members + [STRANGER_ROW]
    labels_cols = evaluation.members + [MISSED_COLUMN]
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **context,
        "summary": evaluation.summary(),
        "thresholds": {m: round(t, 6) for m, t in evaluation.thresholds.items()},
        "per_member": evaluation.per_member,
        "confusion": {
            "rows_true": labels_rows,
            "columns_said": labels_cols,
            "counts": evaluation.confusion.tolist(),
            "mix_ups": mix_ups(evaluation),
        },
        "sweep": sweep,
        "wrong": [_verdict_json(v) for v in evaluation.wrong_photos],
        "unreadable": [{"file": str(v.outcome.path), "error": v.outcome.error} for v in evaluation.errors],
    }


def mix_ups(evaluation: Evaluation) -> list[dict[str, Any]]:
    """Member-for-member confusions, most frequent first (the siblings-and-parents list)."""
    n = len(evaluation.members)
    found = [
        {"true": evaluation.members[r], "said": evaluation.members[c], "count": int(evaluation.confusion[r, c])}
        for r in range(n)
        for c in range(n)
        if r != c and evaluation.confusion[r, c]
    ]
    return sorted(found, key=lambda x: -x["count"])


def _verdict_json(v: PhotoVerdict) -> dict[str, Any]:
    return {
        "file": str(v.outcome.path),
        "true": sorted(v.outcome.truth),
        "said": sorted(v.said),
        "missed": sorted(v.missed),
        "wrongly_said": sorted(v.wrong),
        "faces": [{"box": b, "member": a} for b, a in zip(v.outcome.boxes, v.assigned)],
    }


def confusion_png(evaluation: Evaluation) -> bytes:
    """The confusion matrix: correct cells green, mix-ups red and the darker the more frequent."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = evaluation.confusion.astype(float)
    rows = evaluation.members + [STRANGER_ROW]
    cols = evaluation.members + [MISSED_COLUMN]
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    rgb = np.ones((*counts.shape, 3))
    diagonal = np.eye(*counts.shape, dtype=bool)
    diagonal[-1, -1] = False  # "stranger missed" is not a cell
    green, red = np.array([0.09, 0.51, 0.24]), np.array([0.78, 0.12, 0.12])
    for (r, c), s in np.ndenumerate(share):
        if counts[r, c]:
            colour = green if diagonal[r, c] else red
            strength = 0.25 + 0.75 * s  # any mistake is visible, frequent ones stand out
            rgb[r, c] = 1 - strength * (1 - colour)
    size = max(4.0, 0.55 * len(cols) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size), dpi=110)
    ax.imshow(rgb, interpolation="nearest")
    for (r, c), v in np.ndenumerate(counts):
        if v:
            ax.text(c, r, str(int(v)), ha="center", va="center", fontsize=9, color="white" if share[r, c] > 0.4 else "black")
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("said")
    ax.set_ylabel("true")
    ax.set_title("Who was taken for whom (counts; red: mistakes)")
    ax.set_xticks(np.arange(-0.5, len(cols)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(rows)), minor=True)
    ax.grid(which="minor", color="#ddd", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    return _png(fig)


def sweep_png(sweep: list[dict]) -> bytes:
    """False accepts against misses as the thresholds move; the current thresholds marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.6), dpi=110)
    points = [p for p in sweep if p["miss_rate"] is not None and p["false_accept_rate"] is not None]
    if points:
        x = [100 * p["miss_rate"] for p in points]
        ax.plot(x, [100 * p["false_accept_rate"] for p in points], "o-", ms=3, label="members reported who are not there")
        strangers = [p["stranger_false_accept_rate"] for p in points]
        if all(s is not None for s in strangers):
            ax.plot(x, [100 * s for s in strangers], "s--", ms=3, color="tab:orange", label="stranger photos reporting anyone")
        current = min(points, key=lambda p: abs(p["shift"]))
        ax.plot([100 * current["miss_rate"]], [100 * current["false_accept_rate"]], "*", ms=16, color="crimson", label="current thresholds")
    ax.set_xlabel("misses: members in the photo not found (%)")
    ax.set_ylabel("false accepts (%)")
    ax.set_title("Threshold sweep (looser to the left, stricter to the right)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return _png(fig)


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _thumbnail(verdict: PhotoVerdict, path: Path) -> str | None:
    """A small copy of the photo with its faces boxed (green right, red wrong, grey stranger)."""
    try:
        image = decode_image(verdict.outcome.path, min_long_side=_THUMB * 2, max_pixels=400_000_000)
    except (ImageDecodeError, OSError):
        return None
    img = Image.fromarray(image.pixels)
    scale = img.width / image.width
    img.thumbnail((_THUMB, _THUMB))
    scale *= img.width / image.pixels.shape[1]
    draw = ImageDraw.Draw(img)
    for box, member in zip(verdict.outcome.boxes, verdict.assigned):
        colour = _STRANGER if member is None else (_GOOD if member in verdict.outcome.truth else _BAD)
        x1, y1, x2, y2 = (v * scale for v in box)
        draw.rectangle([x1, y1, x2, y2], outline=colour, width=3)
        if member:
            draw.text((x1 + 2, max(0, y1 - 11)), member, fill=colour)
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=82)
    write_atomic(path, buffer.getvalue())
    return f"{THUMBS}/{path.name}"


def _fmt(x: float | None, percent: bool = False) -> str:
    if x is None:
        return "–"
    return f"{100 * x:.1f}%" if percent else f"{x:.3f}"


def _photo_link(report_dir_hint: str, path: Path) -> str:
    try:
        return quote(Path(os.path.relpath(path, report_dir_hint)).as_posix())
    except ValueError:  # another drive (Windows)
        return path.resolve().as_uri()


def render_html(evaluation: Evaluation, data: dict[str, Any], gallery: list[tuple[PhotoVerdict, str | None]]) -> str:
    """The report page: plain HTML and CSS, no scripts, readable from disk."""
    e = html.escape
    s = data["summary"]
    out_dir = data.get("report_dir", ".")
    rows = "".join(
        f"<tr><th scope='row'>{e(m)}</th><td>{_fmt(f['precision'])}</td><td>{_fmt(f['recall'])}</td>"
        f"<td>{f['photos']}</td><td>{f['false_accepts']}</td><td>{f['misses']}</td>"
        f"<td>{evaluation.thresholds[m]:.3f}</td></tr>"
        for m, f in evaluation.per_member.items()
    )
    mixes = data["confusion"]["mix_ups"]
    mix_html = (
        "<ul>" + "".join(f"<li><b>{e(x['true'])}</b> taken for <b>{e(x['said'])}</b>: {x['count']}×</li>" for x in mixes) + "</ul>"
        if mixes
        else "<p>No member was taken for another member.</p>"
    )
    cards = []
    for v, thumb in gallery:
        img = (
            f"<img src='{e(thumb)}' alt='{e(v.outcome.path.name)}: boxes around the faces found'>"
            if thumb
            else "<div class='noimg'>no preview</div>"
        )
        lines = [f"<b>said</b> {e(', '.join(sorted(v.said)) or 'nobody')}", f"<b>true</b> {e(', '.join(sorted(v.outcome.truth)) or 'nobody of the family')}"]
        if v.missed:
            lines.append(f"<span class='bad'>missed {e(', '.join(sorted(v.missed)))}</span>")
        if v.wrong:
            lines.append(f"<span class='bad'>wrongly said {e(', '.join(sorted(v.wrong)))}</span>")
        href = _photo_link(out_dir, v.outcome.path)
        cards.append(f"<figure><a href='{href}'>{img}</a><figcaption><a href='{href}'>{e(v.outcome.path.name)}</a><br>{'<br>'.join(lines)}</figcaption></figure>")
    unreadable = "".join(f"<li>{e(u['file'])}: {e(u['error'])}</li>" for u in data["unreadable"])
    stranger_line = (
        f"{s['stranger_photos_reporting_anyone']} of {s['stranger_photos']} photos with nobody of the family "
        f"reported someone ({_fmt(s['stranger_false_accept_rate'], True)})"
        if s["stranger_photos"]
        else "No photo of strangers only in this set (add a <code>_strangers/</code> folder, or photos labelled [] in labels.json)."
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>How good is it on your family? — evaluation report</title>
<style>
body{{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem;color:#1a1a1a}}
h1{{font-size:1.5rem}} h2{{margin-top:2rem;border-bottom:1px solid #ddd}}
.cards{{display:flex;flex-wrap:wrap;gap:.8rem}} .card{{border:1px solid #ddd;border-radius:8px;padding:.6rem 1rem;min-width:9rem}}
.card b{{display:block;font-size:1.6rem}} table{{border-collapse:collapse}} th,td{{padding:.3rem .7rem;border-bottom:1px solid #eee;text-align:right}}
th[scope=row]{{text-align:left}} img{{max-width:100%;height:auto}} .gallery{{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:1rem}}
figcaption{{overflow-wrap:anywhere}} figure{{margin:0;border:1px solid #ddd;border-radius:8px;padding:.5rem}} .bad{{color:#b01515}} .noimg{{background:#eee;padding:3rem 0;text-align:center}}
.muted{{color:#555}}
</style></head><body>
<h1>How good is it on your family?</h1>
<p class="muted">{e(str(data.get('labelled_dir', '')))} · {s['photos']} photos · family {e(str(data.get('weights', '')))} · {e(data['created'])}</p>
<section aria-labelledby="h-summary"><h2 id="h-summary">Summary</h2>
<div class="cards">
<div class="card">precision<b>{_fmt(s['precision'])}</b>of the members it named, how many were there</div>
<div class="card">recall<b>{_fmt(s['recall'])}</b>of the members there, how many it named</div>
<div class="card">F1<b>{_fmt(s['f1'])}</b>{s['pairs']['true_accepts']} right, {s['pairs']['false_accepts']} wrong, {s['pairs']['misses']} missed</div>
<div class="card">strangers<b>{_fmt(s['stranger_false_accept_rate'], True)}</b>stranger photos reporting anyone</div>
</div>
<p>{stranger_line}. Figures are over (photo, member) pairs: a photo with three members counts three.</p></section>
<section aria-labelledby="h-members"><h2 id="h-members">Per member</h2>
<table><thead><tr><th scope="col" style="text-align:left">member</th><th scope="col">precision</th><th scope="col">recall</th><th scope="col">photos</th><th scope="col">false accepts</th><th scope="col">misses</th><th scope="col">threshold</th></tr></thead>
<tbody>{rows}</tbody></table></section>
<section aria-labelledby="h-confusion"><h2 id="h-confusion">Who is taken for whom</h2>
<p>Rows: who was there; columns: who it said. Red cells are mistakes: look-alikes (siblings, a parent and a child) show up as red cells between two members. Row <i>{STRANGER_ROW}</i>: a face of nobody in the labels was named; column <i>{MISSED_COLUMN}</i>: a member in the photo was not found.</p>
<img id="confusion" src="{CONFUSION_PNG}" alt="Confusion matrix of true members (rows) against said members (columns)">
{mix_html}</section>
<section aria-labelledby="h-sweep"><h2 id="h-sweep">Threshold sweep</h2>
<p>All members' thresholds moved together: stricter means fewer false accepts and more misses. The star is where it stands now; <code>familyphoto calibrate</code> moves it to a target false-accept rate.</p>
<img id="sweep" src="{SWEEP_PNG}" alt="False accepts against misses as the thresholds move, current thresholds marked"></section>
<section aria-labelledby="h-wrong"><h2 id="h-wrong">Photos it got wrong ({len(gallery)})</h2>
<div class="gallery" id="wrong-gallery">{''.join(cards) or '<p>None: every photo was right.</p>'}</div>
{f'<h3>Unreadable photos</h3><ul>{unreadable}</ul>' if unreadable else ''}</section>
<p class="muted">Data: <a href="{REPORT_JSON}">{REPORT_JSON}</a></p>
</body></html>
"""
