"""Result column names as PostgreSQL gives them (``FigureColnameInternal``, parse_target.c).

One rule per sqlglot node class, each returning ``(name, strength)`` with PostgreSQL's
strengths: 2 a column or function name, 1 a type name or keyword (``case``), 0 nothing
(``?column?``). Strength -1 marks a name the analysis cannot be sure of; such a column is
never compared by name. Function names are read from the source text because sqlglot
renames many calls (``now()`` becomes ``CurrentTimestamp``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from . import pgtypes
from .context import ByClass

UNNAMED = "?column?"
Namer = Callable[[exp.Expr, str], tuple[str, int]]
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FUNC_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*$")
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_NOW_CALL = re.compile(r"\bnow\s*\(", re.I)
# sqlglot models these operators as function nodes; PostgreSQL gives an operator no name,
# but some of them can also be written as a call (jsonb_extract_path(...)).
_OPERATOR_FUNCS = frozenset({
    "ArrayContainsAll", "ArrayContains", "ArrayOverlaps", "RegexpLike", "RegexpILike",
    "JSONBContains", "JSONExtract", "JSONExtractScalar", "JSONBExtract", "JSONBExtractScalar",
    "JSONBContainsTopKey", "JSONBContainsAnyTopKeys", "JSONBContainsAllTopKeys",
    "JSONBDeleteAtPath", "Pow", "Any", "All"})
_OPERATOR_CHARS = "-#@<>&~^?|!=+*/%"
_TRIM = {"LEADING": "ltrim", "TRAILING": "rtrim"}


def ident_name(node: exp.Expr) -> str:
    """An identifier as PostgreSQL folds it (unquoted names are lower-cased)."""
    if isinstance(node, exp.Identifier):
        return node.name if node.quoted else node.name.lower()
    return node.name if isinstance(node, exp.Expr) else str(node)


def figure_colname(node: exp.Expr, sql: str) -> tuple[str, bool]:
    """``(name, certain)`` for one SELECT/RETURNING item of the statement text ``sql``.

    >>> import sqlglot
    >>> item = sqlglot.parse_one("SELECT count(*) FILTER (WHERE true)").expressions[0]
    >>> figure_colname(item, "SELECT count(*) FILTER (WHERE true)")
    ('count', True)
    """
    if isinstance(node, exp.Alias):
        return ident_name(node.args["alias"]), True
    name, strength = figure(node, sql)
    return (name if strength > 0 else UNNAMED), strength >= 0


def figure(node: exp.Expr, sql: str) -> tuple[str, int]:
    """PostgreSQL's FigureColnameInternal over a sqlglot node."""
    return _NAMERS[type(node)](node, sql)


def written_name(node: exp.Expr, sql: str) -> str | None:
    """The name token of a call in the source text, None if it cannot be found."""
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    meta = getattr(node, "_meta", None) or {}
    if "start" in meta and "end" in meta:
        word = sql[meta["start"]: meta["end"] + 1]
        if _WORD.fullmatch(word):
            return word.lower()
    first = min((n.meta["start"] for n in node.walk() if n is not node
                 and getattr(n, "_meta", None) and "start" in n.meta), default=None)
    if first is None:
        return None
    # The text before the first argument: `name(` right before it, or the last call opened
    # before it (`count(DISTINCT x)`). Either is taken only when it names this node's
    # function: an operator sqlglot keeps as a function (`x ^ 2`) has no name of its own.
    m = _FUNC_NAME.search(sql[:first])
    calls: list[str] = [m.group(1)] if m else _CALL.findall(sql[max(0, first - 200):first])[-1:]
    name = str(calls[0]).lower() if calls else None
    return name if name is not None and name in _spellings(type(node)) else None


def _spellings(cls: type[exp.Expr]) -> frozenset[str]:
    """Names a call of ``cls`` may be written with (sqlglot's names plus PostgreSQL's)."""
    names = _SPELLINGS.get(cls)
    if names is None:
        names = frozenset(n.lower() for n in getattr(cls, "sql_names", list)()) \
            | _PG_NAMES.get(cls.__name__, frozenset())
        _SPELLINGS[cls] = names
    return names


def _pg(*names: str) -> frozenset[str]:
    return frozenset(names)


_SPELLINGS: dict[type[exp.Expr], frozenset[str]] = {}
# PostgreSQL spellings that sqlglot folds into a class of another name.
_PG_NAMES = {"GroupConcat": _pg("string_agg"), "StrPosition": _pg("position", "strpos"),
             "Extract": _pg("date_part"), "CurrentTimestamp": _pg("now"),
             "ArrayConcat": _pg("array_cat"), "Pow": _pg("power"),
             "DateTrunc": _pg("date_trunc"), "TimestampTrunc": _pg("date_trunc"),
             "ArraySize": _pg("array_length"), "Unnest": _pg("unnest"),
             "JSONArrayAgg": _pg("json_agg"), "JSONObjectAgg": _pg("json_object_agg")}


def func_name(node: exp.Expr, sql: str) -> str:
    """The function name as written, else a name derived from sqlglot's class."""
    return written_name(node, sql) or _CLASS_NAMES.get(
        type(node).__name__, type(node).__name__.lower())


# sqlglot classes of calls written without parentheses or renamed by sqlglot.
_CLASS_NAMES = {"GroupConcat": "string_agg", "CurrentUser": "current_user",
                "CurrentSchema": "current_schema", "CurrentDate": "current_date",
                "CurrentTime": "current_time", "Localtimestamp": "localtimestamp",
                "Localtime": "localtime", "Pow": "power"}


# rules ------------------------------------------------------------------------------------
def _nothing(node: exp.Expr, sql: str) -> tuple[str, int]:
    return UNNAMED, 0


def _inner(node: exp.Expr, sql: str) -> tuple[str, int]:
    return figure(node.this, sql)


def _column(node: exp.Expr, sql: str) -> tuple[str, int]:
    # sqlglot drops a unary plus (`+score`), which PostgreSQL keeps as an operator.
    starts = [m["start"] for n in node.walk() if (m := getattr(n, "_meta", None))
              and "start" in m]
    before = sql[:min(starts)].rstrip() if starts else ""
    return ident_name(node.this), -1 if before.endswith("+") else 2


def _field(node: exp.Expr, sql: str) -> tuple[str, int]:  # (row).field
    return ident_name(node.expression), 2


def _cast(node: exp.Expr, sql: str) -> tuple[str, int]:
    inner, strength = figure(node.this, sql)
    if strength > 1:
        return inner, strength
    # PostgreSQL names it after the last word of the type as parsed (int -> int4).
    return pgtypes.element(pgtypes.from_datatype(node.args["to"])), 1


def _case(node: exp.Expr, sql: str) -> tuple[str, int]:
    default = node.args.get("default")
    name, strength = figure(default, sql) if default is not None else (UNNAMED, 0)
    return (name, strength) if strength > 1 else ("case", 1)


def _sublink(node: exp.Expr, sql: str) -> tuple[str, int]:
    # PostgreSQL reads the analysed subquery's first target name, even "?column?".
    select = node.this
    if isinstance(select, exp.Select) and select.expressions \
            and not isinstance(select.expressions[0], exp.Star):
        return figure_colname(select.expressions[0], sql)[0], 2
    return UNNAMED, -1


def _boolean(node: exp.Expr, sql: str) -> tuple[str, int]:
    # PostgreSQL 15+ gives `true` no name; 14 and older called it "bool".
    return UNNAMED, -1


def _trim(node: exp.Expr, sql: str) -> tuple[str, int]:
    return _TRIM.get(str(node.args.get("position") or "").upper(), "btrim"), 2


def _function(node: exp.Expr, sql: str) -> tuple[str, int]:
    if type(node).__name__ in _OPERATOR_FUNCS and _written_as_operator(node, sql):
        return UNNAMED, 0
    written = written_name(node, sql)
    return (written, 2) if written else (func_name(node, sql), -1)


def _written_as_operator(node: exp.Expr, sql: str) -> bool:
    """True when an operator symbol follows the first operand in the source text."""
    first = node.this if isinstance(node.this, exp.Expr) else None
    span = _span(first) if first is not None else None
    if span is None:
        return False
    rest = sql[span:].lstrip().lstrip(")").lstrip()
    return rest[:1] in _OPERATOR_CHARS and rest[:1] != ""


def _span(node: exp.Expr) -> int | None:
    """The source offset just after the last token recorded in ``node``'s subtree."""
    ends = [n.meta["end"] for n in node.walk() if getattr(n, "_meta", None)
            and "end" in n.meta]
    return max(ends) + 1 if ends else None


def _now(node: exp.Expr, sql: str) -> tuple[str, int]:
    # now() keeps its name token; the CURRENT_TIMESTAMP keyword has none in sqlglot's tree.
    written = written_name(node, sql)
    if written:
        return written, 2
    keyword_only = _NOW_CALL.search(sql) is None and "current_timestamp" in sql.lower()
    return "current_timestamp", 2 if keyword_only else -1


def _fixed(name: str, strength: int) -> Namer:
    return lambda node, sql: (name, strength)


_NAMERS: ByClass[Namer] = ByClass({
    exp.Expr: _nothing,
    exp.Paren: _inner, exp.Collate: _inner, exp.Bracket: _inner, exp.Window: _inner,
    exp.Filter: _inner, exp.WithinGroup: _inner,
    exp.Column: _column, exp.Dot: _field,
    exp.Cast: _cast, exp.Case: _case, exp.Subquery: _sublink, exp.Boolean: _boolean,
    exp.Interval: _fixed("interval", 1), exp.Array: _fixed("array", 2),
    exp.Exists: _fixed("exists", 2), exp.Tuple: _fixed("row", 2),
    exp.Coalesce: _fixed("coalesce", 2), exp.AtTimeZone: _fixed("timezone", 2),
    exp.Greatest: _fixed("greatest", 2), exp.Least: _fixed("least", 2),
    exp.Nullif: _fixed("nullif", 2), exp.Grouping: _fixed("grouping", 2),
    exp.Trim: _trim, exp.Func: _function, exp.Connector: _nothing,  # AND/OR are Funcs too
    exp.CurrentTimestamp: _now,
    # SQL value functions written without parentheses (no name token in sqlglot's tree).
    **{getattr(exp, cls): _fixed(name, 2) for cls, name in _CLASS_NAMES.items()
       if cls not in ("GroupConcat", "Pow") and hasattr(exp, cls)},
})
