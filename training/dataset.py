"""The per-member face dataset, built from solo photos as the original project did by hand:
detect, keep the largest face per photo, drop photos without one, balance, hold out a share."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inference.batch import largest_faces
from inference.image_io import is_image_path
from inference.settings import Settings

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class FaceDataset:
    """Embeddings of the members' faces, with where each came from."""

    members: list[str]
    embeddings: np.ndarray  # N x 128
    labels: np.ndarray  # N member indices
    sources: list[Path]
    dropped: list[tuple[Path, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {m: int((self.labels == i).sum()) for i, m in enumerate(self.members)}

    def subset(self, index: np.ndarray) -> "FaceDataset":
        return FaceDataset(self.members, self.embeddings[index], self.labels[index], [self.sources[i] for i in index])


class FamilyDirError(ValueError):
    """The family folder cannot be used for training."""


def scan_family_dir(family_dir: Path) -> dict[str, list[Path]]:
    """``{member: [photo, ...]}`` from ``FAMILY_DIR/<member>/*``; hidden and ``_``-prefixed folders are skipped."""
    if not family_dir.is_dir():
        raise FamilyDirError(f"{family_dir} is not a folder")
    photos: dict[str, list[Path]] = {}
    for folder in sorted(p for p in family_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        files = sorted(p for p in folder.rglob("*") if p.is_file() and is_image_path(p))
        if files:
            photos[folder.name] = files
    if not photos:
        raise FamilyDirError(f"{family_dir} has no member folders with photos (expected {family_dir}/<member>/*.jpg)")
    return photos


def photo_list(folder: Path) -> list[Path]:
    """Every photo under a folder (e.g. ``--strangers``), recursively."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and is_image_path(p))


def embed_largest_faces(
    photos: list[Path], settings: Settings, *, detector: str, min_face_size: int, progress: Progress, stage: str
) -> tuple[list[Path], list[np.ndarray], list[tuple[Path, str]]]:
    """Largest face of each photo: (kept paths, embeddings, dropped (path, why))."""
    kept, embeddings, dropped = [], [], []
    progress(stage, 0, len(photos))
    for done, (path, face, error) in enumerate(
        largest_faces(photos, settings, detector=detector, min_face_size=min_face_size), start=1
    ):
        if face is None:
            dropped.append((path, error or "no face"))
        else:
            kept.append(path)
            embeddings.append(face.embedding)
        progress(stage, done, len(photos))
    return kept, embeddings, dropped


def build_dataset(
    family_dir: Path, settings: Settings, *, detector: str, min_face_size: int, progress: Progress
) -> FaceDataset:
    """Detect and embed the largest face of every member photo."""
    photos = scan_family_dir(family_dir)
    members = list(photos)
    flat = [(i, p) for i, m in enumerate(members) for p in photos[m]]
    kept, embeddings, dropped = embed_largest_faces(
        [p for _, p in flat], settings, detector=detector, min_face_size=min_face_size, progress=progress, stage="faces"
    )
    label_of = {p: i for i, p in flat}
    labels = np.asarray([label_of[p] for p in kept], dtype=np.int64)
    emb = np.asarray(embeddings, dtype=np.float32).reshape(len(kept), -1)
    dataset = FaceDataset(members, emb, labels, kept, dropped)
    empty = [m for m, n in dataset.counts().items() if n == 0]
    if empty:
        raise FamilyDirError(f"no usable face for {', '.join(empty)}: every photo was dropped (see above)")
    return dataset


def filter_outliers(dataset: FaceDataset, *, max_distance: float, rounds: int = 2) -> FaceDataset:
    """Drop enrolled faces that do not look like the rest of their member's faces.

    A solo photo's largest face is usually the member, but not always (a cousin in front,
    a poster on the wall). Such a face poisons both the member's prototype and, as an
    impostor, the other members' thresholds. A face is dropped, and reported, when it lies
    further than ``max_distance`` from its member's prototype computed without it, or
    nearer another member's prototype than its own. Members with fewer than 3 faces are
    left alone: two photos cannot outvote each other.
    """
    keep = np.ones(len(dataset.labels), dtype=bool)
    reasons: dict[int, str] = {}
    for _ in range(rounds):
        index = np.flatnonzero(keep)
        emb, lab = dataset.embeddings[index], dataset.labels[index]
        counts = np.bincount(lab, minlength=len(dataset.members))
        sums = np.zeros((len(dataset.members), emb.shape[1]))
        np.add.at(sums, lab, emb)
        protos = sums / np.maximum(counts, 1)[:, None]
        changed = False
        for row, i in enumerate(index):
            m = lab[row]
            if counts[m] < 3:
                continue
            own = np.linalg.norm(emb[row] - (sums[m] - emb[row]) / (counts[m] - 1))
            others = [np.linalg.norm(emb[row] - protos[o]) for o in range(len(dataset.members)) if o != m and counts[o]]
            nearest_other = min(others, default=np.inf)
            if own > max_distance or nearest_other < own:
                why = "far from the member's other faces" if own > max_distance else "looks more like another member"
                reasons[int(i)] = f"largest face does not match the member's other photos ({why}: {own:.2f})"
                keep[i] = False
                changed = True
        if not changed:
            break
    kept = np.flatnonzero(keep)
    result = dataset.subset(kept)
    result.dropped = list(dataset.dropped) + [(dataset.sources[i], reasons[i]) for i in sorted(reasons)]
    return result


def holdout_split(labels: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (train, validation) indices: ``share`` of each member held out, at least one kept for training.

    A member with fewer than 3 faces gets no validation faces: one would be all it has.
    """
    rng = random.Random(seed)
    train, val = [], []
    for member in np.unique(labels):
        index = [int(i) for i in np.flatnonzero(labels == member)]
        rng.shuffle(index)
        n_val = int(round(len(index) * share)) if len(index) >= 3 else 0
        n_val = min(n_val, len(index) - 1)
        if share > 0 and len(index) >= 3:
            n_val = max(n_val, 1)
        val += index[:n_val]
        train += index[n_val:]
    return np.asarray(sorted(train), dtype=np.int64), np.asarray(sorted(val), dtype=np.int64)
