"""``python -m repo``: a thin command-line shell over the library.

Each subcommand lives in its own module with a ``register(subparsers)`` function; handlers
parse arguments, call one library function and print. Errors reach the user here and only
here: ``error: <message>`` on stderr, exit 1 (usage errors exit 2).
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import NoReturn

from ..config import load_settings
from ..conninfo import scrub
from ..errors import RepoError, UsageError

# One module per subcommand, in the order `--help` lists them.
COMMANDS = ("init", "migrate", "prepare", "generate", "verify", "lint", "explain", "db")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors never echo a password.

    argparse quotes offending arguments ("unrecognized arguments: --database-url
    postgresql://app:pw@..."); subcommand parsers inherit this class.
    """

    def error(self, message: str) -> NoReturn:
        _remember_argv_secrets(_ARGV)
        super().error(scrub(message))


# The command line being parsed, for `_Parser.error` (subparsers are built by argparse).
_ARGV: list[str] = []


def _remember_argv_secrets(argv: Sequence[str]) -> None:
    """Teach `scrub` the secrets of every connection string on the command line.

    The value of ``--database-url`` is one even when libpq cannot parse it (then all of it is
    secret); any other argument is one only if libpq parses it as a connection string.
    """
    from ..conninfo import parse_or_none, remember

    after_flag = False
    for arg in argv:
        if after_flag or arg.startswith("--database-url="):
            remember(arg.split("=", 1)[1] if not after_flag else arg)
        elif parse_or_none(arg) is not None:
            remember(arg)
        after_flag = arg == "--database-url"


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given the command line, only the command it names is imported (``verify``
    then never loads the embedded server, codegen or the migrator): startup is part of every
    run. ``--help``, no command or an unknown one builds the full parser."""
    parser = _Parser(
        prog="python -m repo",
        description="Typed PostgreSQL data access from plain SQL files.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    first = argv[0] if argv else None  # the command comes first: there are no global options
    for name in (first,) if first in COMMANDS else COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def _terminate(signum: int, frame: FrameType | None) -> None:
    # SIGTERM unwinds like an exception, so scratch servers and temp files are cleaned up.
    raise SystemExit(128 + signum)


def _is_driver_error(exc: Exception) -> bool:
    # Checked through sys.modules: commands import psycopg only when they connect, so that
    # offline commands (verify, generate, explain) never load the driver at all.
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the process exit code."""
    _ARGV[:] = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_ARGV)
    args = parser.parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        settings = load_settings()
        return int(args.handler(args, settings) or 0)
    except UsageError as exc:
        print(f"error: {scrub(str(exc))}", file=sys.stderr)
        return 2
    except RepoError as exc:
        print(f"error: {scrub(str(exc))}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.partition(".")[0] == "repo":
            raise  # our own module missing is a bug, not the environment
        # A dependency missing from this interpreter (the package was copied or run from a
        # checkout without `pip install`): which one, and the command that installs them all.
        print(f"error: the Python package {exc.name.partition('.')[0]!r} is not installed "
              f"for {sys.executable}", file=sys.stderr)
        print("  hint: install repo with its dependencies into this environment: from a "
              "checkout, `pip install -e '.[embedded]'` (README, Quick start); elsewhere, "
              "`pip install 'sqlfile-repo[embedded]'`", file=sys.stderr)
        return 1
    except OSError as exc:
        if exc.filename is None:
            raise
        # A file the command could not read or write (disk full, read-only, permissions) that
        # no library function translated: the path and the reason, not a traceback.
        print(f"error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        print("  hint: check free disk space and the permissions of that path", file=sys.stderr)
        return 1
    except Exception as exc:
        if not _is_driver_error(exc):
            raise
        # A driver error no command translated: one line like any other error, never a
        # traceback that could quote a connection string.
        print(f"error: {scrub(str(exc).strip())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
