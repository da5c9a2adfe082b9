"""Read a sqlc project's ``sqlc.yaml`` / ``sqlc.yml`` / ``sqlc.json`` for its paths.

So that ``python -m repo prepare`` works in a sqlc project with no configuration of ours:
when ``config.toml`` sets no ``[paths] migrations`` / ``queries``, the first PostgreSQL entry
of the sqlc file gives them (version 2: ``sql: [{schema, queries, engine}]``; version 1:
``packages: [{schema, queries, engine}]``). Its ``schema`` becomes the migrations (read by
sqlc's rules: `repo.migrate.sqlc_schema`) and its ``queries`` the query files
(`repo.queries.sqlc`). Paths are relative to the sqlc file, as sqlc reads them; the file is
looked for in the project root only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

NAMES = ("sqlc.yaml", "sqlc.yml", "sqlc.json")


@dataclass(frozen=True)
class SqlcPaths:
    """The schema and queries of one sqlc ``sql``/``packages`` entry, and its file."""

    file: Path
    schema: Path
    queries: Path


def find(root: Path) -> Path | None:
    """The sqlc configuration file in ``root``, if any (sqlc's own lookup order)."""
    return next((root / n for n in NAMES if (root / n).is_file()), None)


def read(path: Path) -> SqlcPaths:
    """The paths of the first ``engine: postgresql`` entry of a sqlc configuration file.

    Raises:
        ConfigError: unreadable file, no PostgreSQL entry, or a list of several paths.
    """
    doc = _parse(path)
    version = str(doc.get("version", ""))
    entries = doc.get("sql") if version == "2" else doc.get("packages")
    if version not in ("1", "2") or not isinstance(entries, list):
        raise ConfigError(f"sqlc configuration version {version or '(none)'!r} is not read",
                          path=path, hint="use version '1' (packages:) or '2' (sql:), or set "
                          "[paths] migrations and queries in config.toml")
    for entry in entries:
        if isinstance(entry, dict) and str(entry.get("engine", "")).lower() == "postgresql":
            return SqlcPaths(path, _one(entry, "schema", path), _one(entry, "queries", path))
    raise ConfigError("no `engine: postgresql` entry in the sqlc configuration", path=path,
                      hint="this tool targets PostgreSQL; set [paths] in config.toml instead")


def _parse(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno,
                              col=exc.colno, hint="fix the syntax") from None
    else:
        doc = _yaml(text, path)
    if not isinstance(doc, dict):
        raise ConfigError("a sqlc configuration is a mapping", path=path,
                          hint="see sqlc's configuration reference")
    return doc


def _yaml(text: str, path: Path) -> object:
    try:
        import yaml
    except ImportError:
        raise ConfigError("reading sqlc.yaml needs PyYAML", path=path,
                          hint="pip install 'sqlfile-repo[sqlc]' (or convert it to sqlc.json, "
                          "or set [paths] in config.toml)") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}", path=path,
                          line=mark.line + 1 if mark else None, hint="fix the syntax") from None


def _one(entry: dict[str, Any], key: str, path: Path) -> Path:
    value = entry.get(key)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str) or not value:
        raise ConfigError(f"sqlc `{key}` must be one path here (found {value!r})", path=path,
                          hint=f"list one file or folder under `{key}:`, or set [paths] in "
                          "config.toml")
    return Path(value)  # relative to the sqlc file's folder, the project root
