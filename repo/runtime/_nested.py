"""Nested results: a column holding one row of a table, or an array of them.

A query nests rows by selecting a table's row value: ``u`` (a whole-row reference, one
row) or ``ARRAY(SELECT l FROM logs AS l ...)`` (a list). PostgreSQL types the column as the
table's row type (``users``, ``logs[]``), so ``prepare`` proves the nested fields, and the
generated model types it as ``User`` / ``list[Log]`` (`repo.codegen.plan`).

psycopg has no loader for a table's row type (its OID differs between databases), so it
hands the value over undecoded; the converters here decode it:

* binary results (the usual case): the array header is read here, each record by psycopg's
  own `RecordBinaryLoader`, whose fields carry their OIDs: every field is loaded by
  psycopg's loader for its type, as a top-level column would be;
* text results (a query with a column psycopg cannot read in binary): the record text is
  split here and each field loaded by psycopg's text loader for the OID the generated code
  passes (the field types ``prepare`` proved).

Then the table's row maker builds the model (pydantic or NamedTuple), without re-validation
(`repo.runtime._rows`).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from psycopg import pq
from psycopg.adapt import Transformer
from psycopg.types.composite import RecordBinaryLoader

from ._rows import parse_text_array, row_maker

Converter = Callable[[Any], Any]

# Record fields carry their own type OIDs in binary; the loader needs no registration.
# Without a connection its datetimes are in UTC (the same instants as the top level's).
_RECORD = RecordBinaryLoader(2249, None)
_HEADER = struct.Struct("!iiI")
_DIM = struct.Struct("!ii")
_LEN = struct.Struct("!i")
_TOKEN = re.compile(r'(,)|"((?:[^"]|"")*)",?|([^",)]+),?')
_UNDOUBLE = re.compile(r'(["\\])\1')


def row_of(model: type[Any], oids: Sequence[int],
           converters: Mapping[str, Converter] | None = None) -> Converter:
    """A converter of one row value of a table (a whole-row reference) into ``model``.

    Args:
        model: the table's generated model (fields in column order).
        oids: the type OID of each field, for text results (``text`` for an enum field).
        converters: the model's own field converters (enums), as in `row_maker`.
    """
    make = row_maker(model, converters)
    load = _text_record(oids)

    def convert(value: Any) -> Any:
        if isinstance(value, str):
            return make(load(value))
        return make(_RECORD.load(value))

    return convert


def rows_of(model: type[Any], oids: Sequence[int],
            converters: Mapping[str, Converter] | None = None) -> Converter:
    """A converter of an array of a table's row values into ``list[model]``."""
    make = row_maker(model, converters)
    load = _text_record(oids)

    def convert(value: Any) -> Any:
        if isinstance(value, str):
            return [None if item is None else make(load(item))
                    for item in parse_text_array(value)]
        return [None if item is None else make(_RECORD.load(item))
                for item in binary_array_items(value)]

    return convert


def binary_array_items(data: Any) -> list[memoryview | None]:
    """The elements of a one-dimensional array in PostgreSQL's binary format (NULL: None)."""
    view = memoryview(data)
    ndim, _, _ = _HEADER.unpack_from(view, 0)
    if ndim == 0:
        return []
    if ndim != 1:
        raise ValueError(f"nested rows: a {ndim}-dimensional array is not a list of rows")
    count, _ = _DIM.unpack_from(view, _HEADER.size)
    pos = _HEADER.size + _DIM.size
    items: list[memoryview | None] = []
    for _ in range(count):
        (length,) = _LEN.unpack_from(view, pos)
        pos += _LEN.size
        if length < 0:
            items.append(None)
            continue
        items.append(view[pos:pos + length])
        pos += length
    return items


def _text_record(oids: Sequence[int]) -> Callable[[str], tuple[Any, ...]]:
    tx = Transformer()
    loaders = [tx.get_loader(oid, pq.Format.TEXT).load for oid in oids]

    def load(text: str) -> tuple[Any, ...]:
        fields = split_record(text)
        if len(fields) != len(loaders):
            raise ValueError(f"nested row has {len(fields)} fields, expected {len(loaders)}: "
                             "regenerate the package (`python -m repo prepare`)")
        return tuple(None if f is None else fn(f.encode()) for fn, f in zip(loaders, fields,
                                                                             strict=True))

    return load


def split_record(text: str) -> list[str | None]:
    """The fields of a record in PostgreSQL's text form; an empty field is NULL.

    >>> split_record('(1,"say ""hi"" x",,y)')
    ['1', 'say "hi" x', None, 'y']
    """
    body = text[1:-1]
    fields: list[str | None] = []
    found = None
    for found in _TOKEN.finditer(body):
        if found.group(1):
            fields.append(None)
        elif found.group(2) is not None:
            fields.append(_UNDOUBLE.sub(r"\1", found.group(2)))
        else:
            fields.append(found.group(3))
    if found is None or found.group().endswith(","):
        fields.append(None)  # a trailing empty field (or the only one) is NULL
    return fields
