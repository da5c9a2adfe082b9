"""Which query files use a table or a column (for renames and drops).

A plain sqlglot walk over each query's compiled text: table references with their aliases,
column references (qualified ones resolved through the aliases, unqualified ones matched
against the columns the table has at that migration), ``INSERT`` target columns, and ``*``,
which reads every column (a dropped or renamed column changes the row the code expects).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .model import QueryUse

if TYPE_CHECKING:
    from sqlglot import exp

    from ..queries.model import QueryDef


@dataclass
class _Refs:
    """What one query references; offsets are into its compiled text."""

    query: QueryDef
    tables: list[tuple[str, str, int]] = field(default_factory=list)  # name, alias, offset
    columns: list[tuple[str, str, int]] = field(default_factory=list)  # qualifier, name, offset
    stars: list[str] = field(default_factory=list)  # qualifier ("" for a bare *)


def _ident(node: exp.Expr | None) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Identifier):
        return node.name if node.quoted else node.name.lower()
    return node.name.lower() if node is not None else ""


def _offset(node: exp.Expr | None) -> int:
    meta = node.meta if node is not None else {}
    start = meta.get("start")
    return int(start) if isinstance(start, int) else 0


def _refs(q: QueryDef) -> _Refs | None:
    # sqlglot is imported only when a migration renames or drops something.
    from sqlglot import exp
    from sqlglot.errors import ParseError

    from ..analysis.parsing import quiet_parse

    try:
        tree = quiet_parse(q.sql)  # memoised: the analysis reuses this very tree
    except (ParseError, ValueError):
        return None
    refs = _Refs(q)
    # One walk over the tree (breadth first), sorted by node type; the walk and the type
    # filter run in sqlglot's compiled code, the loop sees only the nodes it handles.
    ctes: set[str] = set()
    tables: list[exp.Table] = []
    star_in_row = False
    for node in tree.find_all(exp.Table, exp.Column, exp.CTE, exp.Insert, exp.Star):
        if isinstance(node, exp.Table):
            tables.append(node)
        elif isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                refs.stars.append(_ident(node.args.get("table")))
            else:
                refs.columns.append((_ident(node.args.get("table")), _ident(node.this),
                                     _offset(node.this)))
        elif isinstance(node, exp.CTE):
            ctes.add(node.alias_or_name.lower())
        elif isinstance(node, exp.Insert):
            if isinstance(node.this, exp.Schema) and isinstance(node.this.this, exp.Table):
                alias = _ident(node.this.this.this)
                for ident in node.this.expressions:
                    refs.columns.append((alias, _ident(ident), _offset(ident)))
        if isinstance(node, exp.Star) and isinstance(node.parent, exp.Select | exp.Returning):
            star_in_row = True
    for t in tables:
        name = _ident(t.this)
        if isinstance(t.this, exp.Identifier) and name not in ctes:
            refs.tables.append((name, _ident(t.args["alias"].this)
                                if t.args.get("alias") else name, _offset(t.this)))
    if star_in_row:
        refs.stars.append("")
    return refs


def _may_name(lowered: str, name: str) -> bool:
    """False only when the query whose lowercase text is ``lowered`` cannot reference
    ``name``: every spelling of an identifier (bare, any case, or quoted) holds its
    characters, so its lowercase text is a substring of the lowercase query. A name holding
    a double quote (doubled when quoted) or a query using U&"..." escapes is always walked."""
    if '"' in name:
        return True
    return name.lower() in lowered or 'u&"' in lowered


class QueryIndex:
    """The project's query files, each parsed and walked on first use, and only when its
    text can name the table a rename or drop is about."""

    def __init__(self, queries: list[QueryDef], root: Path) -> None:
        self._queries = queries
        self._root = root
        self._refs: dict[int, _Refs | None] = {}
        self._lowered: list[str] | None = None  # each query's text, lowercased once

    def _naming(self, table: str, column: str | None = None) -> list[_Refs]:
        """The references of every query that may use ``table`` (and may name ``column`` or
        read ``*``), in query order."""
        out = []
        if self._lowered is None:
            self._lowered = [q.sql.lower() for q in self._queries]
        for i, (q, lowered) in enumerate(zip(self._queries, self._lowered, strict=True)):
            if not _may_name(lowered, table) or (column is not None and "*" not in q.sql
                                                 and not _may_name(lowered, column)):
                continue
            if i not in self._refs:
                self._refs[i] = _refs(q)
            r = self._refs[i]
            if r is not None:
                out.append(r)
        return out

    def _use(self, q: QueryDef, offset: int) -> QueryUse:
        line, col = q.line_col_of(offset)
        try:
            file = str(Path(q.path).resolve().relative_to(self._root.resolve()))
        except ValueError:
            file = str(q.path)
        return QueryUse(file, line, col)

    def table_users(self, table: str) -> list[QueryUse]:
        """Every query that reads or writes ``table`` (first reference of each)."""
        out = []
        for r in self._naming(table):
            hits = [off for name, _alias, off in r.tables if name == table]
            if hits:
                out.append(self._use(r.query, min(hits)))
        return out

    def column_users(self, table: str, column: str, columns: set[str] | None) -> list[QueryUse]:
        """Every query that names ``table.column`` or reads ``*`` of ``table``.

        ``columns`` (the table's columns, None when unknown) decides whether an unqualified
        name can be this table's column.
        """
        out = []
        for r in self._naming(table, column):
            aliases = {alias: name for name, alias, _off in r.tables}
            own = [off for name, _alias, off in r.tables if name == table]
            if not own:
                continue
            hits = [off for qual, name, off in r.columns if name == column and (
                aliases.get(qual) == table if qual else columns is None or column in columns)]
            if any(aliases.get(s) == table if s else True for s in r.stars):
                hits.append(min(own))
            if hits:
                out.append(self._use(r.query, min(hits)))
        return out
