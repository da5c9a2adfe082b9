"""The one table of built-in types (repo/typetable.py), checked against PostgreSQL itself."""

from __future__ import annotations

import psycopg

from repo.typetable import BY_SQLX, BY_TYPNAME, TYPES


def test_oids_and_typnames_are_postgresqls(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    rows = conn.execute("SELECT oid::int, typname FROM pg_catalog.pg_type WHERE oid = ANY(%s)",
                        ([t.oid for t in TYPES],)).fetchall()
    assert dict(rows) == {t.oid: t.typname for t in TYPES}


def test_rows_are_unique_and_arrays_follow_their_element() -> None:
    assert len(TYPES) == 92 == len({t.oid for t in TYPES}) == len(BY_TYPNAME) == len(BY_SQLX)
    for t in TYPES:
        if t.typname.startswith("_"):
            element = BY_TYPNAME[t.typname[1:]]
            assert t.sqlx == element.sqlx + "Array" and t.annotation is None, t
        else:
            assert t.annotation is not None and t.kind is not None, t
