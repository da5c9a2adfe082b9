"""A stamp of what the generated code was made from, so ``verify`` need not re-render it.

Rendering every generated file to compare it with the disk (the drift check) costs as much as
analysing every query. The writers (`write_generated`, ``generate``) leave ``inputs.sha256``
in the generated package: a digest of every input of the generator and the SHA-256 of each
file it wrote. ``verify`` recomputes the input digest and hashes the files on disk; when both
agree, the files are exactly what the generator made from these inputs (and compiled before
writing), so the drift check is proven without rendering. On any difference, or with no
stamp, ``verify`` renders and compares as before; the stamp itself is never a finding.

Inputs: query files, ``.sqlx/``, migrations (the nullability refinement replays them), the
extensions module, the settings codegen reads, the generator's own source files (a new version
of the tool re-renders), and the Python and sqlglot versions.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import walk
from .config import Settings
from .reads import read_bytes

STAMP_FILE = "inputs.sha256"
_TOOL = Path(__file__).resolve().parent  # the installed `repo` package


def _files(folder: Path, ending: str) -> list[tuple[Path, str]]:
    """(path, path relative to ``folder`` in POSIX form) of the files named ``*<ending>``."""
    if folder.is_file():
        return [(folder, folder.name)]  # sqlc's `schema: schema.sql` / `queries: query.sql`
    if not folder.is_dir() or "__pycache__" in folder.parts:
        return []
    return [(f.path, "/".join(f.rel)) for f in walk.files(folder, walk.suffix(ending))
            if "__pycache__" not in f.rel]


def _feed(h: Any, label: str, files: Iterable[tuple[Path, str]]) -> None:
    for path, rel in files:
        h.update(f"\0{label}\0{rel}\0".encode())
        h.update(read_bytes(path))


def inputs_digest(settings: Settings) -> str:
    """The digest of everything the generated code is rendered from."""
    import sqlglot

    h = hashlib.sha256()
    h.update(json.dumps({
        "python": list(sys.version_info[:2]), "sqlglot": getattr(sqlglot, "__version__", ""),
        "package": settings.generated_package, "extensions": settings.extensions_import,
        "types": sorted(settings.types.items()),
        # Only when set: an unchanged project keeps its stamp's digest.
        **({"json": sorted(settings.json.items())} if settings.json else {}),
        **({"rows": settings.rows} if settings.rows != "pydantic" else {}),
    }).encode())
    _feed(h, "queries", _files(settings.queries_dir, ".sql"))
    _feed(h, "sqlx", _files(settings.sqlx_dir, ".json"))
    _feed(h, "migrations", _files(settings.migrations_dir, ".sql"))
    ext = settings.extensions_file
    if ext.is_file():
        _feed(h, "extensions", [(ext, ext.name)])
    tool = [(p, rel) for p, rel in _files(_TOOL, ".py") if "generated" not in rel.split("/")]
    _feed(h, "tool", tool)
    return h.hexdigest()


def _sha(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()


def render_stamp(settings: Settings, files: dict[Path, str]) -> str:
    """The stamp text for ``files`` (path -> text) rendered from ``settings``' inputs."""
    out = settings.generated_dir
    lines = [f"{inputs_digest(settings)} inputs"]
    for path, text in sorted(files.items()):
        lines.append(f"{_sha(text.encode('utf-8'))} {path.relative_to(out).as_posix()}")
    return "\n".join(lines) + "\n"


def write_stamp(settings: Settings, files: dict[Path, str]) -> None:
    """Record the inputs of ``files`` just written (a failure only costs speed later)."""
    try:
        (settings.generated_dir / STAMP_FILE).write_text(render_stamp(settings, files),
                                                         encoding="utf-8")
    except OSError:
        pass


def stamp_holds(settings: Settings) -> bool:
    """True when the generated package on disk is provably what the generator makes from
    the current inputs: same input digest, same file hashes, no other ``*.py`` file."""
    out = settings.generated_dir
    try:
        lines = (out / STAMP_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    if not lines or lines[0] != f"{inputs_digest(settings)} inputs":
        return False
    listed: dict[str, str] = {}
    for line in lines[1:]:
        digest, _, name = line.partition(" ")
        listed[name] = digest
    on_disk = {rel for _, rel in _files(out, ".py")}
    if set(listed) != on_disk:
        return False
    try:
        return all(_sha((out / name).read_bytes()) == digest for name, digest in listed.items())
    except OSError:
        return False
