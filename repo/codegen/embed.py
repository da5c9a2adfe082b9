"""``sqlc.embed(t)``: the run of ``t.*`` columns in a result becomes one field holding ``t``'s
row model, named after the model (sqlc's ``GetStudentAndScoreRow{Student, TestScore}`` is
``student: Student, test_score: TestScore``).

The loader compiled ``sqlc.embed(t)`` to ``t.*`` and recorded ``t`` (`QueryDef.embeds`). Here
each embed, in order, is matched to the next run of result columns whose origins (table,
column; from ``repo-meta.json``) are exactly one table's columns in order. A run whose
columns PostgreSQL or the analysis call nullable although the table declares them NOT NULL
sits on the nullable side of an outer join: the field is ``Model | None`` (None when every
column is NULL), where sqlc fails at run time (sqlc #2348).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..queries.sqlc import method_name
from .plan import FieldSpec, ModelSpec
from .typemap import PyType


def nest(embeds: Sequence[str], fields: Sequence[FieldSpec], origins: Sequence[Any],
         tables: Mapping[str, ModelSpec], name_of: Callable[[str], str],
         warn: Callable[[str], None]) -> tuple[FieldSpec, ...]:
    """``fields`` with each embed's run of columns replaced by one nested field."""
    out = list(fields)
    folded = pos = 0  # columns folded away so far; where the next embed may start
    for embed in embeds:
        found = _run(embed, origins, tables, pos)
        if found is None:
            warn(f"sqlc.embed({embed}): its columns are not one table's columns in order; "
                 "they stay flat fields")
            continue
        start, model = found
        width = len(model.fields)
        i = start - folded
        run = out[i:i + width]
        optional = any(f.nullable and not t.nullable
                       for f, t in zip(run, model.fields, strict=True))
        # Named after the table's model, as sqlc-gen-go does (`Author Author`): `author`.
        out[i:i + width] = [FieldSpec(name_of(method_name(model.name)), embed,
                                      PyType(model.name, model.name, "object",
                                             binary=model.binary), optional, nested=width)]
        folded += width - 1
        pos = start + width
    return tuple(out)


def _run(embed: str, origins: Sequence[Any], tables: Mapping[str, ModelSpec],
         pos: int) -> tuple[int, ModelSpec] | None:
    # The embed names the table or its alias; a table of that name is tried first.
    candidates = [([[table, f.column] for f in model.fields], model)
                  for table, model in sorted(tables.items(), key=lambda kv: kv[0] != embed)]
    got = [list(o) if o else None for o in origins]
    for start in range(pos, len(origins)):
        for columns, model in candidates:
            if got[start:start + len(columns)] == columns:
                return start, model
    return None
