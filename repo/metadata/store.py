"""Reading and writing ``.sqlx/``: SQLx's ``query-<sha256>.json`` files plus our extras file.

Bytes: ``json.dumps(obj, indent=2, ensure_ascii=False) + "\\n"`` is byte-identical to SQLx's
serde_json pretty printer (sqlx-compat.md §1.3). Key order is the insertion order of the
dicts built by the describer, which is SQLx's field order; never sort these keys.

``repo-meta.json`` holds what SQLx does not record (migration fingerprint, table shapes,
column origins, cardinalities). SQLx ignores it; it is written with sorted keys.

Atomic replacement (`write_atomic`): the complete new directory is built next to the old one
(``.<name>.new-<token>``), then the two are swapped in one ``renameat2(RENAME_EXCHANGE)`` system
call where the kernel has it (Linux). Elsewhere the old directory is first renamed to
``.<name>.old-<token>`` and the new one renamed into place; if the process dies between the two
renames, readers read the old set from the backup, and the next `write_atomic` (`recover`) puts
it back. Either way a crash leaves the old set or the new set, never a mix. Readers never
modify anything, and leftovers are only removed when the process that made them is gone
(the writer's pid is part of the temporary names), so concurrent readers and writers are safe.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from .._proc import pid_alive
from ..errors import MetadataError

# The SQLx .sqlx formats `prepare` can write (0.9 adds `origin` and explains generic plans).
SQLX_VERSIONS = ("0.8", "0.9")

META_FILE = "repo-meta.json"
META_FORMAT = 1
_QUERY_FILE = re.compile(r"^query-[0-9a-f]{64}\.json$")
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def render(obj: Any) -> str:
    """SQLx's exact bytes for a query file (as text).

    >>> render({"a": [], "b": {"Left": ["Int4"]}, "c": "é"})
    '{\\n  "a": [],\\n  "b": {\\n    "Left": [\\n      "Int4"\\n    ]\\n  },\\n  "c": "é"\\n}\\n'
    """
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def render_meta(obj: Any) -> str:
    """The extras file: like `render`, with sorted keys so it never churns."""
    return json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def query_file_name(query_hash: str) -> str:
    """``query-<hash>.json``."""
    return f"query-{query_hash}.json"


def is_query_file(name: str) -> bool:
    return bool(_QUERY_FILE.match(name))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise MetadataError(f"cannot read metadata: {exc}", path=path, line=line,
                            hint="run `python -m repo prepare` to regenerate .sqlx/") from None


def load_all(sqlx_dir: Path) -> dict[str, dict[str, Any]]:
    """Every ``query-*.json`` in ``sqlx_dir``, keyed by hash (empty when the dir is missing)."""
    sqlx_dir = _readable(sqlx_dir)
    out: dict[str, dict[str, Any]] = {}
    if not sqlx_dir.is_dir():
        return out
    for path in sorted(sqlx_dir.glob("query-*.json")):
        data = _read_json(path)
        if not isinstance(data, dict) or not {"db_name", "query", "describe", "hash"} <= set(data):
            raise MetadataError("not a SQLx query file (needs db_name, query, describe, hash)",
                                path=path, hint="delete it and run `python -m repo prepare`")
        out[path.name[len("query-"):-len(".json")]] = data
    return out


def load_raw(sqlx_dir: Path) -> dict[str, str]:
    """Every query file and the extras file as text, keyed by file name (for byte checks)."""
    sqlx_dir = _readable(sqlx_dir)
    if not sqlx_dir.is_dir():
        return {}
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(sqlx_dir.iterdir())
            if p.is_file() and (is_query_file(p.name) or p.name == META_FILE)}


def load_meta(sqlx_dir: Path) -> dict[str, Any] | None:
    """The parsed ``repo-meta.json``, or None when there is none."""
    sqlx_dir = _readable(sqlx_dir)
    path = sqlx_dir / META_FILE
    if not path.is_file():
        return None
    data = _read_json(path)
    if not isinstance(data, dict):
        raise MetadataError("repo-meta.json must hold an object", path=path,
                            hint="run `python -m repo prepare` to regenerate it")
    return data


def _siblings(sqlx_dir: Path, kind: str) -> list[Path]:
    parent = sqlx_dir.parent if str(sqlx_dir.parent) else Path(".")
    prefix = f".{sqlx_dir.name}.{kind}-"
    if not parent.is_dir():
        return []
    return sorted(p for p in parent.iterdir() if p.name.startswith(prefix))


def _owner_alive(path: Path) -> bool:
    """Whether the process that named ``path`` (``...-<pid>-<hex>``) is still running."""
    try:
        pid = int(path.name.rsplit("-", 2)[-2])
    except (ValueError, IndexError):
        return False
    return pid_alive(pid)


def _readable(sqlx_dir: Path) -> Path:
    """The directory holding the current set: the backup if a writer died mid-swap."""
    if not sqlx_dir.exists():
        olds = _siblings(sqlx_dir, "old")
        if olds:
            return olds[-1]
    return sqlx_dir


def recover(sqlx_dir: Path) -> None:
    """Undo the traces of an interrupted `write_atomic` whose process is gone."""
    olds = [p for p in _siblings(sqlx_dir, "old") if not _owner_alive(p)]
    if olds and not sqlx_dir.exists():
        os.rename(olds[-1], sqlx_dir)  # died between the two renames: keep the old set
        olds = olds[:-1]
    for leftover in olds + [p for p in _siblings(sqlx_dir, "new") if not _owner_alive(p)]:
        shutil.rmtree(leftover, ignore_errors=True)


def write_atomic(sqlx_dir: Path, files: dict[str, str]) -> None:
    """Replace every ``query-*.json`` and the extras file with ``files`` (name -> text).

    Query files not in ``files`` are removed (stale); other files in the directory are kept.
    """
    recover(sqlx_dir)
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    new = sqlx_dir.with_name(f".{sqlx_dir.name}.new-{token}")
    try:
        _build(new, sqlx_dir, files)
        _swap(new, sqlx_dir, sqlx_dir.with_name(f".{sqlx_dir.name}.old-{token}"))
    finally:
        shutil.rmtree(new, ignore_errors=True)


def _build(new: Path, old: Path, files: dict[str, str]) -> None:
    new.mkdir(parents=True)
    if old.is_dir():
        for entry in old.iterdir():
            if is_query_file(entry.name) or entry.name == META_FILE:
                continue
            if entry.is_dir():
                shutil.copytree(entry, new / entry.name, symlinks=True)
            else:
                shutil.copy2(entry, new / entry.name, follow_symlinks=False)
    for name, text in files.items():
        with open(new / name, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    _fsync_dir(new)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap(new: Path, target: Path, backup: Path) -> None:
    if not target.exists():
        os.rename(new, target)
    elif _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # `new` now holds the old set
    else:
        os.rename(target, backup)
        os.rename(new, target)
        shutil.rmtree(backup, ignore_errors=True)
    _fsync_dir(target.parent if str(target.parent) else Path("."))


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))
