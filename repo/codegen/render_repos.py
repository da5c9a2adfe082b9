"""Render ``repos.py`` and ``async_repos.py`` from ONE template (`_Flavor` picks the words).

The two files differ only in ``async def``/``await`` and the base class names, so they
cannot drift apart: there is one renderer, run twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import CodegenError
from . import _emit, typemap
from .plan import MethodSpec, Plan, RepoSpec
from .render_models import Imports, type_imports

QUERIES_ALIAS = "_sql"


@dataclass(frozen=True)
class _Flavor:
    prefix: str  # class-name prefix: "" or "Async"
    base: str
    source: str
    define: str  # "def" or "async def"
    wait: str  # "" or "await "
    doc: str
    iterator: str  # the return type of a streaming (`:iter`) method


SYNC = _Flavor("", "Repo", "Source", "def", "",
               "Typed repositories over a psycopg ``Connection`` or ``ConnectionPool``.",
               "Iterator")
ASYNC = _Flavor("Async", "AsyncRepo", "AsyncSource", "async def", "await ",
                "Typed async repositories over a psycopg ``AsyncConnection`` or "
                "``AsyncConnectionPool``.", "AsyncIterator")

_METHOD = {"one": "_one", "optional": "_optional", "many": "_many", "exec": "_exec",
           "execrows": "_execrows", "iter": "_iter"}


def render_repos(plan: Plan, flavor: _Flavor) -> str:
    """The text of ``repos.py`` (`SYNC`) or ``async_repos.py`` (`ASYNC`)."""
    lines = [_emit.HEADER.rstrip("\n"), *_emit.docstring(flavor.doc, ""), ""]
    lines += _emit.imports(_imports(plan, flavor))
    for repo in plan.repos:
        lines += ["", *_repo(repo, flavor), ""]
    lines += ["", *_container(plan, flavor)]
    return "\n".join(lines).rstrip("\n") + "\n"


def _imports(plan: Plan, flavor: _Flavor) -> list[Imports]:
    stdlib: Imports = {}
    third: Imports = {}
    first: Imports = {"repo.runtime": {flavor.source}}
    local: Imports = {".": {f"_queries as {QUERIES_ALIAS}"}}
    project: Imports = {}
    methods = [m for r in plan.repos for m in r.methods]
    annotations = [p.annotation for m in methods for p in m.params]
    annotations += [m.scalar.annotation for m in methods if m.scalar is not None]
    keys = {k for a in annotations for k in typemap.imports_for(a)}
    type_imports(keys, stdlib, third, first)
    abc = {"Iterable"} if any(m.query.cardinality == "copyfrom" or m.query.rows
                              for m in methods) else set()
    if any(m.query.rows for m in methods):
        first["repo.runtime"] = (first.get("repo.runtime") or set()) | {"columns_of"}
    abc |= {flavor.iterator} if any(m.query.cardinality == "iter" for m in methods) else set()
    # `-- @rows` parameters appear only as their element types (`Iterable[tuple[...]]`).
    shown = [p.annotation for m in methods for p, src in zip(m.params, m.query.params,
                                                             strict=False)
             if src not in m.query.rows]
    abc |= {"Sequence"} if any("Sequence[" in a for a in shown) else set()
    if abc:
        stdlib["collections.abc"] = (stdlib.get("collections.abc") or set()) | abc
    for module in {mod for m in methods if m.scalar for mod in m.scalar.type.imports} | {
            mod for m in methods for p in m.params for mod in p.type.imports}:
        # [types] / [json] application types, annotated as `module.Name`.
        first[module] = (first.get(module) or set()) | {""}
    models = {m.model for r in plan.repos for m in r.methods if m.model}
    models |= {p.type.param for r in plan.repos for m in r.methods for p in m.params
               if p.type.labels}
    models |= _enums_in_annotations(plan)
    if models:
        local[".models"] = models
    for repo in plan.repos:
        base = repo.async_base if flavor is ASYNC else repo.base
        if base is None:
            first["repo.runtime"] = (first["repo.runtime"] or set()) | {flavor.base}
        else:
            # Absolute: a relative `..extensions` fails for a top-level generated package.
            module = plan.extensions_module
            group = first if module.split(".")[0] == "repo" else project
            group[module] = (group.get(module) or set()) | {base}
    # isort sections: the project's own modules come after `repo` (a third-party package to it).
    return [stdlib, third, first, project, local]


def _enums_in_annotations(plan: Plan) -> set[str]:
    # Lists of enums are parameters too (`list[Mood]`).
    enums = {e.name for e in plan.enums}
    words = {w for r in plan.repos for m in r.methods for p in m.params
             for w in re.findall(r"\w+", p.type.param)}
    words |= {w for r in plan.repos for m in r.methods if m.scalar
              for w in re.findall(r"\w+", m.scalar.annotation)}
    return enums & words


def _repo(repo: RepoSpec, flavor: _Flavor) -> list[str]:
    base = (repo.async_base if flavor is ASYNC else repo.base) or flavor.base
    lines = [f"class {flavor.prefix}{repo.name}({base}):",
             *_emit.docstring(f"The queries in ``{repo.folder}/``.", "    "), "",
             "    __slots__ = ()"]
    for method in repo.methods:
        lines += ["", *_method(method, flavor)]
    return lines


def _method(m: MethodSpec, flavor: _Flavor) -> list[str]:
    q = m.query
    doc = (q.doc.strip() + "\n\n" if q.doc.strip() else "") + f"Query file: ``{q.source}``."
    if q.cardinality == "copyfrom":
        return _copy_method(m, flavor, doc)
    # A streaming method is a plain `def` in both twins: it returns the (async) iterator
    # at once, so callers write `for row in ...` / `async for row in ...`.
    streaming = q.cardinality == "iter"
    define, wait = ("def", "") if streaming else (flavor.define, flavor.wait)
    signature, names = _signature(m), [p.name for p in m.params]
    if q.rows:
        signature, names, doc = _rows_form(m, signature, doc)
    lines = _emit.call(f"{define} {q.method}", signature, "    ",
                       f" -> {m.returns_in(flavor.iterator)}:")
    lines += _emit.docstring(doc, "        ")
    if q.rows:
        lines.append(f"        _columns = columns_of(rows, {len(q.rows)})")
    values = _emit.tuple_of(names, "            ") if m.params else "()"
    verb = "" if q.cardinality == "exec" else "return "
    head = f"{verb}{wait}self.{_METHOD[q.cardinality]}"
    if m.variants:
        # The text without the predicates of the optional arguments that are None.
        lines += _emit.call(f"query, args = {QUERIES_ALIAS}.{m.const}.select",
                            [values], "        ")
        return lines + [f"        {head}(query, args)"]
    lines += _emit.call(head, [f"{QUERIES_ALIAS}.{m.const}", values], "        ")
    return lines


def _rows_form(m: MethodSpec, signature: list[str],
               doc: str) -> tuple[list[str], list[str], str]:
    """`-- @rows a, b`: the array parameters ``a``, ``b`` are taken as one ``rows`` argument,
    a list of ``(a_i, b_i)`` tuples, turned into the arrays at the call (`columns_of`)."""
    q = m.query
    by_source = dict(zip(q.params, m.params, strict=True))
    elements = []
    for name in q.rows:
        p = by_source[name]
        if not p.type.param.startswith("Sequence["):
            raise CodegenError(f"@rows names {name!r}, which is not an array parameter "
                               f"(it is {p.type.param})", path=q.path,
                               hint="cast it to an array: `unnest(:a::text[], :b::int[])`")
        elements.append(p.type.param[len("Sequence["):-1])
    rows = {by_source[n].name for n in q.rows}
    others = [s for s, p in zip(signature[2:], m.params, strict=False)
              if p.name not in rows] if signature[1:2] == ["*"] else []
    row = f"tuple[{', '.join(elements)}]"
    head = ["self", f"rows: Iterable[{row}]", "/"] + (["*", *others] if others else [])
    names = [f"_columns[{q.rows.index(src)}]" if src in q.rows else p.name
             for src, p in zip(q.params, m.params, strict=True)]
    fields = ", ".join(by_source[n].name for n in q.rows)
    doc += f"\n\nArgs:\n    rows: one tuple per row: ({fields}), sent as one array per column."
    return head, names, doc


def _copy_method(m: MethodSpec, flavor: _Flavor, doc: str) -> list[str]:
    # `rows` is the only parameter; each row is a tuple in the INSERT's column order.
    row = f"tuple[{', '.join(p.annotation for p in m.params)}]"
    doc += ("\n\nArgs:\n    rows: one tuple per row: "
            f"({', '.join(p.name for p in m.params)}), sent with one COPY.")
    lines = _emit.call(f"{flavor.define} {m.query.method}",
                       ["self", f"rows: Iterable[{row}]", "/"], "    ", " -> int:")
    lines += _emit.docstring(doc, "        ")
    return lines + [f"        return {flavor.wait}self._copy_in({QUERIES_ALIAS}.{m.const}, rows)"]


def _signature(m: MethodSpec) -> list[str]:
    # A `-- @default` value, else None for a nullable parameter (sqlc.narg, `-- @nullable`,
    # or found nullable by the analysis: stored in a nullable column, tested with IS NULL,
    # passed to COALESCE). Named parameters are keyword-only, so their order does not
    # matter; positional ones ($n files) can default only from the last required one on.
    defaults: list[str | None] = []
    for p, src in zip(m.params, m.query.params, strict=False):
        value = m.query.param_values.get(src)
        defaults.append(f" = {value}" if value else " = None" if p.nullable else None)
    if m.query.positional:
        defaults = [None if any(d is None for d in defaults[i:]) else d
                    for i, d in enumerate(defaults)]
    params = [f"{p.name}: {p.annotation}{d or ''}"
              for p, d in zip(m.params, defaults, strict=False)]
    if not params:
        return ["self"]
    if m.query.positional:
        return ["self", *params, "/"]
    return ["self", "*", *params]


def _container(plan: Plan, flavor: _Flavor) -> list[str]:
    name = f"{flavor.prefix}Repos"
    example = f"``{name}(conn).{plan.repos[0].folder}``" if plan.repos else f"``{name}(conn)``"
    lines = [f"class {name}:",
             *_emit.docstring(f"Every repository over one source: {example}.", "    "), ""]
    slots = [_emit.string(r.folder) for r in plan.repos]
    lines.append(f"    __slots__ = {_emit.tuple_of(slots, '    ')}")
    lines += ["", f"    def __init__(self, source: {flavor.source}) -> None:"]
    lines += [f"        self.{r.folder} = {flavor.prefix}{r.name}(source)" for r in plan.repos]
    return lines
