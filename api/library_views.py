"""The library's dataclasses as the API's JSON shapes (only here, at the edge)."""

from __future__ import annotations

from api.library_schemas import LibraryFaceOut, LibraryPhotoOut, LibraryRootOut, LibraryStatusOut, NamedFaceOut
from api.schemas import JobOut
from api.services.library import LibraryStatus, NamedFace
from library.types import LibraryFace, LibraryPhoto


def face_out(face: LibraryFace) -> LibraryFaceOut:
    return LibraryFaceOut(
        id=face.id, box=face.box.as_list(), member=face.member, probabilities=face.probabilities, named_by=face.named_by
    )


def photo_out(photo: LibraryPhoto) -> LibraryPhotoOut:
    return LibraryPhotoOut(
        id=photo.id, path=photo.path, taken_at=photo.taken_at, width=photo.width, height=photo.height,
        present=photo.present, faces=[face_out(f) for f in photo.faces],
    )


def status_out(status: LibraryStatus) -> LibraryStatusOut:
    return LibraryStatusOut(
        roots=[LibraryRootOut(path=p, photos=n, available=a, scanned=s) for p, n, a, s in status.roots],
        photos=status.photos, faces=status.faces, skipped=status.skipped, named_faces=status.named_faces,
        changes_since_training=status.changes_since_training, retrain_after=status.retrain_after,
        scan=JobOut(**vars(status.scan)) if status.scan else None,
        training=JobOut(**vars(status.training)) if status.training else None,
        decided=status.decided,
    )


def named_out(named: NamedFace) -> NamedFaceOut:
    return NamedFaceOut(
        face=face_out(named.face), photo_id=named.photo_id, created_member=named.created_member,
        changes_since_training=named.changes_since_training, training_job_id=named.training_job_id,
    )
