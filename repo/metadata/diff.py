"""Readable differences between freshly described metadata and the committed ``.sqlx/``.

SQLx's ``prepare --check`` only says "one or more query files differ" (issue #1192); this
names the query file and the field: column i's name, type or nullability, parameter i's
type, the query text, or the migrations the metadata was made from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .store import META_FILE, query_file_name


def describe_diff(label: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Field-level differences between two SQLx query objects.

    >>> old = {"describe": {"columns": [{"name": "a", "type_info": "Int4"}],
    ...        "parameters": {"Left": []}, "nullable": [False]}}
    >>> new = {"describe": {"columns": [{"name": "a", "type_info": "Int8"}],
    ...        "parameters": {"Left": ["Text"]}, "nullable": [True]}}
    >>> for line in describe_diff("q.sql", old, new): print(line)
    q.sql: column 0 (a): type Int4 -> Int8
    q.sql: column 0 (a): nullable false -> true
    q.sql: parameter count 0 -> 1
    """
    out: list[str] = []
    od, nd = old.get("describe", {}), new.get("describe", {})
    ocols, ncols = od.get("columns", []), nd.get("columns", [])
    if len(ocols) != len(ncols):
        out.append(f"{label}: column count {len(ocols)} -> {len(ncols)}")
    onull, nnull = od.get("nullable", []), nd.get("nullable", [])
    for i, (oc, nc) in enumerate(zip(ocols, ncols, strict=False)):
        out += _column_diff(f"{label}: column {i} ({nc.get('name')})", oc, nc)
        if i < len(onull) and i < len(nnull) and onull[i] != nnull[i]:
            out.append(f"{label}: column {i} ({nc.get('name')}): nullable "
                       f"{_js(onull[i])} -> {_js(nnull[i])}")
    oparams = (od.get("parameters") or {}).get("Left", [])
    nparams = (nd.get("parameters") or {}).get("Left", [])
    if len(oparams) != len(nparams):
        out.append(f"{label}: parameter count {len(oparams)} -> {len(nparams)}")
    for i, (op, np_) in enumerate(zip(oparams, nparams, strict=False)):
        if op != np_:
            out.append(f"{label}: parameter {i + 1} type {_type(op)} -> {_type(np_)}")
    if not out and dict(old) != dict(new):
        out.append(f"{label}: metadata differs (other fields)")
    return out


def _column_diff(label: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    out = []
    if old.get("name") != new.get("name"):
        out.append(f"{label}: name {old.get('name')!r} -> {new.get('name')!r}")
    if old.get("type_info") != new.get("type_info"):
        out.append(f"{label}: type {_type(old.get('type_info'))} -> "
                   f"{_type(new.get('type_info'))}")
    if old.get("origin") != new.get("origin"):
        out.append(f"{label}: origin {_js(old.get('origin'))} -> {_js(new.get('origin'))}")
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
    new_parsed: Mapping[str, Any],
    old_files: Mapping[str, str],
    old_parsed: Mapping[str, Any],
    sqlx_dir: str,
) -> list[str]:
    """Every difference, one line each, grouped per query file.

    Args:
        queries: ``(file label, new hash, previously recorded hash or None)`` per query file.
        new_files / old_files: file name -> text (query files and the extras file).
        new_parsed / old_parsed: file name -> parsed JSON.
        sqlx_dir: the directory as shown to the user.
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
        out += _meta_diff(sqlx_dir, old_parsed.get(META_FILE), new_parsed[META_FILE])
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
