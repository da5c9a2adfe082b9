"""A real PgBouncer in front of the test server, for the duration of one test.

`running(upstream_url, ...)` starts Debian's ``pgbouncer`` as an unprivileged user (``nobody``
when the tests run as root; PgBouncer refuses to run as root) with its config, log and pid
files in a private temporary directory, listening on 127.0.0.1 and a free port only, in
``pool_mode = transaction``, and stops it when the block exits, also on failure.

Two behaviours are tested (issue #15):

* ``max_prepared_statements = 0`` (the default, and all that PgBouncer < 1.21 can do): no
  protocol-level prepared statements; clients must not use them.
* ``max_prepared_statements > 0`` (PgBouncer >= 1.21 only): PgBouncer tracks them.

Binaries: ``pgbouncer`` on PATH or /usr/sbin (Debian 12 ships 1.18), plus each executable
named in ``REPO_TEST_PGBOUNCER`` (``:``-separated) and ``/opt/repo-pgbouncer/bin/pgbouncer``,
which ``scripts/pgbouncer-new.sh`` provisions from Debian 13's package (1.24).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from repo.server import with_dbname

NEW_WRAPPER = Path("/opt/repo-pgbouncer/bin/pgbouncer")
PREPARED_SINCE = (1, 21)


@dataclass(frozen=True)
class Binary:
    """One PgBouncer executable and its version."""

    path: str
    version: tuple[int, int]

    @property
    def tracks_prepared(self) -> bool:
        """True for >= 1.21, which knows ``max_prepared_statements``."""
        return self.version >= PREPARED_SINCE


@dataclass(frozen=True)
class Bouncer:
    """A running PgBouncer: where it listens, and the URL of one database through it."""

    binary: Binary
    port: int
    dir: Path
    max_prepared_statements: int

    def url(self, upstream_url: str) -> str:
        """``upstream_url`` with host and port replaced by PgBouncer's."""
        params = conninfo_to_dict(upstream_url)
        return with_dbname(f"postgresql://{params.get('user', 'postgres')}@127.0.0.1:"
                           f"{self.port}/postgres", str(params.get("dbname", "postgres")))

    def log(self) -> str:
        try:
            return (self.dir / "pgbouncer.log").read_text(errors="replace")
        except OSError:
            return ""


@cache
def binaries() -> tuple[Binary, ...]:
    """Every PgBouncer found (see the module docstring), oldest first."""
    candidates = [shutil.which("pgbouncer") or "/usr/sbin/pgbouncer", str(NEW_WRAPPER)]
    candidates += [p for p in os.environ.get("REPO_TEST_PGBOUNCER", "").split(":") if p]
    found: dict[tuple[int, int], Binary] = {}
    for path in candidates:
        version = _version(path)
        if version is not None:
            found.setdefault(version, Binary(path, version))
    return tuple(sorted(found.values(), key=lambda b: b.version))


def _version(path: str) -> tuple[int, int] | None:
    if not os.access(path, os.X_OK):
        return None
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"PgBouncer (\d+)\.(\d+)", out.stdout)
    return (int(found[1]), int(found[2])) if found else None


def pick(prepared: bool) -> Binary | str:
    """The binary for a behaviour, or the reason there is none (a skip message)."""
    found = binaries()
    if not found:
        return ("pgbouncer is not installed (`apt-get install pgbouncer`; .ci/run installs "
                "it where apt-get works)")
    if not prepared:
        return found[0]
    newer = [b for b in found if b.tracks_prepared]
    if not newer:
        versions = ", ".join(".".join(map(str, b.version)) for b in found)
        return (f"max_prepared_statements needs PgBouncer >= 1.21; found only {versions} "
                "(scripts/pgbouncer-new.sh provisions 1.24 from Debian's packages)")
    return newer[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(upstream: dict[str, object], port: int, folder: Path, binary: Binary,
            max_prepared: int, pool_size: int) -> str:
    host, upstream_port = upstream.get("host", "127.0.0.1"), upstream.get("port", 5432)
    lines = [
        "[databases]",
        # Any database name maps to the same name upstream: each test has its own database.
        f"* = host={host} port={upstream_port}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        "auth_type = trust",
        f"auth_file = {folder / 'userlist.txt'}",
        "pool_mode = transaction",
        # Fewer server connections than client threads, so clients share them all the time.
        f"default_pool_size = {pool_size}",
        "max_client_conn = 200",
        f"logfile = {folder / 'pgbouncer.log'}",
        f"pidfile = {folder / 'pgbouncer.pid'}",
        "ignore_startup_parameters = extra_float_digits",
    ]
    if binary.tracks_prepared:
        lines.append(f"max_prepared_statements = {max_prepared}")
    return "\n".join(lines) + "\n"


def _as_nobody() -> dict[str, object]:
    if os.geteuid() != 0:
        return {}
    return {"user": "nobody", "group": "nogroup" if _group_exists("nogroup") else "nobody"}


def _group_exists(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


@contextmanager
def running(upstream_url: str, binary: Binary, *, max_prepared_statements: int = 0,
            pool_size: int = 2) -> Iterator[Bouncer]:
    """Run PgBouncer in front of ``upstream_url``'s server until the block exits."""
    upstream = conninfo_to_dict(upstream_url)
    user = str(upstream.get("user", "postgres"))
    with tempfile.TemporaryDirectory(prefix="repo-pgbouncer-") as tmp:
        folder = Path(tmp)
        (folder / "userlist.txt").write_text(f'"{user}" ""\n')
        port = _free_port()
        config = folder / "pgbouncer.ini"
        config.write_text(_config(upstream, port, folder, binary, max_prepared_statements,
                                  pool_size))
        user_args = _as_nobody()
        if user_args:
            shutil.chown(folder, "nobody")
            for f in folder.iterdir():
                shutil.chown(f, "nobody")
        bouncer = Bouncer(binary, port, folder, max_prepared_statements)
        proc = subprocess.Popen([binary.path, str(config)], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                **user_args)  # type: ignore[call-overload]
        try:
            _wait_ready(bouncer, proc, upstream_url)
            yield bouncer
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(bouncer: Bouncer, proc: subprocess.Popen[bytes], upstream_url: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {proc.returncode}:\n{bouncer.log()}")
        try:
            psycopg.connect(bouncer.url(upstream_url), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            time.sleep(0.1)
    raise RuntimeError(f"pgbouncer did not accept connections within 15 s:\n{bouncer.log()}")
