"""Nested results: how a query file says "this column is one row / a list of rows of a table".

There is no marker: the SQL says it, and PostgreSQL proves it. A column whose value is a
table's row value is that table's model in the generated code:

* one row: a whole-row reference, ``SELECT s.*, u AS "user" FROM sessions s JOIN users u
  ...`` -> ``user: User`` (``User | None`` on the nullable side of an outer join, where
  PostgreSQL gives NULL for the missing row);
* a list of rows: ``ARRAY(SELECT l FROM logs AS l WHERE ... ORDER BY ... LIMIT :n) AS
  logs`` -> ``logs: list[Log]`` (an empty list when there are none: ``ARRAY()`` of no rows
  is ``{}``, never NULL).

``prepare`` records the column type PostgreSQL reports (``users``, ``logs[]``: a composite
with each field's name and type) in ``.sqlx``; codegen nests it only when those fields are
exactly the table's columns (`repo.codegen.plan._Planner.nested_type`); offline ``verify``
compares the same composite, rebuilt from the replayed migrations, with the metadata (a
renamed or retyped column of ``logs`` is a V008 finding on every query nesting it). The
syntax cannot collide with SQLx's ``AS "x: Type"`` overrides, and SQLx describes such a
query the same way.

sqlc's ``sqlc.embed(t)`` maps onto this mechanism: `embed_column` gives the SQL to put in its
place.
"""

from __future__ import annotations


def _quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def embed_column(ref: str, table: str) -> str:
    """The select-list item for sqlc's ``sqlc.embed(ref)``, ``ref`` naming ``table``.

    A whole-row reference labelled with the table's singular name, so the generated row has
    the field ``author: Author`` (sqlc-gen-go's ``Author Author``), typed ``Author | None``
    on the nullable side of a LEFT JOIN (where sqlc itself fails).

    Args:
        ref: the table name or alias written in the macro (``a`` in ``sqlc.embed(a)``).
        table: the table it names (``authors``).

    >>> embed_column("a", "authors")
    '"a" AS "author"'
    """
    from ..codegen.names import singular  # codegen imports this package: import late

    return f"{_quote(ref)} AS {_quote(singular(table))}"
