"""Text for ``python -m repo explain FILE``: what the static analysis concluded about one
query file, next to its ``.sqlx`` metadata (the command lives in :mod:`repo.cli.explain`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .analysis import Catalog, Val, analyze, load_catalog, null_tested
from .analysis.pgtypes import type_info_name
from .codegen.nullability import default_refiner
from .codegen.plan import build_plan
from .codegen.readonly import routing
from .config import Settings
from .errors import QueryFileError, RepoError
from .metadata.model import Describe, QueryData
from .metadata.store import load_all, load_meta
from .queries.loader import load_file
from .queries.model import QueryDef
from .queries.variants import expand, given


def explain(path: Path, settings: Settings) -> str:
    """Describe one query file: parameters and columns with type, nullability and reasons."""
    if not path.is_file():
        raise QueryFileError("no such query file", path=path,
                             hint="pass a file such as queries/<repo>/<method>.sql")
    root = settings.queries_dir.resolve()
    if not (root.is_file() or path.resolve().is_relative_to(root)):
        root = path.resolve().parent.parent
    queries = load_file(path.resolve(), root)
    catalog = load_catalog(settings.migrations_dir)
    metas = load_all(settings.sqlx_dir)
    # A sqlc-style file holds several queries: each is explained, with its file lines.
    return "\n".join(_explain_one(path, q, catalog, metas, _python(q, metas, settings))
                     for q in queries)


@dataclass(frozen=True)
class _Python:
    """What codegen makes of one query: its parameters' and columns' annotations."""

    params: tuple[str, ...]
    columns: tuple[str, ...]
    returns: str


def _python(query: QueryDef, metas: Mapping[str, QueryData], settings: Settings) -> _Python | None:
    # The same plan `generate` builds (one query), so the annotations shown are the ones
    # written; None when the query has no metadata yet (nothing to generate from).
    try:
        plan = build_plan([query], metas, load_meta(settings.sqlx_dir),
                          default_refiner(settings.migrations_dir), types=settings.types,
                          json=settings.json)
    except RepoError:
        return None
    m = plan.repos[0].methods[0]
    params = tuple(p.annotation + (" = None" if p.nullable and not query.positional else "")
                   for p in m.params)
    if m.scalar is not None:
        columns: tuple[str, ...] = (m.scalar.annotation + "  (a scalar result: the value itself)",)
    else:
        fields = next((x.fields for x in plan.models if x.name == m.model), ())
        columns = tuple(f"{f.annotation}  (field `{f.name}` of {m.model})" for f in fields)
    returns = m.returns
    if query.cardinality == "iter":
        returns += f" (async twin: {m.returns_in('AsyncIterator')})"
    if m.model is not None and settings.rows == "tuple":
        returns += f' ({m.model} is a typing.NamedTuple: [codegen] rows = "tuple")'
    return _Python(params, columns, returns)


def _explain_one(path: Path, query: QueryDef, catalog: Catalog,
                 metas: Mapping[str, QueryData], python: _Python | None = None) -> str:
    try:
        result = analyze(query.sql, catalog, query.line_col_of)
    except RecursionError:
        from .analysis import too_deep

        result = too_deep()
    meta = metas.get(query.hash)
    describe = meta.describe if meta is not None else Describe()
    where = f"{path}:{query.marker_line} {query.sqlc_name}" if query.sqlc_name else str(path)
    lines = [f"{where}  ({query.key}, :{query.cardinality})",
             "metadata: " + ("present" if meta else "MISSING (run `python -m repo prepare`)")]
    lines.append("parameters:" if result.params else "parameters: none")
    meta_params = describe.parameters
    tested = null_tested(query.sql)
    for i, p in enumerate(result.params):
        name = query.params[i] if i < len(query.params) else f"p{i + 1}"
        meta_type = type_info_name(meta_params[i]) if i < len(meta_params) else None
        sqlx = f" [metadata: {meta_type}]" if meta_type else ""
        null = "nullability not certain" if p.nullable is None else (
            "may be NULL" if p.nullable else "must not be NULL")
        null_reason = p.null_reason
        if i + 1 in tested:
            null, null_reason = "may be NULL", "the query tests it with IS NULL or COALESCE"
        lines.append(f"  ${i + 1} {name}: {_type(p.type, meta_type)}{sqlx} - {p.type_reason}")
        lines.append(f"      {null}: {null_reason}")
        if python is not None and i < len(python.params):
            lines.append(f"      python: {python.params[i]}")
    lines.append("columns:" if result.columns else "columns: none")
    meta_cols = describe.columns
    for i, c in enumerate(result.columns):
        meta_type = type_info_name(meta_cols[i].type_info) if i < len(meta_cols) else None
        sqlx = f" [metadata: {meta_type}]" if meta_type else ""
        lines.append(f"  {c.name}: {_type(c.val.type, meta_type)}{sqlx} - {_null(c.val)}")
        if python is not None and i < len(python.columns):
            lines.append(f"      python: {python.columns[i]}")
    if python is not None:
        lines.append(f"returns: {python.returns}")
    for prob in result.problems:
        line, col = query.line_col_of(prob.offset)
        kind = "error" if prob.certain else "warning"
        lines.append(f"{kind}: {path}:{line}:{col}: {prob.message}")
    lines.extend(f"note: {n}" for n in result.notes)
    lines += _variant_lines(query, metas)
    lines.append("routing: " + _routing(path, query))
    return "\n".join(lines) + "\n"


def _routing(path: Path, query: QueryDef) -> str:
    """Where a `Router` sends the query, and why (`repo.codegen.readonly`, ``-- @primary``)."""
    route = routing(query.sql)
    if query.primary_line is not None:
        also = "" if route.read_only else f"; it is not read-only anyway: {route.reason}"
        return f"primary (-- @primary at {path}:{query.primary_line}{also})"
    if route.read_only:
        return f"read-only, may run on a replica ({route.reason})"
    return f"primary ({route.reason})"


def _variant_lines(query: QueryDef, metas: Mapping[str, QueryData]) -> list[str]:
    """One line per text of a query with optional filters (`repo.queries.variants`)."""
    if not query.optional:
        return []
    every = (1 << len(query.optional)) - 1
    lines = [f"variants: {every + 1} texts ({len(query.optional)} optional filters: "
             f"{', '.join(query.optional)}), each described by PostgreSQL"]
    for v in [*expand(query), query]:
        mask = every if v.variant is None else v.variant
        kept = given(query.optional, mask)
        state = "metadata present" if v.hash in metas else "metadata MISSING"
        lines.append(f"  {mask:>3}: with {', '.join(kept) or 'no optional filter'} "
                     f"- query-{v.hash[:12]}... ({state})")
    return lines


def _type(analysed: str | None, described: str | None) -> str:
    # The offline analysis may not know a type PostgreSQL described (an aggregate over an
    # expression it does not model): the described one is then shown, not "unknown type".
    if analysed:
        return analysed
    return f"{described} (from the metadata)" if described else "unknown type"


def _null(val: Val) -> str:
    if val.nullable is None:
        return f"nullability not certain ({val.reason})"
    return val.reason if val.reason.startswith(("nullable", "not null")) else \
        f"{'nullable' if val.nullable else 'not null'}: {val.reason}"
