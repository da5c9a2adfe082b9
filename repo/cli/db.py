"""``python -m repo db start|stop|status|url|psql``: the local development server."""

from __future__ import annotations

import argparse
import os
import sys

from ..config import Settings
from ..conninfo import safe_url
from ..errors import ConfigError, ServerError
from ..server import dev
from ..server.embedded import client_tool
from ._common import add_url_option

CLIENT_TOOLS = ("psql", "pg_dump", "pg_restore")


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
    run = actions.add_parser(
        "exec", help="run psql, pg_dump or pg_restore against the configured database "
        "(else the development server), the password passed only through PGPASSWORD")
    run.add_argument("--prod", action="store_true",
                     help="require a configured URL; never fall back to the development server")
    add_url_option(run)
    run.add_argument("tool", choices=CLIENT_TOOLS)
    run.add_argument("tool_args", nargs=argparse.REMAINDER, help="arguments passed to the tool")
    run.set_defaults(handler=_exec)


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
    return _exec_tool("psql", _running_url(settings), args.psql_args)


def _exec(args: argparse.Namespace, settings: Settings) -> int:
    resolved = settings.resolve_url(args.database_url)
    if resolved is not None:
        url = resolved.url
    elif args.prod:
        raise ConfigError("--prod needs a configured database URL",
                          hint="set DATABASE_URL (environment or .env), "
                          "APP_REPOSITORY__DATABASE_URL, or pass --database-url")
    else:
        url = dev.running_url(settings.root) or str(dev.start(settings.root).url)
    if args.prod:
        print(f"PRODUCTION database: {safe_url(url)}", file=sys.stderr)
    return _exec_tool(args.tool, url, args.tool_args)


def _server_major(url: str) -> int | None:
    import psycopg  # the driver is loaded only by the subcommands that connect

    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            return conn.info.server_version // 10000
    except psycopg.Error:
        return None  # let the tool itself report the connection problem


def _exec_tool(tool: str, url: str, tool_args: list[str]) -> int:
    """Replace this process with ``tool``; the password travels only in PGPASSWORD."""
    import psycopg

    params = psycopg.conninfo.conninfo_to_dict(url)
    password = params.pop("password", None)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    exe = client_tool(tool, _server_major(url))
    extra = [a for a in tool_args if a != "--"]
    os.execvpe(exe, [exe, "-d", psycopg.conninfo.make_conninfo("", **params), *extra], env)
