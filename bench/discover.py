"""Discovering unnamed people (library/discover.py): faces of one unsorted album grouped by person.

    python bench/discover.py [--data ../shared/data] [--workers 2] [--shuffles 5] [--sections 1 2 3 4 5 6]

The album: every photo of jurassic6 (members' folders and the 3 stills) and celeb5 (train and val) mixed
together, every face of each embedded as a library scan stores it (library.analysis: YuNet + SFace, crops).
The faces whose person is known: each solo photo's largest face (jurassic6/members/<person>/,
celeb5/{train,val}/<person>/); the other faces (stills, passers-by) are grouped too but not scored.

Printed:
1. Per algorithm and setting, faces passing the quality filter (library.face_quality defaults): BCubed
   precision and recall over the known faces (a face in no group counts as a group of its own), the same
   over the known faces alone in their photo (P1, R1: where the largest-face rule cannot name the wrong
   face), groups, faces left out, milliseconds. The album is clustered in --shuffles orders (Chinese
   whispers depends on the order): mean and worst.
2. People with few photos: each person's faces cut to 2, 3 or 5 (5 random draws), the unknown faces kept:
   how many of the 11 people get a group of their own (2+ of their faces, over half of the group).
3. The quality filter: the album plus a degraded copy of each known face (the photo shrunk so the face is
   16 px; or blurred by 8% of the face's side), embedded from the known box; with and without the filter.
4. New faces: 10% of the album added to the groups of the other 90% (add_faces) against grouping it all.
5. "Looks like": half of each person's faces as a member's examples, the other half (and the unknown
   faces) grouped: the member each group is said to look like, with its person enrolled and without.
6. Time and peak memory (whole process, sampled) on 1,000 and 10,000 faces synthesised from the real ones
   (the real faces plus copies of random real faces with Gaussian noise, sigma 0.066 a dimension,
   re-normalised: cosine ~0.80 to their source; 1.5 faces a photo); adding 500 new faces to 10,000
   grouped, and regrouping all.
7. Look-alike children: fiw-dev's three families (toddler twins; young siblings; parents and children),
   crops sharing a Pnnnnn being one group photo: BCubed with and without each face's photo given.
8. A fresh install, through the service (HTTP, in process): a data folder with no family, the album made of
   celeb5/train and three quarters of each jurassic6 member's photos (and the stills); scan; name every
   unnamed group of 3+ faces by its true person (the faces of anyone else unticked; a group of nobody known
   ignored); train; then /predict on the held-out photos (celeb5/val, the other quarter): presence
   precision, recall and F1 over (photo, person), and how many faces the groups named.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import TreeMemorySampler, default_data, tree_memory_mb  # noqa: E402
from inference.models.opencv import cv2  # noqa: E402,F401  (before torch: the project's import order)
from inference.batch import map_in_workers, worker_pipeline  # noqa: E402
from inference.inputs import walk_photos  # noqa: E402
from inference.settings import Settings  # noqa: E402
from inference.types import Box, PhotoError  # noqa: E402
from library.analysis import analyse_paths  # noqa: E402
from library.discover import NO_GROUP, GroupSettings, add_faces, group_faces, join_groups, looks_like, regroup  # noqa: E402
from library.face_quality import QualitySettings, face_sharpness, usable_faces  # noqa: E402

Cluster = Callable[[np.ndarray], np.ndarray]  # unit embeddings -> a label per face (-1: none)
SIGMA = 0.066


@dataclass
class Album:
    paths: list[Path]  # per face: its photo
    boxes: list[Box]
    embeddings: np.ndarray
    crops: list[bytes]
    sharpness: np.ndarray
    person: np.ndarray  # per face: the known person, or "" for a face not scored
    alone: np.ndarray  # per face: the only face found in its photo

    @property
    def known(self) -> np.ndarray:
        return self.person != ""


def album(data: Path, workers: int) -> tuple[Album, float]:
    paths = walk_photos([data / "jurassic6", data / "celeb5"]).photos
    faces: dict[str, list] = {k: [] for k in ("paths", "boxes", "embeddings", "crops", "person", "alone")}
    started = time.perf_counter()
    for path, photo in zip(paths, analyse_paths(paths, Settings(workers=workers), workers=workers, spawn=False)):
        if isinstance(photo, PhotoError):
            continue
        parts = path.relative_to(data).parts
        solo = parts[:2] == ("jurassic6", "members") or parts[0] == "celeb5"
        largest = max(range(len(photo.faces)), key=lambda i: photo.faces[i].box.area, default=-1)
        for i, face in enumerate(photo.faces):
            faces["paths"].append(path)
            faces["boxes"].append(face.box)
            faces["embeddings"].append(face.embedding)
            faces["crops"].append(face.crop_jpeg)
            faces["person"].append(parts[2] if solo and i == largest else "")
            faces["alone"].append(len(photo.faces) == 1)
    seconds = time.perf_counter() - started
    return Album(
        faces["paths"], faces["boxes"], np.asarray(faces["embeddings"], dtype=np.float32), faces["crops"],
        np.asarray([face_sharpness(c) for c in faces["crops"]]), np.asarray(faces["person"]), np.asarray(faces["alone"]),
    ), seconds


def bcubed(labels: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """BCubed precision and recall of ``labels`` against ``truth``; a face in no group is a group of its own."""
    labels = labels.copy()
    alone = labels == NO_GROUP
    labels[alone] = labels.max(initial=0) + 1 + np.arange(alone.sum())
    same_group = labels[:, None] == labels[None, :]
    same_person = truth[:, None] == truth[None, :]
    both = (same_group & same_person).sum(1)
    return float((both / same_group.sum(1)).mean()), float((both / same_person.sum(1)).mean())


def only_groups(labels: np.ndarray) -> np.ndarray:
    """Labels with clusters of one face made NO_GROUP (what group_faces does itself)."""
    labels = np.asarray(labels, dtype=np.int64).copy()
    ids, counts = np.unique(labels[labels != NO_GROUP], return_counts=True)
    labels[np.isin(labels, ids[counts < 2])] = NO_GROUP
    return labels


def run_filtered(cluster: Cluster, embeddings: np.ndarray, keep: np.ndarray) -> np.ndarray:
    labels = np.full(len(embeddings), NO_GROUP, dtype=np.int64)
    labels[keep] = only_groups(cluster(embeddings[keep])) if keep.sum() >= 2 else NO_GROUP
    return labels


def algorithms() -> dict[str, Cluster]:
    import dlib
    from sklearn.cluster import HDBSCAN, AgglomerativeClustering

    def hdbscan(size: int, samples: int, epsilon: float = 0.0) -> Cluster:  # Euclidean on unit vectors
        return lambda x: HDBSCAN(
            min_cluster_size=size, min_samples=samples, cluster_selection_epsilon=epsilon, copy=True
        ).fit_predict(x.astype(np.float64))

    def agglomerative(linkage: str, similarity: float) -> Cluster:
        return lambda x: AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage=linkage, distance_threshold=1 - similarity
        ).fit_predict(x)

    def whispers(similarity: float) -> Cluster:  # dlib compares Euclidean distances: of unit vectors, sqrt(2 - 2 cos)
        distance = float(np.sqrt(2 - 2 * similarity))
        return lambda x: np.asarray(dlib.chinese_whispers_clustering([dlib.vector(v.tolist()) for v in x.astype(float)], distance))

    table: dict[str, Cluster] = {}
    for size, samples in [(2, 2), (3, 3), (4, 3), (5, 3)]:
        table[f"HDBSCAN min_cluster_size={size} min_samples={samples}"] = hdbscan(size, samples)
    for size, samples, epsilon in [(2, 2, 1.0), (4, 3, 1.0), (4, 3, 1.1)]:  # 1.0: cosine 0.5; 1.1: 0.395
        table[f"HDBSCAN {size}/{samples} cluster_selection_epsilon={epsilon}"] = hdbscan(size, samples, epsilon)
    linkages = [("average", [0.25, 0.28, 0.30, 0.33, 0.363]), ("complete", [0.25, 0.30]), ("single", [0.45, 0.5])]
    for linkage, similarities in linkages:
        for s in similarities:
            table[f"Agglomerative {linkage} cos>={s}"] = agglomerative(linkage, s)
    for s in [0.363, 0.40, 0.45]:
        table[f"Chinese whispers cos>{s}"] = whispers(s)
    table["HDBSCAN 4/3 + join (top-3 mean >= 0.33)"] = lambda x: _with_join(hdbscan(4, 3)(x), x)
    table["chosen: group_faces (average 0.30 + join)"] = lambda x: group_faces(x)
    return table


def chosen_with_photos(a: Album, keep: np.ndarray) -> None:
    photos = np.asarray([str(p) for p in a.paths])
    labels = group_faces(a.embeddings, keep=keep, photos=photos)
    known, alone = a.known, a.known & a.alone
    (p, r), (p1, r1) = bcubed(labels[known], a.person[known]), bcubed(labels[alone], a.person[alone])
    print(f"{'chosen, with photos (the service)':<46} {p:.3f}         {r:.3f}         {p1:6.3f} {r1:6.3f} "
          f"{len(set(labels[labels != NO_GROUP])):6d} {(labels == NO_GROUP).sum():8d}")


def _with_join(labels: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Faces in no group joining a group as group_faces joins them."""
    labels = only_groups(labels)
    alone = labels == NO_GROUP
    labels[alone] = join_groups(x[alone], x, labels)
    return labels


def compare(a: Album, keep: np.ndarray, shuffles: int) -> None:
    known, alone = a.known, a.known & a.alone
    print(f"\n1. Algorithms: {len(a.embeddings)} faces, {known.sum()} known ({alone.sum()} alone in their photo), "
          f"{(~keep).sum()} left out by the quality filter ({(~keep & known).sum()} known); {shuffles} orders, mean (worst)")
    print(f"{'algorithm':<46} {'P':>13} {'R':>13} {'P1':>6} {'R1':>6} {'groups':>6} {'left out':>8} {'ms':>6}")
    for name, cluster in algorithms().items():
        rows = []
        for seed in range(shuffles):
            order = np.random.default_rng(seed).permutation(len(a.embeddings))
            started = time.perf_counter()
            try:
                shuffled = run_filtered(cluster, a.embeddings[order], keep[order])
            except TypeError as exc:  # HDBSCAN's epsilon under NumPy 2: scikit-learn issue 33219
                print(f"{name:<46} fails: TypeError: {exc}")
                break
            ms = (time.perf_counter() - started) * 1000
            labels = np.empty_like(shuffled)
            labels[order] = shuffled
            rows.append((*bcubed(labels[known], a.person[known]), *bcubed(labels[alone], a.person[alone]),
                         len(set(labels[labels != NO_GROUP])), (labels == NO_GROUP).sum(), ms))
        if not rows:
            continue
        r = np.asarray(rows)
        print(f"{name:<46} {r[:, 0].mean():.3f} ({r[:, 0].min():.3f}) {r[:, 1].mean():.3f} ({r[:, 1].min():.3f}) "
              f"{r[:, 2].mean():6.3f} {r[:, 3].mean():6.3f} {r[:, 4].mean():6.0f} {r[:, 5].mean():8.0f} {r[:, 6].mean():6.1f}", flush=True)
    chosen_with_photos(a, keep)


def few_photos(a: Album, keep: np.ndarray) -> None:
    table = algorithms()
    chosen = ["HDBSCAN min_cluster_size=2 min_samples=2", "HDBSCAN min_cluster_size=4 min_samples=3",
              "HDBSCAN 4/3 + join (top-3 mean >= 0.33)", "Agglomerative average cos>=0.3", "Chinese whispers cos>0.4",
              "chosen: group_faces (average 0.30 + join)"]
    people = sorted(set(a.person[a.known]))
    print(f"\n2. People with few photos: people (of {len(people)}) with a group of their own, mean of 5 draws; BCubed P")
    print(f"{'algorithm':<46} " + "  ".join(f"{n} faces each" for n in (2, 3, 5)))
    for name in chosen:
        cells = []
        for n in (2, 3, 5):
            rng = np.random.default_rng(n)
            found, precision = [], []
            for _ in range(5):
                drawn = [rng.choice(np.flatnonzero(a.person == p), n, replace=False) for p in people]
                rows = np.concatenate([np.flatnonzero(~a.known), *drawn])
                rows = rows[rng.permutation(len(rows))]
                labels = run_filtered(table[name], a.embeddings[rows], keep[rows])
                person = a.person[rows]
                found.append(sum(_has_group(labels, person, p) for p in people))
                precision.append(bcubed(labels[person != ""], person[person != ""])[0])
            cells.append(f"{np.mean(found):4.1f} P={np.mean(precision):.3f}")
        print(f"{name:<46} " + "  ".join(cells), flush=True)


def _has_group(labels: np.ndarray, person: np.ndarray, p: str) -> bool:
    counts = Counter(labels[person == p])
    counts.pop(NO_GROUP, None)
    if not counts:
        return False
    group, n = counts.most_common(1)[0]
    return n >= 2 and 2 * n > (labels == group).sum()


def _degraded(path: Path, job: tuple[str, Box]) -> tuple[np.ndarray, bytes, Box] | None:
    """A known face degraded (its photo shrunk so the face is 16 px, or blurred), embedded from its box."""
    kind, box = job
    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    if kind == "tiny":
        factor = min(1.0, 16 / min(box.width, box.height))
        size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        image = image.resize(size, Image.Resampling.BILINEAR)
        box = box.scaled(factor)
    else:
        image = image.filter(ImageFilter.GaussianBlur(0.08 * min(box.width, box.height)))
    out = io.BytesIO()
    image.save(out, "PNG")
    try:
        face = worker_pipeline().face_at(out.getvalue(), box)
    except ValueError:
        return None
    return face.embedding, face.crop_jpeg or b"", box


def quality(a: Album, workers: int) -> None:
    known = np.flatnonzero(a.known)
    print("\n3. Quality filter: the album plus a degraded copy of each known face; BCubed over all known faces "
          "(originals and copies), and over the originals only")
    print(f"{'copies':<28} {'filter':<28} {'P':>6} {'R':>6} {'P orig':>6} {'R orig':>6} {'copies kept':>11} {'groups':>6}")
    for kind, label in [("tiny", "16 px tall"), ("blur", "blurred 8% of the side")]:
        jobs = [(kind, a.boxes[i]) for i in known]
        made = list(map_in_workers(
            _degraded, [a.paths[i] for i in known], jobs, settings=Settings(workers=workers), weights=None, detector=None,
            workers=workers,
        ))
        ok = [(i, m) for i, m in zip(known, made) if m is not None]
        embeddings = np.vstack([a.embeddings, np.asarray([m[0] for _, m in ok])])
        person = np.concatenate([a.person, a.person[[i for i, _ in ok]]])
        copy = np.r_[np.zeros(len(a.embeddings), bool), np.ones(len(ok), bool)]
        boxes = a.boxes + [m[2] for _, m in ok]
        sharpness = np.concatenate([a.sharpness, [face_sharpness(m[1]) for _, m in ok]])
        for name, keep in [("none", np.ones(len(embeddings), bool)), ("size >= 24 px", usable_faces(boxes)),
                           ("sharpness >= 50", sharpness >= QualitySettings().min_sharpness),
                           ("both (the default)", usable_faces(boxes, sharpness))]:
            labels = run_filtered(group_faces, embeddings, keep)
            scored, orig = person != "", (person != "") & ~copy
            p, r = bcubed(labels[scored], person[scored])
            po, ro = bcubed(labels[orig], person[orig])
            print(f"{label + f' ({len(ok)})':<28} {name:<28} {p:6.3f} {r:6.3f} {po:6.3f} {ro:6.3f} {(keep & copy).sum():11d} "
                  f"{len(set(labels[labels != NO_GROUP])):6d}", flush=True)


def new_faces(a: Album, keep: np.ndarray) -> None:
    print("\n4. New faces: 10% of the album (random) added to the groups of the other 90%, against grouping all at once")
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(len(a.embeddings))
        old, new = order[: int(0.9 * len(order))], order[int(0.9 * len(order)) :]
        before = group_faces(a.embeddings[old], keep=keep[old])
        after = add_faces(a.embeddings[old], before, a.embeddings[new], keep=keep[old], new_keep=keep[new])
        labels = np.empty(len(order), dtype=np.int64)
        labels[np.concatenate([old, new])] = after
        whole = group_faces(a.embeddings, keep=keep)
        k = a.known
        (p, r), (pw, rw) = bcubed(labels[k], a.person[k]), bcubed(whole[k], a.person[k])
        kept_ids = np.mean(after[: len(old)][before != NO_GROUP] == before[before != NO_GROUP])
        in_group = np.mean(labels[np.isin(np.arange(len(order)), new) & k] != NO_GROUP)
        print(f"  draw {seed}: added P={p:.3f} R={r:.3f} (all at once P={pw:.3f} R={rw:.3f}); "
              f"old faces keeping their group id {kept_ids:.3f}; new known faces in a group {in_group:.2f}")


def looks(a: Album, keep: np.ndarray) -> None:
    settings = GroupSettings()
    print(f"\n5. Looks like (threshold {settings.looks_like_similarity}): half of each person's faces are a member's examples, "
          "the rest grouped; groups with a majority person")
    people = sorted(set(a.person[a.known]))
    examples = {p: np.flatnonzero(a.person == p)[::2] for p in people}
    rest = np.setdiff1d(np.arange(len(a.embeddings)), np.concatenate(list(examples.values())))
    labels = group_faces(a.embeddings[rest], keep=keep[rest])
    members = {p: a.embeddings[i] for p, i in examples.items()}
    right = wrong = none = absent_named = absent_none = 0
    true_sims, other_sims = [], []
    for group in sorted(set(labels[labels != NO_GROUP])):
        faces = rest[labels == group]
        counts = Counter(p for p in a.person[faces] if p)
        if not counts or 2 * counts.most_common(1)[0][1] <= len(faces):
            continue
        p = counts.most_common(1)[0][0]
        said = looks_like(a.embeddings[faces], members)
        right += said is not None and said.member == p
        wrong += said is not None and said.member != p
        none += said is None
        without = looks_like(a.embeddings[faces], {q: e for q, e in members.items() if q != p})
        absent_named += without is not None
        absent_none += without is None
        anyone = GroupSettings(looks_like_similarity=-1.0)  # the best member, however far
        true_sims.append(looks_like(a.embeddings[faces], {p: members[p]}, settings=anyone).similarity)  # type: ignore[union-attr]
        other = looks_like(a.embeddings[faces], {q: e for q, e in members.items() if q != p}, settings=anyone)
        other_sims.append(other.similarity)  # type: ignore[union-attr]
    print(f"  member enrolled: named right {right}, wrong {wrong}, none {none}; "
          f"member not enrolled: someone named {absent_named}, none {absent_none}")
    print(f"  similarity to the right member: min {min(true_sims):.3f} median {np.median(true_sims):.3f}; "
          f"to the best other member: median {np.median(other_sims):.3f} max {max(other_sims):.3f}")


def synthesise(real: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """The real faces, then copies of random real faces with Gaussian noise (SIGMA a dimension), re-normalised."""
    source = real[rng.integers(0, len(real), max(0, n - len(real)))]
    copies = source + rng.normal(0, SIGMA, source.shape).astype(np.float32)
    copies /= np.linalg.norm(copies, axis=1, keepdims=True)
    return np.vstack([real, copies])[:n].astype(np.float32)


def timing(a: Album, keep: np.ndarray) -> None:
    from sklearn.cluster import HDBSCAN

    real = a.embeddings[keep]
    rng = np.random.default_rng(0)
    copy = synthesise(real, len(real) + 2000, rng)[len(real) :]
    nearest = np.einsum("ij,ij->i", copy, real[np.argmax(copy @ real.T, axis=1)])
    print(f"\n6. Time and peak memory (RSS of this process, sampled): the {len(real)} usable real faces plus copies "
          f"(noise sigma {SIGMA} a dimension; a copy's cosine to its nearest real face: median {np.median(nearest):.2f})")
    print(f"  sharpness from a stored crop: {_sharpness_ms(a):.2f} ms a face (for 10,000 faces: x 10,000)")
    base_mb = tree_memory_mb(os.getpid())[0]
    print(f"  baseline RSS {base_mb:.0f} MB; load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    runs: list[tuple[str, Callable[[], object]]] = []
    for n in (1_000, 10_000):
        x = synthesise(real, n, np.random.default_rng(n))
        photos = np.random.default_rng(n).integers(0, int(n / 1.5), n)  # 1.5 faces a photo
        runs.append((f"group_faces, {n:,} faces", lambda x=x, photos=photos: group_faces(x, photos=photos)))
    x = synthesise(real, 10_000, np.random.default_rng(10_000))
    hdbscan = HDBSCAN(min_cluster_size=4, min_samples=3, copy=True)
    runs.append(("HDBSCAN 4/3 (kd-tree), 10,000 faces", lambda: hdbscan.fit_predict(x)))
    runs.append(("Chinese whispers cos>0.4, 10,000 faces", lambda: algorithms()["Chinese whispers cos>0.4"](x)))
    for name, fn in runs:
        _timed(name, fn)
    labels = group_faces(x)
    more = synthesise(real, 10_500, np.random.default_rng(1))[-500:]
    added = _timed("add_faces: 500 new to 10,000 grouped", lambda: add_faces(x, labels, more))
    assert isinstance(added, np.ndarray)
    kept = np.mean(added[:10_000][labels != NO_GROUP] == labels[labels != NO_GROUP])
    print(f"    {np.mean(added[10_000:] != NO_GROUP):.2f} of the new faces in a group; old faces keeping their group id {kept:.3f}; "
          f"groups {len(set(labels)) - 1} -> {len(set(added)) - 1}")
    again = _timed("regroup: all 10,500 again, ids carried", lambda: regroup(np.vstack([x, more]), labels))
    assert isinstance(again, np.ndarray)
    kept = np.mean(again[:10_000][labels != NO_GROUP] == labels[labels != NO_GROUP])
    print(f"    old faces keeping their group id {kept:.3f}; groups {len(set(again)) - 1}")


def _timed(name: str, fn: Callable[[], object]) -> object:
    with TreeMemorySampler(interval=0.05) as memory:
        started = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - started
    print(f"  {name:<44} {seconds:7.2f} s   peak RSS {memory.peak_rss_mb:6.0f} MB", flush=True)
    return result


def _sharpness_ms(a: Album) -> float:
    started = time.perf_counter()
    for crop in a.crops:
        face_sharpness(crop)
    return (time.perf_counter() - started) * 1000 / len(a.crops)


def look_alikes(data: Path, workers: int) -> None:
    root = data / "fiw-dev"
    paths = walk_photos([root]).photos
    rows: list[tuple[str, str, np.ndarray, Box, float]] = []  # family, person, embedding, box, sharpness
    photo_of: list[str] = []
    for path, photo in zip(paths, analyse_paths(paths, Settings(workers=workers), workers=workers, spawn=False)):
        if isinstance(photo, PhotoError) or not photo.faces:
            continue
        face = max(photo.faces, key=lambda f: f.box.area)
        family, person = path.relative_to(root).parts[:2]
        rows.append((family, f"{family}/{person}", face.embedding, face.box, face.sharpness))
        photo_of.append(f"{family}/{path.name.split('_')[0]}")  # P03307_face2.jpg: group photo P03307
    print(f"\n7. Look-alike children: fiw-dev, {len(rows)} faces of {len({r[1] for r in rows})} people; BCubed P / R, groups")
    print(f"{'family':<8} {'likeness alone':>24} {'with photos':>26}")
    for family in sorted({r[0] for r in rows}):
        mine = [i for i, r in enumerate(rows) if r[0] == family]
        x = np.asarray([rows[i][2] for i in mine])
        person = np.asarray([rows[i][1] for i in mine])
        keep = usable_faces([rows[i][3] for i in mine], [rows[i][4] for i in mine])
        cells = []
        for photos in (None, np.asarray([photo_of[i] for i in mine])):
            labels = group_faces(x, keep=keep, photos=photos)
            p, r = bcubed(labels, person)
            cells.append(f"{p:.3f} / {r:.3f}, {len(set(labels[labels != NO_GROUP])):2d} groups")
        print(f"{family:<8} {cells[0]:>24} {cells[1]:>26} ({len(set(person))} people)")


def fresh_install(data: Path, workers: int) -> None:
    import shutil
    import tempfile

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ServiceSettings

    truth: dict[str, str] = {}  # album or held-out file name -> the person of its largest face ("": unknown)
    held_out: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        album_dir, data_dir = Path(tmp) / "album", Path(tmp) / "data"
        album_dir.mkdir()
        sources = [(p, d.name) for d in sorted((data / "celeb5/train").iterdir()) for p in sorted(d.iterdir())]
        for member in sorted((data / "jurassic6/members").iterdir()):
            for i, p in enumerate(sorted(member.iterdir())):
                (held_out.append(p) or truth.__setitem__(p.name + member.name, member.name)) if i % 4 == 0 else sources.append((p, member.name))
        sources += [(p, "") for p in sorted((data / "jurassic6/photos").iterdir())]
        for person_dir in sorted((data / "celeb5/val").iterdir()):
            for p in sorted(person_dir.iterdir()):
                held_out.append(p)
                truth[p.name + person_dir.name] = person_dir.name
        for i, (p, person) in enumerate(sources):
            name = f"{i:04d}{p.suffix.lower()}"
            shutil.copyfile(p, album_dir / name)
            truth[name] = person
        settings = ServiceSettings(
            data=data_dir, library_roots=[album_dir], retrain_after=0, workers=workers,
            allowed_hosts=["testserver"],
        )
        started = time.perf_counter()
        with TestClient(create_app(settings)) as client:
            scan = _finished(client, client.post("/library/scan", json=None).json()["job_id"])
            scanned = time.perf_counter() - started
            photo_truth = {}
            for photo in _every_photo(client):
                photo_truth[photo["id"]] = (truth[Path(photo["path"]).name], photo)
            named = ignored = faces_named = 0
            names_given: set[str] = set()
            for group in client.get("/people/unnamed").json():
                if group["faces"] < 3:
                    continue
                faces = client.get(f"/people/unnamed/{group['id']}/faces").json()
                person_of = {f["face_id"]: _person_of_face(photo_truth[f["photo_id"]], f) for f in faces}
                counts = Counter(p for p in person_of.values() if p)
                if not counts:
                    client.post(f"/people/unnamed/{group['id']}/ignore")
                    ignored += 1
                    continue
                person = counts.most_common(1)[0][0]
                wrong = [f for f, p in person_of.items() if p != person]
                r = client.post(f"/people/unnamed/{group['id']}/name", json={"member": person, "exclude_face_ids": wrong})
                r.raise_for_status()
                if r.json()["training_job_id"]:
                    _finished(client, r.json()["training_job_id"])
                named += 1
                faces_named += len(r.json()["named_face_ids"])
                names_given.add(person)
            train = _finished(client, client.post("/train").json()["job_id"])
            flow = time.perf_counter() - started
            tp = fp = fn = 0
            for p in held_out:
                person = truth[p.name + p.parent.name]
                present = set(client.post("/predict", params={"crops": False}, files={"file": (p.name, p.read_bytes())}).json()["present"])
                tp += person in present
                fn += person not in present
                fp += len(present - {person})
            known = sum(1 for person, _ in photo_truth.values() if person)
            precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
        print(f"\n8. Fresh install: {len(sources)} album photos scanned in {scanned:.1f} s ({scan['result'].get('grouping')}); "
              f"{named} groups named ({len(names_given)} of 11 people), {ignored} ignored; trained: "
              f"{len(train['result']['members'])} members; the flow took {flow:.1f} s")
        print(f"   held-out photos {len(held_out)}: presence P {precision:.3f} R {recall:.3f} "
              f"F1 {2 * precision * recall / max(precision + recall, 1e-9):.3f} (tp {tp}, fp {fp}, fn {fn})")
        print(f"   faces named through the groups: {faces_named}, of {known} album photos whose person is known")


def _finished(client, job_id: str) -> dict:
    while True:
        job = client.get(f"/jobs/{job_id}").json()
        if job["state"] in ("succeeded", "failed"):
            if job["state"] == "failed":
                raise RuntimeError(f"job {job_id} failed: {job['error']}")
            return job
        time.sleep(0.2)


def _every_photo(client) -> list[dict]:
    items, cursor = [], None
    while True:
        page = client.get("/library/photos", params={"limit": 200, **({"cursor": cursor} if cursor else {})}).json()
        items += page["items"]
        if (cursor := page["next_cursor"]) is None:
            return items


def _person_of_face(known: tuple[str, dict], face: dict) -> str:
    """The person of a library face: its photo's person if it is the photo's largest face, else unknown."""
    person, photo = known
    largest = max(photo["faces"], key=lambda f: (f["box"][2] - f["box"][0]) * (f["box"][3] - f["box"][1]))
    return person if largest["id"] == face["face_id"] else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=default_data())
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shuffles", type=int, default=5)
    parser.add_argument("--sections", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6, 7, 8], help="which to print")
    args = parser.parse_args()
    a, seconds = album(args.data, args.workers)
    keep = usable_faces(a.boxes, a.sharpness)
    print(f"Album: {len({str(p) for p in a.paths})} photos with faces, {len(a.embeddings)} faces, embedded in {seconds:.1f} s "
          f"on {args.workers} workers; people known: {len(set(a.person[a.known]))}")
    sections = {
        1: lambda: compare(a, keep, args.shuffles), 2: lambda: few_photos(a, keep), 3: lambda: quality(a, args.workers),
        4: lambda: new_faces(a, keep), 5: lambda: looks(a, keep), 6: lambda: timing(a, keep),
        7: lambda: look_alikes(args.data, args.workers), 8: lambda: fresh_install(args.data, args.workers),
    }
    for number in args.sections:
        sections[number]()


if __name__ == "__main__":
    main()
