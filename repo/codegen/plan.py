"""What to generate, decided from the query files, ``.sqlx/`` and the nullability refiner.

The plan is plain data (enums, models, repositories and their methods); the renderers turn
it into text. Everything is sorted, so the same inputs always give the same plan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import CONFIG_FILE
from ..errors import CodegenError, MetadataMissing, MetadataStale, NameClash
from ..identifiers import Kind, Refusal, Safe, identifier, is_ascii_identifier
from ..metadata.model import Column, QueryData
from ..queries import Cardinality, QueryDef
from ..queries.variants import expand
from ..typetable import TYPES
from . import names, rusttypes, typemap
from .nullability import Refiner, final
from .typemap import PyType

_OIDS = {t.sqlx: t.oid for t in TYPES}
_TEXT_OID = 25
PREPARE_HINT = "run `python -m repo prepare` to describe the queries again"


@dataclass(frozen=True)
class FieldSpec:
    """One model field; ``alias`` is the column label when the field name differs from it."""

    name: str
    column: str
    type: PyType
    nullable: bool
    alias: str | None = None
    nested: int = 0  # a sqlc.embed field: the number of columns its model takes (codegen/embed)

    @property
    def annotation(self) -> str:
        return f"{self.type.annotation} | None" if self.nullable else self.type.annotation


@dataclass(frozen=True)
class ModelSpec:
    name: str
    doc: str
    fields: tuple[FieldSpec, ...]
    table: str | None = None

    @property
    def binary(self) -> bool:
        """Every field can be read in the binary result format."""
        return all(f.type.binary for f in self.fields)


@dataclass(frozen=True)
class EnumSpec:
    name: str
    pg_name: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: PyType
    nullable: bool

    @property
    def annotation(self) -> str:
        return f"{self.type.param} | None" if self.nullable else self.type.param


@dataclass(frozen=True)
class MethodSpec:
    """One generated method.

    Args:
        model: the row model, when the result has two or more columns (or is a table's row).
        scalar: the one result column, when there is exactly one: the method returns its
            value itself (``count() -> int``), as sqlc does, for every row marker.
    """

    query: QueryDef
    const: str
    params: tuple[ParamSpec, ...]
    model: str | None
    # The other texts of a query with optional filters (`repo.queries.variants`), by mask.
    variants: tuple[QueryDef, ...] = ()
    scalar: FieldSpec | None = None

    @property
    def row(self) -> str:
        """The annotation of one row: the model, or the scalar column's value."""
        return self.scalar.annotation if self.scalar is not None else f"{self.model}"

    @property
    def returns(self) -> str:
        """The return annotation in the sync repository."""
        return self.returns_in("Iterator")

    def returns_in(self, iterator: str) -> str:
        """The return annotation (``iterator`` is ``AsyncIterator`` in the async twin)."""
        card, row = self.query.cardinality, self.row
        return {"one": row, "optional": f"{row} | None", "many": f"list[{row}]",
                "iter": f"{iterator}[{row}]", "execrows": "int",
                "copyfrom": "int"}.get(card, "None")


@dataclass
class RepoSpec:
    folder: str
    name: str
    base: str | None  # a hand-written extension class it inherits from
    async_base: str | None
    methods: list[MethodSpec] = field(default_factory=list)


@dataclass
class Plan:
    enums: list[EnumSpec]
    models: list[ModelSpec]
    repos: list[RepoSpec]
    warnings: list[str] = field(default_factory=list)
    # The absolute import name of the hand-written extensions module (`Settings`).
    extensions_module: str = "extensions"
    # What a row model is: "pydantic" or "tuple" (`[codegen] rows`, `Settings.rows`).
    rows: str = "pydantic"


def build_plan(queries: Sequence[QueryDef], sqlx: Mapping[str, QueryData],
               meta: Mapping[str, Any] | None, refiner: Refiner,
               extensions: frozenset[str] = frozenset(),
               types: Mapping[str, str] | None = None,
               json: Mapping[str, str] | None = None) -> Plan:
    """Decide every class and method to generate.

    Args:
        queries: the loaded query files.
        sqlx: ``.sqlx`` query files keyed by hash.
        meta: ``repo-meta.json`` (table shapes, column origins), or None.
        refiner: certain nullability facts (see `repo.codegen.nullability`).
        extensions: names of hand-written ``<Name>Extension`` classes found next to the
            generated package; a repository whose class has one inherits from it.
        types: ``config.toml`` ``[types]``: Rust type names in column overrides -> Python
            types (see `repo.codegen.rusttypes`).
        json: ``config.toml`` ``[json]``: ``"table.column"`` or ``"folder/method.name"`` ->
            ``"module:Model"``, json/jsonb values typed as that model (`typemap.json_model`).
    """
    repo_names = _repo_names(queries)
    described = [(q, _metadata(q, sqlx)) for q in queries]
    tables = dict(sorted((meta or {}).get("tables", {}).items()))
    taken = set(repo_names.values()) | {"Async" + n for n in repo_names.values()}
    taken |= {e for n in repo_names.values() for e in (_ext(n, extensions),
                                                        _ext("Async" + n, extensions)) if e}
    enum_names, enums = _enums(described, tables, taken)
    planner = _Planner(enum_names, tables, meta or {}, refiner, types or {}, taken, json or {},
                       sqlx)
    for q, data in described:
        planner.warnings += q.warnings  # the query file's own (marker-like comments)
        planner.add(q, data, repo_names[q.repo], extensions)
    unused = sorted(set(json or {}) - planner.json_used)
    planner.warnings += [f"config.toml [json] {k!r} matches no json/jsonb column or parameter"
                         for k in unused]
    return Plan(enums, planner.models(), planner.repos(), planner.warnings)


def gate(source: str, kind: Kind, taken: set[str], what: str, q: QueryDef | None = None) -> str:
    """`repo.identifiers.identifier`, its answer recorded in ``taken``; a refusal raises.

    Args:
        what: names the object in the error (``table items column``, ``query folder``).
        q: the query file concerned, if any (named in the error).
    """
    result = identifier(source, kind, taken)
    if isinstance(result, Refusal):
        raise CodegenError(f"{what}: {result.message}", path=q.path if q else None,
                           hint=result.hint)
    taken.add(result.name)
    return result.name


def _repo_names(queries: Sequence[QueryDef]) -> dict[str, str]:
    """Folder -> repository class; two folders giving one class (sync or async) is refused."""
    owners: dict[str, QueryDef] = {}
    out: dict[str, str] = {}
    for q in sorted(queries, key=lambda d: (d.repo, d.method)):
        if q.repo in out:
            continue
        gate(q.repo, Kind.FOLDER, set(), "query folder", q)
        name = names.repo_name(q.repo)
        for cls in (name, "Async" + name):
            other = owners.setdefault(cls, q)
            if other is not q:
                raise NameClash(f"query folders {other.path.parent} and {q.path.parent} both "
                                f"generate the class `{cls}`", path=q.path.parent,
                                hint="rename one of the folders")
        if identifier(name, Kind.CLASS) != Safe(name, name):
            raise NameClash(f"query folder {q.path.parent} generates the class `{name}`, "
                            "which the generated package already uses",
                            path=q.path.parent, hint="rename the folder")
        out[q.repo] = name
    return out


def _metadata(q: QueryDef, sqlx: Mapping[str, QueryData]) -> QueryData:
    data = sqlx.get(q.hash)
    if data is None:
        raise MetadataMissing(f"no .sqlx metadata for {q.key} (query-{q.hash}.json)",
                              path=q.path, hint=PREPARE_HINT)
    if data.query != q.sql:
        raise MetadataStale(f"the .sqlx metadata of {q.key} is for another query text",
                            path=q.path, hint=PREPARE_HINT)
    return data


def _enums(described: Sequence[tuple[QueryDef, QueryData]],
           tables: Mapping[str, Any], classes: set[str]) -> tuple[dict[str, str], list[EnumSpec]]:
    found: dict[str, tuple[str, ...]] = {}
    infos: list[Any] = [c.get("type_info") for cols in tables.values() for c in cols]
    for _, data in described:
        infos += [c.type_info for c in data.describe.columns]
        infos += data.describe.parameters
    for info in infos:
        for name, labels in typemap.enums_in(info):
            found.setdefault(name, labels)
    # Table models keep their conventional names; an enum of the same name is numbered.
    taken = classes | {names.model_name(t) for t in tables}
    enum_names: dict[str, str] = {}
    for pg_name in sorted(found):
        enum_names[pg_name] = gate(names.pascal(pg_name.split(".")[-1].strip('"')),
                                   Kind.CLASS, taken, f"enum {pg_name}")
    specs = [EnumSpec(enum_names[n], n, found[n]) for n in sorted(found)]
    return enum_names, specs


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}{n}", n + 1
    taken.add(candidate)
    return candidate


@dataclass
class _Scope:
    """The field names given out in one model, and the column labels met so far."""

    names: set[str]
    columns: set[str] = field(default_factory=set)


class _Planner:
    def __init__(self, enum_names: dict[str, str], tables: Mapping[str, Any],
                 meta: Mapping[str, Any], refiner: Refiner, types: Mapping[str, str],
                 classes: set[str], json: Mapping[str, str],
                 sqlx: Mapping[str, QueryData]) -> None:
        self.enum_names = enum_names
        self.types = types
        self.json = json
        self.json_used: set[str] = set()
        self.meta = meta
        self.refiner = refiner
        self.warnings: list[str] = []
        self.taken = classes | set(enum_names.values())
        self.table_models = {t: self._table_model(t, cols) for t, cols in tables.items()}
        self._tables_by_name = sorted(self.table_models.values(), key=lambda m: m.name)
        self.query_models: list[ModelSpec] = []
        self.repo_specs: dict[str, RepoSpec] = {}
        self.consts: set[str] = set()
        self.sqlx = sqlx

    def _table_model(self, table: str, columns: Sequence[Mapping[str, Any]]) -> ModelSpec:
        scope = _Scope(self.annotation_names())
        fields = tuple(self._field(str(c["name"]), scope, f"table {table}",
                                   self._json_type(
                                       self._type(c["type_info"], f"{table}.{c['name']}"),
                                       [f"{table}.{c['name']}"], f"column {table}.{c['name']}"),
                                   not c.get("not_null", False)) for c in columns)
        name = gate(names.model_name(table), Kind.CLASS, self.taken, f"table {table}")
        return ModelSpec(name, f"A row of the ``{table}`` table.", fields, table)

    def annotation_names(self) -> set[str]:
        """Names models.py annotations use besides the fixed ones: enums, [types] modules."""
        modules = {v.split(":")[0].split(".")[0] for v in [*self.types.values(),
                                                           *self.json.values()] if ":" in v}
        return set(self.enum_names.values()) | modules

    def _json_type(self, t: PyType, keys: Sequence[str], where: str) -> PyType:
        """``t``, or the model the first of ``keys`` found in ``[json]`` names (typed JSON)."""
        for key in keys:
            model = self.json.get(key)
            if model is None:
                continue
            typed = typemap.json_model(t, model)
            if typed is None:
                raise CodegenError(f"config.toml [json] {key!r}: {where} is not json or jsonb "
                                   f"(it is typed {t.annotation})", path=Path(CONFIG_FILE),
                                   hint="map only json/jsonb columns and parameters")
            self.json_used.add(key)
            return typed
        return t

    def _field(self, column: str, scope: _Scope, where: str, t: PyType,
               nullable: bool) -> FieldSpec:
        """The field of one column, named through the gate within its model's ``scope``."""
        repeated = column in scope.columns
        scope.columns.add(column)
        name = gate(column, Kind.FIELD, scope.names, f"{where} column {column!r}")
        if repeated:
            # Two columns of one name (a join of two tables with an `id`): sqlc's `id_2`, and
            # no alias (two fields with one alias would read the same key in model_validate).
            self.warnings.append(f"{where}: two result columns are named `{column}`; the later "
                                 f"one is the field `{name}` (alias one with AS to choose)")
            return FieldSpec(name, column, t, nullable)
        if not is_ascii_identifier(column) or column.startswith("_"):
            self.warnings.append(f"{where}: column {column!r} is the field `{name}` (with "
                                 "the column name as its alias)")
        return FieldSpec(name, column, t, nullable, column if name != column else None)

    def _type(self, type_info: Any, where: str) -> PyType:
        t = typemap.resolve(type_info, self.enum_names)
        if t.warning:
            self.warnings.append(f"{where}: {t.warning}")
        return t

    def add(self, q: QueryDef, data: QueryData, name: str,
            extensions: frozenset[str]) -> None:
        gate(q.method, Kind.METHOD, set(), "query file", q)
        repo = self.repo_specs.get(q.repo)
        if repo is None:
            repo = RepoSpec(q.repo, name, _ext(name, extensions), _ext("Async" + name, extensions))
            self.repo_specs[q.repo] = repo
        if q.defaulted:
            # No marker: PostgreSQL's answer decides, as in prepare (`ALTER TABLE ...` has
            # no rows although the text guess saw the keyword TABLE).
            rows = bool(data.describe.columns)
            q = dataclasses.replace(q, cardinality=Cardinality.MANY if rows else Cardinality.EXEC)
        params = self._params(q, data)
        _check_defaults(q, params)
        model, scalar = self._result_model(q, data)
        const = _unique(f"{q.repo}_{q.method}".upper(), self.consts)
        variants = tuple(expand(q))
        for v in variants:
            _metadata(v, self.sqlx)  # each variant was described (prepare); else stale
        repo.methods.append(MethodSpec(q, const, params, model, variants, scalar))

    def _params(self, q: QueryDef, data: QueryData) -> tuple[ParamSpec, ...]:
        types = list(data.describe.parameters)
        if len(types) != len(q.params):
            raise MetadataStale(f"{q.key} has {len(q.params)} parameters but its metadata "
                                f"has {len(types)}", path=q.path, hint=PREPARE_HINT)
        facts = self.refiner.params(q)
        targets = self._targets(q)
        taken: set[str] = set()
        return tuple(ParamSpec(gate(name, Kind.PARAM, taken, f"{q.key} parameter", q),
                               self._json_type(self._type(info, f"{q.key} parameter {name}"),
                                               [f"{q.key}.{name}", *targets.get(i + 1, [])],
                                               f"{q.key} parameter {name}"),
                               final(i, q.param_nullable.get(name), facts, False))
                     for i, (name, info) in enumerate(zip(q.params, types, strict=True)))

    def _targets(self, q: QueryDef) -> dict[int, list[str]]:
        """Parameter number -> ``["table.column"]`` it is stored in (only with ``[json]``)."""
        if not self.json:
            return {}
        from ..analysis.targets import param_targets  # sqlglot: only when it can matter

        return {n: [f"{t}.{c}"] for n, (t, c) in param_targets(q.sql).items()}

    def _result_model(self, q: QueryDef, data: QueryData) -> tuple[str | None, FieldSpec | None]:
        columns = data.describe.columns
        if not q.cardinality.returns_rows:
            return None, None
        if not columns:
            raise CodegenError(f"`:{q.cardinality}` needs a statement that returns rows, but "
                               f"{q.key} returns none", path=q.path, line=q.marker_line,
                               hint="add RETURNING ..., or use `:exec` / `:execrows`")
        fields = self._fields(q, columns, data.describe.nullable)
        if q.embeds:
            fields = self._embed(q, fields)
        if q.model_name is not None:
            name = gate(q.model_name, Kind.CLASS, self.taken, f"@model of {q.key}", q)
            if name != q.model_name:
                raise CodegenError(f"@model {q.model_name} of {q.key} is not a free class "
                                   f"name here (it would become {name})", path=q.path,
                                   hint="choose another name")
            self.query_models.append(ModelSpec(name, f"A row returned by ``{q.key}``.",
                                               fields))
            return name, None
        if len(fields) == 1 and not q.embeds:
            # One column: the method returns its value, not a one-field model (sqlc's rule;
            # SQLx's query_scalar!). The field keeps its type, nullability and converter.
            return None, fields[0]
        table = self._matching_table(q, fields)
        if table is not None:
            return table.name, None
        name = names.pascal(q.method) + "Row"
        if identifier(name, Kind.CLASS, self.taken) != Safe(name, name):
            name = names.pascal(names.singular(q.repo)) + name
        name = gate(name, Kind.CLASS, self.taken, f"the result of {q.key}", q)
        model = ModelSpec(name, f"A row returned by ``{q.key}``.", fields)
        self.query_models.append(model)
        return model.name, None

    def _embed(self, q: QueryDef, fields: Sequence[FieldSpec]) -> tuple[FieldSpec, ...]:
        from .embed import nest

        origins = self._origins(q)
        scope = {f.name for f in fields}
        return nest(q.embeds, fields, origins, self.table_models,
                    lambda t: gate(t, Kind.FIELD, scope, f"{q.key} sqlc.embed({t})", q),
                    lambda w: self.warnings.append(f"{q.key} ({q.path}): {w}"))

    def _origins(self, q: QueryDef) -> list[Any]:
        """Per result column of ``q``, its (table, column) from ``repo-meta.json``, or None."""
        return self.meta.get("queries", {}).get(q.key, {}).get("origins") or []

    def _fields(self, q: QueryDef, columns: Sequence[Column],
                nullable: Sequence[bool | None]) -> tuple[FieldSpec, ...]:
        facts = self.refiner.columns(q)
        fields: list[FieldSpec] = []
        scope = _Scope(self.annotation_names())
        origins = self._origins(q)
        for i, col in enumerate(columns):
            parsed = self._parse_column(q, i, col.name)
            sqlx_nullable = nullable[i] if i < len(nullable) else None
            is_null = final(i, parsed.nullable, facts, sqlx_nullable is not False)
            t = self._column_type(q, parsed, col.type_info)
            if parsed.type_override is None:
                origin = origins[i] if i < len(origins) else None
                keys = [f"{q.key}.{parsed.ident}"] + ([f"{origin[0]}.{origin[1]}"] if origin
                                                      else [])
                t = self._json_type(t, keys, f"{q.key} column {parsed.ident}")
            fields.append(self._field(parsed.ident, scope, q.key, t, is_null))
        return tuple(fields)

    def _parse_column(self, q: QueryDef, index: int, label: str) -> names.ColumnName:
        parsed = names.parse_column(label)
        if parsed is not None:
            return parsed
        # PostgreSQL's `?column?` (an expression with no alias) and other labels that are no
        # identifier: SQLx accepts them (query_scalar!, EXISTS checks), so a field is named by
        # position, as sqlc does.
        name = f"column_{index + 1}"
        self.warnings.append(f"{q.key} ({q.path}): result column {index + 1} is labelled "
                             f"{label!r}, not a field name: named `{name}`; give it a name "
                             "with AS (`count(*) AS total`)")
        return names.ColumnName(name, None, None)

    def _column_type(self, q: QueryDef, parsed: names.ColumnName, type_info: Any) -> PyType:
        where = f"{q.key} column {parsed.ident}"
        if parsed.type_override is None:
            return self.nested_type(type_info) or self._type(type_info, where)
        described = typemap.resolve(type_info, self.enum_names)
        t, warning = rusttypes.override_type(parsed.type_override, described, self.types,
                                             self.enum_names)
        if warning:
            self.warnings.append(f"{where} ({q.path}) is {warning}")
        elif t.warning:
            self.warnings.append(f"{where}: {t.warning}")
        return t

    def nested_type(self, type_info: Any) -> PyType | None:
        """``User`` / ``list[Log]`` for a column of a table's row type (or an array of it).

        PostgreSQL described the column as the row type with its fields; it nests only when
        those fields are exactly the table's columns (name and type, in order) and every
        field has a built-in type psycopg loads by OID (`repo.runtime._nested`).
        """
        custom = type_info.get("Custom") if isinstance(type_info, dict) else None
        kind = custom.get("kind") if isinstance(custom, dict) else None
        many = isinstance(kind, dict) and "Array" in kind
        if many:
            assert isinstance(kind, dict)
            custom = kind["Array"].get("Custom") if isinstance(kind["Array"], dict) else None
            kind = custom.get("kind") if isinstance(custom, dict) else None
        if not (isinstance(kind, dict) and "Composite" in kind and isinstance(custom, dict)):
            return None
        table = str(custom.get("name"))
        model = self.table_models.get(table)
        columns = self.meta.get("tables", {}).get(table) or []
        fields = [[c["name"], c["type_info"]] for c in columns]
        if model is None or kind["Composite"] != fields:
            return None
        # A field of a custom type psycopg reads as text (an enum, an array of enums) is
        # loaded as text and converted by the model's own converter, as at the top level.
        oids = [_OIDS.get(info) if isinstance(info, str) else
                (_TEXT_OID if f.type.converter else None)
                for (_, info), f in zip(fields, model.fields, strict=True)]
        if None in oids:
            return None
        binary = model.binary
        args = [model.name, repr(tuple(oids))]
        converters = [f"{f.name!r}: {f.type.converter}" for f in model.fields
                      if f.type.converter]
        if converters:
            args.append("{" + ", ".join(converters) + "}")
        maker = f"{'rows_of' if many else 'row_of'}({', '.join(args)})"
        annotation = f"list[{model.name}]" if many else model.name
        return PyType(annotation, annotation, "any", maker, binary=binary)

    def _matching_table(self, q: QueryDef, fields: Sequence[FieldSpec]) -> ModelSpec | None:
        origins = self._origins(q)
        origin_tables = {o[0] for o in origins if o}
        # The tables the columns come from first, then the others; by name within each.
        by_name = self._tables_by_name
        for model in [m for m in by_name if m.table in origin_tables] + [
                m for m in by_name if m.table not in origin_tables]:
            if _same_shape(model.fields, fields):
                return model
        return None

    def models(self) -> list[ModelSpec]:
        return list(self.table_models.values()) + self.query_models

    def repos(self) -> list[RepoSpec]:
        return [self.repo_specs[k] for k in sorted(self.repo_specs)]


# `-- @default name value`: the literal's Python type must fit the parameter's annotation.
# Other annotations (Decimal, datetime, UUID, ...) have no literal a default could be.
_DEFAULT_FITS = {"int": ("int",), "float": ("int", "float"), "str": ("str",),
                 "bool": ("bool",)}


def _check_defaults(q: QueryDef, params: Sequence[ParamSpec]) -> None:
    import ast
    for p, source in zip(params, q.params, strict=True):
        literal = q.param_values.get(source)
        if literal is None:
            continue
        kind = type(ast.literal_eval(literal)).__name__
        if kind not in _DEFAULT_FITS.get(p.type.param, ()):
            hint = (f"give a {p.type.param} value, or drop the directive"
                    if p.type.param in _DEFAULT_FITS else
                    f"a `{p.type.param}` parameter takes no @default (no literal is one): "
                    "drop the directive and pass the value")
            raise CodegenError(f"{q.key}: @default {source} {literal} is a {kind}, but the "
                               f"parameter is `{p.type.param}`", path=q.path, hint=hint)


def _ext(name: str, extensions: frozenset[str]) -> str | None:
    ext = f"{name}Extension"
    return ext if ext in extensions else None


def _same_shape(a: Sequence[FieldSpec], b: Sequence[FieldSpec]) -> bool:
    return len(a) == len(b) and all(
        (x.name, x.alias, x.type.annotation, x.nullable)
        == (y.name, y.alias, y.type.annotation, y.nullable)
        for x, y in zip(a, b, strict=True))


