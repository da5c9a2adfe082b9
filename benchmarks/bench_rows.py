"""What each way of building 1,000 result rows costs, per row, one run (issue #15, item 7).

    python benchmarks/bench_rows.py

No database: the rows are the tuples psycopg hands the row maker for ``logs/list_for_script``
(uuid, text, text, timestamptz). Each candidate builds all of them; the table shows the best
of 7 runs per row, with the garbage collector as the application has it (on) and off. The
repositories use the compiled row maker (`repo.runtime.row_maker`): frozen pydantic models
without re-validation by default, ``typing.NamedTuple`` rows with ``[codegen] rows =
"tuple"`` (the class here is what the generator writes for ``Log``). The others are what the
issue suggested trying: pydantic's ``model_construct``, full validation, a ``__slots__``-only
class, a frozen slots dataclass, and namedtuple's own ``_make``.
"""

from __future__ import annotations

import datetime as dt
import gc
import timeit
import uuid
from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from repo.generated import _queries as queries
from repo.generated.models import Log
from repo.runtime import row_maker

ROWS = [(uuid.uuid4(), "/bench.js", f"request {i} served in {i % 97} ms",
         dt.datetime.now(dt.UTC)) for i in range(1000)]
FIELDS = tuple(Log.model_fields)
LogTuple = namedtuple("LogTuple", FIELDS)  # type: ignore[misc]


class LogRow(NamedTuple):  # models.py of a `rows = "tuple"` package
    id: uuid.UUID
    script_uri: str
    message: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class LogDataclass:
    id: uuid.UUID
    script_uri: str
    message: str
    created_at: dt.datetime


class LogSlots:
    __slots__ = FIELDS


_SETTERS = [LogSlots.__dict__[name].__set__ for name in FIELDS]


def slots_make(v: Sequence[Any], new: Any = object.__new__, cls: type = LogSlots,
               a: Any = _SETTERS[0], b: Any = _SETTERS[1], c: Any = _SETTERS[2],
               d: Any = _SETTERS[3]) -> LogSlots:
    obj = new(cls)
    a(obj, v[0])
    b(obj, v[1])
    c(obj, v[2])
    d(obj, v[3])
    return obj  # type: ignore[no-any-return]


CANDIDATES: dict[str, Callable[[Sequence[Any]], object]] = {
    "plain tuple (raw psycopg)": lambda v: v,
    "repo row_maker: frozen pydantic, compiled": queries.LOGS_LIST_FOR_SCRIPT.row_factory(
        None),  # type: ignore[arg-type]
    'repo row_maker: NamedTuple (rows = "tuple")': row_maker(LogRow),
    "pydantic model_construct(**row)": lambda v: Log.model_construct(
        **dict(zip(FIELDS, v, strict=True))),
    "pydantic validation Log(**row)": lambda v: Log(**dict(zip(FIELDS, v, strict=True))),
    "__slots__-only class, compiled setters": slots_make,
    "frozen slots dataclass(*row)": lambda v: LogDataclass(*v),
    "namedtuple._make(row)": LogTuple._make,
}


def per_row(make: Callable[[Sequence[Any]], object], collector: bool) -> float:
    def build() -> object:
        return [make(row) for row in ROWS]

    setup = "import gc; gc.enable()" if collector else "pass"  # timeit turns gc off itself
    return min(timeit.repeat(build, setup=setup, number=20, repeat=7)) / 20 / len(ROWS)


def main() -> None:
    print(f"{'candidate':<44} {'gc on µs/row':>13} {'gc off µs/row':>14}")
    for name, make in CANDIDATES.items():
        print(f"{name:<44} {per_row(make, True) * 1e6:>13.3f} "
              f"{per_row(make, False) * 1e6:>14.3f}", flush=True)
    gc.enable()


if __name__ == "__main__":
    main()
