"""Deterministic generator of valid statements over the shop corpus schema.

The schema is tests/corpus/shop/migrations. Used by tests/test_analysis_generated.py and by
benchmarks/bench_verify.py: selects, joins of every kind, aggregates, CTEs, window functions
and DML with RETURNING, with ``$n`` parameters.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from repo.analysis import Catalog
from repo.analysis.catalog import Table

JOINS = [("orders", "customer_id", "customers", "id"),
         ("order_items", "order_id", "orders", "id"),
         ("order_items", "product_id", "products", "id"),
         ("products", "category_id", "product_categories", "id")]


MAXABLE = {"int2", "int4", "int8", "numeric", "float4", "float8", "text", "varchar", "bpchar",
           "date", "timestamp", "timestamptz", "interval"}


def _comparable(table: Table) -> list[str]:
    return [c.name for c in table.columns.values() if c.type not in ("json",)]


def generate(catalog: Catalog, n: int, seed: int = 5) -> list[str]:
    """``n`` distinct, valid statements over the corpus schema ($n placeholders)."""
    rng = random.Random(seed)
    tables = {k: v for k, v in catalog.tables.items()}
    makers: list[Callable[[int], str]] = []

    def cols(t: str, k: int, prefix: str = "") -> str:
        names = list(tables[t].columns)
        pick = rng.sample(names, min(k, len(names)))
        alias = prefix.rstrip(".")
        return ", ".join(f"{prefix}{c} AS {alias}_{c}" if prefix else c for c in pick)

    def select(i: int) -> str:
        t = rng.choice(list(tables))
        key = rng.choice(_comparable(tables[t]))
        return (f"SELECT {cols(t, rng.randint(1, 5))} FROM {t} WHERE {key} = $1 "
                f"ORDER BY {key} LIMIT $2 OFFSET {i}")

    def join(i: int) -> str:
        a, ak, b, bk = rng.choice(JOINS)
        side = rng.choice(["", "LEFT ", "RIGHT ", "FULL "])
        return (f"SELECT {cols(a, 2, 'x.')}, {cols(b, 2, 'y.')} FROM {a} x {side}JOIN {b} y "
                f"ON y.{bk} = x.{ak} WHERE x.{ak} IS NOT NULL AND {i} > 0")

    def aggregate(i: int) -> str:
        t = rng.choice(list(tables))
        key = rng.choice(_comparable(tables[t]))
        other = rng.choice([c.name for c in tables[t].columns.values() if c.type in MAXABLE])
        return (f"SELECT {key}, count(*) AS n, max({other}) AS top FROM {t} GROUP BY {key} "
                f"HAVING count(*) > {i}")

    def cte(i: int) -> str:
        a, ak, b, bk = rng.choice(JOINS)
        return (f"WITH w AS (SELECT {ak}, count(*) AS c FROM {a} GROUP BY {ak}) "
                f"SELECT y.{bk}, coalesce(w.c, 0) AS c FROM {b} y LEFT JOIN w ON w.{ak} = y.{bk}"
                f" WHERE coalesce(w.c, 0) >= {i}")

    def window(i: int) -> str:
        t = rng.choice(list(tables))
        key = rng.choice(_comparable(tables[t]))
        return (f"SELECT {cols(t, 2)}, row_number() OVER (PARTITION BY {key} ORDER BY {key}) "
                f"AS rn, rank() OVER (ORDER BY {key}) AS r FROM {t} LIMIT {i + 1}")

    def update(i: int) -> str:
        t = rng.choice(["customers", "orders", "events", "products"])
        settable = [c.name for c in tables[t].columns.values() if not c.has_default
                    and c.type not in ("json",) and not c.name.endswith("id")]
        col = rng.choice(settable)
        return (f"UPDATE {t} SET {col} = $1 WHERE {rng.choice(_comparable(tables[t]))} = $2 "
                f"AND {i} >= 0 RETURNING {cols(t, 3)}")

    def delete(i: int) -> str:
        t = rng.choice(list(tables))
        key = rng.choice(_comparable(tables[t]))
        return f"DELETE FROM {t} WHERE {key} = $1 AND {i} >= 0 RETURNING {cols(t, 2)}"

    def insert(i: int) -> str:
        t = rng.choice(["customers", "events", "order_items"])
        cs = [c.name for c in tables[t].columns.values() if not c.has_default]
        values = ", ".join(f"${k}" for k in range(1, len(cs) + 1))
        return (f"INSERT INTO {t} ({', '.join(cs)}) VALUES ({values}) "
                f"RETURNING {cols(t, 3)}, {i} AS n")

    makers = [select, join, aggregate, cte, window, update, delete, insert]
    return [makers[i % len(makers)](i) for i in range(n)]
