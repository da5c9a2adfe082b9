"""`python -m repo prepare` (being built; see its issue)."""

from __future__ import annotations

import argparse

from ..config import Settings
from ..errors import RepoError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("prepare", help="(not built yet)")
    parser.set_defaults(handler=_handler)


def _handler(args: argparse.Namespace, settings: Settings) -> int:
    raise RepoError("`prepare` is not built yet")
