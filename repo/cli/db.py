"""``python -m repo db start|stop|status|url|psql``: the local development server."""

from __future__ import annotations

import argparse
import os

from ..config import Settings
from ..errors import ServerError
from ..server import dev, find_binaries


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("db", help="a persistent local PostgreSQL for development")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    start = actions.add_parser("start", help="start it (data in .pgdata/, git-ignored)")
    start.add_argument("--database", default=dev.DEV_DATABASE,
                       help=f"database to create (default: {dev.DEV_DATABASE})")
    start.set_defaults(handler=_start)
    actions.add_parser("stop", help="stop it").set_defaults(handler=_stop)
    actions.add_parser("status", help="is it running, and where").set_defaults(handler=_status)
    actions.add_parser("url", help="print its URL (exit 1 if stopped)").set_defaults(handler=_url)
    psql = actions.add_parser("psql", help="open psql on it")
    psql.add_argument("psql_args", nargs=argparse.REMAINDER, help="arguments passed to psql")
    psql.set_defaults(handler=_psql)


def _start(args: argparse.Namespace, settings: Settings) -> int:
    state = dev.start(settings.root, args.database)
    print(f"development server running (PostgreSQL {state.version}, pid {state.pid})")
    print(state.url)
    return 0


def _stop(args: argparse.Namespace, settings: Settings) -> int:
    print("stopped" if dev.stop(settings.root) else "not running")
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    state = dev.status(settings.root)
    if not state.running:
        print(f"stopped (data: {state.datadir})")
        return 3  # pg_ctl's convention for "not running"
    print(f"running: PostgreSQL {state.version}, pid {state.pid}, data {state.datadir}")
    print(state.url)
    return 0


def _running_url(settings: Settings) -> str:
    url = dev.running_url(settings.root)
    if url is None:
        raise ServerError("the development server is not running",
                          hint="start it with `python -m repo db start`")
    return url


def _url(args: argparse.Namespace, settings: Settings) -> int:
    print(_running_url(settings))
    return 0


def _psql(args: argparse.Namespace, settings: Settings) -> int:
    url = _running_url(settings)
    binaries = find_binaries()
    psql = binaries.tool("psql") if binaries else "psql"
    os.execvp(psql, [psql, url, *args.psql_args])
