"""Hostile input: malformed migration and query files, hostile values, and proof that no
value or identifier from input is formatted into SQL text.

Files: empty, huge (10 MB), not UTF-8, NUL, BOM, CRLF, unterminated quotes/comments/dollar
quotes get a clear error naming ``file:line:col`` (or work, where they are valid SQL).
Values: every repository write/read round-trips arbitrary text, bytes, JSON and timestamps
(hypothesis), and bad values are clear errors (end of this module).
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import random
import re
import uuid
from pathlib import Path

import psycopg
import pytest
from helpers.reliability import ROOT, cli_env, run_cli, write_files
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from repo.errors import InvalidArgument, MigrationSourceError, QueryFileError
from repo.generated import Repos
from repo.migrate import resolve
from repo.queries.loader import load_query_file
from repo.sqltext import line_col

BIG = 10_000_000


def _migrate(source: Path, url: str, cwd: Path) -> tuple[int, str, str]:
    r = run_cli(["migrate", "run", "--source", str(source)], cwd=cwd,
                env=cli_env({"DATABASE_URL": url}))
    return r.returncode, r.stdout, r.stderr


def _versions(url: str) -> list[int]:
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT to_regclass('_sqlx_migrations')").fetchone()[0]:  # type: ignore[index]
            return []
        return [int(r[0]) for r in  # type: ignore[call-overload]
                conn.execute("SELECT version FROM _sqlx_migrations ORDER BY version")]


# -- migration files that cannot be read ------------------------------------------------------

@pytest.mark.parametrize("content, message, where", [
    (b"CREATE TABLE x (id INT);\n\xff\xfe\n", "not valid UTF-8", ""),
    (b"CREATE TABLE x (id INT);\n\x00DROP TABLE victim;\n", "NUL character", ":2:1"),
    ("CREATE TABLE x (id INT);\n".encode("utf-16"), "not valid UTF-8", ""),
], ids=["latin1-bytes", "nul", "utf16"])
def test_unreadable_migration_files_are_named(content: bytes, message: str, where: str,
                                              tmp_path: Path) -> None:
    source = write_files(tmp_path / "m", {"1_ok.sql": "SELECT 1;\n", "2_bad.sql": content})
    with pytest.raises(MigrationSourceError) as caught:
        resolve(source)
    text = str(caught.value)
    assert text.startswith(f"{source / '2_bad.sql'}{where}: ")
    assert message in text and "hint: " in text


def test_nul_in_a_migration_is_rejected_before_anything_runs(empty_db_url: str,
                                                             tmp_path: Path) -> None:
    # libpq would send the text up to the NUL and drop the rest, while the checksum covers
    # all of it: the file must be refused, not half-applied and recorded as applied.
    source = write_files(tmp_path / "m", {
        "1_nul.sql": b"CREATE TABLE before_nul (id INT);\x00CREATE TABLE after_nul (id INT);\n"})
    code, _, err = _migrate(source, empty_db_url, tmp_path)
    assert code == 1 and f"{source / '1_nul.sql'}:1:34: " in err
    assert _versions(empty_db_url) == []


# -- migration files PostgreSQL rejects: located precisely, nothing recorded ------------------

BROKEN = {
    "quote": ("CREATE TABLE q (t TEXT);\nINSERT INTO q VALUES ('oops);\n", "'oops"),
    "comment": ("CREATE TABLE c (id INT);\n/* never closed\n", "/*"),
    "dollar": ("CREATE FUNCTION f() RETURNS INT AS $body$\nSELECT 1;\n", "$body$"),
    "identifier": ('CREATE TABLE "unclosed (id INT);\n', '"unclosed'),
    "crlf": ("CREATE TABLE crlf_t (\r\n  id INT\r\n);\r\nSELECT nope FROM crlf_t;\r\n", "nope"),
    "bom": ("\ufeffCREATE TABLE bom_t (id INT);\nSELECT nope FROM bom_t;\n", "nope"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_migration_sql_is_located_and_rolled_back(name: str, empty_db_url: str,
                                                         tmp_path: Path) -> None:
    text, culprit = BROKEN[name]
    source = write_files(tmp_path / "m", {"1_ok.sql": "CREATE TABLE ok (id INT);\n",
                                          f"2_{name}.sql": text})
    code, out, err = _migrate(source, empty_db_url, tmp_path)
    assert code == 1
    visible = text.lstrip("\ufeff")  # editors do not count the BOM as a column
    line, col = line_col(visible, visible.index(culprit))
    first = err.splitlines()[0]
    assert first.startswith(f"error: {source / f'2_{name}.sql'}:{line}:{col}: "
                            "while executing migration 2: "), err
    assert ("unterminated" in first) or ('"nope" does not exist' in first), first
    assert "rolled back and nothing was recorded" in err
    assert out.startswith("Applied 1/migrate ok ")
    assert _versions(empty_db_url) == [1]


@pytest.mark.slow
def test_valid_bom_crlf_and_huge_migrations_apply_with_raw_checksums(empty_db_url: str,
                                                                     tmp_path: Path) -> None:
    files = {
        "1_bom.sql": "\ufeffCREATE TABLE bom_t (id INT);\n".encode(),
        "2_crlf.sql": b"CREATE TABLE crlf_t (\r\n  t TEXT\r\n);\r\n"
                      b"INSERT INTO crlf_t VALUES ('a\r\nb');\r\n",
        "3_huge.sql": (f"-- {'c' * 1000}\n" * 100 + "CREATE TABLE big (t TEXT);\n"
                       f"INSERT INTO big VALUES ('{'x' * BIG}');\n").encode(),
    }
    source = write_files(tmp_path / "m", files)
    code, out, err = _migrate(source, empty_db_url, tmp_path)
    assert code == 0, err
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        sums = dict(conn.execute("SELECT version, checksum FROM _sqlx_migrations").fetchall())
        assert conn.execute("SELECT length(t) FROM big").fetchone() == (BIG,)
        # CRLF inside a literal is data: kept byte for byte.
        assert conn.execute("SELECT t FROM crlf_t").fetchone() == ("a\r\nb",)
    for name, raw in files.items():  # SQLx's checksum: the raw bytes, BOM and CRLF included
        assert bytes(sums[int(name[0])]) == hashlib.sha384(raw).digest()


def test_hostile_migration_description_round_trips(empty_db_url: str, tmp_path: Path) -> None:
    name = "1_it's_\"quoted\";_DROP_TABLE_victim;_--_$$_%s_{x}.sql"
    source = write_files(tmp_path / "m", {"0_victim.sql": "CREATE TABLE victim (id INT);\n",
                                          name: "SELECT 1;\n"})
    code, out, err = _migrate(source, empty_db_url, tmp_path)
    assert code == 0, err
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        row = conn.execute("SELECT description FROM _sqlx_migrations WHERE version = 1").fetchone()
        assert conn.execute("SELECT to_regclass('victim') IS NOT NULL").fetchone() == (True,)
    assert row == ("it's \"quoted\"; DROP TABLE victim; -- $$ %s {x}",)


# -- query files -------------------------------------------------------------------------------

QUERY_ERRORS = {
    "empty": ("", "query file is empty", ":1"),
    "only_comments": ("-- :one\n-- nothing here\n", "query file is empty", ":1"),
    "not_utf8": (b"SELECT 1 AS a -- caf\xe9\n", "not UTF-8", ":1:21"),
    "bom": ("\ufeffSELECT 1 AS a\n", "byte-order mark", ":1:1"),
    "quote": ("SELECT uri FROM scripts\nWHERE uri = 'oops\n", "unterminated quoted string",
              ":2:13"),
    "comment": ("SELECT 1 AS a /* never closed\n", "unterminated /* comment", ":1:15"),
    "dollar": ("SELECT $x$ body\n", "unterminated dollar-quoted string", ":1:8"),
    "identifier": ('SELECT "a FROM t\n', "unterminated quoted identifier", ":1:8"),
}


@pytest.mark.parametrize("name", list(QUERY_ERRORS))
def test_broken_query_files_are_named(name: str, tmp_path: Path) -> None:
    text, message, where = QUERY_ERRORS[name]
    path = write_files(tmp_path / "queries" / "scripts", {f"{name}.sql": text}) / f"{name}.sql"
    with pytest.raises(QueryFileError) as caught:
        load_query_file(path, "scripts")
    rendered = str(caught.value)
    assert rendered.startswith(f"{path}{where}: "), rendered
    assert message in rendered and "hint: " in rendered


def test_nul_in_a_query_file_is_an_error(tmp_path: Path) -> None:
    path = write_files(tmp_path / "queries" / "scripts",
                       {"nul.sql": "SELECT 1 AS a\x00 WHERE false\n"}) / "nul.sql"
    with pytest.raises(QueryFileError):
        load_query_file(path, "scripts")


def test_crlf_and_huge_query_files_load_unchanged(tmp_path: Path) -> None:
    crlf = "-- Find it.\r\n-- :optional\r\nSELECT uri\r\nFROM scripts\r\nWHERE uri = :uri\r\n"
    huge = f"-- :one\nSELECT '{'x' * BIG}' AS big WHERE 1 = :n\n"
    folder = write_files(tmp_path / "queries" / "scripts", {"crlf.sql": crlf, "huge.sql": huge})
    q = load_query_file(folder / "crlf.sql", "scripts")
    assert q.sql == crlf.replace(":uri", "$1") and q.params == ("uri",)
    assert q.cardinality == "optional"
    big = load_query_file(folder / "huge.sql", "scripts")
    assert big.sql == huge.replace(":n", "$1") and big.params == ("n",)


# -- no value or identifier is formatted into SQL text ----------------------------------------

_SQL_START = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|COPY|CREATE|DROP|ALTER|WITH|EXPLAIN|"
                        r"EXECUTE|PREPARE|SET|DO|GRANT|TRUNCATE|BEGIN|DECLARE|CALL)\b", re.I)
_SENDERS = {"execute", "executemany", "copy", "stream"}
# Built SQL that is allowed, with the reason. Each entry is (file, line text fragment).
_ALLOWED = {
    ("repo/runtime/_query.py", "COPY {quoted}"):
        "table and column names come from the query files via codegen, and are quoted",
    ("repo/describe/nullability.py", "EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE {statement}"):
        "the prepared-statement name is generated by describe; the arguments are NULLs",
    ("repo/analysis/replay.py", "SELECT CAST(NULL AS {type_text})"):
        "parsed by sqlglot offline, never sent to a server",
}


def _is_str(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _built_sql(node: ast.AST) -> str | None:
    """The SQL-looking text of an f-string, %-format, + or str.format expression, else None."""
    if isinstance(node, ast.JoinedStr) and node.values and _is_str(node.values[0]):
        head = node.values[0].value  # type: ignore[attr-defined]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)) \
            and _is_str(node.left):
        head = node.left.value  # type: ignore[attr-defined]
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "format" and _is_str(node.func.value):
        head = node.func.value.value  # type: ignore[attr-defined]
    else:
        return None
    return head if _SQL_START.match(head) else None


def _sent_directly(node: ast.Call) -> ast.AST | None:
    """The query argument of ``x.execute(<query>, ...)`` and friends."""
    if isinstance(node.func, ast.Attribute) and node.func.attr in _SENDERS and node.args:
        arg = node.args[0]
        # `x.encode()` sends the text of x.
        while isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) \
                and arg.func.attr == "encode":
            arg = arg.func.value
        return arg
    return None


def _is_message(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """SQL-looking text handed to a non-sending call (an error message, a finding) or a keyword."""
    parent = parents.get(node)
    if isinstance(parent, ast.keyword):
        return True
    if isinstance(parent, ast.Call) and node in parent.args:
        func = parent.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name not in _SENDERS | {"SQL", "Composed"}
    return False


def sql_formatting_findings(source: str, filename: str) -> list[str]:
    """Places where SQL text is built by string formatting, not by parameters or sql.SQL."""
    findings = []
    lines = source.splitlines()
    tree = ast.parse(source)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    for node in ast.walk(tree):
        candidates = []
        if _built_sql(node) is not None and not _is_message(node, parents):
            candidates.append(node)
        if isinstance(node, ast.Call):
            sent = _sent_directly(node)
            # Anything formatted and passed straight to execute, SQL-looking or not.
            if sent is not None and (isinstance(sent, ast.JoinedStr) or (
                    isinstance(sent, ast.BinOp) and isinstance(sent.op, (ast.Mod, ast.Add)))):
                candidates.append(sent)
            # sql.SQL(<formatted text>) defeats sql.SQL's purpose.
            if isinstance(node.func, ast.Attribute) and node.func.attr == "SQL" and node.args \
                    and not _is_str(node.args[0]) and not isinstance(node.args[0], ast.Name):
                candidates.append(node.args[0])
        for found in candidates:
            text = lines[found.lineno - 1]  # type: ignore[attr-defined]
            if not any(f == filename and frag in text for f, frag in _ALLOWED):
                findings.append(f"{filename}:{found.lineno}: {text.strip()}")  # type: ignore[attr-defined]
    return sorted(set(findings))


def test_the_checker_finds_formatted_sql() -> None:
    bad = '''
def f(conn, uri, table):
    conn.execute(f"SELECT * FROM scripts WHERE uri = '{uri}'")
    conn.execute("DELETE FROM logs WHERE id = %s" % uri)
    q = "SELECT * FROM {}".format(table)
    conn.execute(sql.SQL(f"DROP TABLE {table}"))
    conn.execute("SELECT 1 WHERE x = " + uri)
'''
    good = '''
def g(conn, uri, table):
    conn.execute("SELECT * FROM scripts WHERE uri = %s", [uri])
    conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(table)))
    message = f"cannot read {uri}"
'''
    assert len(sql_formatting_findings(bad, "bad.py")) == 5
    assert sql_formatting_findings(good, "good.py") == []


def test_no_sql_text_is_built_from_values_in_the_package() -> None:
    findings = []
    for path in sorted((ROOT / "repo").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        findings += sql_formatting_findings(path.read_text(encoding="utf-8"), rel)
    assert findings == [], "SQL built by string formatting:\n" + "\n".join(findings)
    for (filename, fragment), _reason in _ALLOWED.items():
        # The allow-list stays honest: each entry still exists.
        assert fragment in (ROOT / filename).read_text(encoding="utf-8"), filename


# -- values: round trips through every repository write and read ------------------------------

Conn = psycopg.Connection[tuple[object, ...]]
# Everything PostgreSQL text can hold: any code point except NUL and lone surrogates.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=300)
BIG_BYTES = st.builds(lambda n, seed: random.Random(seed).randbytes(n),
                      st.integers(1_000_000, 4_000_000), st.integers(0, 2**32))
BYTES = st.one_of(st.binary(max_size=2000), BIG_BYTES)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=15)
OFFSETS = st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30)),
                           dt.timezone(dt.timedelta(hours=-8))])
# Years 2..9998: a value whose UTC form leaves Python's years 1..9999 cannot be read back.
TIMESTAMPS = st.datetimes(min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31),
                          timezones=OFFSETS)
HOSTILE = ["'); DROP TABLE scripts; --", "\" OR 1=1 --", "$1", ":uri", "%s", "%(uri)s", "{}",
           "\\", "$$", "/*", "--", "' || pg_sleep(10) || '", "\u202e\u0301\U0001f600", " "]
PROPERTY = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def json_equal(a: object, b: object) -> bool:
    """JSON equality: a number is its value (jsonb stores 1e16 as 10000000000000000)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b if isinstance(a, int) and isinstance(b, int) else float(a) == float(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.fixture
def user_id(conn: Conn) -> str:
    user = Repos(conn).users.upsert_login(user_id="hostile-user", email="h@example.com",
                                          name=None, provider="google")
    return user.user_id


@PROPERTY
@given(uri=TEXT, code=TEXT, message=TEXT)
def test_text_round_trips_through_scripts_and_logs(conn: Conn, uri: str, code: str,
                                                   message: str) -> None:
    repos = Repos(conn)
    written = repos.scripts.upsert(uri=uri, code=code)
    read = repos.scripts.get_by_uri(uri=uri)
    assert (written.uri, written.code) == (uri, code)
    assert read is not None and (read.uri, read.code) == (uri, code)
    log = repos.logs.append(script_uri=uri, message=message)
    assert log.message == message
    assert message in [line.message for line in repos.logs.list_for_script(script_uri=uri,
                                                                          limit=10_000)]


@settings(max_examples=8, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(path=TEXT, mimetype=TEXT, content=BYTES)
@example(path="/big.bin", mimetype="application/octet-stream",
         content=random.Random(6).randbytes(6_000_000))  # always at least one of several MB
def test_bytes_up_to_megabytes_round_trip_through_assets(conn: Conn, path: str, mimetype: str,
                                                         content: bytes) -> None:
    repos = Repos(conn)
    written = repos.assets.upsert(public_path=path, mimetype=mimetype, content=content)
    read = repos.assets.get_by_path(public_path=path)
    assert written.content == content
    assert read is not None and read.content == content and read.mimetype == mimetype


@PROPERTY
@given(data=JSON, expires_at=TIMESTAMPS, name=st.none() | TEXT)
def test_json_and_timestamps_round_trip_through_sessions_and_users(
        conn: Conn, user_id: str, data: object, expires_at: dt.datetime, name: str | None) -> None:
    repos = Repos(conn)
    session_id = uuid.uuid4().hex
    created = repos.sessions.create(session_id=session_id, user_id=user_id, data=data,
                                    expires_at=expires_at)
    listed = [s for s in repos.sessions.list_for_user(user_id=user_id)
              if s.session_id == session_id]
    for session in (created, *listed):
        assert json_equal(session.data, data), (session.data, data)
        assert session.expires_at == expires_at and session.expires_at.tzinfo is not None
    assert len(listed) == 1
    user = repos.users.upsert_login(user_id=user_id, email="h@example.com", name=name,
                                    provider="google")
    assert user.name == name


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_are_data_not_sql(conn: Conn, user_id: str, value: str) -> None:
    repos = Repos(conn)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert repos.scripts.upsert(uri=value, code=value).uri == value
    assert repos.sessions.create(session_id=value, user_id=user_id, data={value: value},
                                 expires_at=later).session_id == value
    got = repos.sessions.get_valid(session_id=value)
    assert got is not None and got.data == {value: value}
    assert repos.scripts.get_by_uri(uri=value) is not None
    assert repos.scripts.count() == 1  # nothing else was created or dropped
    assert repos.sessions.delete(session_id=value) == 1


# -- values that cannot be stored: a clear error, nothing written, no truncation ---------------

def _nothing_written(conn: Conn) -> None:
    assert conn.execute("SELECT (SELECT count(*) FROM scripts) + (SELECT count(*) FROM "
                        "sessions) + (SELECT count(*) FROM logs)").fetchone() == (0,)
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


@pytest.mark.parametrize("call, parameter", [
    (lambda r, u: r.scripts.upsert(uri="a\x00b", code="x"), "uri"),
    (lambda r, u: r.logs.append(script_uri="s", message="\x00"), "message"),
    (lambda r, u: r.scripts.upsert(uri=123, code="x"), "uri"),
    (lambda r, u: r.assets.upsert(public_path="p", mimetype="m", content="not bytes"),
     "content"),
    (lambda r, u: r.users.set_roles(is_admin=1, is_editor=False, user_id=u), "is_admin"),
    (lambda r, u: r.logs.list_for_script(script_uri="s", limit=2**63), "limit"),
    (lambda r, u: r.logs.list_for_script(script_uri="s", limit="10"), "limit"),
    (lambda r, u: r.sessions.create(session_id="s", user_id=u, data={},
                                    expires_at=dt.datetime(2030, 1, 1)), "expires_at"),
    (lambda r, u: r.scripts.upsert(uri=None, code="x"), "uri"),
], ids=["nul-text", "nul-message", "int-for-text", "str-for-bytes", "int-for-bool",
        "int8-overflow", "str-for-int", "naive-datetime", "none-for-not-null"])
def test_bad_values_are_rejected_before_the_server(conn: Conn, user_id: str, call: object,
                                                   parameter: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        call(Repos(conn), user_id)  # type: ignore[operator]
    assert f"parameter `{parameter}`" in str(caught.value)
    assert "hint: " in str(caught.value)
    _nothing_written(conn)


def test_an_over_long_value_is_refused_by_the_server_never_truncated(conn: Conn) -> None:
    # 20 kB of incompressible text cannot go into the UNIQUE index on scripts.uri.
    uri = random.Random(1).randbytes(10_000).hex()
    with pytest.raises(psycopg.errors.ProgramLimitExceeded) as caught:
        Repos(conn).scripts.upsert(uri=uri, code="x")
    assert "index row" in str(caught.value)
    _nothing_written(conn)
    long_code = "y" * 5_000_000  # not indexed: stored whole
    assert Repos(conn).scripts.upsert(uri="/long", code=long_code).code == long_code


JSON_BAD = {
    "not-serialisable": {"a": object()},
    "nan": {"a": float("nan")},
    "nul-in-string": {"a": "x\x00y"},
    "nul-in-key": {"a\x00": 1},
}


@pytest.mark.parametrize("name", list(JSON_BAD))
def test_unstorable_json_is_an_invalid_argument(conn: Conn, user_id: str, name: str) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    with pytest.raises(InvalidArgument, match="parameter `data`"):
        Repos(conn).sessions.create(session_id="s", user_id=user_id, data=JSON_BAD[name],
                                    expires_at=later)


def test_lone_surrogate_is_an_invalid_argument(conn: Conn) -> None:
    with pytest.raises(InvalidArgument, match="parameter `uri`"):
        Repos(conn).scripts.upsert(uri="\ud800", code="x")


def test_an_invalid_uuid_is_an_invalid_argument(conn: Conn) -> None:
    """No AIWebEngine query takes a UUID parameter, so this uses the runtime directly, the way
    generated code does."""
    from repo.runtime import Param, Query, Repo

    by_id: Query[tuple[object, ...]] = Query(
        "probe/by_id", "SELECT id FROM scripts WHERE id = $1", [Param("id", "uuid")])

    class ProbeRepo(Repo):
        def by_id(self, *, id: object) -> tuple[object, ...] | None:  # noqa: A002
            return self._optional(by_id, (id,))

    repo = ProbeRepo(conn)
    for bad in ("not-a-uuid", "'; DROP TABLE scripts; --", 42, b"\x00" * 16):
        with pytest.raises(InvalidArgument, match="parameter `id`"):
            repo.by_id(id=bad)
    assert repo.by_id(id=uuid.uuid4()) is None
    _nothing_written(conn)
