"""Discovering the people nobody named (library/discover.py, library/face_quality.py) on real faces: solo photos
group by person, a group has two faces or more, new faces join their person's group and old ids stay, tiny or
blurred faces are left out, a group looks like the right member."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from inference.pipeline import Pipeline
from inference.registry import embedder_class
from inference.types import Box, PhotoError
from library.analysis import AnalysedFace, analyse_photo
from library.discover import NO_GROUP, GroupSettings, add_faces, carry_ids, group_faces, looks_like, regroup
from library.face_quality import QualitySettings, face_sharpness, usable_faces

PEOPLE = ["ben_afflek", "jerry_seinfeld", "madonna", "mindy_kaling"]  # celeb5: train and val headshots
FILM = ["claire_dearing", "john_hammond", "owen_grady"]  # jurassic6 members: natural photos, some with a passer-by


@pytest.fixture(scope="module")
def faces(data: Path, settings) -> dict[str, dict[str, list[AnalysedFace]]]:
    """Each solo photo's largest face, as the library stores it: {"train"|"val"|"film": {person: [face, ...]}}."""
    pipeline = Pipeline(settings)
    pipeline.load()
    folders = {
        "train": {p: data / "celeb5/train" / p for p in PEOPLE},
        "val": {p: data / "celeb5/val" / p for p in PEOPLE},
        "film": {p: data / "jurassic6/members" / p for p in FILM},
    }
    out: dict[str, dict[str, list[AnalysedFace]]] = {}
    for split, people in folders.items():
        out[split] = {}
        for person, folder in people.items():
            photos = [analyse_photo(pipeline, p) for p in sorted(folder.iterdir())]
            found = [p for p in photos if not isinstance(p, PhotoError) and p.faces]
            out[split][person] = [max(p.faces, key=lambda f: f.box.area) for p in found]
    return out


def _stack(faces: dict[str, list[AnalysedFace]]) -> tuple[np.ndarray, np.ndarray]:
    people = [p for p, fs in faces.items() for _ in fs]
    return np.stack([f.embedding for fs in faces.values() for f in fs]), np.asarray(people)


def _bcubed_precision(labels: np.ndarray, truth: np.ndarray) -> float:
    labels = labels.copy()
    alone = labels == NO_GROUP
    labels[alone] = labels.max(initial=0) + 1 + np.arange(alone.sum())
    same_group = labels[:, None] == labels[None, :]
    return float(((same_group & (truth[:, None] == truth[None, :])).sum(1) / same_group.sum(1)).mean())


def _group_of(labels: np.ndarray, people: np.ndarray, person: str) -> int:
    return Counter(labels[(people == person) & (labels != NO_GROUP)]).most_common(1)[0][0]


def test_solo_photos_group_by_person(faces):
    embeddings, people = _stack({**faces["train"], **faces["film"]})
    labels = group_faces(embeddings)
    assert _bcubed_precision(labels, people) >= 0.95
    groups = {person: _group_of(labels, people, person) for person in PEOPLE + FILM}
    assert len(set(groups.values())) == len(groups)  # a group each
    for person, group in groups.items():
        assert np.mean(labels[people == person] == group) >= 0.7, person
    assert sorted(set(labels) - {NO_GROUP}) == list(range(len(set(labels) - {NO_GROUP})))  # ids 0, 1, ...
    sizes = [int(np.sum(labels == group)) for group in range(len(set(labels) - {NO_GROUP}))]
    assert sizes == sorted(sizes, reverse=True)  # largest first


def test_a_group_of_one_face_is_not_a_group(faces):
    embeddings, people = _stack(faces["train"])
    labels = group_faces(embeddings)
    assert min(Counter(labels[labels != NO_GROUP]).values()) >= 2
    one_jerry = np.vstack([embeddings[people == "madonna"], embeddings[people == "jerry_seinfeld"][:1]])
    alone = group_faces(one_jerry)
    assert alone[-1] == NO_GROUP and np.mean(alone[:-1] != NO_GROUP) >= 0.7
    assert group_faces(embeddings[:1]).tolist() == [NO_GROUP]
    assert group_faces(np.zeros((0, 128))).tolist() == []
    two_strangers = np.eye(2, 128)
    assert group_faces(two_strangers).tolist() == [NO_GROUP, NO_GROUP]


def test_new_photos_join_their_persons_group_and_old_ids_stay(faces):
    old, old_people = _stack({p: faces["train"][p] for p in PEOPLE[:3]})
    labels = group_faces(old)
    newcomer = {"mindy_kaling": faces["train"]["mindy_kaling"]}  # in no group yet
    new, new_people = _stack({**{p: faces["val"][p] for p in PEOPLE[:3]}, **newcomer})
    after = add_faces(old, labels, new)
    assert after[: len(old)].tolist() == labels.tolist()  # nobody moved
    for person in PEOPLE[:3]:  # a new photo of a known group's person goes into that group
        joined = after[len(old) :][new_people == person]
        assert np.mean(joined == _group_of(labels, old_people, person)) >= 0.8, person
    mindy = after[len(old) :][new_people == "mindy_kaling"]
    mindy_group = Counter(mindy[mindy != NO_GROUP]).most_common(1)[0][0]
    assert mindy_group > labels.max() and np.mean(mindy == mindy_group) >= 0.7  # a new person: a new group
    # All of it grouped again: the groups that persist keep their ids.
    again = regroup(np.vstack([old, new]), labels)
    for person in PEOPLE[:3]:
        assert _group_of(again[: len(old)], old_people, person) == _group_of(labels, old_people, person)


def test_ids_are_carried_one_to_one_by_most_shared_faces():
    old = np.array([7, 7, 7, 3, 3, NO_GROUP])
    new = np.array([0, 0, 1, 1, 1, 2, 2])  # a face more than old had
    assert carry_ids(old, new).tolist() == [7, 7, 3, 3, 3, 8, 8]
    assert carry_ids(np.array([], dtype=int), np.array([0, 0, NO_GROUP])).tolist() == [0, 0, NO_GROUP]


def test_the_quality_filter_leaves_tiny_and_blurred_faces_out(faces):
    face = faces["train"]["madonna"][0]
    tiny = Box(10, 10, 26, 28)  # 16 px wide
    assert usable_faces([face.box, tiny]).tolist() == [True, False]
    sharp = face_sharpness(face.crop_jpeg)
    with Image.open(io.BytesIO(face.crop_jpeg)) as crop:
        out = io.BytesIO()
        crop.filter(ImageFilter.GaussianBlur(0.08 * min(crop.size))).save(out, "JPEG")
    blurred = face_sharpness(out.getvalue())
    assert sharp >= QualitySettings().min_sharpness > blurred
    assert usable_faces([face.box, face.box], [sharp, blurred]).tolist() == [True, False]
    assert face_sharpness(b"not a jpeg") == 0.0
    # Left out of the grouping: a tiny copy of a grouped face is in no group.
    embeddings, _ = _stack(faces["train"])
    boxes = [f.box for fs in faces["train"].values() for f in fs] + [tiny]
    labels = group_faces(np.vstack([embeddings, embeddings[:1]]), keep=usable_faces(boxes))
    assert labels[-1] == NO_GROUP and labels[0] != NO_GROUP


def test_a_group_looks_like_the_right_member_or_nobody(faces):
    members = {p: np.stack([f.embedding for f in faces["train"][p]]) for p in PEOPLE}
    jerry = np.stack([f.embedding for f in faces["val"]["jerry_seinfeld"]])
    said = looks_like(jerry, members)
    assert said is not None and said.member == "jerry_seinfeld"
    assert said.similarity >= GroupSettings().looks_like_similarity
    assert looks_like(jerry, {p: e for p, e in members.items() if p != "jerry_seinfeld"}) is None
    assert looks_like(jerry, {}) is None


def test_settings_move_to_another_embedders_scale():
    sface = GroupSettings.for_embedder(embedder_class("sface"))
    dlib = GroupSettings.for_embedder(embedder_class("dlib"))
    assert vars(sface) == pytest.approx(vars(GroupSettings()))
    assert dlib.join_similarity < embedder_class("dlib").match_similarity
    unrelated = embedder_class("dlib").unrelated_similarity
    assert unrelated < dlib.group_similarity < dlib.join_similarity < dlib.looks_like_similarity


def test_faces_of_one_photo_are_kept_apart(data: Path, settings):
    """fiw-dev's toddler twins (F0311 mid1, mid2; crops sharing a Pnnnnn come from one group photo): grouped
    by likeness alone they are one group; told which faces share a photo, the twins are kept apart."""
    pipeline = Pipeline(settings)
    pipeline.load()
    embeddings, people, photos = [], [], []
    for person in ("mid1", "mid2"):
        for crop in sorted((data / "fiw-dev/F0311" / person).iterdir()):
            found = analyse_photo(pipeline, crop)
            if isinstance(found, PhotoError) or not found.faces:
                continue
            embeddings.append(max(found.faces, key=lambda f: f.box.area).embedding)
            people.append(person)
            photos.append(crop.name.split("_")[0])  # P03307_face2.jpg: group photo P03307
    embeddings, people, photos = np.stack(embeddings), np.asarray(people), np.asarray(photos)
    assert len(set(photos)) < len(photos)  # some photos show both twins

    def mixed(labels: np.ndarray) -> int:
        return sum(len(set(people[labels == g])) > 1 for g in set(labels.tolist()) - {NO_GROUP})

    assert mixed(group_faces(embeddings)) >= 1  # likeness alone: the twins mix
    apart = group_faces(embeddings, photos=photos)
    assert mixed(apart) == 0 and (apart != NO_GROUP).mean() >= 0.8
    for group in set(apart.tolist()) - {NO_GROUP}:
        assert len(set(photos[apart == group])) == (apart == group).sum()  # one face per photo in a group
    # Added later, a group photo of both twins gives one face to a group at most.
    half = len(embeddings) // 2
    order = np.random.default_rng(0).permutation(len(embeddings))
    old, new = order[:half], order[half:]
    labels = add_faces(
        embeddings[old], group_faces(embeddings[old], photos=photos[old]), embeddings[new],
        photos=photos[old], new_photos=photos[new],
    )
    joined = labels[half:]
    for group in set(joined.tolist()) - {NO_GROUP}:
        assert len(set(photos[new][joined == group])) == (joined == group).sum()
