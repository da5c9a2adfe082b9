"""The files below a folder, listed with one ``os.scandir`` per directory.

``verify`` lists the same thousand query and ``.sqlx`` files for the loaders and again for
the drift stamp. ``Path.rglob`` then ``is_file()`` on each result costs a ``stat`` per file,
scans every directory twice, and spends microseconds of pathlib on every path; a directory
entry already says whether it is a file (only a symbolic link needs a ``stat``).

The answer is that of ``sorted((p for p in folder.rglob("*") if p.is_file()), key=parts)``
filtered by name: symbolic links to directories are not entered, a link to a file is listed
(and marked, for `repo.links`), a directory that cannot be read is skipped.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple


class Found(NamedTuple):
    """A file below the folder: its path, its parts relative to the folder, and whether its
    own entry is a symbolic link (the directories above it never are)."""

    path: Path
    rel: tuple[str, ...]
    link: bool


def files(folder: Path, wanted: Callable[[str], bool]) -> list[Found]:
    """Every file below ``folder`` whose name is ``wanted``, sorted by relative parts."""
    out: list[Found] = []
    _walk(os.fspath(folder), (), wanted, out)
    out.sort(key=_rel)
    return out


def suffix(ending: str) -> Callable[[str], bool]:
    """Names ending in ``ending``, compared as the platform compares names (a glob's
    ``*<ending>``: case-sensitive on POSIX, not on Windows)."""
    ending = os.path.normcase(ending)
    return lambda name: os.path.normcase(name).endswith(ending)


def _rel(found: Found) -> tuple[str, ...]:
    return found.rel


def _walk(folder: str, rel: tuple[str, ...], wanted: Callable[[str], bool],
          out: list[Found]) -> None:
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except PermissionError:
        return  # as Path.rglob: an unreadable directory holds nothing
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            _walk(entry.path, (*rel, entry.name), wanted, out)
        elif wanted(entry.name) and entry.is_file():  # follows a link: a stat for links only
            out.append(Found(Path(entry.path), (*rel, entry.name), entry.is_symlink()))
