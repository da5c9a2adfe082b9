"""sqlc-style query files: headers, markers, macros, naming, and errors located in the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_query_loader import write

from repo.errors import QueryFileError
from repo.queries import QueryDef, load_queries


def load(tmp_path: Path, content: str, rel: str = "authors/query.sql") -> dict[str, QueryDef]:
    write(tmp_path, rel, content)
    return {q.method: q for q in load_queries(tmp_path)}


def error_of(tmp_path: Path, content: str, rel: str = "authors/query.sql") -> QueryFileError:
    write(tmp_path, rel, content)
    with pytest.raises(QueryFileError) as info:
        load_queries(tmp_path)
    return info.value


AUTHORS = """\
-- name: GetAuthor :one
SELECT * FROM authors
WHERE id = $1 LIMIT 1;

-- name: ListAuthors :many
SELECT * FROM authors
ORDER BY name;
-- name: CreateAuthor :one
-- Create an author.
-- The name is required.
INSERT INTO authors (name, bio) VALUES ($1, $2)
RETURNING *;
/* name: DeleteAuthor :exec */
DELETE FROM authors WHERE id = $1;
"""


def test_several_queries_with_and_without_blank_lines(tmp_path: Path) -> None:
    qs = load(tmp_path, AUTHORS)
    assert sorted(qs) == ["create_author", "delete_author", "get_author", "list_authors"]
    get = qs["get_author"]
    assert (get.repo, get.cardinality, get.params, get.positional) == (
        "authors", "one", ("id",), True)
    assert get.sql == "SELECT * FROM authors\nWHERE id = $1 LIMIT 1"  # sqlc drops the `;`
    assert qs["list_authors"].sql == "SELECT * FROM authors\nORDER BY name"
    assert qs["create_author"].doc == "Create an author.\nThe name is required."
    assert qs["create_author"].sql.startswith("INSERT INTO authors")
    assert qs["delete_author"].sql == "DELETE FROM authors WHERE id = $1"
    assert sorted(q.marker_line or 0 for q in qs.values()) == [1, 5, 8, 13]
    assert qs["delete_author"].source == "query.sql:13 (DeleteAuthor)"


def test_positions_map_back_to_the_multi_query_file(tmp_path: Path) -> None:
    qs = load(tmp_path, AUTHORS)
    create = qs["create_author"]
    assert create.line_col_of(create.sql.index("RETURNING")) == (12, 1)
    line11 = AUTHORS.split("\n")[10]
    assert create.line_col_of(create.sql.index("$2")) == (11, line11.index("$2") + 1)


@pytest.mark.parametrize(("marker", "ours"), [
    ("one", "one"), ("many", "many"), ("exec", "exec"), ("execrows", "execrows"),
    ("execresult", "execrows"), ("optional", "optional")])
def test_markers_map_to_ours(tmp_path: Path, marker: str, ours: str) -> None:
    (q,) = load(tmp_path, f"-- name: DoIt :{marker}\nSELECT 1 AS x\n").values()
    assert q.cardinality == ours and q.marker_line == 1


def test_copyfrom_marker(tmp_path: Path) -> None:
    (q,) = load(tmp_path, "-- name: CreateAuthors :copyfrom\n"
                "INSERT INTO authors (name, bio) VALUES ($1, $2);\n").values()
    assert q.cardinality == "copyfrom" and q.params == ("name", "bio")  # named as sqlc does


@pytest.mark.parametrize("marker", ["batchexec", "batchmany", "batchone", "execlastid"])
def test_markers_with_no_equivalent_are_refused_by_name(tmp_path: Path, marker: str) -> None:
    err = error_of(tmp_path, f"-- name: Fine :one\nSELECT 1;\n\n-- name: Batch :{marker}\n"
                   "SELECT 2;\n")
    assert f":{marker}" in err.message and "Batch" in err.message
    assert (err.line, err.col) == (4, 1) and err.path and err.path.endswith("query.sql")


def test_unknown_and_missing_markers(tmp_path: Path) -> None:
    err = error_of(tmp_path, "-- name: X :sometimes\nSELECT 1\n")
    assert "unknown sqlc marker ':sometimes'" in err.message and err.line == 1
    err = error_of(tmp_path, "-- name: X\nSELECT 1\n")
    assert "has no marker" in err.message


def test_named_parameters_arg_and_at(tmp_path: Path) -> None:
    (q,) = load(tmp_path, "-- name: Find :many\nSELECT * FROM t WHERE a = sqlc.arg(a_id) "
                "AND b = @b_name AND c = sqlc.arg('a_id') AND d @> '{1}' AND e <@ f\n").values()
    assert q.sql == ("SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $1 AND d @> '{1}' "
                     "AND e <@ f")
    assert q.params == ("a_id", "b_name") and not q.positional
    assert q.line_col_of(q.sql.index("AND b")) == (2, q.text.split("\n")[1].index("AND b") + 1)


def test_narg_is_nullable_and_defaults_to_none(tmp_path: Path) -> None:
    (q,) = load(tmp_path, "-- name: Update :exec\nUPDATE t SET name = "
                "coalesce(sqlc.narg(name), name), bio = coalesce(sqlc.narg('bio'), bio) "
                "WHERE id = @id\n").values()
    assert q.sql == ("UPDATE t SET name = coalesce($1, name), bio = coalesce($2, bio) "
                     "WHERE id = $3")
    assert dict(q.param_nullable) == {"name": True, "bio": True}
    assert q.param_defaults == {"name", "bio"}


@pytest.mark.parametrize(("written", "compiled"), [
    ("id IN (sqlc.slice(ids))", "id = ANY($1)"),
    ("id in ( sqlc.slice('ids') )", "id = ANY($1)"),
    ("id NOT IN (sqlc.slice(ids))", "id <> ALL($1)"),
    ("id = ANY(sqlc.slice(ids))", "id = ANY($1)"),
])
def test_slice_compiles_to_an_array_parameter(tmp_path: Path, written: str,
                                              compiled: str) -> None:
    (q,) = load(tmp_path, f"-- name: ByIds :many\nSELECT * FROM t WHERE {written}\n").values()
    assert q.sql == f"SELECT * FROM t WHERE {compiled}"
    assert q.params == ("ids",) and q.param_lists == {"ids"}


def test_embed_expands_to_the_table_star(tmp_path: Path) -> None:
    (q,) = load(tmp_path, "-- name: BookWithAuthor :one\nSELECT sqlc.embed(books), "
                "sqlc.embed(a) FROM books JOIN authors a USING (author_id) "
                "WHERE book_id = @id\n").values()
    assert q.sql == ("SELECT books.*, a.* FROM books JOIN authors a USING (author_id) "
                     "WHERE book_id = $1")
    assert q.embeds == ("books", "a") and q.params == ("id",)


def test_headers_inside_literals_and_comments_are_not_headers(tmp_path: Path) -> None:
    qs = load(tmp_path, """\
-- name: First :one
SELECT '
-- name: NotAQuery :one
' AS a, $$
-- name: NorThis :many
$$ AS b /*
-- name: NorInAComment :exec
*/, 1 AS c -- name: InlineRemark :one
;
-- name: Second :exec
DELETE FROM t
""")
    assert sorted(qs) == ["first", "second"]
    assert "NotAQuery" in qs["first"].sql and "NorInAComment" in qs["first"].sql


def test_duplicate_names_name_both_lines(tmp_path: Path) -> None:
    err = error_of(tmp_path, "-- name: GetAuthor :one\nSELECT 1;\n\n"
                   "-- name: get_author :many\nSELECT 2;\n")
    assert "'GetAuthor' and 'get_author' (lines 1 and 4)" in err.message
    assert err.line == 4


def test_duplicate_across_files_of_one_repository(tmp_path: Path) -> None:
    write(tmp_path, "authors/a.sql", "-- name: GetAuthor :one\nSELECT 1\n")
    err = error_of(tmp_path, "-- name: Other :one\nSELECT 2;\n-- name: GetAuthor :one\n"
                   "SELECT 3\n", rel="authors/b.sql")
    assert "duplicate method name 'get_author'" in err.message
    assert "a.sql:1" in err.message and err.line == 3


@pytest.mark.parametrize(("content", "message", "where"), [
    ("SELECT 0;\n-- name: X :one\nSELECT 1\n", "before the first `-- name:`", (1, 1)),
    ("-- name: X :one\nSELECT 1;\nSELECT 2;\n", "second statement", (3, 1)),
    ("-- name: X :one\n-- only a comment\n", "no SQL statement", (1, 1)),
    ("-- name: X :one\nSELECT $1, @a\n", "mixes $n with named", (2, 12)),
    ("-- name: X :one\nSELECT sqlc.arg()\n", "sqlc.arg takes one name", (2, 8)),
    ("-- name: X :one\nSELECT sqlc.arg(a), sqlc.slice(a)\n", "both as sqlc.arg and sqlc.slice",
     (2, 21)),
    ("-- name: class :one\nSELECT 1\n", "Python keyword", (1, 1)),
    ("-- name: X :copyfrom\nINSERT INTO t (a) SELECT 1\n", "`:copyfrom` query must be", None),
])
def test_errors_point_into_the_file(tmp_path: Path, content: str, message: str,
                                    where: tuple[int, int] | None) -> None:
    err = error_of(tmp_path, content)
    assert message in err.message, err.message
    assert err.path is not None and err.path.endswith("query.sql") and err.hint
    if where is not None:
        assert (err.line, err.col) == where
        assert f"query.sql:{where[0]}:{where[1]}" in str(err)


@pytest.mark.parametrize(("rel", "repo"), [
    ("authors/query.sql", "authors"),  # the folder under queries/
    ("authors/query/more.sql", "authors"),  # sqlc's query/ folder inside a repository folder
    ("authors.sql", "authors"),  # a file named after its table
    ("query-building.sql", "query_building"),
])
def test_repository_naming(tmp_path: Path, rel: str, repo: str) -> None:
    (q,) = load(tmp_path, "-- name: X :one\nSELECT 1\n", rel=rel).values()
    assert q.repo == repo


def test_a_generic_file_name_takes_the_project_folder(tmp_path: Path) -> None:
    path = write(tmp_path, "bookshop/postgresql/query.sql", "-- name: X :one\nSELECT 1\n")
    (q,) = load_queries(path)  # sqlc's `queries: postgresql/query.sql`
    assert q.repo == "bookshop"
    (q,) = load_queries(path.parent)
    assert q.repo == "bookshop"


def test_one_query_files_keep_their_rules_beside_sqlc_files(tmp_path: Path) -> None:
    write(tmp_path, "authors/count.sql", "SELECT count(*) FROM authors\n")
    qs = load(tmp_path, AUTHORS)
    assert "count" in qs and qs["count"].sqlc_name is None
    write(tmp_path, "loose.sql", "SELECT 1\n")
    with pytest.raises(QueryFileError, match="queries/<repo>/<method>.sql"):
        load_queries(tmp_path)


@pytest.mark.parametrize(("sql", "names"), [
    ("SELECT * FROM authors WHERE id = $1 LIMIT 1", ("id",)),
    ("INSERT INTO authors (name, bio) VALUES ($1, $2) RETURNING *", ("name", "bio")),
    ("UPDATE books SET title = $1, isbn = $3 WHERE book_id = $2", ("title", "book_id", "isbn")),
    ("SELECT * FROM t WHERE b.tags && $1::varchar[] AND $2 = t.slug", ("tags", "slug")),
    ("SELECT * FROM t WHERE a NOT LIKE $1 LIMIT $2 OFFSET $3", ("a", "limit", "offset")),
    ("SELECT * FROM t WHERE id = $1 OR id = $2", ("id", "id_2")),
    ("SELECT * FROM say_hello($1)", ("p1",)),  # no context: sqlc's `dollar_1`, ours `p1`
])
def test_positional_parameters_are_named_from_context(tmp_path: Path, sql: str,
                                                      names: tuple[str, ...]) -> None:
    (q,) = load(tmp_path, f"-- name: Q :many\n{sql};\n").values()
    assert q.params == names and q.positional and q.sql == sql
