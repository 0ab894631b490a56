"""Photos whose members are known: the input of ``familyphoto evaluate`` and ``calibrate``.

Two layouts are read:

* ``labels.json`` ``{file: [members]}`` in the folder (the format of ``../shared/data``);
  a file is looked up beside ``labels.json``, then by name anywhere below it;
* one folder per member of solo photos, plus an optional ``_strangers/`` folder of photos
  with nobody of the family in them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from inference.inputs import STRANGERS_DIR, read_member_folders, walk_photos

LABELS_FILE = "labels.json"


class LabelsError(ValueError):
    """The labelled folder cannot be read as either layout."""


@dataclass(frozen=True)
class LabelledPhoto:
    """A photo and the members truly in it (empty: nobody of the family)."""

    path: Path
    members: frozenset[str]


@dataclass
class LabelledSet:
    """The photos of a labelled folder, and what could not be used."""

    root: Path
    layout: str  # "labels.json" or "folders"
    photos: list[LabelledPhoto]
    problems: list[str] = field(default_factory=list)

    @property
    def names(self) -> set[str]:
        """Every member name that appears in the labels."""
        return {m for p in self.photos for m in p.members}


def load_labelled(root: Path) -> LabelledSet:
    """Read ``root`` as a ``labels.json`` set, else as one folder per member."""
    root = Path(root)
    if not root.is_dir():
        raise LabelsError(f"{root} is not a folder")
    if (root / LABELS_FILE).is_file():
        return _from_labels_json(root)
    return _from_folders(root)


def _from_labels_json(root: Path) -> LabelledSet:
    try:
        labels = json.loads((root / LABELS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LabelsError(f"{root / LABELS_FILE} is not readable JSON: {exc}") from None
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(m, str) for m in v) for k, v in labels.items()
    ):
        raise LabelsError(f'{root / LABELS_FILE} must be {{"photo.jpg": ["member", ...], ...}}')
    by_name: dict[str, list[Path]] = {}
    for path in walk_photos([root]).photos:
        by_name.setdefault(path.name, []).append(path)
    photos, problems = [], []
    for name, members in sorted(labels.items()):
        direct = root / name
        candidates = [direct] if direct.is_file() else by_name.get(Path(name).name, [])
        if len(candidates) != 1:
            why = "not found" if not candidates else f"{len(candidates)} files have that name"
            problems.append(f"{name}: {why}")
            continue
        photos.append(LabelledPhoto(candidates[0], frozenset(members)))
    if not photos:
        raise LabelsError(f"none of the photos in {root / LABELS_FILE} were found below {root}")
    return LabelledSet(root, "labels.json", photos, problems)


def _from_folders(root: Path) -> LabelledSet:
    folders = read_member_folders(root)
    photos = [LabelledPhoto(p, frozenset({m})) for m, paths in folders.members.items() for p in paths]
    photos += [LabelledPhoto(p, frozenset()) for p in folders.strangers]
    if not photos:
        raise LabelsError(
            f"{root} has neither a {LABELS_FILE} nor member folders with photos "
            f"(one folder per member of solo photos, and optionally {STRANGERS_DIR}/)"
        )
    problems = [f"{s.path}: {s.reason}" for s in folders.skipped if s.error or s.path.is_dir()]
    return LabelledSet(root, "folders", sorted(photos, key=lambda p: p.path), problems)
