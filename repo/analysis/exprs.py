"""Typing one expression the way PostgreSQL would: result type, nullability, parameter types.

Rules are PostgreSQL's, not sqlglot's generic ones (offline-analysis.md §4 gaps 3-5): an
untyped parameter takes the type of the other operand, ``sum(int4)`` is ``int8``, ``now()``
is ``timestamptz``, ``->>`` is ``text``. Anything not covered yields an unknown type rather
than a guess.

Why a typer of our own over sqlglot's tree instead of ``annotate_types`` with a PostgreSQL
overlay (the ``expression_metadata`` hook): that route measured 93 % column / 72 % parameter
types, and its vocabulary cannot express what SQLx compares (varchar operands resolving as
text, domains reported as their base type, enums by name, ``date_part`` vs ``extract``), nor
does it annotate INSERT/UPDATE/DELETE. Typing PG types directly scores 100 % on the
tests/corpus queries at about 0.5 ms per statement; sqlglot still does all the parsing and
supplies the token positions used in messages.
"""

from __future__ import annotations

import re

from sqlglot import exp

from . import pgtypes
from .catalog import Catalog
from .model import OutColumn, Problem, Val
from .scope import Scope

_BOOL_OPS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike,
             exp.NullSafeEQ, exp.NullSafeNEQ, exp.RegexpLike, exp.RegexpILike, exp.SimilarTo)
_ARITH = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Pow)
_FUNC_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*$")
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def node_offset(node: exp.Expr) -> int | None:
    """Smallest source offset recorded in the subtree (sqlglot keeps token positions)."""
    best: int | None = None
    for n in node.walk():
        start = n.meta.get("start") if n.meta else None
        if isinstance(start, int) and (best is None or start < best):
            best = start
    return best


def common_type(types: list[str | None]) -> str | None:
    """PostgreSQL's UNION/CASE/COALESCE resolution for the cases that matter."""
    if any(t is None for t in types):
        return None
    known = [t for t in types if t is not None and t != "unknown"]
    if not known:
        return "text" if types else None
    kinds = set(known)
    if len(kinds) == 1:
        return known[0]
    if kinds <= set(pgtypes.NUMERIC_RANK):
        if kinds & {"float4", "float8"}:
            return "float8"
        return max(kinds, key=lambda t: pgtypes.NUMERIC_RANK[t])
    if kinds <= {"text", "varchar", "bpchar"}:
        # Both directions are implicit casts, so PostgreSQL keeps the first input's type.
        return known[0]
    if kinds <= {"timestamp", "timestamptz"}:
        return "timestamptz"
    return None


def arith_type(op: type[exp.Expr], a: str | None, b: str | None) -> str | None:
    """Result of ``a <op> b`` for PostgreSQL's built-in operators."""
    if a is None or b is None:
        return None
    if a in pgtypes.NUMERIC_RANK and b in pgtypes.NUMERIC_RANK:
        return common_type([a, b])
    key = (op.__name__, a, b)
    table = {
        ("Sub", "timestamptz", "timestamptz"): "interval",
        ("Sub", "timestamp", "timestamp"): "interval",
        ("Sub", "date", "date"): "int4",
        ("Sub", "timestamptz", "timestamp"): "interval",
        ("Sub", "timestamp", "timestamptz"): "interval",
        ("Add", "timestamptz", "interval"): "timestamptz",
        ("Sub", "timestamptz", "interval"): "timestamptz",
        ("Add", "interval", "timestamptz"): "timestamptz",
        ("Add", "timestamp", "interval"): "timestamp",
        ("Sub", "timestamp", "interval"): "timestamp",
        ("Add", "date", "interval"): "timestamp",
        ("Sub", "date", "interval"): "timestamp",
        ("Add", "date", "int4"): "date", ("Sub", "date", "int4"): "date",
        ("Add", "interval", "interval"): "interval", ("Sub", "interval", "interval"): "interval",
        ("Add", "time", "interval"): "time",
    }
    if key in table:
        return table[key]
    if a == "jsonb" and op is exp.Sub:  # jsonb - text / int / text[] removes keys
        return "jsonb"
    if a == "interval" and b in pgtypes.NUMERIC_RANK and op in (exp.Mul, exp.Div):
        return "interval"
    if b == "interval" and a in pgtypes.NUMERIC_RANK and op is exp.Mul:
        return "interval"
    return None


class ExprTyper:
    """Types expressions against a catalog; subclasses analyse subqueries."""

    def __init__(self, catalog: Catalog, sql: str) -> None:
        self.catalog = catalog
        self.sql = sql
        self.params: dict[int, list[tuple[str, str]]] = {}
        self.param_nulls: dict[int, list[tuple[bool, str]]] = {}
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.unknown_functions: set[str] = set()
        self.grouped = False  # typing the output of a grouped SELECT (aggregates non-empty)

    # hooks implemented by the statement analyser
    def subquery(self, node: exp.Expr, scope: Scope) -> list[OutColumn]:
        raise NotImplementedError

    def where(self, offset: int | None) -> str:
        raise NotImplementedError

    # helpers ------------------------------------------------------------------------------
    def problem(self, message: str, node: exp.Expr, certain: bool) -> None:
        offset = node_offset(node)
        self.problems.append(Problem(message, offset if offset is not None else 0, certain))

    def func_name(self, node: exp.Expr) -> str:
        """The function name as written (sqlglot renames many: now() -> CurrentTimestamp)."""
        return self.written_name(node) or {"GroupConcat": "string_agg"}.get(
            type(node).__name__, type(node).__name__.lower())

    def written_name(self, node: exp.Expr) -> str | None:
        """The name token of a call in the source text, None if it cannot be found."""
        if isinstance(node, exp.Anonymous):
            return str(node.this).lower()
        meta = node.meta or {}
        if "start" in meta and "end" in meta:
            word = self.sql[meta["start"]: meta["end"] + 1]
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", word):
                return word.lower()
        first = min((n.meta["start"] for n in node.walk() if n is not node and n.meta
                     and "start" in n.meta), default=None)
        if first is not None:
            m = _FUNC_NAME.search(self.sql[:first])
            if m:
                return m.group(1).lower()
            calls = _CALL.findall(self.sql[max(0, first - 200):first])
            if calls:
                return str(calls[-1]).lower()
        return None

    def cast_type(self, dt: exp.DataType) -> str:
        pg = pgtypes.from_datatype(dt)
        if pg == "varchar[]" or pg == "bpchar[]":
            return pg
        return pg

    def record_param(self, node: exp.Parameter, pg: str | None, reason: str) -> None:
        if pg is None or pg == "unknown":
            return
        self.params.setdefault(_param_index(node), []).append((pg, reason))

    def record_param_null(self, node: exp.Expr, nullable: bool, reason: str) -> None:
        if isinstance(node, exp.Parameter):
            self.param_nulls.setdefault(_param_index(node), []).append((nullable, reason))

    # the typer ----------------------------------------------------------------------------
    def typeof(self, node: exp.Expr, scope: Scope, expect: str | None = None,
               why: str = "") -> Val:
        """Type and nullability of ``node``; ``expect`` types an untyped parameter (``why``
        says where that type comes from)."""
        if isinstance(node, exp.Parameter):
            self.record_param(node, expect, why or f"{expect} expected here")
            return Val(expect, True, "a parameter may be NULL")
        if isinstance(node, exp.Paren):
            return self.typeof(node.this, scope, expect)
        if isinstance(node, exp.Alias):
            return self.typeof(node.this, scope, expect)
        handler = getattr(self, "t_" + type(node).__name__, None)
        if handler is not None:
            return handler(node, scope, expect)  # type: ignore[no-any-return]
        if isinstance(node, _BOOL_OPS):
            return self.t_comparison(node, scope)
        if isinstance(node, _ARITH):
            return self.t_arith(node, scope)
        if isinstance(node, exp.Func):
            return self.t_function(node, scope)
        for child in node.iter_expressions():
            self.typeof(child, scope)
        return Val(None, None, f"{type(node).__name__} is not modelled")

    def children_null(self, vals: list[Val], what: str) -> tuple[bool | None, str]:
        """Strict operators/functions: NULL in, NULL out."""
        if any(v.nullable is True for v in vals):
            return True, f"{what} of a nullable value"
        if all(v.nullable is False for v in vals):
            return False, f"{what} of non-null values"
        return None, f"{what} of a value of unknown nullability"

    def pair(self, a: exp.Expr, b: exp.Expr, scope: Scope,
             ) -> tuple[Val, Val]:
        """Type two operands; an untyped parameter takes the other side's type."""
        if isinstance(_unparen(a), exp.Parameter) and not isinstance(_unparen(b),
                                                                      exp.Parameter):
            vb = self.typeof(b, scope)
            return self.typeof(a, scope, self.operand(vb.type),
                               _other(b, self.locate_of(b))), vb
        va = self.typeof(a, scope)
        return va, self.typeof(b, scope, self.operand(va.type), _other(a, self.locate_of(a)))

    def operand(self, pg: str | None) -> str | None:
        """The type an operator sees: domains are replaced by their base type."""
        pg = _concrete(pg)
        if pg is None:
            return None
        pg = self.catalog.base_type(pg)
        # varchar has no operators of its own: PostgreSQL resolves them as text's.
        return {"varchar": "text", "varchar[]": "text[]"}.get(pg, pg)

    def locate_of(self, node: exp.Expr) -> str:
        return self.where(node_offset(node))

    def t_comparison(self, node: exp.Expr, scope: Scope) -> Val:
        if isinstance(node, (exp.Like, exp.ILike, exp.RegexpLike, exp.RegexpILike,
                             exp.SimilarTo)):
            what = type(node).__name__.upper()
            va = self.typeof(node.this, scope, "text", f"operand of {what} is text")
            vb = self.typeof(node.expression, scope, "text", f"pattern of {what} is text")
        elif isinstance(node.expression, exp.Any) or _is_all(node.expression):
            inner = _unparen(node.expression.this if isinstance(node.expression, exp.Any)
                             else node.expression.expressions[0])
            if isinstance(_unparen(node.this), exp.Parameter):
                arr = self.typeof(inner, scope)
                elem = self.operand(arr.type)
                va = self.typeof(node.this, scope, pgtypes.element(elem) if elem and
                                 pgtypes.is_array(elem) else None,
                                 f"element type of `{inner.sql('postgres')}` (ANY)")
                nullable, reason = self.children_null([va, arr], "comparison")
                return Val("bool", nullable, reason)
            va = self.typeof(node.this, scope)
            elem = self.operand(va.type)
            vb = self.typeof(inner, scope, pgtypes.array_of(elem) if elem else None,
                             f"array of the type of `{node.this.sql('postgres')}` (= ANY)")
        elif isinstance(node.this, exp.Tuple) and isinstance(node.expression, exp.Tuple) \
                and len(node.this.expressions) == len(node.expression.expressions):
            # Row comparison: PostgreSQL pairs the fields one by one.
            pairs = [self.pair(x, y, scope) for x, y in zip(
                node.this.expressions, node.expression.expressions, strict=True)]
            va = Val("record", *self.children_null([p[0] for p in pairs], "row"))
            vb = Val("record", *self.children_null([p[1] for p in pairs], "row"))
        else:
            va, vb = self.pair(node.this, node.expression, scope)
        if isinstance(node, (exp.NullSafeEQ, exp.NullSafeNEQ)):
            return Val("bool", False, "IS [NOT] DISTINCT FROM is never NULL")
        nullable, reason = self.children_null([va, vb], "comparison")
        return Val("bool", nullable, reason)

    def t_arith(self, node: exp.Expr, scope: Scope) -> Val:
        va, vb = self.pair(node.this, node.expression, scope)
        nullable, reason = self.children_null([va, vb], "arithmetic")
        ta, tb = (self.catalog.base_type(v.type) if v.type else None for v in (va, vb))
        return Val(arith_type(type(node), ta, tb), nullable, reason)

    def t_Column(self, node: exp.Column, scope: Scope, expect: str | None) -> Val:
        name = _ident(node.this)
        if node.table:
            alias = _ident(node.args["table"])
            rel = scope.find_rel(alias)
            if rel is None:
                self.problem(f'missing FROM-clause entry for table "{alias}"', node,
                             certain=True)
                return Val(None, None, "unknown table")
            if rel.cols is None:
                return Val(None, None, f"columns of {alias} are not known offline")
            if name not in rel.cols:
                sysval = _system_column(name)
                if sysval is not None:
                    return sysval
                self.problem(f'column {alias}.{name} does not exist', node,
                             certain=rel.table is None or self._exact(rel.table))
                return Val(None, None, "unknown column")
            return rel.cols[name]
        val, missing, ambiguous = scope.find_column(name)
        if val is not None:
            return val
        if ambiguous:
            self.problem(f'column reference "{name}" is ambiguous', node, certain=True)
            return Val(None, None, "ambiguous column")
        sysval = _system_column(name)
        if sysval is not None:
            return sysval
        whole = scope.find_rel(name)
        if whole is not None:  # a whole-row reference: `to_jsonb(p)`
            return Val(whole.table, False, "a whole-row value is never NULL")
        if missing:
            self.problem(f'column "{name}" does not exist', node, certain=True)
        # Otherwise a relation with unknown columns (view, function, other schema) may have it.
        return Val(None, None, "unknown column")

    def _exact(self, table: str) -> bool:
        t = self.catalog.tables.get(table)
        return t is not None and t.exact

    def t_Literal(self, node: exp.Literal, scope: Scope, expect: str | None) -> Val:
        if node.is_string:
            return Val("unknown", False, "a literal is never NULL")
        text = node.name
        if re.fullmatch(r"\d+", text):
            value = int(text)
            pg = "int4" if value < 2**31 else "int8" if value < 2**63 else "numeric"
            return Val(pg, False, "a literal is never NULL")
        return Val("numeric", False, "a literal is never NULL")

    def t_Boolean(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        return Val("bool", False, "a literal is never NULL")

    def t_Null(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        return Val(expect or "unknown", True, "NULL literal")

    def t_Cast(self, node: exp.Cast, scope: Scope, expect: str | None) -> Val:
        target = self.cast_type(node.to)
        inner = self.typeof(node.this, scope, target, f"cast to {target}")
        nullable = inner.nullable
        if isinstance(node.this, exp.Literal):
            nullable = False
        return Val(target, nullable, inner.reason if nullable is not None else
                   "cast of a value of unknown nullability")

    t_TryCast = t_Cast

    def t_Is(self, node: exp.Is, scope: Scope, expect: str | None) -> Val:
        self.typeof(node.this, scope)
        if isinstance(node.expression, exp.Null):
            self.record_param_null(_unparen(node.this), True, "tested with IS NULL")
        return Val("bool", False, "IS [NOT] NULL is never NULL")

    def t_Not(self, node: exp.Not, scope: Scope, expect: str | None) -> Val:
        v = self.typeof(node.this, scope, "bool")
        return Val("bool", v.nullable, v.reason)

    def t_And(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        va = self.typeof(node.this, scope, "bool")
        vb = self.typeof(node.expression, scope, "bool")
        nullable, reason = self.children_null([va, vb], "boolean operator")
        return Val("bool", nullable, reason)

    t_Or = t_And
    t_Xor = t_And

    def t_Neg(self, node: exp.Neg, scope: Scope, expect: str | None) -> Val:
        v = self.typeof(node.this, scope, expect)
        return Val(v.type, v.nullable, v.reason)

    def t_Between(self, node: exp.Between, scope: Scope, expect: str | None) -> Val:
        va = self.typeof(node.this, scope)
        t = _concrete(va.type)
        vb = self.typeof(node.args["low"], scope, t)
        vc = self.typeof(node.args["high"], scope, t)
        nullable, reason = self.children_null([va, vb, vc], "BETWEEN")
        return Val("bool", nullable, reason)

    def t_In(self, node: exp.In, scope: Scope, expect: str | None) -> Val:
        va = self.typeof(node.this, scope)
        vals = [va]
        for e in node.expressions:
            vals.append(self.typeof(e, scope, _concrete(va.type)))
        query = node.args.get("query")
        if query is not None:
            self.subquery(query.this if isinstance(query, exp.Subquery) else query, scope)
            return Val("bool", None, "IN (subquery) may be NULL")
        nullable, reason = self.children_null(vals, "IN")
        return Val("bool", nullable, reason)

    def t_Exists(self, node: exp.Exists, scope: Scope, expect: str | None) -> Val:
        self.subquery(node.this, scope)
        return Val("bool", False, "EXISTS is never NULL")

    def t_Subquery(self, node: exp.Subquery, scope: Scope, expect: str | None) -> Val:
        cols = self.subquery(node.this, scope)
        if len(cols) != 1:
            return Val(None, None, "subquery")
        single = _single_row_aggregate(node.this)
        if single and cols[0].val.nullable is not None:
            return cols[0].val
        return Val(cols[0].val.type, True, "a scalar subquery is NULL when it returns no row")

    def t_function(self, node: exp.Expr, scope: Scope) -> Val:
        from .funcs_apply import apply_function
        return apply_function(self, node, scope)


def _other(node: exp.Expr, where: str) -> str:
    text = node.sql("postgres")
    text = text if len(text) <= 40 else text[:37] + "..."
    return f"takes the type of the other operand `{text}` ({where})"


def _param_index(node: exp.Expr) -> int:
    return int(node.this.name) if isinstance(node.this, exp.Literal) else int(node.name)


def _unparen(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _unfilter(node: exp.Expr) -> exp.Expr:
    return node.this if isinstance(node, exp.Filter) else node


def _is_all(node: exp.Expr) -> bool:
    return isinstance(node, exp.Anonymous) and str(node.this).upper() == "ALL" \
        and len(node.expressions) == 1


def _concrete(pg: str | None) -> str | None:
    return None if pg in (None, "unknown") else pg


def _ident(node: exp.Expr) -> str:
    if isinstance(node, exp.Identifier):
        return node.name if node.quoted else node.name.lower()
    return node.name.lower()


def _any_nullable(vals: list[Val], what: str) -> tuple[bool | None, str]:
    if any(v.nullable is True for v in vals):
        return True, f"a {what} is nullable"
    if all(v.nullable is False for v in vals):
        return False, f"every {what} is non-null"
    return None, f"a {what} has unknown nullability"


def _system_column(name: str) -> Val | None:
    types = {"xmin": "xid", "xmax": "xid", "cmin": "cid", "cmax": "cid", "ctid": "tid",
             "tableoid": "oid"}
    if name in types:
        return Val(types[name], False, "system column")
    return None


def _single_row_aggregate(node: exp.Expr) -> bool:
    """A SELECT of aggregates with no GROUP BY/HAVING/LIMIT returns exactly one row."""
    if not isinstance(node, exp.Select) or node.args.get("group") or node.args.get("having"):
        return False
    if node.args.get("limit") or node.args.get("offset"):
        return False
    return all(any(isinstance(n, exp.AggFunc) for n in e.walk()) for e in node.expressions)
