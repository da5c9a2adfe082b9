"""File bytes read once per `verify` run.

``verify`` loads the query files, ``.sqlx/`` and migrations, then the drift check hashes the
same files again to compare them with the generator's stamp. Inside `shared_reads` every
reader gets the bytes of the first read of a path, so each file is read once and every check
of the run judges the very same bytes. Outside it (the default) reads go to the disk: a
long-lived process never sees a stale file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_shared: dict[Path, bytes] | None = None


@contextmanager
def shared_reads() -> Iterator[None]:
    """Within the block, `read_bytes` reads each path once."""
    global _shared
    outer = _shared
    _shared = {} if outer is None else outer
    try:
        yield
    finally:
        _shared = outer


def read_bytes(path: Path) -> bytes:
    """``path.read_bytes()``, shared within `shared_reads`."""
    if _shared is None:
        return path.read_bytes()
    data = _shared.get(path)
    if data is None:
        data = _shared[path] = path.read_bytes()
    return data


def read_text(path: Path) -> str:
    """``path.read_text(encoding="utf-8")`` (universal newlines too), shared likewise."""
    text = read_bytes(path).decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
