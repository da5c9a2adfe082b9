"""Rows to models, without re-validating what PostgreSQL already guarantees.

psycopg has already turned each column into the right Python type; the column types and
their nullability are what the generated annotations say. Running pydantic validation on
every row would re-check all of that at about 3 µs per row (`model_construct` about 2.6 µs),
so the row maker fills a model instance directly, the way pydantic's own `model_construct`
does, with the per-model work (field order, dict keys) compiled once: about 0.4 µs per row.
A ``typing.NamedTuple`` row model (``[codegen] rows = "tuple"``) is one ``tuple.__new__``
call on psycopg's row tuple, about 0.1 µs per row, and leaves the garbage collector a third
of the objects to track. See ``benchmarks/bench_rows.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from psycopg.rows import RowMaker
from pydantic import BaseModel

M = TypeVar("M")
Converter = Callable[[Any], Any]

# The slot setters of pydantic.BaseModel, called directly: cheaper than object.__setattr__.
_SLOTS = {name: BaseModel.__dict__[name].__set__ for name in (
    "__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")}


# A nested field (sqlc.embed): the maker of its model, how many columns it takes, and whether
# it is None when all of them are NULL (the table on the nullable side of an outer join).
Nested = tuple[RowMaker[Any], int, bool]


def row_maker(model: type[M], converters: Mapping[str, Converter] | None = None,
              nested: Mapping[str, Nested] | None = None) -> RowMaker[M]:
    """A function turning one result tuple (columns in field order) into a ``model``.

    Args:
        model: a generated model whose fields are the query's columns, in order: a pydantic
            model or a ``typing.NamedTuple``.
        converters: per field, a function applied to non-NULL values (enums, arrays that
            psycopg returns as text); most fields have none.
        nested: per field holding a nested model, its `Nested` facts; the field takes that
            many consecutive columns.

    >>> from pydantic import BaseModel
    >>> class Point(BaseModel):
    ...     x: int
    ...     y: int
    >>> row_maker(Point)((1, 2))
    Point(x=1, y=2)
    >>> from typing import NamedTuple
    >>> class Pair(NamedTuple):
    ...     x: int
    ...     y: str
    >>> row_maker(Pair, {"y": str.upper})((1, "a"))
    Pair(x=1, y='A')
    """
    converters = converters or {}
    nested = nested or {}
    env: dict[str, Any] = {f"_c_{name}": fn for name, fn in converters.items()}
    env.update({f"_n_{name}": facts[0] for name, facts in nested.items()})
    if issubclass(model, tuple):
        return _tuple_maker(model, converters, nested, env)
    if not issubclass(model, BaseModel):
        raise TypeError(f"row_maker({model.__name__}): a row model is a pydantic model or a "
                        "typing.NamedTuple; regenerate the package (`python -m repo generate`)")
    fields = tuple(model.model_fields)
    _check_every_annotation_is_a_field(model, fields)
    items = ", ".join(f"{name!r}: {code}" for name, code in _values(fields, converters, nested))
    env.update(new=object.__new__, cls=model, all_fields=set(fields),
               set_dict=_SLOTS["__dict__"], set_fields=_SLOTS["__pydantic_fields_set__"],
               set_extra=_SLOTS["__pydantic_extra__"], set_private=_SLOTS["__pydantic_private__"])
    # Generated once per model, like dataclasses' __init__; every name in it is a field
    # name (a Python identifier) or a fixed local.
    source = (
        "def make(v):\n"
        "    obj = new(cls)\n"
        f"    set_dict(obj, {{{items}}})\n"
        "    set_fields(obj, all_fields)\n"
        "    set_extra(obj, None)\n"
        "    set_private(obj, None)\n"
        "    return obj\n"
    )
    exec(source, env)
    make = env["make"]
    make.__qualname__ = f"row_maker.<{model.__name__}>"
    return make  # type: ignore[no-any-return]


def _values(fields: Sequence[str], converters: Mapping[str, Converter],
            nested: Mapping[str, Nested]) -> list[tuple[str, str]]:
    """Per field, the expression of its value over the row tuple ``v``."""
    values: list[tuple[str, str]] = []
    i = 0
    for name in fields:
        code = _nested_value(i, name, nested[name]) if name in nested else \
            _value(i, name, converters)
        values.append((name, code))
        i += nested[name][1] if name in nested else 1
    return values


def _tuple_maker(model: type[M], converters: Mapping[str, Converter],
                 nested: Mapping[str, Nested], env: dict[str, Any]) -> RowMaker[M]:
    # A NamedTuple's fields are exactly its annotations (it refuses `_x` names itself), so
    # positions cannot shift. With nothing to convert, psycopg's row tuple is the value.
    fields: tuple[str, ...] = getattr(model, "_fields", ())
    declared = getattr(model, "__annotations__", {})
    if not fields or list(fields) != list(declared):
        raise TypeError(f"row_maker({model.__name__}): a tuple row model must be a "
                        "typing.NamedTuple whose fields are its annotations; regenerate the "
                        "package (`python -m repo generate`)")
    if converters or nested:
        codes = [code for _, code in _values(fields, converters, nested)]
        value = "(" + "".join(f"{code}, " for code in codes) + ")"
    else:
        value = "v"
    env.update(new=tuple.__new__, cls=model)
    # Every name in the source is a field name (a Python identifier) or a fixed local.
    exec(f"def make(v):\n    return new(cls, {value})\n", env)
    make = env["make"]
    make.__qualname__ = f"row_maker.<{model.__name__}>"
    return make  # type: ignore[no-any-return]


def _check_every_annotation_is_a_field(model: type[BaseModel], fields: tuple[str, ...]) -> None:
    # Row values are placed by position. pydantic silently leaves some annotations out of
    # model_fields (`_x` is a private attribute, ClassVar a class variable); counting them
    # out would shift every later value into the wrong field (a password hash into
    # `display_name`), so such a model is refused when its row maker is built (at import).
    declared = [name for cls in reversed(model.__mro__) if issubclass(cls, BaseModel)
                and cls is not BaseModel for name in cls.__dict__.get("__annotations__", {})]
    skipped = [name for name in declared if name not in fields]
    if skipped:
        raise TypeError(f"row_maker({model.__name__}): {', '.join(skipped)} "
                        f"{'is' if len(skipped) == 1 else 'are'} not a pydantic field (names "
                        "starting with `_` are private), so values would land in the wrong "
                        "fields; regenerate the package (`python -m repo generate`)")


def _value(i: int, name: str, converters: Mapping[str, Converter]) -> str:
    if name not in converters:
        return f"v[{i}]"
    return f"(None if v[{i}] is None else _c_{name}(v[{i}]))"


def _nested_value(i: int, name: str, facts: Nested) -> str:
    part = f"v[{i}:{i + facts[1]}]"
    if not facts[2]:
        return f"_n_{name}({part})"
    return f"(None if all(x is None for x in {part}) else _n_{name}({part}))"


def scalar_maker(converter: Converter | None = None) -> RowMaker[Any]:
    """A function returning the single column of a row (for one-column ``:scalar`` queries)."""
    if converter is None:
        return _first
    return lambda v: None if v[0] is None else converter(v[0])


def _first(v: Sequence[Any]) -> Any:
    return v[0]


def json_as(model: Any) -> Converter:
    """Validate a JSON document psycopg decoded (dict, list, ...) into ``model`` (typed JSON:
    ``[json]`` in config.toml, or SQLx's ``AS "data: Json<T>"``); any type pydantic can
    validate works (a model, a TypedDict, ``list[Item]``). A document that does not fit raises
    pydantic's ValidationError naming the field.

    >>> from pydantic import BaseModel
    >>> class Prefs(BaseModel):
    ...     theme: str = "light"
    >>> json_as(Prefs)({"theme": "dark"})
    Prefs(theme='dark')
    """
    from pydantic import TypeAdapter

    return TypeAdapter(model).validate_python


def array_of(element: Converter) -> Converter:
    """Convert a PostgreSQL array that psycopg returned as text (``{a,"b c",NULL}``).

    psycopg returns arrays of types it does not know (arrays of enums, for one) as their
    text form; this parses one-dimensional arrays and applies ``element`` to each item.

    >>> array_of(str)('{a,"b c",NULL}')
    ['a', 'b c', None]
    """

    def convert(value: Any) -> Any:
        if not isinstance(value, str):
            return [None if item is None else element(item) for item in value]
        return [None if item is None else element(item) for item in parse_text_array(value)]

    return convert


def parse_text_array(literal: str) -> list[str | None]:
    """Items of a one-dimensional PostgreSQL array literal, NULL as None."""
    body = literal[literal.index("{") + 1:literal.rindex("}")]
    items: list[str | None] = []
    i, n = 0, len(body)
    while i < n:
        if body[i] == '"':
            item, i = _quoted(body, i + 1)
            items.append(item)
        else:
            j = body.find(",", i)
            j = n if j < 0 else j
            raw = body[i:j].strip()
            items.append(None if raw.upper() == "NULL" else raw)
            i = j
        i += 1  # skip the comma
    return items


def _quoted(body: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    while body[i] != '"':
        if body[i] == "\\":
            i += 1
        out.append(body[i])
        i += 1
    return "".join(out), i + 1
