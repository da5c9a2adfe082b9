"""Option groups shared by several subcommands, and URL selection for commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import ResolvedUrl, Settings
from ..errors import ConfigError


def add_url_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-D", "--database-url", metavar="URL",
                        help="database URL (default: DATABASE_URL, .env, config.toml)")


def add_source_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", metavar="DIR",
                        help="migrations directory (default: ./migrations)")


def migrations_dir(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(args.source) if getattr(args, "source", None) else settings.migrations_dir


def server_url(args: argparse.Namespace, settings: Settings) -> ResolvedUrl:
    """The configured URL, else the running development server's, else an error."""
    from ..server import dev  # imports psycopg: only for commands that connect

    resolved = settings.resolve_url(getattr(args, "database_url", None), direct=True)
    if resolved is not None:
        resolved.check()
        return resolved
    url = dev.running_url(settings.root)
    if url is not None:
        print(f"note: no database URL configured; using the development server {url}",
              file=sys.stderr)
        return ResolvedUrl(url, "development server")
    raise ConfigError(
        "no database URL configured and the development server is not running",
        hint="pass --database-url, set DATABASE_URL (environment or .env) or "
        "[repository] database_url in config.toml, or run `python -m repo db start`",
    )
