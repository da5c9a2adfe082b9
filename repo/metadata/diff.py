"""Readable differences between freshly described metadata and the committed ``.sqlx/``.

SQLx's ``prepare --check`` only says "one or more query files differ" (issue #1192); this
names the query file and the field: column i's name, type or nullability, parameter i's
type, the query text, or the migrations the metadata was made from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .model import Column, QueryData
from .store import META_FILE, query_file_name


def describe_diff(label: str, old: QueryData | None, new: QueryData) -> list[str]:
    """Field-level differences between two SQLx query files (``old`` None: unreadable).

    >>> from .model import Column, Describe
    >>> old = QueryData("q", Describe((Column(0, "a", "Int4"),), (), (False,)), "h")
    >>> new = QueryData("q", Describe((Column(0, "a", "Int8"),), ("Text",), (True,)), "h")
    >>> for line in describe_diff("q.sql", old, new): print(line)
    q.sql: column 0 (a): type Int4 -> Int8
    q.sql: column 0 (a): nullable false -> true
    q.sql: parameter count 0 -> 1
    """
    if old is None:
        return [f"{label}: the committed metadata is not a readable SQLx query file"]
    out: list[str] = []
    od, nd = old.describe, new.describe
    ocols, ncols = od.columns, nd.columns
    if len(ocols) != len(ncols):
        out.append(f"{label}: column count {len(ocols)} -> {len(ncols)}")
    onull, nnull = od.nullable, nd.nullable
    for i, (oc, nc) in enumerate(zip(ocols, ncols, strict=False)):
        out += _column_diff(f"{label}: column {i} ({nc.name})", oc, nc)
        if i < len(onull) and i < len(nnull) and onull[i] != nnull[i]:
            out.append(f"{label}: column {i} ({nc.name}): nullable "
                       f"{_js(onull[i])} -> {_js(nnull[i])}")
    oparams, nparams = od.parameters, nd.parameters
    if len(oparams) != len(nparams):
        out.append(f"{label}: parameter count {len(oparams)} -> {len(nparams)}")
    for i, (op, np_) in enumerate(zip(oparams, nparams, strict=False)):
        if op != np_:
            out.append(f"{label}: parameter {i + 1} type {_type(op)} -> {_type(np_)}")
    if not out and old != new:
        out.append(f"{label}: metadata differs (other fields)")
    return out


def _column_diff(label: str, old: Column, new: Column) -> list[str]:
    out = []
    if old.name != new.name:
        out.append(f"{label}: name {old.name!r} -> {new.name!r}")
    if old.type_info != new.type_info:
        out.append(f"{label}: type {_type(old.type_info)} -> {_type(new.type_info)}")
    if old.origin != new.origin:
        out.append(f"{label}: origin {_js(old.origin)} -> {_js(new.origin)}")
    return out


def _type(t: Any) -> str:
    if isinstance(t, dict) and "Custom" in t:
        return f"Custom({t['Custom'].get('name')})"
    return str(t)


def _js(v: Any) -> str:
    return {True: "true", False: "false", None: "null"}.get(v, str(v)) if not isinstance(
        v, dict) else str(v)


def compare(
    queries: Sequence[tuple[str, str, str | None]],
    new_files: Mapping[str, str],
    new_parsed: Mapping[str, QueryData],
    old_files: Mapping[str, str],
    old_parsed: Mapping[str, QueryData | None],
    sqlx_dir: str,
    metas: tuple[Any, Mapping[str, Any]] = (None, {}),
) -> list[str]:
    """Every difference, one line each, grouped per query file.

    Args:
        queries: ``(file label, new hash, previously recorded hash or None)`` per query file.
        new_files / old_files: file name -> text (query files and the extras file).
        new_parsed / old_parsed: query file name -> parsed file (old: None if unreadable).
        sqlx_dir: the directory as shown to the user.
        metas: the old (None if missing or unreadable) and new parsed extras file.
    """
    out: list[str] = []
    for label, new_hash, old_hash in queries:
        name = query_file_name(new_hash)
        if name in old_files:
            if old_files[name] != new_files[name]:
                out += describe_diff(label, old_parsed[name], new_parsed[name]) or [
                    f"{label}: {sqlx_dir}/{name} is formatted differently"]
        elif old_hash and query_file_name(old_hash) in old_files:
            out.append(f"{label}: query text changed; metadata is for the old text "
                       f"({sqlx_dir}/{query_file_name(old_hash)})")
            out += describe_diff(label, old_parsed[query_file_name(old_hash)], new_parsed[name])
        else:
            out.append(f"{label}: no metadata in {sqlx_dir}/ ({name} is missing)")
    expected = set(new_files)
    for name in sorted(set(old_files) - expected):
        out.append(f"{sqlx_dir}/{name}: metadata without a query file (stale)")
    if META_FILE in new_files and old_files.get(META_FILE) != new_files[META_FILE]:
        out += _meta_diff(sqlx_dir, metas[0], metas[1])
    return out


def _meta_diff(sqlx_dir: str, old: Any, new: Mapping[str, Any]) -> list[str]:
    label = f"{sqlx_dir}/{META_FILE}"
    if not isinstance(old, dict):
        return [f"{label}: missing"]
    out = []
    if old.get("migrations_fingerprint") != new.get("migrations_fingerprint"):
        out.append(f"{label}: made from other migrations (fingerprint changed)")
    if old.get("tables") != new.get("tables"):
        changed = sorted(t for t in set(old.get("tables", {})) | set(new.get("tables", {}))
                         if old.get("tables", {}).get(t) != new.get("tables", {}).get(t))
        out.append(f"{label}: table shapes changed: {', '.join(changed)}")
    if old.get("queries") != new.get("queries"):
        out.append(f"{label}: query facts changed (origins, cardinality or file names)")
    return out or [f"{label}: differs"]
