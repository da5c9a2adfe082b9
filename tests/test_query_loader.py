"""Query file loading: header, markers, placeholders, and every malformed-file error."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repo.errors import QueryFileError, QueryFileErrors
from repo.queries import QueryDef, load_queries

ROOT = Path(__file__).resolve().parent.parent


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def load_one(tmp_path: Path, content: str | bytes, rel: str = "things/get.sql") -> QueryDef:
    write(tmp_path, rel, content)
    (query,) = load_queries(tmp_path)
    return query


def error_of(tmp_path: Path, files: dict[str, str | bytes]) -> QueryFileError:
    for rel, content in files.items():
        write(tmp_path, rel, content)
    with pytest.raises(QueryFileError) as info:
        load_queries(tmp_path)
    return info.value


def test_header_marker_doc_and_named_params(tmp_path: Path) -> None:
    text = ("-- Find a thing by id.\n--\n-- Second paragraph.\n-- :optional\n"
            "SELECT * FROM t WHERE id = :id AND (:id IS NULL OR name = :name)\n")
    q = load_one(tmp_path, text)
    assert (q.repo, q.method, q.cardinality, q.marker_line) == ("things", "get", "optional", 4)
    assert q.doc == "Find a thing by id.\n\nSecond paragraph."
    assert q.params == ("id", "name") and not q.positional
    assert q.sql == text.replace(":id", "$1").replace(":name", "$2")
    assert q.text == text
    assert q.hash == hashlib.sha256(q.sql.encode()).hexdigest()


def test_placeholders_never_inside_literals_comments_casts_or_dollar_bodies(
        tmp_path: Path) -> None:
    text = ("SELECT ':no', \":no\", $$ :no $$, $tag$:no$tag$, E'\\' :no', x::int, "
            "arr[1:2], :yes /* :no */ -- :no\n")
    q = load_one(tmp_path, text)
    assert q.params == ("yes",)
    assert q.sql == text.replace(":yes", "$1")


def test_positional_file_is_sent_byte_for_byte(tmp_path: Path) -> None:
    text = "\r\n  SELECT $2::int, $1::text  \r\n"
    q = load_one(tmp_path, text)
    assert q.sql == text and q.positional and q.params == ("p1", "p2")


def test_crlf_kept_in_sql_and_hash(tmp_path: Path) -> None:
    text = "-- Doc line.\r\n-- :one\r\nSELECT :a::int AS a\r\n"
    q = load_one(tmp_path, text)
    assert q.sql == "-- Doc line.\r\n-- :one\r\nSELECT $1::int AS a\r\n"
    assert q.doc == "Doc line." and q.cardinality == "one"


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT 1", "many"),
    ("VALUES (1)", "many"),
    ("WITH x AS (DELETE FROM t RETURNING id) SELECT id FROM x", "many"),
    ("WITH x AS (SELECT 1) DELETE FROM t WHERE id IN (SELECT * FROM x)", "exec"),
    ("INSERT INTO t (a) VALUES (1) RETURNING id", "many"),
    ("UPDATE t SET a = 1", "exec"),
    ("DELETE FROM t WHERE id IN (SELECT id FROM u)", "exec"),
    ("ALTER TABLE subscriptions DROP COLUMN email", "exec"),  # TABLE here is no `TABLE t`
    ("WITH RECURSIVE r AS (SELECT 1) UPDATE t SET a = 1 RETURNING a", "many"),
])
def test_default_cardinality_from_text(tmp_path: Path, sql: str, expected: str) -> None:
    q = load_one(tmp_path, f"-- no marker\n{sql}\n")
    assert q.cardinality == expected and q.marker_line is None


@pytest.mark.parametrize(("comment", "meant"), [
    ("-- optional", "-- :optional"),
    ("--  Optional.", "-- :optional"),
    ("-- : one", "-- :one"),
    ("-- nullable note", "-- @nullable note"),
])
def test_marker_like_comments_are_warned_about(tmp_path: Path, comment: str,
                                               meant: str) -> None:
    q = load_one(tmp_path, f"-- Get a thing.\n{comment}\nSELECT 1 AS note\n")
    assert q.cardinality == "many" and comment[3:].strip() in q.doc  # still docstring text
    (warning,) = q.warnings
    assert warning.startswith(f"{q.path}:2: comment {comment!r} looks like a marker")
    assert warning.endswith(f"did you mean `{meant}`?")


@pytest.mark.parametrize("comment", ["-- The one thing.", "-- many of them", "-- :optional",
                                     "-- exec plan: see docs"])
def test_prose_and_real_markers_are_not_warned_about(tmp_path: Path, comment: str) -> None:
    assert load_one(tmp_path, f"{comment}\nSELECT 1\n").warnings == ()


def test_nullable_directives(tmp_path: Path) -> None:
    q = load_one(tmp_path, "-- @nullable note, tag\n-- @notnull id\n-- :exec\n"
                 "UPDATE t SET note = :note, tag = :tag WHERE id = :id")
    assert dict(q.param_nullable) == {"note": True, "tag": True, "id": False}
    assert q.doc == ""


def test_line_col_of_maps_compiled_offsets_back_to_the_file(tmp_path: Path) -> None:
    text = "-- :many\nSELECT :a_long_name, nope\nFROM t WHERE x = :a_long_name AND y = bad\n"
    q = load_one(tmp_path, text)
    assert q.line_col_of(q.sql.index("nope")) == (2, text.split("\n")[1].index("nope") + 1)
    assert q.line_col_of(q.sql.index("bad")) == (3, text.split("\n")[2].index("bad") + 1)


def test_sorted_by_repo_and_method(tmp_path: Path) -> None:
    for rel in ("b/z.sql", "b/a.sql", "a/m.sql"):
        write(tmp_path, rel, "SELECT 1")
    write(tmp_path, "b/notes.txt", "ignored")
    assert [q.key for q in load_queries(tmp_path)] == ["a/m", "b/a", "b/z"]


@pytest.mark.parametrize(("files", "message", "where"), [
    ({"r/get.sql": "-- :single\nSELECT 1"}, "unknown cardinality marker ':single'", (1, 4)),
    ({"r/get.sql": "-- :one\n-- :many\nSELECT 1"}, "second cardinality marker", (2, None)),
    ({"r/get.sql": "SELECT :a, $1"}, "mixes :name and $n", (1, 12)),
    ({"r/get.sql": "  \n-- only a comment\n"}, "empty", (1, None)),
    ({"r/get.sql": ""}, "empty", (1, None)),
    ({"r/get.sql": b"SELECT 'caf\xe9'"}, "byte 0xe9", (1, 12)),
    ({"r/get.sql": "SELECT 1\nFROM t WHERE a = 'open"}, "unterminated quoted string", (2, 18)),
    ({"r/get.sql": "SELECT 1 /* never closed"}, "unterminated /* comment", (1, 10)),
    ({"r/get.sql": "SELECT 1;\n  SELECT 2"}, "exactly one statement", (2, 3)),
    ({"r/get.sql": "\ufeffSELECT 1"}, "byte-order mark", (1, 1)),
    ({"r/get.sql": "SELECT 1 AS a\n  \x00 WHERE false"}, "NUL character", (2, 3)),
    ({"r/get.sql": "-- @nullable nope\nSELECT :a"}, "'nope', which is not a parameter", (1, None)),
    ({"r/get.sql": "-- @maybe a\nSELECT :a"}, "unknown directive '@maybe'", (1, 4)),
    ({"r/get.sql": "SELECT 1\n  -- :one\n"}, "leading comment block", (2, 3)),
    ({"r/get.sql": "SELECT :a -- :one (inline: a comment)\n-- @nullable a\n"},
     "leading comment block", (2, 1)),
    # Spelt as block comments, markers and directives would be silently ignored.
    ({"r/get.sql": "-- :optional\n/* @primary */\nSELECT 1"}, "`@primary` in a block comment",
     (2, 1)),
    ({"r/get.sql": "/* License: MIT */ /*:one*/\nSELECT 1"}, "`:one` in a block comment",
     (1, 20)),
    ({"r/query.sql": "-- name: A :one\n  /* @primary */\nSELECT 1;"},
     "`@primary` in a block comment", (2, 3)),
    ({"r/class.sql": "SELECT 1"}, "'class' is the Python keyword `class`", (None, None)),
    ({"r/get-all.sql": "SELECT 1"}, "'get-all' is not a plain ASCII Python", (None, None)),
    ({"r/__init__.sql": "SELECT 1"}, "'__init__' is a __dunder__ name", (None, None)),
    ({"my-repo/get.sql": "SELECT 1"}, "'my-repo' is not a plain ASCII Python", (None, None)),
    ({"r/get.sql": "SELECT 1", "r/Get.sql": "SELECT 2"}, "duplicate method name", (1, None)),
    ({"loose.sql": "SELECT 1"}, "queries/<repo>/<method>.sql", (None, None)),
])
def test_malformed_files_are_errors_with_location(
        tmp_path: Path, files: dict[str, str | bytes], message: str,
        where: tuple[int | None, int | None]) -> None:
    err = error_of(tmp_path, files)
    assert message in err.message
    assert err.path is not None and err.path.startswith(str(tmp_path))
    assert (err.line, err.col) == where
    assert err.hint


def test_a_leading_block_comment_does_not_hide_the_marker_below_it(tmp_path: Path) -> None:
    # A licence header above the marker once ended the header: `:optional` became `:many`.
    q = load_one(tmp_path, "/* Licence: MIT.\n   Two lines. */\n-- Doc.\n-- :optional\n"
                           "-- @primary\nSELECT 1 AS x\n")
    assert (q.cardinality, q.doc, q.primary_line) == ("optional", "Doc.", 5)
    assert q.sql.startswith("/* Licence")  # sent and hashed as written


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(QueryFileError, match="does not exist"):
        load_queries(tmp_path / "nope")


def test_project_queries_load() -> None:
    queries = load_queries(ROOT / "queries")
    by_key = {q.key: q for q in queries}
    assert by_key["scripts/get_by_uri"].params == ("uri",)
    assert by_key["scripts/mark_init_result"].param_nullable == {"init_error": True}
    assert by_key["logs/list_for_script"].params == ("script_uri", "limit")
    assert {q.repo for q in queries} == {"scripts", "assets", "logs", "users", "sessions"}
    assert all(q.marker_line is not None and q.doc for q in queries)


def test_hidden_files_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, "r/get.sql", "SELECT 1")
    write(tmp_path, "r/.#get.sql", "not sql")
    write(tmp_path, ".trash/old.sql", "not sql")
    assert [q.key for q in load_queries(tmp_path)] == ["r/get"]


_WORD = st.sampled_from(["SELECT ", "a", " + ", "\n", "FROM t ", "WHERE x = ", ", ", "é", "::int "])
_NAME = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_WORD, _NAME), min_size=1, max_size=8), _WORD)
def test_compiled_placeholders_map_back_to_their_names(
        parts: list[tuple[str, str]], tail: str) -> None:
    from repo.queries.loader import compile_placeholders
    from repo.sqltext import line_col, tokens

    # A `:` glued to an identifier is an array slice, so placeholders follow a space.
    text = "".join(f"{w} :{n} " for w, n in parts) + tail
    sql, params, positional, offsets = compile_placeholders(text, list(tokens(text)),
                                                            Path("x.sql"))
    order = list(dict.fromkeys(n for _, n in parts))
    assert params == tuple(order) and not positional
    q = QueryDef("r", "m", Path("m.sql"), text, sql, params, False, "many", offsets=offsets)
    text_pos = [m.start() for m in re.finditer(r"(?<= ):(?=[a-z_])", text)]
    sql_pos = [i for i, c in enumerate(sql) if c == "$"]
    assert len(text_pos) == len(sql_pos) == len(parts)
    for (_, name), t, s in zip(parts, text_pos, sql_pos, strict=True):
        assert sql[s:].startswith(f"${order.index(name) + 1}")
        assert q.line_col_of(s) == line_col(text, t)
        after = s + len(f"${order.index(name) + 1}")
        assert q.line_col_of(after) == line_col(text, t + 1 + len(name))


def test_every_malformed_file_is_reported(tmp_path: Path) -> None:
    err = error_of(tmp_path, {"r/a.sql": "-- :single\nSELECT 1", "r/b.sql": "SELECT :a, $1",
                              "r/ok.sql": "SELECT 1"})
    assert isinstance(err, QueryFileErrors)
    assert [(Path(e.path or "").name, e.line) for e in err.errors] == [("a.sql", 1), ("b.sql", 1)]
    assert "2 query files are malformed" in str(err)
    assert f"{tmp_path}/r/b.sql:1:12: query mixes :name and $n placeholders" in str(err)
