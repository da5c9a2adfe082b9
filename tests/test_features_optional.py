"""Optional filters (`-- @optional`): the loader's rules, every combination of
``LogRepo.search`` against hand-written SQL on PostgreSQL, and offline verify."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from helpers.repos import Api
from test_verify import project, run_verify  # noqa: F401  (the `project` fixture)

from repo.errors import QueryFileError
from repo.queries.loader import load_query_file
from repo.queries.variants import MAX_OPTIONAL, expand

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


def _load(tmp_path: Path, body: str) -> Any:
    path = tmp_path / "q.sql"
    path.write_text(body)
    return load_query_file(path, "logs")


# -- the loader ----------------------------------------------------------------------------

def test_variants_drop_predicates_and_renumber(tmp_path: Path) -> None:
    q = _load(tmp_path, "-- @optional a, b\nSELECT * FROM logs\nWHERE script_uri = :a\n"
              "  AND message = :b\n  AND id IS NOT NULL\nLIMIT :n\n")
    texts = {v.variant: (v.sql.split("FROM logs\n")[1], v.params) for v in expand(q)}
    assert texts == {
        0: ("WHERE TRUE\n  AND id IS NOT NULL\nLIMIT $1\n", ("n",)),
        1: ("WHERE script_uri = $1\n  AND id IS NOT NULL\nLIMIT $2\n", ("a", "n")),
        2: ("WHERE TRUE\n  AND message = $1\n  AND id IS NOT NULL\nLIMIT $2\n", ("b", "n")),
    }
    assert q.params == ("a", "b", "n") and q.param_defaults == {"a", "b"}
    assert q.param_nullable == {"a": True, "b": True}


def test_positions_in_a_variant_point_into_the_file(tmp_path: Path) -> None:
    text = ("-- @optional a, b\nSELECT * FROM logs\nWHERE script_uri = :a\n"
            "  AND message = :b\n  AND id IS NOT NULL\nLIMIT :n\n")
    q = _load(tmp_path, text)
    for v in expand(q):
        for word in ("LIMIT", "id IS NOT", "$1"):
            line, col = v.line_col_of(v.sql.index(word))
            target = {"$1": ":a" if v.variant == 1 else ":b" if v.variant == 2 else ":n"}.get(
                word, word)
            assert text.split("\n")[line - 1][col - 1:].startswith(target), (v.variant, word)


def test_predicate_inside_a_call_and_a_subquery(tmp_path: Path) -> None:
    q = _load(tmp_path, "-- @optional c\nSELECT * FROM scripts WHERE uri IN (SELECT script_uri "
              "FROM logs WHERE created_at > now() AND strpos(message, :c) > 0) ORDER BY uri\n")
    (only,) = expand(q)
    assert "SELECT script_uri FROM logs WHERE created_at > now() ) ORDER BY uri" in only.sql


@pytest.mark.parametrize(("where", "message"), [
    ("WHERE uri = 'x' OR code = :a", "predicate with OR"),
    ("WHERE created_at BETWEEN :a AND now()", "predicate with BETWEEN"),
    ("WHERE uri = :a OR code = 'x'", "predicate with OR"),
    ("ORDER BY :a", "not in a WHERE clause"),
    ("WHERE uri = :b", "not a parameter"),
    ("WHERE uri = :a || :b", "two optional parameters"),
])
def test_unsafe_optional_predicates_are_refused(tmp_path: Path, where: str,
                                                message: str) -> None:
    with pytest.raises(QueryFileError, match=message) as info:
        _load(tmp_path, f"-- @optional a{', b' if ':b' in where and ':a' in where else ''}\n"
              f"SELECT * FROM scripts {where}\n")
    assert info.value.path is not None


def test_too_many_optional_parameters(tmp_path: Path) -> None:
    names = [f"p{i}" for i in range(MAX_OPTIONAL + 1)]
    where = " AND ".join(f"uri = :{n}" for n in names)
    with pytest.raises(QueryFileError, match=f"{2 ** len(names)} variants") as info:
        _load(tmp_path, f"-- @optional {', '.join(names)}\nSELECT 1 FROM scripts WHERE {where}\n")
    assert info.value.line == 1


@pytest.mark.parametrize("directive", ["-- @default limit", "-- @default limit now()",
                                       "-- @default 5 limit"])
def test_bad_default_directive(tmp_path: Path, directive: str) -> None:
    with pytest.raises(QueryFileError, match="@default needs"):
        _load(tmp_path, f"{directive}\nSELECT 1 FROM logs LIMIT :limit\n")


def test_default_literal_is_kept_as_python_source(tmp_path: Path) -> None:
    q = _load(tmp_path, "-- @default limit 100\n-- @default m 'x'\n-- @default b TRUE\n"
              "SELECT 1 FROM logs WHERE message <> :m AND :b LIMIT :limit\n")
    assert dict(q.param_values) == {"limit": "100", "m": "'x'", "b": "True"}


# -- LogRepo.search against the equivalent hand-written SQL ---------------------------------

MESSAGES = ["started", "100% done", "50%", "file_name.js", "fileXname.js", "a_b", "plain"]


async def _seed(api: Api) -> None:
    rows = [(f"/s{i % 3}.js", MESSAGES[i % len(MESSAGES)], T0 + i * MIN) for i in range(30)]
    for uri, message, at in rows:
        await api.sql("INSERT INTO logs (script_uri, message, created_at) VALUES (%s, %s, %s)",
                      uri, message, at)


FILTERS: dict[str, list[Any]] = {
    "script_uri": ["/s1.js", "/nothing.js"],
    "since": [T0 + 5 * MIN],
    "until": [T0 + 20 * MIN],
    "contains": ["%", "_", "e_n", "100%", "no such text"],
}


def _hand_written(kwargs: dict[str, Any]) -> tuple[str, list[Any]]:
    sql, params = "SELECT id FROM logs WHERE true", []
    for name, clause in (("script_uri", "script_uri = %s"), ("since", "created_at >= %s"),
                         ("until", "created_at < %s"), ("contains", "position(%s in message) > 0")):
        if kwargs.get(name) is not None:
            sql += f" AND {clause}"
            params.append(kwargs[name])
    return sql + " ORDER BY created_at DESC, id DESC LIMIT %s", [*params, kwargs["limit"]]


def _combinations() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    names = list(FILTERS)
    for r in range(len(names) + 1):
        for chosen in itertools.combinations(names, r):
            # the first value of each chosen filter, plus every value of a single filter
            out.append({n: FILTERS[n][0] for n in chosen})
    out += [{n: v} for n in names for v in FILTERS[n][1:]]
    return out


async def test_search_every_combination_matches_hand_written_sql(api: Api) -> None:
    await _seed(api)
    seen_counts = set()
    for kwargs in _combinations():
        for limit in (100, 3):
            got = await api.logs.search(**kwargs, limit=limit)
            sql, params = _hand_written({**kwargs, "limit": limit})
            expected = [r[0] for r in await api.sql(sql, *params)]
            assert [log.id for log in got] == expected, kwargs
            seen_counts.add(len(expected))
    assert 0 in seen_counts and 30 in seen_counts  # no filter, and filters matching nothing


async def test_search_contains_is_literal(api: Api) -> None:
    await _seed(api)
    assert {log.message for log in await api.logs.search(contains="%")} == {"100% done", "50%"}
    assert {log.message for log in await api.logs.search(contains="e_n")} == {"file_name.js"}
    assert {log.message for log in await api.logs.search(contains="_")} == {"file_name.js",
                                                                           "a_b"}


async def test_search_default_limit_and_newest_first(api: Api) -> None:
    for i in range(105):
        await api.sql("INSERT INTO logs (script_uri, message, created_at) VALUES (%s, %s, %s)",
                      "/a.js", f"m{i}", T0 + i * MIN)
    got = await api.logs.search()
    assert len(got) == 100 and got[0].message == "m104" and got[-1].message == "m5"


# -- offline verify -------------------------------------------------------------------------

def test_every_variant_has_metadata(project: Path,  # noqa: F811
                                    capsys: pytest.CaptureFixture[str]) -> None:
    meta = json.loads((project / ".sqlx/repo-meta.json").read_text())
    variants = meta["queries"]["logs/search"]["variants"]
    assert sorted(map(int, variants)) == list(range(15))
    (project / f".sqlx/query-{variants['5']}.json").unlink()
    code, report = run_verify(capsys)
    assert code == 1
    assert any(e["code"] == "V001" and "script_uri, until given" in e["message"]
               for e in report["errors"])


def test_rename_of_a_column_used_only_in_an_optional_filter_fails_verify(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    # `message` is read by `SELECT *` too; the search query's only *named* use of it is the
    # optional `contains` predicate, so the rename must be caught there (line 13).
    (project / "migrations/20990101000000_rename_message.sql").write_text(
        "ALTER TABLE logs RENAME COLUMN message TO body;\n")
    code, report = run_verify(capsys)
    assert code == 1
    errors = [e for e in report["errors"] if e["file"] == "queries/logs/search.sql"]
    assert any(e["code"] == "V006" and e["line"] == 13 for e in errors), errors


def test_explain_lists_the_variants(capsys: pytest.CaptureFixture[str]) -> None:
    from repo.cli import main

    assert main(["explain", "queries/logs/search.sql"]) == 0
    out = capsys.readouterr().out
    assert "variants: 16 texts (4 optional filters: script_uri, since, until, contains)" in out
    assert "    5: with script_uri, until - query-" in out
    assert "   15: with script_uri, since, until, contains" in out
    assert "MISSING" not in out


def test_a_variant_describing_other_types_fails_prepare(
        project: Path, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    # With the filter, PostgreSQL types :n int4 (length() > :n); without it, int8 (LIMIT :n):
    # one method cannot have both, so prepare refuses, naming the variant; nothing written.
    from repo.cli import main

    before = sorted(p.name for p in (project / ".sqlx").iterdir())
    (project / "queries/logs/bad.sql").write_text(
        "-- @optional a\nSELECT * FROM logs\nWHERE TRUE\n"
        "  AND (script_uri = :a OR length(message) > :n)\nLIMIT :n\n")
    assert main(["prepare", "-D", pg_url]) == 1
    err = capsys.readouterr().err
    assert "logs/bad: the variant with optional none given describes other column or " \
        "parameter types than the full query" in err
    assert sorted(p.name for p in (project / ".sqlx").iterdir()) == before


def test_a_default_for_a_numeric_parameter_is_refused_with_a_usable_hint(
        project: Path, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    # No literal is a Decimal: `price: Decimal = 5` would fail mypy, so the directive is
    # refused, and the hint must not ask for "a Decimal value".
    from repo.cli import main

    (project / "queries/logs/longer.sql").write_text(
        "-- @default n 5\nSELECT count(*) FROM logs WHERE length(message) > :n::numeric\n")
    assert main(["prepare", "-D", pg_url]) == 1
    err = capsys.readouterr().err
    assert "logs/longer: @default n 5 is a int, but the parameter is `Decimal`" in err
    assert "takes no @default" in err and "give a Decimal value" not in err
