"""The people nobody has named yet, as the service runs them: the library's unnamed faces grouped after
every scan and every training, each group offered as "Who is this?", named, ignored or merged.

The grouping itself is :mod:`library.discover` (pure); which faces are good enough is
:mod:`library.face_quality`; the rows are :mod:`api.services.group_store`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

import anyio
import numpy as np

from api.services.errors import InvalidRequest, NotFound
from api.services.group_store import GroupFace, GroupStore, UnnamedGroup
from api.services.library_store import LibraryStore
from api.services.store import FamilyStore
from api.settings import ServiceSettings
from inference.progress import OnProgress, Progress
from inference.registry import embedder_class
from library.discover import NO_GROUP, GroupSettings, LooksLike, add_faces, looks_like
from library.face_quality import QualitySettings, usable_faces

log = logging.getLogger(__name__)
GROUPING = "grouping unnamed faces"
_LOOKS_LIKE_FACES = 16  # a group's faces compared with the members: enough to say who it looks like


@dataclass(frozen=True)
class UnnamedPerson:
    group: UnnamedGroup
    looks_like: LooksLike | None


@dataclass(frozen=True)
class GroupNamed:
    member: str
    named_face_ids: list[int]
    skipped_face_ids: list[int]  # another face of their photo is the member
    created_member: bool
    changes_since_training: int
    training_job_id: str | None


class Discovery:
    """Unnamed groups of one library. ``check_name`` refuses a name faces cannot be given; ``train`` starts a
    training (its job id; None if one runs)."""

    def __init__(
        self, store: FamilyStore, index: LibraryStore, settings: ServiceSettings, *,
        check_name: Callable[[str], None], train: Callable[[], str | None],
    ) -> None:
        self._store, self._index = store, index
        self._check_name, self._train = check_name, train
        embedder = index.embedder
        self.groups = GroupStore(store, embedder)
        self.group_settings = GroupSettings.for_embedder(embedder_class(embedder))
        self.quality = QualitySettings(settings.discover_min_face_px, settings.discover_min_sharpness)
        self._updating = threading.Lock()  # one grouping at a time: two would both make groups of the same faces

    def update(self, progress: OnProgress | None = None) -> dict:
        """Faces nobody's yet join the groups there are, or make new ones; faces named, decided a member or
        no longer good enough leave theirs. Groups keep their ids."""
        started = time.perf_counter()
        with self._updating:
            if progress:
                progress(Progress(GROUPING, 0, 1))
            faces = self.groups.groupable()
            keep = usable_faces(faces.boxes, faces.sharpness, self.quality)
            grouped = keep & (faces.group_ids != NO_GROUP)
            left_out = ~keep & (faces.group_ids != NO_GROUP)  # the quality setting was raised
            new = keep & (faces.group_ids == NO_GROUP)
            labels = add_faces(
                faces.embeddings[grouped], faces.group_ids[grouped], faces.embeddings[new],
                photos=faces.photo_ids[grouped], new_photos=faces.photo_ids[new], settings=self.group_settings,
            )[int(grouped.sum()) :]
            moving = np.concatenate([faces.face_ids[new], faces.face_ids[left_out]]).tolist()
            moved_to = np.concatenate([labels, np.full(int(left_out.sum()), NO_GROUP)]).tolist()
            self.groups.place(moving, moved_to, known=faces.group_ids[grouped].tolist())
            if progress:
                progress(Progress(GROUPING, 1, 1))
        offered = self.groups.groups()
        return {
            "unnamed_groups": len(offered), "grouped_faces": sum(g.faces for g in offered),
            "seconds": round(time.perf_counter() - started, 2),
        }

    # Reading ----------------------------------------------------------------------------
    def people(self, limit: int | None = None) -> list[UnnamedPerson]:
        """Groups of two faces or more, not ignored, largest first, with the member each looks like."""
        members = self._member_examples()
        return [self._person(group, members) for group in self.groups.groups()[:limit]]

    def person(self, group_id: int) -> UnnamedPerson:
        """One group (whatever its size, ignored or not)."""
        return self._person(self.groups.group(group_id), self._member_examples())

    def _person(self, group: UnnamedGroup, members: dict[str, np.ndarray]) -> UnnamedPerson:
        if not members:
            return UnnamedPerson(group, None)
        try:
            faces = self.groups.faces(group.id)[:_LOOKS_LIKE_FACES]
        except NotFound:  # named or merged since it was listed: listed as it was
            return UnnamedPerson(group, None)
        return UnnamedPerson(group, looks_like(np.stack([f.embedding for f in faces]), members, settings=self.group_settings))

    def _member_examples(self) -> dict[str, np.ndarray]:
        """Each shown member's example embeddings (what the family is taught with)."""
        names, embeddings, labels, _, _ = self._store.embeddings()
        return {name: embeddings[labels == i] for i, name in enumerate(names)}

    def faces(self, group_id: int) -> list[GroupFace]:
        """A group's faces, the most typical first: a face that is somebody else is likelier at the end."""
        faces = self.groups.faces(group_id)
        unit = np.stack([f.embedding / max(float(np.linalg.norm(f.embedding)), 1e-12) for f in faces])
        typical = unit @ unit.mean(axis=0)
        return [faces[i] for i in np.argsort(-typical, kind="stable")]

    # Changing ---------------------------------------------------------------------------
    async def name(self, group_id: int, member: str, exclude_face_ids: Collection[int]) -> GroupNamed:
        """Every face of the group but ``exclude_face_ids`` is ``member`` (created if new), as if named one by
        one; the faces left out leave the group. Then the family is trained."""
        self._check_name(member)
        faces = self.groups.faces(group_id)
        excluded = set(exclude_face_ids)
        # Largest first: where two faces of one photo are in the group, the larger one is the member.
        chosen = sorted(
            (f for f in faces if f.face_id not in excluded), key=lambda f: (-f.box.width * f.box.height, f.face_id)
        )
        if not chosen:
            raise InvalidRequest("every face of the group is excluded: there is nobody to name")
        named = await anyio.to_thread.run_sync(
            lambda: self._index.name_faces([f.face_id for f in chosen], member, create=True)
        )
        # Not this person (left out, or another face of their photo is): out of the group, grouped again later.
        self.groups.release(f.face_id for f in faces if f.face_id not in set(named.named))
        job = self._train()
        return GroupNamed(member, named.named, named.skipped, named.created_member, self._store.changes(), job)

    def ignore(self, group_id: int) -> UnnamedPerson:
        """Not offered again; its faces (and faces like them found later) stay nobody of the family."""
        self.groups.group(group_id)
        self.groups.set_ignored(group_id, True)  # its faces are nobody's already; decisions keep them so
        return self.person(group_id)

    def merge(self, group_id: int, into: int) -> UnnamedPerson:
        """One person found as two groups: ``group_id``'s faces join ``into``."""
        if group_id == into:
            raise InvalidRequest("a group cannot be merged with itself")
        self.groups.group(group_id)
        self.groups.group(into)
        self.groups.merge(group_id, into)
        return self.person(into)
