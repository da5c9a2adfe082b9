"""``python -m repo init [DIR]``: a new project's config.toml, migrations/ and queries/."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from ..config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "init", help="start a project: config.toml, migrations/, queries/",
        description="Write config.toml (every key documented), a first migration, an example "
        "query folder and a .gitignore entry for the development server's data. Existing "
        "files are kept; an existing config.toml is refused.")
    parser.add_argument("dir", nargs="?", default=".", metavar="DIR",
                        help="the project folder (default: the current directory)")
    parser.set_defaults(handler=_handler)


def _handler(args: argparse.Namespace, settings: Settings) -> int:
    from ..init import NEXT_STEPS, init_project

    root = Path(args.dir)
    result = init_project(root)
    for path in result.written:
        print(f"wrote {root / path}")
    for path in result.kept:
        print(f"kept  {root / path} (already there)")
    print("\nnext:")
    if root.resolve() != Path.cwd().resolve():
        print(f"  cd {shlex.quote(str(root))}")
    width = max(len(cmd) for cmd, _ in NEXT_STEPS)
    for cmd, why in NEXT_STEPS:
        print(f"  {cmd:<{width}}   # {why}")
    return 0
