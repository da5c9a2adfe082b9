"""Reading and writing ``.sqlx/``: SQLx's ``query-<sha256>.json`` files plus our extras file.

Bytes: ``json.dumps(obj, indent=2, ensure_ascii=False) + "\\n"`` is byte-identical to SQLx's
serde_json pretty printer (sqlx-compat.md §1.3). Key order is the insertion order of the
dicts built by the describer, which is SQLx's field order; never sort these keys.

``repo-meta.json`` holds what SQLx does not record (migration fingerprint, table shapes,
column origins, cardinalities). SQLx ignores it; it is written with sorted keys.

Atomic replacement (`write_atomic`, or `stage` + `repo.dirswap.commit` to change ``.sqlx/``
together with the generated package): the complete new directory is built next to the old
one, then swapped in; a crash leaves the old set or the new set, never a mix, a write error
(disk full) changes nothing, and a symlinked ``.sqlx`` stays a symlink. See `repo.dirswap`.
Readers never modify anything; they read the backup of a writer that died mid-swap.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .. import dirswap
from ..errors import MetadataError
from ..reads import read_text, shared_load
from .model import QueryData

# The SQLx .sqlx formats `prepare` can write (0.9 adds `origin` and explains generic plans).
SQLX_VERSIONS = ("0.8", "0.9")

META_FILE = "repo-meta.json"
META_FORMAT = 1
_QUERY_FILE = re.compile(r"^query-[0-9a-f]{64}\.json$")


def render(obj: QueryData | Any) -> str:
    """SQLx's exact bytes for a query file (as text).

    >>> render({"a": [], "b": {"Left": ["Int4"]}, "c": "é"})
    '{\\n  "a": [],\\n  "b": {\\n    "Left": [\\n      "Int4"\\n    ]\\n  },\\n  "c": "é"\\n}\\n'
    """
    if isinstance(obj, QueryData):
        return obj.render()
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
        return json.loads(read_text(path))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise MetadataError(f"cannot read metadata: {exc}", path=path, line=line,
                            hint="run `python -m repo prepare` to regenerate .sqlx/") from None


def load_all(sqlx_dir: Path) -> dict[str, QueryData]:
    """Every ``query-*.json`` in ``sqlx_dir``, parsed, keyed by the hash in its file name
    (empty when the dir is missing). A file of the wrong shape is a `MetadataError`."""
    # Within one `verify` run its own check and codegen's drift check share one parse.
    return dict(shared_load(("sqlx", sqlx_dir), lambda: _load_all(sqlx_dir)))


def _load_all(sqlx_dir: Path) -> dict[str, QueryData]:
    sqlx_dir = dirswap.readable(sqlx_dir)
    out: dict[str, QueryData] = {}
    if not sqlx_dir.is_dir():
        return out
    # Sorted by name (one folder): Path's own comparisons are several times slower.
    for path in sorted(sqlx_dir.glob("query-*.json"), key=_name):
        out[path.name[len("query-"):-len(".json")]] = QueryData.from_json(_read_json(path),
                                                                          path)
    return out


def _name(path: Path) -> str:
    return path.name


def load_raw(sqlx_dir: Path) -> dict[str, str]:
    """Every query file and the extras file as text, keyed by file name (for byte checks)."""
    sqlx_dir = dirswap.readable(sqlx_dir)
    if not sqlx_dir.is_dir():
        return {}
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(sqlx_dir.iterdir())
            if p.is_file() and (is_query_file(p.name) or p.name == META_FILE)}


def load_meta(sqlx_dir: Path) -> dict[str, Any] | None:
    """The parsed ``repo-meta.json``, or None when there is none."""
    sqlx_dir = dirswap.readable(sqlx_dir)
    path = sqlx_dir / META_FILE
    if not path.is_file():
        return None
    data = _read_json(path)
    if not isinstance(data, dict):
        raise MetadataError("repo-meta.json must hold an object", path=path,
                            hint="run `python -m repo prepare` to regenerate it")
    return data


def _kept(name: str) -> bool:
    # Everything but the query files and the extras file survives a rewrite (a README, ...).
    return not (is_query_file(name) or name == META_FILE)


def recover(sqlx_dir: Path) -> None:
    """Undo the traces of an interrupted write whose process is gone."""
    dirswap.recover(sqlx_dir)


def stage(sqlx_dir: Path, files: dict[str, str]) -> dirswap.Staged:
    """Build the new ``.sqlx`` next to the old one (swap it in with `repo.dirswap.commit`)."""
    return dirswap.stage(sqlx_dir, files, _kept)


def write_atomic(sqlx_dir: Path, files: dict[str, str]) -> None:
    """Replace every ``query-*.json`` and the extras file with ``files`` (name -> text).

    Query files not in ``files`` are removed (stale); other files in the directory are kept.

    Raises:
        WriteError: the new set could not be written; the old one is intact.
    """
    dirswap.commit([stage(sqlx_dir, files)])
