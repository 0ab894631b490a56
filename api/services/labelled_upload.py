"""A labelled set sent to ``POST /evaluate``: checked, then saved as a ``labels.json`` folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

from api.services.errors import InvalidRequest
from inference.inputs import is_image_path
from inference.manifest import write_atomic
from training.labelled import LABELS_FILE

PHOTOS_DIR = "photos"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class BadLabels(InvalidRequest):
    """The labels do not describe the uploaded photos."""


def parse_labels(text: str, files: list[str]) -> dict[str, list[str]]:
    """``{file: [members]}`` for exactly the uploaded ``files``; :class:`BadLabels` otherwise."""
    try:
        labels = json.loads(text)
    except ValueError as exc:
        raise BadLabels(f"labels is not JSON: {exc}") from None
    except RecursionError:
        raise BadLabels('labels is nested too deeply: it must be {"photo.jpg": ["member", ...], ...}') from None
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(m, str) for m in v) for k, v in labels.items()
    ):
        raise BadLabels('labels must be {"photo.jpg": ["member", ...], ...} (an empty list: nobody of the family)')
    if len(set(files)) != len(files):
        raise BadLabels("two uploaded photos have the same file name")
    unlabelled = [f for f in files if f not in labels]
    if unlabelled:
        raise BadLabels(f"no labels for {', '.join(unlabelled[:5])}{' ...' if len(unlabelled) > 5 else ''}")
    extra = sorted(set(labels) - set(files))
    if extra:
        raise BadLabels(f"labels name photos that were not uploaded: {', '.join(extra[:5])}")
    not_photos = [f for f in files if not is_image_path(Path(f))]
    if not_photos:
        raise BadLabels(f"not a photo file name (JPEG, PNG, WebP, HEIC...): {', '.join(not_photos[:5])}")
    return labels


class LabelledUpload:
    """Photos written one by one under ``folder/photos`` with safe, distinct names; then ``labels.json``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / PHOTOS_DIR).mkdir(parents=True)
        self.labels: dict[str, list[str]] = {}

    def add(self, name: str, data: bytes, members: list[str]) -> None:
        safe = f"{len(self.labels):04d}_{_UNSAFE.sub('_', Path(name).name)[-100:]}"  # never a path, never a clash
        write_atomic(self.folder / PHOTOS_DIR / safe, data)
        self.labels[safe] = members

    def finish(self) -> None:
        write_atomic(self.folder / LABELS_FILE, json.dumps(self.labels, indent=1).encode("utf-8"))
