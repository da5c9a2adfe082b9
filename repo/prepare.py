"""``prepare``: migrations + query files -> PostgreSQL describe -> ``.sqlx/`` (library API).

The pipeline: load the query files (fail fast on malformed files), open a database with a
clean schema (a throwaway embedded server, or a temporary database on the configured server,
or the configured database as it is with ``no_scratch``), apply the migrations, describe every
query on one connection, then either compare with the committed ``.sqlx/`` (``check``) or
replace it atomically and regenerate the code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any

import psycopg

from . import dirswap
from .analysis.live import check_replay
from .codegen import generate, stage_files
from .config import Settings
from .describe.describe import Described, Describer
from .drift import write_stamp
from .errors import DescribeError, DescribeErrors, MetadataError, UsageError
from .metadata import store
from .metadata.diff import compare
from .metadata.model import QueryData
from .metadata.store import SQLX_VERSIONS
from .migrate import Kind, Migrator, connect, fingerprint, resolve
from .queries.loader import load_queries
from .queries.model import QueryDef
from .queries.variants import expand, given
from .server import scratch_server, temporary_database

_TABLES = """
SELECT c.oid::regclass::text, a.attname, a.atttypid, a.attnotnull, a.atthasdef
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> '_sqlx_migrations'
ORDER BY c.relname, a.attnum
"""

Progress = Callable[[str], None]


@dataclass
class PrepareResult:
    """What a `prepare` run did.

    Attributes:
        queries: the query files, sorted by (repo, method).
        files: the ``.sqlx`` contents produced (file name -> text).
        written: True when ``.sqlx/`` was replaced (False for ``check``).
        differences: ``check`` only: one readable line per difference (empty = up to date).
        warnings: findings that do not fail the run (e.g. offline replay differences).
        generated: files written by the code generator.
        elapsed: wall time in seconds.
    """

    queries: list[QueryDef]
    files: dict[str, str]
    written: bool = False
    differences: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    generated: list[Path] = field(default_factory=list)
    elapsed: float = 0.0


def prepare(settings: Settings, *, database_url: str | None, check: bool = False,
            no_scratch: bool = False, sqlx_version: str = "0.8",
            on_progress: Progress | None = None) -> PrepareResult:
    """Describe every query file and write (or, with ``check``, compare) ``.sqlx/``.

    Args:
        settings: paths (migrations, queries, .sqlx, generated code) and URL configuration.
        database_url: an explicit URL (``--database-url``); else the configured one; else an
            embedded throwaway server.
        check: compare with the committed ``.sqlx/`` instead of writing it.
        no_scratch: describe against the URL's database as it is (no migrations applied).
        sqlx_version: ``"0.8"`` (default) or ``"0.9"`` output.
        on_progress: receives short progress messages.

    Raises:
        QueryFileError: a malformed query file (before any database work).
        DescribeErrors: PostgreSQL rejected one or more queries (``.sqlx/`` unchanged).
    """
    if sqlx_version not in SQLX_VERSIONS:
        raise UsageError(f"unsupported --sqlx-version {sqlx_version!r}",
                         hint=f"use one of {', '.join(SQLX_VERSIONS)}")
    started = time.perf_counter()
    say = on_progress or (lambda _msg: None)
    queries = load_queries(settings.queries_dir)
    migrations = resolve(settings.migrations_dir)
    warnings: list[str] = []
    with _database(settings, database_url, no_scratch, say) as (url, migrate):
        with connect(url, "prepare") as conn:
            if migrate:
                Migrator(conn, migrations).run()
                ups = sum(m.kind is not Kind.DOWN for m in migrations)
                say(f"applied {ups} migration{'' if ups == 1 else 's'}")
            describer = Describer(conn, sqlx_version)
            # Every variant of a query with optional filters is a text of its own: described.
            everything = [*queries, *(v for q in queries for v in expand(q))]
            described = _describe(describer, everything, say)
            tables = fetch_tables(conn, describer.types.resolve)
            replay_check = check_replay(migrations, conn)
            warnings += replay_check.messages
    files = build_files(described, tables, fingerprint(migrations), settings.queries_dir,
                        replay_check.uncertain())
    result = PrepareResult(queries, files, warnings=warnings)
    if check:
        result.differences = check_against(settings.sqlx_dir, queries, files)
    else:
        result.generated = _write_all(settings, files, result.warnings)
        result.written = True
    result.elapsed = time.perf_counter() - started
    return result


@contextmanager
def _database(settings: Settings, database_url: str | None, no_scratch: bool,
              say: Progress) -> Iterator[tuple[str, bool]]:
    """Yield (URL, whether to migrate) for the database to describe against."""
    resolved = settings.resolve_url(database_url, direct=True)
    if resolved is not None:
        resolved.check()
    if no_scratch:
        if resolved is None:
            raise UsageError("--no-scratch needs a database URL",
                             hint="pass --database-url or set DATABASE_URL")
        yield resolved.url, False
    elif resolved is None:
        say("starting a throwaway embedded PostgreSQL")
        with scratch_server() as url:
            yield url, True
    else:
        say(f"using a temporary database on {resolved.safe}")
        with temporary_database(resolved.url, prefix="repo_prepare") as url:
            yield url, True


def _describe(describer: Describer, queries: list[QueryDef], say: Progress) -> list[Described]:
    def progress(i: int, n: int, q: QueryDef) -> None:
        if n >= 100 and (i % 100 == 0 or i == n):
            say(f"described {i}/{n} queries")

    done, errors = describer.describe_all(queries, progress)
    full = {d.query.key: d for d in done if d.query.variant is None}
    for d in done:
        error = _cardinality_error(d) or _variant_error(d, full.get(d.query.key))
        if error is not None:
            errors.append(error)
    if errors:
        errors.sort(key=lambda e: (e.path or "", e.line or 0))
        raise DescribeErrors(errors)
    return done


def cardinality(d: Described) -> str:
    """The marker, or when none was written: many if PostgreSQL reports columns, else exec."""
    if d.query.defaulted:
        return "many" if d.columns else "exec"
    return d.query.cardinality


def _cardinality_error(d: Described) -> DescribeError | None:
    q = d.query
    if q.defaulted or d.columns or not q.cardinality.returns_rows:
        return None
    return DescribeError(
        f"marker :{q.cardinality} expects rows, but the statement returns no columns",
        path=q.path, line=q.marker_line, col=1,
        hint="add a RETURNING clause, or use :exec / :execrows")


def _variant_error(d: Described, full: Described | None) -> DescribeError | None:
    """A variant must return what the full text returns (the method has one result type)."""
    q = d.query
    if q.variant is None or full is None or d.data is None or full.data is None:
        return None
    mine, theirs = d.data.describe, full.data.describe
    same = [(c.name, c.type_info) for c in mine.columns] == [
        (c.name, c.type_info) for c in theirs.columns]
    types = dict(zip(full.query.params, theirs.parameters, strict=False))
    same_params = all(types.get(n) == t for n, t in zip(q.params, mine.parameters,
                                                         strict=False))
    if same and same_params:
        return None
    kept = given(q.optional, q.variant)
    return DescribeError(
        f"{q.key}: the variant with optional {', '.join(kept) or 'none'} given describes "
        "other column or parameter types than the full query", path=q.path, line=1,
        hint="give each parameter an explicit type (`:x::timestamptz`) so every variant "
        "describes alike")


def fetch_tables(conn: psycopg.Connection[Any],
                 type_info: Callable[[int], Any]) -> dict[str, list[dict[str, Any]]]:
    """Every user table of schema public (not ``_sqlx_migrations``), columns in attnum order."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for table, name, typ, notnull, hasdef in conn.execute(_TABLES).fetchall():
        tables.setdefault(str(table), []).append(
            {"name": name, "type_info": type_info(int(typ)), "not_null": bool(notnull),
             "has_default": bool(hasdef)})
    return tables


def build_files(described: list[Described], tables: dict[str, Any], migrations_fp: str,
                queries_dir: Path, replay_uncertain: dict[str, list[str]] | None = None
                ) -> dict[str, str]:
    """The complete ``.sqlx`` contents: one SQLx file per distinct query text, plus extras."""
    files: dict[str, str] = {}
    facts: dict[str, Any] = {}
    variants: dict[str, dict[str, str]] = {}
    for d in described:
        q = d.query
        assert d.data is not None  # every returned Described was described
        files[store.query_file_name(q.hash)] = d.data.render()
        if q.variant is not None:
            variants.setdefault(q.key, {})[str(q.variant)] = q.hash
            continue
        facts[q.key] = {
            "hash": q.hash,
            "file": q.path.relative_to(queries_dir).as_posix()
            if q.path.is_relative_to(queries_dir) else q.path.as_posix(),
            "origins": [list(o) if o else None for o in d.origins],
            "cardinality": cardinality(d),
        }
    for key, hashes in variants.items():
        facts[key]["variants"] = dict(sorted(hashes.items(), key=lambda kv: int(kv[0])))
    meta = {"format": store.META_FORMAT, "migrations_fingerprint": migrations_fp,
            "tables": tables, "queries": facts}
    if replay_uncertain:
        # Where the offline replay differs from the real schema: verify claims nothing there.
        meta["replay_uncertain"] = replay_uncertain
    files[store.META_FILE] = store.render_meta(meta)
    return files


def check_against(sqlx_dir: Path, queries: list[QueryDef], files: dict[str, str]) -> list[str]:
    """Differences between ``files`` and what ``sqlx_dir`` holds (empty when identical)."""
    old_files = store.load_raw(sqlx_dir)
    old_meta = store.load_meta(sqlx_dir) or {}
    recorded = old_meta.get("queries", {}) if isinstance(old_meta, dict) else {}
    rows = [(q.path.as_posix(), q.hash, (recorded.get(q.key) or {}).get("hash"))
            for q in queries]
    parse = {n: QueryData.from_json(json.loads(t)) for n, t in files.items()
             if n != store.META_FILE}
    old_parse: dict[str, QueryData | None] = {}
    old_meta_json = None
    for n, t in old_files.items():
        try:
            if n == store.META_FILE:
                old_meta_json = json.loads(t)
            else:
                old_parse[n] = QueryData.from_json(json.loads(t))
        except (json.JSONDecodeError, MetadataError):
            old_parse[n] = None
    return compare(rows, files, parse, old_files, old_parse, sqlx_dir.as_posix(),
                   (old_meta_json, json.loads(files[store.META_FILE])))


def _write_all(settings: Settings, files: dict[str, str], warnings: list[str]) -> list[Path]:
    """Replace ``.sqlx/`` and the generated package together, or neither.

    Everything is computed and written to staging directories first: the metadata, then the
    code rendered from the staged metadata. Only then are both swapped in (`dirswap.commit`);
    any error before (a query too hostile for codegen, a full disk) leaves both as they were.
    """
    staged = store.stage(settings.sqlx_dir, files)
    try:
        rendered = generate(dc_replace(settings, sqlx_dir=staged.new))
        warnings += rendered.warnings  # codegen's (type fallbacks, unmapped Rust types)
        generated, changed = stage_files(rendered.files)
    except BaseException:
        staged.discard()
        raise
    dirswap.commit([staged, *generated])
    write_stamp(settings, rendered.files)  # lets verify skip re-rendering (repo/drift.py)
    return changed
