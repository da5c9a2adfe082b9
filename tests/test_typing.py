"""mypy sees the generated repositories as typed: reveal_type and expected errors.

One mypy run over one snippet (mypy takes seconds to start); each expectation is a line
of the snippet, found by a marker comment, and checked against mypy's output for that line.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parent.parent

SNIPPET = '''
import datetime
import psycopg
from psycopg_pool import ConnectionPool
from repo import AsyncAssetRepo, AsyncLogRepo, AsyncScriptRepo, AsyncUserRepo, AssetRepo
from repo import LogRepo, Repos, ScriptRepo, SessionRepo, UserRepo


def sync(conn: psycopg.Connection[tuple[object, ...]], pool: ConnectionPool) -> None:
    reveal_type(ScriptRepo(conn).get_by_uri(uri="/index.js"))  # T: script_optional
    reveal_type(ScriptRepo(pool).list_uninitialized())  # T: script_list
    reveal_type(ScriptRepo(conn).delete_by_uri(uri="/x"))  # T: int
    reveal_type(ScriptRepo(conn).upsert(uri="/x", code="y"))  # T: script
    reveal_type(Repos(conn).sessions.get_valid(session_id="s"))  # T: session_optional
    reveal_type(LogRepo(conn).append_many([("/a", "b")]))  # T: int
    ScriptRepo(conn).get_by_uri(uri=1)  # E: int_for_uri
    ScriptRepo(conn).get_by_uri("/index.js")  # E: positional
    SessionRepo(conn).create(  # E: naive_ok
        session_id="s", user_id="u", data={"a": [1]}, expires_at=datetime.datetime.now()
    )
    ScriptRepo(conn).mark_init_result(uri="/x", initialized=True, init_error=None)
    ScriptRepo(conn).upsert(uri="/x", code=None)  # E: none_for_code
    reveal_type(LogRepo(conn).search())  # T: log_list
    reveal_type(LogRepo(conn).search(script_uri="/a", since=None, limit=5))  # T: log_list
    LogRepo(conn).search(limit=None)  # E: none_for_limit
    found = ScriptRepo(conn).get_with_logs(uri="/a", log_limit=5)
    reveal_type(found)  # T: script_with_logs
    if found is not None:
        reveal_type(found.logs)  # T: log_list
    with_user = SessionRepo(conn).get_with_user(session_id="s")
    if with_user is not None:
        reveal_type(with_user.user)  # T: user
    reveal_type(ScriptRepo(conn).count())  # T: int
    reveal_type(SessionRepo(conn).get_data(session_id="s"))  # T: session_data_optional
    SessionRepo(conn).set_data(session_id="s", data={"theme": 1})  # E: dict_for_model
    reveal_type(AssetRepo(conn).total_bytes())  # T: int
    reveal_type(LogRepo(conn).iter_for_script(script_uri="/a"))  # T: log_iterator
    reveal_type(ScriptRepo(conn).mark_init_result(uri="/x", initialized=True))  # T: script_optional
    UserRepo(conn).upsert_login(user_id="u", email="e", provider="p")


async def run(conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
    reveal_type(await AsyncScriptRepo(conn).get_by_uri(uri="/index.js"))  # T: script_optional
    await AsyncScriptRepo(conn).get_by_uri(uri=1)  # E: int_for_uri
    reveal_type(await AsyncLogRepo(conn).search(contains="%"))  # T: log_list
    afound = await AsyncScriptRepo(conn).get_with_logs(uri="/a", log_limit=5)
    reveal_type(afound)  # T: script_with_logs
    if afound is not None:
        reveal_type(afound.logs)  # T: log_list
    reveal_type(await AsyncScriptRepo(conn).count())  # T: int
    reveal_type(await AsyncAssetRepo(conn).total_bytes())  # T: int
    reveal_type(AsyncLogRepo(conn).iter_for_script(script_uri="/a"))  # T: log_async_iterator
    await AsyncUserRepo(conn).upsert_login(user_id="u", email="e", provider="p")
'''

EXPECTED_TYPES = {
    "script_optional": "repo.generated.models.Script | None",
    "script_list": "list[repo.generated.models.Script]",
    "script": "repo.generated.models.Script",
    "session_optional": "repo.generated.models.Session | None",
    "int": "int",
    "log_list": "list[repo.generated.models.Log]",
    "script_with_logs": "repo.generated.models.ScriptWithLogs | None",
    "user": "repo.generated.models.User",
    "log_iterator": "typing.Iterator[repo.generated.models.Log]",
    "session_data_optional": "repo.extensions.SessionData | None",
    "log_async_iterator": "typing.AsyncIterator[repo.generated.models.Log]",
}
EXPECTED_ERRORS = {
    "int_for_uri": 'Argument "uri" to "get_by_uri" of "(Async)?ScriptRepo" has incompatible '
    'type "int"',
    "positional": "Too many positional arguments",
    "dict_for_model": 'Argument "data" to "set_data" of "SessionRepo" has incompatible type',
    "none_for_limit": 'Argument "limit" to "search" of "LogRepo" has incompatible type "None"',
    "none_for_code": 'Argument "code" to "upsert" of "ScriptRepo" has incompatible type "None"',
}


@pytest.fixture(scope="module")
def mypy_output(tmp_path_factory: pytest.TempPathFactory) -> dict[int, list[str]]:
    tmp = tmp_path_factory.mktemp("typing")
    path = tmp / "snippet.py"
    path.write_text(textwrap.dedent(SNIPPET), encoding="utf-8")
    stdout, stderr, _ = mypy_api.run([
        str(path), "--strict", "--no-error-summary", "--show-error-codes",
        # A private cache: a shared one can answer for another run's snippet.py.
        "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp / "cache"),
    ])
    assert not stderr, stderr
    by_line: dict[int, list[str]] = {}
    for line in stdout.splitlines():
        m = re.match(rf"{re.escape(str(path))}:(\d+): (.*)", line)
        if m:
            by_line.setdefault(int(m[1]), []).append(m[2])
    return by_line


def _marked(kind: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for number, line in enumerate(textwrap.dedent(SNIPPET).splitlines(), 1):
        m = re.search(rf"# {kind}: (\w+)", line)
        if m:
            out.setdefault(m[1], []).append(number)
    return out


@pytest.mark.parametrize("name", sorted(EXPECTED_TYPES))
def test_reveal_type(mypy_output: dict[int, list[str]], name: str) -> None:
    for line in _marked("T")[name]:
        notes = mypy_output.get(line, [])
        assert f'note: Revealed type is "{EXPECTED_TYPES[name]}"' in notes, (line, notes)


@pytest.mark.parametrize("name", sorted(EXPECTED_ERRORS))
def test_type_errors(mypy_output: dict[int, list[str]], name: str) -> None:
    for line in _marked("E")[name]:
        messages = " / ".join(mypy_output.get(line, []))
        assert re.search(EXPECTED_ERRORS[name], messages), (line, messages)


def test_nothing_else_is_reported(mypy_output: dict[int, list[str]]) -> None:
    expected = {n for marks in (_marked("T"), _marked("E")) for lines in marks.values()
                for n in lines}
    # A naive datetime is a runtime error, not a type error (mypy cannot tell them apart).
    expected -= set(_marked("E")["naive_ok"])
    unexpected = {n: msgs for n, msgs in mypy_output.items() if n not in expected}
    assert unexpected == {}
