"""What ``familyphoto discover`` writes in its folder, and reads back: ``clusters.json`` (the groups, versioned),
``person_NN/`` (links to each group's photos) and ``index.html`` (a contact sheet of the groups' faces).

The folder is the command's own: a later run replaces exactly what the previous one recorded in its
``clusters.json`` (its links, its folders once empty, its contact sheet) and nothing else.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from inference.manifest import write_atomic
from inference.types import Box
from library.face_quality import QualitySettings
from sorting.placing import free_names, place

CLUSTERS_JSON = "clusters.json"
INDEX_HTML = "index.html"
FORMAT = "familyphoto-discover"
FORMAT_VERSION = 1
# Crops shown per group on the contact sheet: every face of a large group would make a page too heavy to open;
# the group's folder holds all its photos.
SHEET_CROPS = 60
LinkKind = Literal["symlink", "hardlink", "copy"]
_GROUP_NAME = re.compile(r"person_[0-9]{2,}")


class NotDiscoverOutput(ValueError):
    """A file that is not a ``clusters.json`` written by ``familyphoto discover`` (or of a newer format)."""


@dataclass(frozen=True)
class GroupFace:
    photo: Path  # absolute
    box: Box  # in the photo's pixels as a person sees it
    sha256: str  # of the photo's bytes when it was analysed
    crop_jpeg: bytes = field(default=b"", repr=False, compare=False)  # for the contact sheet; not in clusters.json


@dataclass(frozen=True)
class Group:
    name: str  # person_01, ...
    faces: list[GroupFace]
    files: list[str] = field(default_factory=list)  # the links placed in its folder (names), once written

    @property
    def photos(self) -> list[Path]:
        """The photos its faces are in, each once, in the order of its faces."""
        return list(dict.fromkeys(f.photo for f in self.faces))


@dataclass(frozen=True)
class Discovery:
    album: Path
    detector: str
    embedder: str
    quality: QualitySettings
    groups: list[Group]
    faces_alone: int  # good enough to group, in no group
    faces_too_small: int
    faces_too_blurred: int  # big enough, not sharp enough
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))


def group_folder_name(index: int, groups: int) -> str:
    """``person_01``... for the ``index``-th (0-based) of ``groups``: zero-padded to at least 2 digits."""
    return f"person_{index + 1:0{max(2, len(str(groups)))}d}"


# clusters.json -------------------------------------------------------------------------------------------
def to_json(discovery: Discovery) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": discovery.created,
        "album": str(discovery.album),
        "detector": discovery.detector,
        "embedder": discovery.embedder,
        "quality": {"min_face_px": discovery.quality.min_face_px, "min_sharpness": discovery.quality.min_sharpness},
        "groups": [
            {
                "name": g.name,
                "photos": len(g.photos),
                "files": g.files,
                "faces": [{"photo": str(f.photo), "box": f.box.as_list(), "sha256": f.sha256} for f in g.faces],
            }
            for g in discovery.groups
        ],
        "faces_in_no_group": discovery.faces_alone,
        "faces_left_out": {"too_small": discovery.faces_too_small, "too_blurred": discovery.faces_too_blurred},
        "skipped": [{"file": file, "reason": reason} for file, reason in discovery.skipped],
    }


def read_clusters(path: Path) -> Discovery:
    """A ``clusters.json`` read back (no crops); :class:`NotDiscoverOutput` for any other file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotDiscoverOutput(f"{path} is not a discover clusters.json: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise NotDiscoverOutput(f"{path} is not a discover clusters.json (written by familyphoto discover)")
    if doc.get("format_version") != FORMAT_VERSION:
        raise NotDiscoverOutput(
            f"{path} is discover output of format version {doc.get('format_version')!r}; this version reads {FORMAT_VERSION}"
        )
    try:
        left_out = doc["faces_left_out"]
        return Discovery(
            album=Path(doc["album"]),
            detector=str(doc["detector"]),
            embedder=str(doc["embedder"]),
            quality=QualitySettings(int(doc["quality"]["min_face_px"]), float(doc["quality"]["min_sharpness"])),
            groups=[
                Group(
                    str(g["name"]),
                    [GroupFace(Path(f["photo"]), Box(*map(int, f["box"])), str(f["sha256"])) for f in g["faces"]],
                    [str(name) for name in g.get("files", [])],
                )
                for g in doc["groups"]
            ],
            faces_alone=int(doc["faces_in_no_group"]),
            faces_too_small=int(left_out["too_small"]),
            faces_too_blurred=int(left_out["too_blurred"]),
            skipped=[(str(s["file"]), str(s["reason"])) for s in doc.get("skipped", [])],
            created=str(doc.get("created", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise NotDiscoverOutput(f"{path} is not a valid discover clusters.json: {type(exc).__name__}: {exc}") from None


# The output folder ------------------------------------------------------------------------------------------
def previous_run(out: Path) -> Discovery | None:
    """The discover output ``out`` holds, if any; :class:`NotDiscoverOutput` when ``out`` holds anything else
    (a folder with other files is never written to)."""
    if not out.exists():
        return None
    if not out.is_dir():
        raise NotDiscoverOutput(f"--out {out} is not a folder")
    if (out / CLUSTERS_JSON).is_file():
        return read_clusters(out / CLUSTERS_JSON)
    if any(out.iterdir()):
        raise NotDiscoverOutput(f"--out {out} is not empty and holds no discover output (clusters.json): choose another")
    return None


def remove_previous(out: Path, previous: Discovery) -> None:
    """Take back what the previous run placed: its links, its group folders once empty, its contact sheet.
    Anything else (a file someone put there) stays."""
    for group in previous.groups:
        if not _GROUP_NAME.fullmatch(group.name):
            continue  # an edited file naming a folder that is not one of ours: never delete there
        folder = out / group.name
        for name in group.files:
            if Path(name).name == name and name not in ("", ".", ".."):  # a plain name in the folder, nothing above
                (folder / name).unlink(missing_ok=True)
        try:
            folder.rmdir()
        except OSError:  # gone, or holds something that is not ours
            pass
    (out / INDEX_HTML).unlink(missing_ok=True)


def write_output(out: Path, discovery: Discovery) -> tuple[Discovery, LinkKind]:
    """Write the group folders, the contact sheet and, last, ``clusters.json`` (atomically: it records what
    was placed, for the next run). Returns the discovery with each group's files, and how photos were linked."""
    out.mkdir(parents=True, exist_ok=True)
    kind: LinkKind = "symlink"
    groups = []
    for group in discovery.groups:
        folder = out / group.name
        folder.mkdir(exist_ok=True)
        files = []
        for photo in group.photos:
            target = _free_name(folder, photo.name)
            kind = _place(photo, target, kind)
            files.append(target.name)
        groups.append(Group(group.name, group.faces, files))
    written = replace(discovery, groups=groups)
    write_atomic(out / INDEX_HTML, contact_sheet(written).encode("utf-8"))
    document = json.dumps(to_json(written), indent=2, ensure_ascii=False) + "\n"
    write_atomic(out / CLUSTERS_JSON, document.encode("utf-8"))
    return written, kind


def _free_name(folder: Path, name: str) -> Path:
    """``name`` in ``folder``, or ``stem (2).ext``... when taken (two photos of one name from two subfolders)."""
    return next(folder / n for n in free_names(name) if not os.path.lexists(folder / n))


def _place(photo: Path, target: Path, kind: LinkKind) -> LinkKind:
    """A link to ``photo`` at ``target`` (sorting.placing): a symlink, else (a disk without them) a hard link,
    else a copy. Returns the kind that worked, tried first for the next photo. The original is only read."""
    if kind == "symlink":
        try:
            place(photo, target, "symlink", replace=False)
            return kind
        except FileExistsError:
            raise
        except OSError:
            kind = "hardlink"
    place(photo, target, "copy" if kind == "copy" else "link", replace=False)  # "link": a copy on another disk
    return "hardlink" if os.path.samefile(photo, target) else "copy"


# index.html --------------------------------------------------------------------------------------------------
def contact_sheet(discovery: Discovery) -> str:
    """A self-contained page (no scripts, nothing fetched): per group its heading and its face crops inline."""
    sections = []
    for group in discovery.groups:
        shown = [f for f in group.faces if f.crop_jpeg][:SHEET_CROPS]
        images = "".join(
            f'<img src="data:image/jpeg;base64,{base64.b64encode(f.crop_jpeg).decode("ascii")}" '
            f'alt="{_attr(f.photo.name)}" title="{_attr(str(f.photo))}">'
            for f in shown
        )
        more = len(group.faces) - len(shown)
        more_note = (
            f'<p class="more">and {more} more in <a href="{_attr(group.name)}/">{html.escape(group.name)}/</a></p>'
            if more else ""
        )
        sections.append(
            f'<section id="{_attr(group.name)}"><h2><a href="{_attr(group.name)}/">{html.escape(group.name)}</a>, '
            f"{len(group.faces)} faces in {len(group.photos)} photos</h2>"
            f'<div class="faces">{images}</div>{more_note}</section>'
        )
    body = "\n".join(sections) or "<p>No group: no face recurs often enough among these photos.</p>"
    title = f"People found in {discovery.album}"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>{len(discovery.groups)} groups; {discovery.faces_alone} faces in no group; "
        f"{discovery.faces_too_small + discovery.faces_too_blurred} left out as too small or blurred. "
        "Name a group with <code>familyphoto enrol --from-discover clusters.json --name person_01=NAME</code>.</p>\n"
        f"{body}\n</body></html>\n"
    )


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}"
    "h2{font-size:1.1rem;margin:1.5rem 0 .5rem}"
    ".faces{display:flex;flex-wrap:wrap;gap:4px}"
    ".faces img{width:96px;height:96px;object-fit:cover;border-radius:4px}"
    ".more{color:#666}"
)
