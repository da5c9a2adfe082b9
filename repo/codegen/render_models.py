"""Render ``models.py`` (enums and row models) and ``_queries.py``.

A row model is a frozen pydantic model, or with ``[codegen] rows = "tuple"`` a
``typing.NamedTuple`` subclass: the same field names and annotations, built by the runtime's
row maker in one ``tuple.__new__`` call (`repo.runtime.row_maker`).
"""

from __future__ import annotations

import dataclasses
import re

from ..identifiers import Kind, Safe, identifier
from ..queries.copyfrom import copy_target
from . import _emit, typemap
from .names import member_name
from .plan import EnumSpec, FieldSpec, MethodSpec, ModelSpec, ParamSpec, Plan
from .readonly import routing

Imports = dict[str, set[str] | None]


def _add(group: Imports, module: str, name: str | None) -> None:
    if name is None:
        group.setdefault(module, None)
    else:
        names = group.get(module)
        group[module] = (names or set()) | {name}


def type_imports(keys: set[str], stdlib: Imports, third: Imports, first: Imports) -> None:
    """Add the imports named by `typemap.IMPORTS` keys to the right isort section."""
    for key in keys:
        module, name = typemap.IMPORTS[key]
        section = first if module.startswith("repo") else (
            third if module.split(".")[0] in ("pydantic", "psycopg") else stdlib)
        _add(section, module, name)


def render_models(plan: Plan) -> str:
    """The text of ``models.py``."""
    tuples = plan.rows == "tuple"
    stdlib: Imports = {"typing": {"NamedTuple"}} if tuples and plan.models else {}
    third: Imports = {} if tuples else {"pydantic": {"BaseModel", "ConfigDict"}}
    first: Imports = {}
    if plan.enums:
        _add(stdlib, "enum", "StrEnum")
    keys = {k for m in plan.models for f in m.fields for k in typemap.imports_for(f.annotation)}
    type_imports(keys, stdlib, third, first)
    for module in {m for model in plan.models for f in model.fields for m in f.type.imports}:
        _add(first, module, None)  # [types] mappings to application types
    if not tuples and any(f.alias is not None for m in plan.models for f in m.fields):
        _add(third, "pydantic", "Field")
    lines = [_emit.HEADER.rstrip("\n"), '"""Row models and enums of the queries."""', ""]
    lines += _emit.imports([stdlib, third, first])
    for enum in plan.enums:
        lines += ["", *_enum(enum), ""]
    for model in plan.models:
        lines += ["", *(_named_tuple(model) if tuples else _model(model)), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _enum(enum: EnumSpec) -> list[str]:
    lines = [f"class {enum.name}(StrEnum):",
             *_emit.docstring(f"The PostgreSQL enum ``{enum.pg_name}``.", "    "), ""]
    taken: set[str] = set()
    for label in enum.labels:
        result = identifier(member_name(label), Kind.MEMBER, taken)
        assert isinstance(result, Safe)  # members are always mapped, never refused
        taken.add(result.name)
        lines.append(f"    {result.name} = {_emit.string(label)}")
    return lines


def _model(model: ModelSpec) -> list[str]:
    # psycopg's Range has no pydantic schema; pydantic then only checks isinstance.
    # Application types from [types] may have no pydantic schema either.
    arbitrary = any("Range[" in f.annotation or f.type.imports for f in model.fields)
    config = "frozen=True, arbitrary_types_allowed=True" if arbitrary else "frozen=True"
    if any(f.name.startswith("model_") for f in model.fields):
        # A column such as `model_dumpster` is a fine field (the gate keeps BaseModel's own
        # attributes off limits), but pydantic warns about its `model_` namespace, which is
        # an error under `-W error`.
        config += ", protected_namespaces=()"
    lines = [f"class {model.name}(BaseModel):", *_emit.docstring(model.doc, "    "), "",
             f"    model_config = ConfigDict({config})", ""]
    for f in model.fields:
        lines += _field(f)
    return lines


# tuple's own methods: a field of that name replaces the method on the row (`row.count` is the
# column), which mypy reports as an incompatible override; the column name is kept, so the
# same query reads the same attribute in both row types.
TUPLE_METHODS = frozenset({"count", "index"})


def _named_tuple(model: ModelSpec) -> list[str]:
    lines = [f"class {model.name}(NamedTuple):", *_emit.docstring(model.doc, "    "), ""]
    for f in model.fields:
        if f.type.warning:
            lines += _emit.comment(f"fallback: {f.type.warning}", "    ")
        if f.alias is not None:
            lines += _emit.comment(f"column {f.alias!r}", "    ")
        ignore = "  # type: ignore[assignment]" if f.name in TUPLE_METHODS else ""
        lines.append(f"    {f.name}: {f.annotation}{ignore}")
    return lines


def _field(f: FieldSpec) -> list[str]:
    lines = []
    if f.type.warning:
        lines += _emit.comment(f"fallback: {f.type.warning}", "    ")
    line = f"    {f.name}: {f.annotation}"
    if f.alias is None:
        return lines + [line]
    alias = f"alias={_emit.string(f.alias)}"
    if len(line) + len(alias) + 10 <= _emit.LINE:
        return lines + [f"{line} = Field({alias})"]
    return lines + [f"{line} = Field(", f"        {alias}", "    )"]


def render_queries(plan: Plan) -> str:
    """The text of ``_queries.py``: one `Query` per query file, shared by sync and async."""
    methods = [m for r in plan.repos for m in r.methods]
    models = {m.name: m for m in plan.models}
    used = sorted({m.model for m in methods if m.model})
    # A sqlc.embed field's model needs its own row maker, defined before the one using it.
    inner = sorted({f.type.annotation for n in used for f in models[n].fields if f.nested})
    used = [n for n in inner if n not in used] + [n for n in used if n in inner] + \
        [n for n in used if n not in inner]
    converters = " ".join(f.type.converter or "" for n in used for f in models[n].fields)
    runtime = {"Query"} | ({"Param"} if any(m.params for m in methods) else set())
    runtime |= {"CopyIn"} if any(m.query.cardinality == "copyfrom" for m in methods) else set()
    scalars = [m.scalar for m in methods if m.scalar is not None]
    converters += " " + " ".join(f.type.converter or "" for f in scalars)
    runtime |= {"Variants"} if any(m.variants for m in methods) else set()
    runtime |= ({"row_maker"} if used else set()) | (
        {"array_of"} if "array_of(" in converters else set())
    runtime |= {f for f in ("row_of", "rows_of") if f"{f}(" in converters}
    runtime |= {"scalar_maker"} if scalars else set()
    runtime |= {"json_as"} if "json_as(" in converters else set()
    enums = {e.name for e in plan.enums}
    local = set(used) | {p.type.annotation for m in methods for p in m.params if p.type.labels}
    local |= (enums | set(models)) & set(re.findall(r"\w+", " ".join(
        [converters, *(f.annotation for f in scalars)])))
    lines = [_emit.HEADER.rstrip("\n"),
             '"""SQL, parameters and row makers of every query, shared by sync and async."""', ""]
    apps: dict[str, set[str] | None] = {
        m: None for n in used for f in models[n].fields if f.type.converter for m in f.type.imports}
    apps |= {m: None for f in scalars for m in f.type.imports}
    # A scalar query's annotation (`Query[datetime.datetime]`) names its type here.
    stdlib: Imports = {}
    third: Imports = {}
    first: Imports = {"repo.runtime": runtime, **apps}
    type_imports({k for f in scalars for k in typemap.imports_for(f.annotation)},
                 stdlib, third, first)
    lines += _emit.imports([stdlib, third, first, {".models": local} if local else {}])
    for name in used:
        lines += _emit.call(f"_{_const(name)} = row_maker", _maker_args(models[name]), "")
    lines += [""] if used else []
    for m in methods:
        lines += ["", *_query(m, models), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _const(model: str) -> str:
    return "".join("_" + c if c.isupper() and i else c for i, c in enumerate(model)).upper()


def _maker_args(model: ModelSpec) -> list[str]:
    converters = [f"{_emit.string(f.name)}: {f.type.converter}" for f in model.fields
                  if f.type.converter]
    nested = [f"{_emit.string(f.name)}: (_{_const(f.type.annotation)}, {f.nested}, "
              f"{f.nullable})" for f in model.fields if f.nested]
    # Each is one argument of a `row_maker(...)` call exploded at the top level.
    args = [model.name] + ([_emit.dict_of(converters, _emit.INDENT)] if converters else [])
    return args + ([_emit.dict_of(nested, _emit.INDENT, "nested=")] if nested else [])


def _query(m: MethodSpec, models: dict[str, ModelSpec]) -> list[str]:
    q = m.query
    pad = "        " if m.variants else "    "  # nested one level in `Variants(...)`
    if q.cardinality == "copyfrom":
        return _copy_in(m)
    row_type = m.row if m.model or m.scalar else "None"
    args = [_emit.string(q.key), _emit.block_string(q.sql)]
    if m.params or m.model or m.scalar:
        args.append(_emit.tuple_of([_param(p) for p in m.params], pad) if m.params else "()")
    if m.model:
        args.append(f"_{_const(m.model)}")
        if models[m.model].binary:
            args.append("binary=True")
    elif m.scalar:
        args.append(f"scalar_maker({m.scalar.type.converter or ''})")
        if m.scalar.type.binary:
            args.append("binary=True")
    flags = ["read_only=True"] if routing(q.sql).read_only else []  # repo/codegen/readonly.py
    if q.primary_line is not None:
        flags.append("primary=True")  # `-- @primary`: never on a replica
    if flags and len(args) == 2:
        args.append("()")
    args += flags
    if m.variants:
        return _variants(m, row_type, args)
    return _emit.call(f"{m.const}: Query[{row_type}] = Query", args, "")


def _variants(m: MethodSpec, row_type: str, full: list[str]) -> list[str]:
    """`Variants(full query, optional positions, {mask: (text, positions)})`."""
    q = m.query
    where = {name: i for i, name in enumerate(q.params)}
    optional = _emit.tuple_of([str(where[n]) for n in q.optional], "    ")
    texts = ["{"]
    for v in m.variants:
        positions = _emit.tuple_of([str(where[n]) for n in v.params], "        ")
        texts.append(f"        {v.variant}: (")
        texts.append(f"            {_emit.block_string(v.sql)},")
        texts.append(f"            {positions},")
        texts.append("        ),")
    texts.append("    }")
    query = "\n".join(_emit.call("Query", full, "    "))
    return _emit.call(f"{m.const}: Variants[{row_type}] = Variants",
                      [query.strip(), optional, "\n".join(texts)], "")


def _copy_in(m: MethodSpec) -> list[str]:
    # The COPY names the INSERT's table and columns; each column takes its parameter's kind.
    target = copy_target(m.query.sql, m.query.path)
    columns = [_param(dataclasses.replace(p, name=c)) for p, c in zip(m.params, target.columns,
                                                                          strict=True)]
    table = (_emit.string(target.table[0]) if len(target.table) == 1
             else _emit.tuple_of([_emit.string(t) for t in target.table], "    "))
    args = [table, _emit.tuple_of(columns, "    "), f"name={_emit.string(m.query.key)}"]
    return _emit.call(f"{m.const} = CopyIn", args, "")


def _param(p: ParamSpec) -> str:
    args = [_emit.string(p.name), _emit.string(p.type.kind)]
    if p.nullable:
        args.append("nullable=True")
    if p.type.labels is not None:
        args.append(f"labels=frozenset({p.type.annotation})")
    return f"Param({', '.join(args)})"
