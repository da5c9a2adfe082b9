"""A password from any source never appears in output, logs, files, exception texts or reprs.

Every command runs with a password-bearing URL given each way a user can give one (flag,
``DATABASE_URL`` in the environment or in ``.env``, ``config.toml`` with ``${VAR}``,
``APP_REPOSITORY__DATABASE_URL``), against servers that accept it (trust, and a real
scram-sha-256 login) and servers that refuse it (wrong password, nothing listening), and
everything the command left behind is scanned for the password.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from helpers.reliability import ROOT, cli_env, own_server_dir, run_cli
from psycopg import sql

from repo.cli import main
from repo.config import load_settings
from repo.conninfo import forget
from repo.errors import ConfigError, RepoError
from repo.generated import AsyncDatabase, Database
from repo.migrate import connect
from repo.server import EmbeddedServer, create_database, drop_database, find_binaries
from repo.server.databases import dbname_of

NEEDLE = "S3CR3T"  # in every password below, so one search finds any form of it
PASSWORD = f"p@ss:w/rd {NEEDLE}"  # needs percent-encoding in a URL
WRONG = f"wrong-{NEEDLE}-pw"
SOURCES = ["flag", "env", "dotenv", "config", "override"]
KINDS = ["trust", "scram", "wrong-password", "refused"]
URL_VARS = ("DATABASE_URL", "APP_REPOSITORY__DATABASE_URL", "DB_PASSWORD", "PGPASSWORD")

COMMANDS = [
    ["migrate", "run"], ["migrate", "info"], ["migrate", "check"], ["migrate", "revert"],
    ["migrate", "add", "secret scan"], ["prepare"], ["prepare", "--check"], ["verify"],
    ["generate"], ["explain", "queries/scripts/get_by_uri.sql"], ["db", "status"],
]


@pytest.fixture(autouse=True)
def _fresh_secrets() -> Iterator[None]:
    """Each test starts with no remembered secrets: a secret an earlier test taught
    `repo.conninfo.scrub` must not hide a leak in this one."""
    forget()
    yield
    forget()


def _with_password(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{user}:{quote(password, safe='')}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture(scope="module")
def scram_server() -> Iterator[EmbeddedServer]:
    """A server of our own that really checks passwords (the shared ones trust everyone)."""
    if find_binaries() is None:
        pytest.skip("no PostgreSQL binaries to start a password-checking server")
    with own_server_dir("scram") as datadir:
        server = EmbeddedServer(datadir)
        server.init()
        (server.datadir / "pg_hba.conf").write_text(
            "local all all trust\n"
            "host all postgres 127.0.0.1/32 trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n")
        server.start()
        try:
            with psycopg.connect(server.url, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE ROLE app LOGIN SUPERUSER PASSWORD {}")
                             .format(sql.Literal(PASSWORD)))
            yield server
        finally:
            server.stop()


@pytest.fixture
def target(request: pytest.FixtureRequest, empty_db_url: str,
           scram_server: EmbeddedServer) -> Iterator[str]:
    """A password-bearing URL of the kind named by the test's parameter."""
    kind = request.param
    if kind == "trust":
        yield _with_password(empty_db_url, "postgres", PASSWORD)
        return
    if kind == "refused":
        yield f"postgresql://app:{quote(PASSWORD, safe='')}@127.0.0.1:1/app"
        return
    name = f"secrets_{secrets.token_hex(4)}"
    url = create_database(scram_server.url, name)
    try:
        yield _with_password(url, "app", PASSWORD if kind == "scram" else WRONG)
    finally:
        drop_database(scram_server.url, name)


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    for name in ("migrations", "queries", ".sqlx"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, project / name)
    return project


def _place(source: str, url: str, project: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Put ``url`` where ``source`` says; return the extra command-line arguments."""
    for var in URL_VARS:
        monkeypatch.delenv(var, raising=False)
    if source == "flag":
        return ["--database-url", url]
    if source == "env":
        monkeypatch.setenv("DATABASE_URL", url)
    elif source == "dotenv":
        (project / ".env").write_text(f'DATABASE_URL="{url}"\n')
    elif source == "override":
        monkeypatch.setenv("APP_REPOSITORY__DATABASE_URL", url)
    else:
        password = urlsplit(url).password or ""
        (project / "config.toml").write_text(
            f'[repository]\ndatabase_url = "{url.replace(password, "${DB_PASSWORD}")}"\n')
        monkeypatch.setenv("DB_PASSWORD", password)
    return []


def _run(argv: list[str], capsys: pytest.CaptureFixture[str],
         caplog: pytest.LogCaptureFixture) -> tuple[object, str]:
    """Run one command in this process; return its exit code and everything it emitted."""
    crash = ""
    try:
        code: object = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    except BaseException as exc:  # noqa: BLE001 - a crash's traceback is output too
        code = "crash"
        crash = "".join(traceback.format_exception(exc)) + repr(exc)
    out, err = capsys.readouterr()
    text = out + err + caplog.text + crash
    caplog.clear()
    return code, text


def _leaks(project: Path) -> list[str]:
    """Files the commands wrote that contain the password (.env holds it on purpose)."""
    return [str(p) for p in project.rglob("*")
            if p.is_file() and p.name != ".env" and NEEDLE.encode() in p.read_bytes()]


@pytest.mark.parametrize("target", KINDS, indirect=True)
@pytest.mark.parametrize("source", SOURCES)
def test_no_command_prints_the_password(source: str, target: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str],
                                        caplog: pytest.LogCaptureFixture) -> None:
    project = _project(tmp_path)
    monkeypatch.chdir(project)
    extra = _place(source, target, project, monkeypatch)
    caplog.set_level(logging.DEBUG)
    codes = {}
    for command in COMMANDS:
        code, text = _run([*command, *extra], capsys, caplog)
        codes[" ".join(command)] = code
        assert NEEDLE not in text, f"{command} with the URL from {source} printed:\n{text}"
        assert code != "crash", f"{command} crashed:\n{text}"
    assert _leaks(project) == []
    # The commands really used the URL: it works where the password is right, fails otherwise.
    expect = 0 if urlsplit(target).port != 1 and WRONG not in target.replace("%20", " ") else 1
    assert codes["migrate run"] == expect, codes
    if expect == 0:
        assert codes["prepare"] == 0, codes


@pytest.mark.parametrize("source", SOURCES)
def test_real_processes_never_print_the_password(source: str, tmp_path: Path,
                                                 scram_server: EmbeddedServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The same through ``python -m repo`` processes, on the wrong-password path."""
    project = _project(tmp_path)
    url = f"postgresql://app:{quote(WRONG, safe='')}@127.0.0.1:{scram_server.port}/postgres"
    extra = _place(source, url, project, monkeypatch)
    env = cli_env({k: v for k, v in os.environ.items() if k in URL_VARS})
    for command in (["migrate", "info"], ["prepare", "--check"]):
        result = run_cli([*command, *extra], cwd=project, env=env)
        assert result.returncode == 1
        assert "password authentication failed" in result.stderr
        assert NEEDLE not in result.stdout + result.stderr, result.stderr


def test_database_pool_hides_the_password(scram_server: EmbeddedServer, tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    """The application entry point: repr, a working pool, and a pool that cannot log in."""
    caplog.set_level(logging.DEBUG)
    good = f"postgresql://app:{quote(PASSWORD, safe='')}@127.0.0.1:{scram_server.port}/postgres"
    bad = good.replace(quote(PASSWORD, safe=""), quote(WRONG, safe=""))
    settings = load_settings(tmp_path, env={})
    texts = []
    with Database(good, settings=settings, min_size=1, max_size=1) as db:
        texts += [repr(db), str(db), repr(db.pool), repr(db.repos.scripts)]
        with db.pool.connection() as conn:  # the password really logged in
            assert conn.execute("SELECT current_user").fetchone() == ("app",)
    # min_size=0: open() returns at once and the first call fails after `timeout` (with
    # min_size >= 1, open() itself fails at once: test_database_open_refuses_a_wrong_password).
    with Database(bad, settings=settings, min_size=0, max_size=1, timeout=1) as failing:
        texts.append(repr(failing))
        with pytest.raises(Exception) as caught:  # noqa: B017 - whatever it is, it must be clean
            failing.repos.scripts.count()
    texts += [str(caught.value), repr(caught.value),
              "".join(traceback.format_exception(caught.value)), caplog.text]
    assert "password authentication failed" in caplog.text  # the failure path really ran
    for text in texts:
        assert NEEDLE not in text, text


def _wrong_password_url(server: EmbeddedServer) -> str:
    return f"postgresql://app:{quote(WRONG, safe='')}@127.0.0.1:{server.port}/postgres"


def _check_refused_login(caught: pytest.ExceptionInfo[Exception], started: float) -> None:
    assert time.monotonic() - started < 10  # at once, not after the pool's 30 s wait
    assert isinstance(caught.value, ConfigError)
    text = str(caught.value)
    assert 'password authentication failed for user "app"' in text
    assert "hint: check the user name, password and database name" in text
    for shown in (text, repr(caught.value), "".join(traceback.format_exception(caught.value))):
        assert NEEDLE not in shown, shown


def test_database_open_refuses_a_wrong_password(scram_server: EmbeddedServer,
                                                tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    started = time.monotonic()
    with pytest.raises(RepoError) as caught:
        Database(_wrong_password_url(scram_server), settings=settings, min_size=1).open()
    _check_refused_login(caught, started)


async def test_async_database_open_refuses_a_wrong_password(scram_server: EmbeddedServer,
                                                            tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    started = time.monotonic()
    with pytest.raises(RepoError) as caught:
        await AsyncDatabase(_wrong_password_url(scram_server), settings=settings).open()
    _check_refused_login(caught, started)


def test_reprs_and_errors_hide_the_password(scram_server: EmbeddedServer,
                                            tmp_path: Path) -> None:
    url = f"postgresql://app:{quote(PASSWORD, safe='')}@127.0.0.1:{scram_server.port}/postgres"
    settings = load_settings(tmp_path, env={"DATABASE_URL": url})
    resolved = settings.resolve_url()
    assert resolved is not None and resolved.url == url
    texts = [repr(settings), str(settings), repr(resolved), str(resolved)]
    with connect(url) as conn:  # a real scram login with the password
        texts += [repr(conn), conn.info.dsn, repr(conn.info)]
    for bad in (url.replace(str(scram_server.port), "1"),  # refused
                url.replace(quote(PASSWORD, safe=""), quote(WRONG, safe="")),  # wrong password
                url.replace("127.0.0.1", "[127.0.0.1"),  # malformed
                f"host=127.0.0.1 port=1 password='{PASSWORD}'"):  # key=value form
        with pytest.raises(RepoError) as caught:
            connect(bad)
        texts += [str(caught.value), repr(caught.value),
                  "".join(traceback.format_exception(caught.value))]
    for text in texts:
        assert NEEDLE not in text, text
    assert dbname_of(url) == "postgres"


# Passwords libpq reads without percent-encoding (`?`, `#`), strings it cannot parse (a space,
# a bad escape), and the key=value form with password / sslpassword. Each is a template with
# {pw} for the password and {port} for the server's port.
FORMS = {
    "url-question-mark": ("postgresql://app:{pw}@127.0.0.1:{port}/app", f"{NEEDLE}?x"),
    "url-hash": ("postgresql://app:{pw}@127.0.0.1:{port}/app", f"{NEEDLE}#x"),
    "url-space": ("postgresql://app:{pw}@127.0.0.1:{port}/app", f"{NEEDLE} x"),
    "url-bad-escape": ("postgresql://app:{pw}@127.0.0.1:{port}/app", f"{NEEDLE}%zz"),
    "url-slash": ("postgresql://app:{pw}@127.0.0.1:{port}/app", f"{NEEDLE}/x"),
    "keyword": ("host=127.0.0.1 port={port} user=app password={pw}", NEEDLE),
    "keyword-quoted": ("host=127.0.0.1 port={port} user=app password='{pw}'", f"{NEEDLE} x"),
    "keyword-sslpassword": ("host=127.0.0.1 port={port} user=app sslpassword={pw}", NEEDLE),
    "query-sslpassword": ("postgresql://app@127.0.0.1:{port}/app?sslpassword={pw}", NEEDLE),
}
FORM_SOURCES = ["flag", "env", "dotenv", "config"]
# The commands that read the URL (offline ones never look at it: the first test covers them).
URL_COMMANDS = [["migrate", "run"], ["migrate", "info"], ["prepare"], ["prepare", "--check"],
                ["db", "status"]]


def _place_form(source: str, template: str, password: str, port: int, project: Path,
                monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Put the URL of ``template`` where ``source`` says (config.toml: as ``${DB_PASSWORD}``)."""
    for var in URL_VARS:
        monkeypatch.delenv(var, raising=False)
    url = template.format(pw=password, port=port)
    if source == "config":
        text = template.format(pw="${DB_PASSWORD}", port=port)
        (project / "config.toml").write_text(f'[repository]\ndatabase_url = "{text}"\n')
        monkeypatch.setenv("DB_PASSWORD", password)
        return []
    return _place(source, url, project, monkeypatch)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("source", FORM_SOURCES)
def test_no_url_form_leaks_from_any_source(form: str, source: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str],
                                           caplog: pytest.LogCaptureFixture) -> None:
    """Every command, every URL form, every source: the secret is in no line and no file."""
    project = _project(tmp_path)
    monkeypatch.chdir(project)
    template, password = FORMS[form]
    extra = _place_form(source, template, password, 1, project, monkeypatch)
    caplog.set_level(logging.DEBUG)
    for command in [*URL_COMMANDS, ["verify", "--no-such-flag", *extra]]:
        code, text = _run([*command, *extra], capsys, caplog)
        assert NEEDLE not in text, f"{command} with the {form} URL from {source} printed:\n{text}"
        assert code != "crash", f"{command} crashed:\n{text}"
        if command in (["migrate", "info"], ["prepare"]):
            assert code == 1 and "error: " in text, text  # the URL really was used
    assert _leaks(project) == []


@pytest.fixture(scope="module")
def plain_role(scram_server: EmbeddedServer) -> str:
    """A role on the password-checking server whose password libpq reads unencoded in a URL."""
    password = f"{NEEDLE}?x#y"
    with psycopg.connect(scram_server.url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE app2 LOGIN SUPERUSER PASSWORD {}")
                     .format(sql.Literal(password)))
    return password


_ACCEPTED_URL = "postgresql://app2:{pw}@127.0.0.1:{port}/postgres"
_ACCEPTED_KEYWORDS = "host=127.0.0.1 port={port} user=app2 dbname=postgres password='{pw}'"


@pytest.mark.parametrize(("template", "source"), [
    *((_ACCEPTED_URL, source) for source in FORM_SOURCES),
    (_ACCEPTED_KEYWORDS, "flag"), (_ACCEPTED_KEYWORDS, "config"),
])
def test_urls_libpq_accepts_work_and_stay_hidden(template: str, source: str, plain_role: str,
                                                 scram_server: EmbeddedServer, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str],
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """libpq logs in with `?` and `#` unencoded in the password, so prepare must too."""
    project = _project(tmp_path)
    monkeypatch.chdir(project)
    extra = _place_form(source, template, plain_role, scram_server.port, project, monkeypatch)
    for command in (["migrate", "info"], ["prepare"]):
        code, text = _run([*command, *extra], capsys, caplog)
        assert code == 0, text
        assert NEEDLE not in text, text
        if command == ["prepare"]:
            assert "using a temporary database on " in text
    assert _leaks(project) == []
    with psycopg.connect(scram_server.url) as conn:  # no temporary database names it either
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database")]
    assert not [n for n in names if NEEDLE in n]


@pytest.mark.parametrize("form", ["url-question-mark", "url-space", "keyword-sslpassword"])
def test_real_process_prepare_hides_every_form(form: str, tmp_path: Path) -> None:
    """``python -m repo prepare`` as a process, the URL in .env: stderr and stdout are clean."""
    project = _project(tmp_path)
    template, password = FORMS[form]
    (project / ".env").write_text(f'DATABASE_URL="{template.format(pw=password, port=1)}"\n')
    result = run_cli(["prepare"], cwd=project, env=cli_env())
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") or "\nerror: " in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert NEEDLE not in result.stdout + result.stderr, result.stderr


@pytest.mark.parametrize("form", FORMS)
def test_database_repr_hides_every_form(form: str, tmp_path: Path) -> None:
    """``repr(Database(url))`` (no connection made) for URLs libpq parses and ones it cannot."""
    template, password = FORMS[form]
    settings = load_settings(tmp_path, env={})
    for db in (Database(template.format(pw=password, port=1), settings=settings),
               AsyncDatabase(template.format(pw=password, port=1), settings=settings)):
        assert NEEDLE not in repr(db) and "Database(" in repr(db), repr(db)
