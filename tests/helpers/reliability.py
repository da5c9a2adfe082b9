"""Helpers for the reliability tests: running the CLI as real processes, watching processes.

Nothing here is mocked: commands run as ``python -m repo ...`` subprocesses against a real
server, and process checks read ``/proc`` directly.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

import psycopg

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")

# Variables that would silently pick another database for a child process.
_URL_VARS = ("DATABASE_URL", "APP_REPOSITORY__DATABASE_URL", "TEST_DATABASE_URL", "PGPASSWORD")


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment without any database URL, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in _URL_VARS}
    env.update(extra or {})
    return env


def cli(args: Iterable[str]) -> list[str]:
    return [sys.executable, "-m", "repo", *args]


def run_cli(args: Iterable[str], *, cwd: Path, env: Mapping[str, str],
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m repo ARGS`` to completion and capture its output."""
    return subprocess.run(cli(args), cwd=cwd, env=dict(env), capture_output=True, text=True,
                          timeout=timeout, check=False)


def start_cli(args: Iterable[str], *, cwd: Path,
              env: Mapping[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(cli(args), cwd=cwd, env=dict(env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def write_files(directory: Path, files: Mapping[str, str | bytes]) -> Path:
    """Create ``directory`` with the given files (text is written as UTF-8, bytes as is)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (directory / name).write_bytes(data)
    return directory


def wait_for(probe: Callable[[], T], *, timeout: float, interval: float = 0.05,
             what: str = "condition") -> T:
    """Poll ``probe`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def active_queries(admin_url: str, dbname: str) -> list[tuple[int, str]]:
    """(pid, query) of the busy backends connected to ``dbname``."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid, query FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
            "AND pid <> pg_backend_pid()", [dbname]).fetchall()
    return [(int(pid), str(query)) for pid, query in rows]


def backends(admin_url: str, dbname: str) -> int:
    """How many client backends are connected to ``dbname`` (excluding this probe)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid()", [dbname]).fetchone()
    assert row is not None
    return int(row[0])


# -- processes (via /proc, so no extra dependency) ---------------------------------------------

Proc = tuple[int, int]  # (pid, start time in clock ticks): survives pid reuse


def _start_time(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: split after the last ")".
    return int(stat.rsplit(")", 1)[1].split()[19])


def _state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def process_tree(pid: int) -> set[Proc]:
    """``pid`` and all its descendants, identified so that pid reuse cannot fool a check."""
    found: set[Proc] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        started = _start_time(current)
        if started is None:
            continue
        found.add((current, started))
        todo.extend(_children(current))
    return found


def alive(procs: Iterable[Proc]) -> set[Proc]:
    """The processes among ``procs`` that still run (zombies count as gone)."""
    return {(pid, st) for pid, st in procs
            if _start_time(pid) == st and _state(pid) not in (None, "Z")}


def postmaster_pid(datadir: Path) -> int:
    return int((datadir / "postmaster.pid").read_text().splitlines()[0])


def processes_using(datadir: Path) -> list[int]:
    """Processes whose command line names ``datadir`` (a postmaster started with ``-D``)."""
    out = []
    needle = str(datadir).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline and _state(int(entry.name)) not in (None, "Z"):
            out.append(int(entry.name))
    return out


@contextlib.contextmanager
def own_server_dir(prefix: str) -> Iterator[Path]:
    """A directory for a server a test module starts itself, deleted afterwards.

    Not under pytest's ``tmp_path``: as root the server runs as ``nobody``, which needs the
    search bit on every parent, and every new pytest session resets its base temporary
    directory to mode 0700, which would cut a running server off from its own files.
    """
    base = Path(tempfile.mkdtemp(prefix=f"repo-rel-{prefix}-"))
    try:
        yield base / "data"
    finally:
        shutil.rmtree(base, ignore_errors=True)
