"""Discovering the people nobody has named yet: faces that no person named and no member was given, grouped by
their embeddings across the whole library, so that the app asks "Who is this?" once per group.

Pure: embeddings in, a group label per face out (:data:`NO_GROUP`: in no group); no database. Faces are
grouped by average-linkage agglomerative clustering on cosine distance (SciPy's, which scikit-learn's
AgglomerativeClustering runs), cut where a group's faces average ``group_similarity``; a face left alone
then joins the group whose few most similar faces average ``join_similarity`` (a little under the
embedder's match point). A group has at least two faces, and a face is in at most one group.

Two faces of one photo are two people: given each face's photo, groups whose faces share photos are kept
apart (brothers photographed together, however alike they look), and of faces of one photo only one joins
a group.
``bench/discover.py`` chose this over HDBSCAN and Chinese whispers and measures it.

New faces join the groups there are, or form new ones (:func:`add_faces`); a full regrouping keeps the ids
of the groups that persist (:func:`regroup`). :func:`looks_like` says which member a group is near.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import pdist

from inference.models.embedder import FaceEmbedder
from inference.models.sface import SfaceEmbedder

NO_GROUP = -1
_CHUNK = 1024  # faces compared with every grouped face at once: a bounded buffer
# The cosine distance given to two faces of one photo (cosine distances lie in [0, 2]): two groups whose
# faces share photos average far past the cut, so brothers photographed together stay apart; a pair or two
# among many faces (one person twice in a collage, a mirror) still averages under it. Measured
# (bench/discover.py): fiw-dev's twins BCubed P 0.769 -> 1.0, jurassic6 + celeb5 unchanged (P 0.966 R 0.854);
# a strict rule (1e6) cost that album's recall 0.07 (its film posters show a star twice).
_APART = 5.0

# The settings were measured with SFace; another embedder gets them at the same place of its own scale.
_MATCH, _UNRELATED = SfaceEmbedder.match_similarity, SfaceEmbedder.unrelated_similarity


@dataclass(frozen=True)
class GroupSettings:
    """Cosine similarities (SFace's scale; :meth:`for_embedder` for another's)."""

    group_similarity: float = 0.30  # a group's faces average at least this, pair by pair
    # A face alone joins a group whose ``neighbours`` most similar faces average this. Measured on jurassic6 +
    # celeb5 (bench/discover.py): at 0.33, BCubed P 0.966 R 0.854; at the match point (0.363), 0.973 and 0.828.
    join_similarity: float = 0.33
    neighbours: int = 3
    looks_like_similarity: float = 0.40  # a group looks like a member from this (see looks_like)

    @classmethod
    def for_embedder(cls, embedder: type[FaceEmbedder]) -> GroupSettings:
        """The defaults moved to ``embedder``'s scale: the same distance from its match point, in units of
        its match-to-unrelated span (as :func:`inference.models.embedder.similarity_units`)."""
        match, unrelated = embedder.match_similarity, embedder.unrelated_similarity

        def moved(value: float) -> float:
            return match + (value - _MATCH) / (_MATCH - _UNRELATED) * (match - unrelated)

        defaults = cls()
        return cls(
            moved(defaults.group_similarity), moved(defaults.join_similarity), defaults.neighbours,
            moved(defaults.looks_like_similarity),
        )


@dataclass(frozen=True)
class LooksLike:
    member: str
    similarity: float  # mean over the group's faces of their ``neighbours`` best similarities to the member's examples


def group_faces(
    embeddings: np.ndarray,
    *,
    keep: np.ndarray | None = None,
    photos: np.ndarray | None = None,
    settings: GroupSettings = GroupSettings(),
) -> np.ndarray:
    """A group label per face (N x D ``embeddings``): 0, 1, ... largest group first, or :data:`NO_GROUP`.
    ``keep``: a bool per face, False for faces never grouped (too small, too blurred). ``photos``: each face's
    photo (any ids): groups whose faces share photos are kept apart, and only one face of a photo joins a group.

    Time and memory grow with the square of the faces kept (all their distances, in float64): 10,000 faces
    took 3.4 s on two idle cores and 1.0 GB at peak (bench/discover.py)."""
    unit = _unit(embeddings)
    labels = np.full(len(unit), NO_GROUP, dtype=np.int64)
    rows = np.arange(len(unit)) if keep is None else np.flatnonzero(np.asarray(keep, dtype=bool))
    if len(rows) < 2:
        return labels
    kept = unit[rows]
    kept_photos = None if photos is None else np.asarray(photos)[rows]
    found = _numbered(_average_linkage(kept, kept_photos, 1.0 - settings.group_similarity))
    alone = np.flatnonzero(found == NO_GROUP)
    found[alone] = join_groups(kept[alone], kept, found, settings, photos=None if kept_photos is None else kept_photos[alone])
    labels[rows] = _numbered(found)  # numbered again: the faces that joined count
    return labels


def _average_linkage(unit: np.ndarray, photos: np.ndarray | None, cut: float) -> np.ndarray:
    """A cluster per face: average linkage on cosine distance, cut at ``cut``; faces of one photo _APART."""
    distances = pdist(unit, "cosine")  # condensed: half the memory of a square matrix
    if photos is not None:
        i, j = _same_photo_pairs(photos)
        n = len(unit)
        distances[n * i - i * (i + 1) // 2 + (j - i - 1)] = _APART
    np.clip(distances, 0.0, None, out=distances)  # rounding makes a face's distance to its copy -1e-8
    return fcluster(linkage(distances, method="average"), t=cut, criterion="distance")


def _same_photo_pairs(photos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i < j) of faces of one photo."""
    _, inverse, counts = np.unique(np.asarray(photos), return_inverse=True, return_counts=True)
    pairs_i, pairs_j = [], []
    for photo in np.flatnonzero(counts >= 2):
        faces = np.flatnonzero(inverse == photo)
        a, b = np.triu_indices(len(faces), k=1)
        pairs_i.append(faces[a])
        pairs_j.append(faces[b])
    if not pairs_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(pairs_i).astype(np.int64), np.concatenate(pairs_j).astype(np.int64)


def add_faces(
    embeddings: np.ndarray,
    labels: np.ndarray,
    new_embeddings: np.ndarray,
    *,
    keep: np.ndarray | None = None,
    new_keep: np.ndarray | None = None,
    photos: np.ndarray | None = None,
    new_photos: np.ndarray | None = None,
    settings: GroupSettings = GroupSettings(),
) -> np.ndarray:
    """Labels of the grouped faces (``embeddings``, ``labels``, ``keep``, ``photos`` as :func:`group_faces`
    gave and took them) followed by those of ``new_embeddings``: each group keeps its faces and its id; a new
    face joins the group it is nearest (as a face alone does in :func:`group_faces`); the new faces left, with
    the old faces in no group, are grouped among themselves, under ids above every old one. ``photos`` and
    ``new_photos``: each face's photo, as :func:`group_faces` takes them (both or neither)."""
    old = _unit(embeddings, np.shape(new_embeddings)[-1] if np.ndim(new_embeddings) == 2 else None)
    new = _unit(new_embeddings, old.shape[1])
    labels = np.asarray(labels, dtype=np.int64)
    if (photos is None) != (new_photos is None):
        raise ValueError("photos: give them for the old faces and the new ones, or for neither")
    old_photos = None if photos is None else np.asarray(photos)
    fresh_photos = None if new_photos is None else np.asarray(new_photos)
    new_labels = np.full(len(new), NO_GROUP, dtype=np.int64)
    new_rows = np.arange(len(new)) if new_keep is None else np.flatnonzero(np.asarray(new_keep, dtype=bool))
    new_labels[new_rows] = join_groups(
        new[new_rows], old, labels, settings, photos=None if fresh_photos is None else fresh_photos[new_rows]
    )
    old_alone = labels == NO_GROUP
    if keep is not None:
        old_alone &= np.asarray(keep, dtype=bool)
    left_new = new_rows[new_labels[new_rows] == NO_GROUP]
    left = np.concatenate([old[old_alone], new[left_new]])
    left_photos = None if old_photos is None else np.concatenate([old_photos[old_alone], fresh_photos[left_new]])  # type: ignore[index]
    formed = group_faces(left, photos=left_photos, settings=settings)
    fresh = np.where(formed == NO_GROUP, NO_GROUP, formed + max(int(labels.max(initial=NO_GROUP)), NO_GROUP) + 1)
    labels = labels.copy()
    labels[old_alone] = fresh[: old_alone.sum()]
    new_labels[left_new] = fresh[old_alone.sum() :]
    return np.concatenate([labels, new_labels])


def regroup(
    embeddings: np.ndarray,
    labels: np.ndarray,
    *,
    keep: np.ndarray | None = None,
    photos: np.ndarray | None = None,
    settings: GroupSettings = GroupSettings(),
) -> np.ndarray:
    """All faces grouped again (:func:`group_faces`); ``labels``: the ids given before to the first faces
    (:data:`NO_GROUP` for none), kept by the new groups that overlap them most (:func:`carry_ids`)."""
    return carry_ids(labels, group_faces(embeddings, keep=keep, photos=photos, settings=settings))


def carry_ids(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``new`` groups relabelled with the ``old`` ids (of ``new``'s first faces): each old id goes to the new
    group sharing most faces with it (one to one, most shared faces in all); the other groups get ids above
    every old one, largest group first as ``new`` numbered them."""
    old, new = np.asarray(old, dtype=np.int64), np.asarray(new, dtype=np.int64)
    if len(old) > len(new):
        raise ValueError(f"{len(old)} old labels for {len(new)} faces: the old faces come first, all of them")
    out = np.full(len(new), NO_GROUP, dtype=np.int64)
    new_ids = np.unique(new[new != NO_GROUP])
    both = (old != NO_GROUP) & (new[: len(old)] != NO_GROUP)
    old_ids = np.unique(old[both])
    mapping: dict[int, int] = {}
    if len(old_ids):
        shared = np.zeros((len(new_ids), len(old_ids)), dtype=np.int64)
        np.add.at(shared, (np.searchsorted(new_ids, new[: len(old)][both]), np.searchsorted(old_ids, old[both])), 1)
        for i, j in zip(*linear_sum_assignment(shared, maximize=True)):
            if shared[i, j]:
                mapping[int(new_ids[i])] = int(old_ids[j])
    next_id = max(int(old.max(initial=NO_GROUP)), NO_GROUP) + 1
    for group in new_ids:  # numbered largest first by group_faces
        if int(group) not in mapping:
            mapping[int(group)] = next_id
            next_id += 1
    for group, given in mapping.items():
        out[new == group] = given
    return out


def looks_like(
    group: np.ndarray, members: Mapping[str, np.ndarray], *, settings: GroupSettings = GroupSettings()
) -> LooksLike | None:
    """The member a group's faces (``group``: their embeddings) are nearest, from each member's example
    embeddings, if near enough ("looks like Leo"); None otherwise."""
    faces = _unit(group)
    best: LooksLike | None = None
    for member, examples in members.items():
        examples = _unit(examples)
        if not len(faces) or not len(examples):
            continue
        similarity = float(_top_mean(faces @ examples.T, settings.neighbours).mean())
        if best is None or similarity > best.similarity:
            best = LooksLike(member, similarity)
    return best if best is not None and best.similarity >= settings.looks_like_similarity else None


def join_groups(
    faces: np.ndarray,
    embeddings: np.ndarray,
    labels: np.ndarray,
    settings: GroupSettings = GroupSettings(),
    *,
    photos: np.ndarray | None = None,
) -> np.ndarray:
    """The group each of ``faces`` joins: of the grouped faces (``embeddings``, ``labels``), the group whose
    ``neighbours`` most similar faces are the most similar on average, if that average reaches
    ``join_similarity``; else NO_GROUP. ``photos`` (of ``faces``): of faces of one photo that would join one
    group, only the most similar does."""
    faces, embeddings = _unit(faces), _unit(embeddings)
    labels = np.asarray(labels, dtype=np.int64)
    chosen = np.full(len(faces), NO_GROUP, dtype=np.int64)
    grouped = np.flatnonzero(labels != NO_GROUP)
    if not len(faces) or not len(grouped):
        return chosen
    order = grouped[np.argsort(labels[grouped], kind="stable")]
    ids, starts = np.unique(labels[order], return_index=True)
    ends = np.r_[starts[1:], len(order)]
    members = embeddings[order]
    scores = np.full(len(faces), -np.inf, dtype=np.float32)
    for lo in range(0, len(faces), _CHUNK):
        sims = faces[lo : lo + _CHUNK] @ members.T
        best = np.full(len(sims), -np.inf, dtype=np.float32)
        for group, start, end in zip(ids, starts, ends):
            score = _top_mean(sims[:, start:end], settings.neighbours)
            better = score > best
            best[better], chosen[lo : lo + _CHUNK][better] = score[better], group
        chosen[lo : lo + _CHUNK][best < settings.join_similarity] = NO_GROUP
        scores[lo : lo + _CHUNK] = best
    if photos is not None:
        _one_face_per_photo(chosen, scores, np.asarray(photos))
    return chosen


def _one_face_per_photo(chosen: np.ndarray, scores: np.ndarray, photos: np.ndarray) -> None:
    """Of faces of one photo that chose one group, the most similar keeps it; the others join none."""
    winner: dict[tuple, int] = {}
    for face in np.flatnonzero(chosen != NO_GROUP):
        key = (photos[face].item(), int(chosen[face]))
        other = winner.get(key)
        if other is None or scores[face] > scores[other]:
            if other is not None:
                chosen[other] = NO_GROUP
            winner[key] = int(face)
        else:
            chosen[face] = NO_GROUP


def _top_mean(sims: np.ndarray, k: int) -> np.ndarray:
    """Per row, the mean of its ``k`` largest values (all of them where there are fewer)."""
    k = min(k, sims.shape[1])
    return np.partition(sims, sims.shape[1] - k, axis=1)[:, sims.shape[1] - k :].mean(axis=1)


def _numbered(clusters: np.ndarray) -> np.ndarray:
    """Clusters of two faces or more numbered 0, 1, ... largest first (ties: earliest face first); the others
    (and faces in none, NO_GROUP) NO_GROUP."""
    labels = np.full(len(clusters), NO_GROUP, dtype=np.int64)
    rows = np.flatnonzero(clusters != NO_GROUP)
    ids, first, counts = np.unique(clusters[rows], return_index=True, return_counts=True)
    ranked = [i for i in np.lexsort((first, -counts)) if counts[i] >= 2]
    new_id = np.full(len(ids), NO_GROUP, dtype=np.int64)
    new_id[ranked] = np.arange(len(ranked))
    labels[rows] = new_id[np.searchsorted(ids, clusters[rows])]
    return labels


def _unit(embeddings: np.ndarray, dim: int | None = None) -> np.ndarray:
    """An N x D array's rows at length 1 (float32), so that a dot product is a cosine similarity; no rows
    (whatever their shape): 0 x ``dim``."""
    rows = np.asarray(embeddings, dtype=np.float32)
    if not len(rows):
        return np.zeros((0, rows.shape[1] if rows.ndim == 2 else dim or 0), dtype=np.float32)
    if rows.ndim != 2:
        raise ValueError(f"embeddings: an N x D array, not one of shape {rows.shape}")
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
