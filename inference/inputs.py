"""Photo inputs, in one place: which files are photos, walking folders (every skip reported),
the member-folder rule, the enrolment face of a solo photo, and why a photo could not be read.

Every command and the service use these, so ``train``, ``enrol``, ``evaluate``, ``predict``
and ``sort`` agree on what a family folder and a folder of photos are.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from inference.image_io import ImageDecodeError
from inference.types import Box, Detection, PhotoError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".bmp", ".tif", ".tiff", ".gif"})
# In a family folder: photos of people who are nobody of the family (impostors for calibration).
STRANGERS_DIR = "_strangers"


def is_image_path(path: Path) -> bool:
    """Whether a file looks like a photo by its suffix (folders are walked with this)."""
    return path.suffix.lower() in IMAGE_SUFFIXES


@dataclass(frozen=True)
class Skipped:
    """An input that was not used, and why. ``error``: it should have been readable and was not."""

    path: Path
    reason: str
    error: bool = False


@dataclass
class PhotoWalk:
    """The photos found under some inputs, in order, and everything left out."""

    photos: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def errors(self) -> list[Skipped]:
        """Skips a person must hear about (unreadable folders, broken links, missing inputs)."""
        return [s for s in self.skipped if s.error]

    @property
    def not_photos(self) -> int:
        """Files left out because they are not photos (by suffix)."""
        return sum(1 for s in self.skipped if not s.error)


def walk_photos(inputs: Iterable[Path], *, skip_dirs: Collection[str] = ()) -> PhotoWalk:
    """Files as given (whatever their suffix: the decoder says what they are); folders walked
    recursively, sorted, for photo suffixes. Folder links are not followed (no loops); file
    links are. Folders named in ``skip_dirs`` are left out silently (a tool's own state)."""
    walk = PhotoWalk()
    for item in inputs:
        item = Path(item)
        if item.is_dir():
            _walk_folder(item, walk, frozenset(skip_dirs))
        elif not item.exists():
            walk.skipped.append(Skipped(item, "no such file or folder", error=True))
        elif not item.is_file():
            walk.skipped.append(Skipped(item, "not a regular file (a pipe, socket or device)", error=True))
        else:
            walk.photos.append(item)
    return walk


def _walk_folder(root: Path, walk: PhotoWalk, skip_dirs: frozenset[str]) -> None:
    found: list[Path] = []

    def unreadable(exc: OSError) -> None:
        walk.skipped.append(Skipped(Path(exc.filename or root), f"cannot read folder: {exc.strerror or exc}", error=True))

    for folder, dirs, files in os.walk(root, onerror=unreadable):
        dirs[:] = [d for d in dirs if d not in skip_dirs]
        for name in files:
            path = Path(folder) / name
            if not is_image_path(path):
                walk.skipped.append(Skipped(path, "not a photo (by its suffix)"))
            elif path.is_file():
                found.append(path)
            elif path.is_symlink() and not path.exists():
                walk.skipped.append(Skipped(path, "broken link", error=True))
            else:
                walk.skipped.append(Skipped(path, "not a regular file (a pipe, socket or device)", error=True))
        for name in dirs:  # links to folders are listed as folders but not walked
            if (Path(folder) / name).is_symlink():
                walk.skipped.append(Skipped(Path(folder) / name, "link to a folder (not followed)"))
    walk.photos.extend(sorted(found))


# A member's name is a folder name too (one folder per member, to train and to sort into), on
# the user's disk and on any other they copy it to: ext4 and APFS (255 bytes), NTFS (no
# device names, none of <>:"/\\|?*, no trailing dot or space). The sort's own files and
# folders in its destination are names no member can take.
MAX_NAME_CHARS = 64
MAX_NAME_BYTES = 200  # UTF-8: leaves room for " (2)" and the like under ext4's 255 bytes
_FORBIDDEN = set('<>:"/\\|?*') | {chr(c) for c in range(32)} | {"\x7f"}
_DEVICE_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
SORT_OWN_NAMES = frozenset({"manifest.csv", "manifest.jsonl", "index.html", "_strangers_only", "_no_faces", ".familyphoto"})
NAME_RULE = (
    f"a member's name is 1-{MAX_NAME_CHARS} characters (at most {MAX_NAME_BYTES} bytes), usable as a folder name "
    "on any disk: none of < > : \" / \\ | ? *, not starting with '.' or '_', not ending with '.' or a space, "
    "not a device name (CON, NUL, COM1...) and not manifest.csv, manifest.jsonl or index.html"
)


def member_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a member's name (and so a folder name), or None if it can."""
    if not name or len(name) > MAX_NAME_CHARS:
        return f"{name!r} is {len(name)} characters: {NAME_RULE}"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"{name!r} is {len(name.encode('utf-8'))} bytes: {NAME_RULE}"
    bad = sorted(set(name) & _FORBIDDEN)
    if bad:
        return f"{name!r} contains {', '.join(repr(c) for c in bad)}: {NAME_RULE}"
    if name.startswith((".", "_")) or name.endswith((".", " ")) or name.strip() != name:
        return f"{name!r} starts or ends with a character a folder name cannot: {NAME_RULE}"
    if name.split(".")[0].lower() in _DEVICE_NAMES or name.lower() in SORT_OWN_NAMES:
        return f"{name!r} is a reserved name: {NAME_RULE}"
    return None


def member_folder_name(member: str) -> str:
    """The folder a member's photos go in: the name itself when it can be one (every name the
    service and ``train`` accept); for a name from an older family that cannot, a safe stand-in
    that keeps its readable part and is distinct for each name."""
    if member_name_problem(member) is None:
        return member
    readable = "".join("_" if c in _FORBIDDEN else c for c in member).strip(" ._")
    while len(readable.encode("utf-8")) > MAX_NAME_BYTES - 12:
        readable = readable[:-1]
    return f"{readable or 'member'} ~{hashlib.sha256(member.encode('utf-8')).hexdigest()[:8]}"


class FamilyDirError(ValueError):
    """The family folder cannot be used."""


@dataclass
class MemberFolders:
    """A family folder read by the member-folder rule (:func:`read_member_folders`)."""

    root: Path
    members: dict[str, list[Path]]  # member -> photos, only members with at least one photo
    strangers: list[Path]  # photos under _strangers/: nobody of the family
    skipped: list[Skipped]

    def require_members(self) -> "MemberFolders":
        if not self.members:
            why = "".join(f"; {s.path.name}: {s.reason}" for s in self.skipped if s.error)
            raise FamilyDirError(
                f"{self.root} has no member folders with photos (expected {self.root}/<member>/*.jpg){why}"
            )
        return self


def read_member_folders(root: Path) -> MemberFolders:
    """``ROOT/<member>/**`` photos per member, ``ROOT/_strangers/**`` as nobody of the family.

    Other folders starting with ``_`` or ``.`` are not members and are skipped; so are files
    lying in ROOT itself. Every skip is reported.
    """
    root = Path(root)
    if not root.is_dir():
        raise FamilyDirError(f"{root} is not a folder")
    members: dict[str, list[Path]] = {}
    strangers: list[Path] = []
    skipped: list[Skipped] = []
    for entry in sorted(root.iterdir()):
        if not entry.is_dir():
            if is_image_path(entry):
                skipped.append(Skipped(entry, "not in a member folder (put it in ROOT/<member>/)"))
            continue
        if entry.name.startswith("."):
            continue  # hidden: a tool's own folder, never a member
        walk = walk_photos([entry])
        skipped += walk.skipped
        if entry.name == STRANGERS_DIR:
            strangers = walk.photos
        elif entry.name.startswith("_"):
            skipped.append(Skipped(entry, f"not a member: folders starting with _ are not members ({STRANGERS_DIR}/ holds strangers)"))
        elif (problem := member_name_problem(entry.name)) is not None:
            skipped.append(Skipped(entry, f"not a member: {problem}", error=True))
        elif walk.photos:
            members[entry.name] = walk.photos
        else:
            skipped.append(Skipped(entry, "member folder without photos"))
    return MemberFolders(root, members, strangers, skipped)


def photo_error(exc: BaseException, path: Path | str | None = None) -> PhotoError:
    """Why a photo gave no result, in one line: the decoder's reason, a read error, or our own bug."""
    if isinstance(exc, ImageDecodeError):
        return PhotoError(str(exc), exc.kind)
    if isinstance(exc, OSError):  # permissions, vanished, a folder, a pipe...
        return PhotoError(f"cannot read file: {exc.strerror or exc}", "unreadable")
    log.error("unexpected failure on %s", path, exc_info=exc)
    return PhotoError(f"internal error: {type(exc).__name__}: {exc}", "internal")


def choose_enrolment_face(
    detections: list[Detection], to_photo: Callable[[Box], Box], *, min_face_size: int
) -> Detection | PhotoError:
    """The face that stands for the member in a solo photo: the largest one, if big enough.

    ``detections`` come largest first (the detectors' contract); ``to_photo`` maps a box to
    the full photo's pixels, where ``min_face_size`` is measured.
    """
    if not detections:
        return PhotoError(f"no face found (or the largest is under {min_face_size} px)", "no_face")
    largest = detections[0]
    box = to_photo(largest.box)
    if min(box.width, box.height) < min_face_size:
        return PhotoError(f"no face found (or the largest is under {min_face_size} px)", "no_face")
    return largest
