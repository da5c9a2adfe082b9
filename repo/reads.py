"""File bytes read once per `verify` run.

``verify`` loads the query files, ``.sqlx/`` and migrations, then the drift check hashes the
same files again to compare them with the generator's stamp. Inside `shared_reads` every
reader gets the bytes of the first read of a path, so each file is read once and every check
of the run judges the very same bytes; `shared_load` likewise parses a folder once (``.sqlx/``
for verify's own check and for the codegen its drift check runs). Outside it (the default)
reads go to the disk: a long-lived process never sees a stale file.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_shared: dict[Path, bytes] | None = None
_loaded: dict[Hashable, object] | None = None  # whole loads built from those bytes


@contextmanager
def shared_reads() -> Iterator[None]:
    """Within the block, `read_bytes` reads each path once."""
    global _shared, _loaded
    outer, outer_loaded = _shared, _loaded
    _shared = {} if outer is None else outer
    _loaded = {} if outer_loaded is None else outer_loaded
    try:
        yield
    finally:
        _shared, _loaded = outer, outer_loaded


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


def shared_load(key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, run once per ``key`` within `shared_reads` (a folder parsed by ``verify``
    and again by the codegen it runs gives one result); every call outside it.

    The result is shared: callers treat it as read-only. A load that raises is not kept.
    """
    if _loaded is None:
        return load()
    if key not in _loaded:
        _loaded[key] = load()
    return _loaded[key]  # type: ignore[return-value]  # stored by this key's load
