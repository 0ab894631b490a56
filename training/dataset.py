"""The per-member face dataset, built from solo photos as the original project did by hand:
detect, keep the largest face per photo, drop photos without one, balance, hold out a share."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from inference.batch import enrolment_faces
from inference.inputs import FamilyDirError, MemberFolders
from inference.models.similarity_head import DEFAULT_TAU
from inference.progress import OnProgress, Progress
from inference.registry import choose_models, embedder_class
from inference.settings import Settings
from inference.types import PhotoError
from training.train_head import new_head


@dataclass
class FaceDataset:
    """Embeddings of the members' faces, with where each came from (and, for recipes that
    score pixels, each face's aligned chip)."""

    members: list[str]
    embeddings: np.ndarray  # N x 128
    labels: np.ndarray  # N member indices
    sources: list[Path]
    dropped: list[tuple[Path, str]] = field(default_factory=list)
    chips: np.ndarray | None = None  # N x S x S x 3 uint8 (S: the embedder's chip size), when asked for
    unreadable: list[Path] = field(default_factory=list)  # photos dropped for an error (not for want of a face)

    def counts(self) -> dict[str, int]:
        return {m: int((self.labels == i).sum()) for i, m in enumerate(self.members)}

    def subset(self, index: np.ndarray) -> "FaceDataset":
        chips = None if self.chips is None else self.chips[index]
        return FaceDataset(self.members, self.embeddings[index], self.labels[index], [self.sources[i] for i in index], chips=chips)


@dataclass
class EnrolledFaces:
    """The enrolment faces of some photos: kept paths, embeddings (and chips), dropped (path, why)."""

    paths: list[Path]
    embeddings: np.ndarray  # K x D
    chips: np.ndarray | None
    dropped: list[tuple[Path, str]]
    unreadable: list[Path] = field(default_factory=list)  # dropped for an error, not for want of a face


def enrol_photos(
    photos: list[Path], settings: Settings, *, detector: str | None, min_face_size: int, chips: bool,
    on_progress: OnProgress, stage: str,
) -> EnrolledFaces:
    """The enrolment face of each photo (:meth:`inference.pipeline.Pipeline.enrolment_face`), on all cores."""
    kept, embeddings, chip_list, dropped, unreadable = [], [], [], [], []
    on_progress(Progress(stage, 0, len(photos)))
    faces = enrolment_faces(photos, settings, detector=detector, min_face_size=min_face_size, chip=chips)
    for done, (path, face) in enumerate(zip(photos, faces), start=1):
        if isinstance(face, PhotoError):
            dropped.append((path, face.message))
            if face.kind != "no_face":
                unreadable.append(path)
        else:
            kept.append(path)
            embeddings.append(face.embedding)
            if chips:
                chip_list.append(face.chip)
        on_progress(Progress(stage, done, len(photos)))
    chip_array = None
    if chips:  # the chips' own size (sface 112, dlib 150); with none kept, the embedder's
        size = chip_list[0].shape[0] if chip_list else embedder_class(choose_models(settings, detector=detector).embedder).chip_size
        chip_array = np.asarray(chip_list, dtype=np.uint8).reshape(len(kept), size, size, 3)
    return EnrolledFaces(
        kept,
        np.asarray(embeddings, dtype=np.float32).reshape(len(kept), -1) if kept else np.zeros((0, 0), np.float32),
        chip_array,
        dropped,
        unreadable,
    )


def build_dataset(
    folders: MemberFolders, settings: Settings, *, detector: str | None, min_face_size: int, chips: bool = False,
    on_progress: OnProgress,
) -> FaceDataset:
    """Detect and embed the enrolment face of every member photo of a family folder."""
    folders.require_members()
    members = list(folders.members)
    flat = [(i, p) for i, m in enumerate(members) for p in folders.members[m]]
    faces = enrol_photos(
        [p for _, p in flat], settings, detector=detector, min_face_size=min_face_size, chips=chips,
        on_progress=on_progress, stage="faces",
    )
    label_of = {p: i for i, p in flat}
    labels = np.asarray([label_of[p] for p in faces.paths], dtype=np.int64)
    dataset = FaceDataset(members, faces.embeddings, labels, faces.paths, faces.dropped, faces.chips)
    dataset.unreadable = faces.unreadable
    empty = [m for m, n in dataset.counts().items() if n == 0]
    if empty:
        reasons = "; ".join(f"{p.name}: {why}" for p, why in faces.dropped if label_of[p] in {members.index(m) for m in empty})
        raise FamilyDirError(f"no usable face for {', '.join(empty)}: every photo was dropped ({reasons})")
    return dataset


def filter_outliers(
    dataset: FaceDataset, *, match: float, unrelated: float, tau: float = DEFAULT_TAU, rounds: int = 2
) -> FaceDataset:
    """Drop enrolled faces that look like another member or like nobody in the family, each reported.

    A solo photo's largest face is usually the member, but not always (a cousin in front, a
    poster on the wall): such a face poisons the member's gallery and, as an impostor, the
    other members' thresholds. A face is scored against every other enrolled face
    (:class:`SimilarityHead`'s soft nearest neighbour, in the embedder's units), so a member's
    baby photos count as that member's as long as another photo of them looks alike; it is
    dropped only when another member matches it clearly better than its own member does
    (by a whole unit), or when it is nearer to no enrolled face than unrelated faces are.
    Members with fewer than 3 faces are left alone (two photos cannot outvote each other), and
    no member loses more than half of its faces: the training report says what is wrong instead.
    """
    keep = np.ones(len(dataset.labels), dtype=bool)
    reasons: dict[int, str] = {}
    num_members = len(dataset.members)
    head = new_head(dataset.embeddings, dataset.labels, num_members, match=match, unrelated=unrelated, tau=tau)
    with torch.no_grad():
        units = head.face_similarities(head.gallery).fill_diagonal_(float("-inf"))
    limit = np.bincount(dataset.labels, minlength=num_members) // 2
    for _ in range(rounds):
        index = np.flatnonzero(keep)
        kept_units = units[index][:, index]
        labels = dataset.labels[index]
        head_kept = new_head(dataset.embeddings[index], labels, num_members, match=match, unrelated=unrelated, tau=tau)
        with torch.no_grad():
            s = head_kept.member_similarities(kept_units).numpy()
        nearest = kept_units.max(dim=1).values.numpy()
        counts = np.bincount(labels, minlength=num_members)
        lost = np.bincount(dataset.labels[~keep], minlength=num_members)
        changed = False
        for row, i in enumerate(index):
            m = labels[row]
            if counts[m] < 3 or lost[m] >= limit[m]:
                continue
            own = s[row, m]
            others = np.delete(s[row], m)
            other = int(np.argmax(others) + (np.argmax(others) >= m)) if len(others) else None
            if other is not None and s[row, other] >= 0 and s[row, other] > own + 1:
                why = f"looks like {dataset.members[other]}, not like {dataset.members[m]}'s other photos"
            elif nearest[row] < -1:
                why = "looks like nobody else in the family (not even this member's other photos)"
            else:
                continue
            reasons[int(i)] = f"largest face left out: it {why}"
            keep[i] = False
            counts[m] -= 1
            lost[m] += 1
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
