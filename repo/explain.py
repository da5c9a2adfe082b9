"""Text for ``python -m repo explain FILE``: what the static analysis concluded about one
query file, next to its ``.sqlx`` metadata (the command lives in :mod:`repo.cli.explain`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .analysis import Catalog, Val, analyze, load_catalog
from .analysis.pgtypes import type_info_name
from .codegen.readonly import routing
from .config import Settings
from .errors import QueryFileError
from .metadata.model import Describe, QueryData
from .metadata.store import load_all
from .queries.loader import load_file
from .queries.model import QueryDef


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
    return "\n".join(_explain_one(path, q, catalog, metas) for q in queries)


def _explain_one(path: Path, query: QueryDef, catalog: Catalog,
                 metas: Mapping[str, QueryData]) -> str:
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
    for i, p in enumerate(result.params):
        name = query.params[i] if i < len(query.params) else f"p{i + 1}"
        sqlx = f" [metadata: {type_info_name(meta_params[i])}]" if i < len(meta_params) else ""
        null = "nullability not certain" if p.nullable is None else (
            "may be NULL" if p.nullable else "must not be NULL")
        lines.append(f"  ${i + 1} {name}: {p.type or 'unknown type'}{sqlx} - {p.type_reason}")
        lines.append(f"      {null}: {p.null_reason}")
    lines.append("columns:" if result.columns else "columns: none")
    meta_cols = describe.columns
    for i, c in enumerate(result.columns):
        sqlx = f" [metadata: {type_info_name(meta_cols[i].type_info)}]" \
            if i < len(meta_cols) else ""
        lines.append(f"  {c.name}: {c.val.type or 'unknown type'}{sqlx} - {_null(c.val)}")
    for prob in result.problems:
        line, col = query.line_col_of(prob.offset)
        kind = "error" if prob.certain else "warning"
        lines.append(f"{kind}: {path}:{line}:{col}: {prob.message}")
    lines.extend(f"note: {n}" for n in result.notes)
    lines += _variant_lines(query, metas)
    route = routing(query.sql)
    lines.append(f"routing: {'read-only, may run on a replica' if route.read_only else 'primary'}"
                 f" ({route.reason})")
    return "\n".join(lines) + "\n"


def _variant_lines(query: QueryDef, metas: Mapping[str, QueryData]) -> list[str]:
    """One line per text of a query with optional filters (`repo.queries.variants`)."""
    from .queries.variants import expand

    if not query.optional:
        return []
    every = (1 << len(query.optional)) - 1
    lines = [f"variants: {every + 1} texts ({len(query.optional)} optional filters: "
             f"{', '.join(query.optional)}), each described by PostgreSQL"]
    for v in [*expand(query), query]:
        mask = every if v.variant is None else v.variant
        kept = [n for i, n in enumerate(query.optional) if mask >> i & 1]
        state = "metadata present" if v.hash in metas else "metadata MISSING"
        lines.append(f"  {mask:>3}: with {', '.join(kept) or 'no optional filter'} "
                     f"- query-{v.hash[:12]}... ({state})")
    return lines


def _null(val: Val) -> str:
    if val.nullable is None:
        return f"nullability not certain ({val.reason})"
    return val.reason if val.reason.startswith(("nullable", "not null")) else \
        f"{'nullable' if val.nullable else 'not null'}: {val.reason}"
