"""Bulk loads with COPY: the ``:copyfrom`` query-file marker and `LogRepo.append_many` (#15)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from repo.errors import InvalidArgument, QueryFileError, UniqueViolation
from repo.generated import AsyncRepos, Repos
from repo.queries.loader import load_query_file
from repo.runtime import KINDS, Param
from repo.runtime._query import fast_check


def _uris(conn: psycopg.Connection[tuple[object, ...]]) -> dict[str, str]:
    return {str(u): str(c) for u, c in conn.execute("SELECT uri, code FROM scripts")}


def test_copyfrom_writes_every_row_and_counts_them(
        conn: psycopg.Connection[tuple[object, ...]]) -> None:
    rows = [(f"/bulk/{i}.js", f"code {i} é" if i % 3 else f"code {i}") for i in range(500)]
    assert Repos(conn).scripts.import_many(iter(rows)) == 500
    assert _uris(conn) == dict(rows)


def test_copyfrom_through_a_pool(db_url: str) -> None:
    from repo.generated import Database

    with Database(db_url, auto_migrate=False) as db:
        assert db.repos.scripts.import_many([("/p.js", "x"), ("/q.js", "y")]) == 2
        assert db.repos.scripts.count() == 2


async def test_copyfrom_async(aconn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
    assert await AsyncRepos(aconn).scripts.import_many([("/a.js", "1"), ("/b.js", "2")]) == 2
    cur = await aconn.execute("SELECT count(*) FROM scripts")
    assert await cur.fetchone() == (2,)


@pytest.mark.parametrize(("bad", "message"), [
    (("/x.js", "a\x00b"), "row 3: scripts/import_many: parameter `code` contains a NUL"),
    (("/x.js", 7), "row 3: scripts/import_many: parameter `code` expected str, got int"),
    (("/x.js", "\ud800"), "row 3: scripts/import_many: parameter `code` contains a surrogate"),
    (("/x.js",), "row 3: scripts/import_many: expected 2 arguments, got 1"),
])
def test_a_bad_row_is_named_and_nothing_is_written(
        conn: psycopg.Connection[tuple[object, ...]], bad: tuple[object, ...],
        message: str) -> None:
    rows = [("/1.js", "a"), ("/2.js", "b"), bad, ("/4.js", "d")]
    with pytest.raises(InvalidArgument) as err:
        Repos(conn).scripts.import_many(rows)  # type: ignore[arg-type]
    assert str(err.value).startswith(message)
    assert _uris(conn) == {}


def test_a_duplicate_fails_the_whole_load(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    Repos(conn).scripts.upsert(uri="/dup.js", code="old")
    with pytest.raises(UniqueViolation) as err:
        Repos(conn).scripts.import_many([("/new.js", "n"), ("/dup.js", "again")])
    assert "scripts/import_many" in str(err.value)
    assert _uris(conn) == {"/dup.js": "old"}


def test_append_many_checks_every_row(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    logs = Repos(conn).logs
    assert logs.append_many([("/s.js", f"line {i}") for i in range(1000)]) == 1000
    with pytest.raises(InvalidArgument, match="row 2: .*`message` contains a NUL"):
        logs.append_many([("/s.js", "ok"), ("/s.js", "\x00")])
    assert conn.execute("SELECT count(*) FROM logs").fetchone() == (1000,)


# The fast path may only accept what the binders accept unchanged; everything else must go
# through them (a wrong "ok" would send an unchecked value).
VALUES: list[object] = ["", "abc", "é", "a\x00", "\ud800", 0, 1, -1, True, False, 2**31 - 1,
                        2**31, -2**31, -2**31 - 1, 2**63, 1.5, b"x", bytearray(b"x"), None,
                        object()]


@pytest.mark.parametrize("kind", ["text", "int2", "int4", "int8", "bool", "float", "bytea"])
@pytest.mark.parametrize("nullable", [False, True])
def test_fast_check_never_accepts_what_the_binder_would_change_or_refuse(
        kind: str, nullable: bool) -> None:
    ok = fast_check([Param("v", kind, nullable)])
    for value in VALUES:
        if not ok((value,)):
            continue
        if value is None:
            assert nullable
            continue
        assert KINDS[kind](value) is value, f"{kind}: fast path let {value!r} through"


@pytest.mark.parametrize("sql", [
    "INSERT INTO scripts (uri, code) VALUES (:uri, :code) RETURNING id",
    "INSERT INTO scripts (uri, code) VALUES (:uri, upper(:code))",
    "INSERT INTO scripts (uri, code) VALUES ($2, $1)",
    "INSERT INTO scripts (uri, code) SELECT :uri, :code",
    "UPDATE scripts SET code = :code WHERE uri = :uri",
])
def test_copyfrom_refuses_other_shapes(tmp_path: Path, sql: str) -> None:
    path = tmp_path / "bulk.sql"
    path.write_text(f"-- :copyfrom\n{sql}\n")
    with pytest.raises(QueryFileError, match="copyfrom"):
        load_query_file(path, "scripts")


def test_copyfrom_accepts_quoted_and_qualified_names(tmp_path: Path) -> None:
    from repo.queries.copyfrom import copy_target

    path = tmp_path / "bulk.sql"
    path.write_text('-- :copyfrom\ninsert into public."Odd ""T""" (A, "B c")\n'
                    "values (:a, :b);\n")
    q = load_query_file(path, "scripts")
    assert copy_target(q.sql, path).table == ("public", 'Odd "T"')
    assert copy_target(q.sql, path).columns == ("a", "B c")
