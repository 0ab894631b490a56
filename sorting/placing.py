"""Putting a photo in a folder without touching the original or anything already there: a hard link
(a copy on another disk), a copy or a symbolic link, made whole under a free name, on disks with or
without hard links. ``familyphoto sort``
and ``familyphoto discover`` place their photos through it."""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Literal

Mode = Literal["link", "copy", "symlink"]


def place(source: Path, target: Path, mode: Mode, *, replace: bool) -> None:
    """Link or copy ``source`` to ``target`` through a temporary file and one atomic step.

    ``replace``: ``target`` is the caller's own earlier placement and may be replaced; otherwise a
    file already there is never touched (``FileExistsError``): the new name is made by a hard
    link of the finished temporary file, which fails rather than overwrite.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    # A short name of its own: ".<name>.partial" would pass 255 bytes for a long photo name.
    tmp = target.with_name(f".fp-{secrets.token_hex(6)}.partial")
    try:
        if mode == "symlink":
            os.symlink(source.resolve(), tmp)
        elif mode == "link":
            try:
                os.link(source, tmp)
            except OSError as exc:
                if exc.errno not in _NO_HARD_LINK:
                    raise
                shutil.copy2(source, tmp)  # another filesystem: a copy
        else:
            shutil.copy2(source, tmp)
        if replace:
            os.replace(tmp, target)
        else:
            _claim(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


# A hard link cannot be made here: another filesystem, or one without hard links (FAT, some network disks).
_NO_HARD_LINK = (errno.EXDEV, errno.EPERM, errno.EMLINK)


def _claim(tmp: Path, target: Path) -> None:
    """``tmp`` becomes ``target`` unless ``target`` exists (``FileExistsError``), in one step."""
    try:
        os.link(tmp, target, follow_symlinks=False)  # exclusive: EEXIST if the name is taken
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINK:
            raise
        # Without hard links: the name is claimed by creating it exclusively, then the finished file
        # replaces the (empty) claim; nobody else's file is ever replaced.
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        os.replace(tmp, target)


_MAX_NAME_BYTES = 255  # ext4, APFS


def fit_name(stem: str, suffix: str) -> str:
    """``stem + suffix``, the stem shortened (never the suffix) to fit a file name's 255 bytes."""
    while len((stem + suffix).encode("utf-8")) > _MAX_NAME_BYTES and stem:
        stem = stem[:-1]
    return stem + suffix


def free_names(name: str) -> Iterator[str]:
    """``name``, then ``stem (2).ext``, ``stem (3).ext``...: the names a photo may take in a folder."""
    yield name
    stem, dot, suffix = name.rpartition(".")
    stem, suffix = (stem, dot + suffix) if stem else (name, "")
    for n in count(2):
        yield fit_name(stem, f" ({n}){suffix}")
