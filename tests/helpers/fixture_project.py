"""A fixture project under tests/fixtures/codegen/ prepared into an importable package,
generated code run in a fresh interpreter, and this repository's own project copied."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg

from repo.config import Settings
from repo.migrate import Migrator, connect, resolve

ROOT = Path(__file__).resolve().parents[2]
# What `verify` and `generate` read of this repository's project.
PROJECT_FILES = ("migrations", "queries", ".sqlx", "config.toml", "pyproject.toml",
                 "repo/generated", "repo/extensions.py")


@contextlib.contextmanager
def importable(settings: Settings, package: str) -> Iterator[Settings]:
    """Put ``settings.root`` on sys.path while the block runs; forget ``package`` after it."""
    sys.path.insert(0, str(settings.root))
    try:
        yield settings
    finally:
        sys.path.remove(str(settings.root))
        for name in [m for m in sys.modules if m.startswith(package)]:
            del sys.modules[name]


def empty_package(tmp: Path, package: str) -> None:
    """Create ``tmp/package/__init__.py`` so the generated subpackage can be imported."""
    (tmp / package).mkdir()
    (tmp / package / "__init__.py").write_text("", encoding="utf-8")


@contextlib.contextmanager
def migrated(url: str, migrations: Path) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """An autocommit connection to ``url`` after applying ``migrations`` to it."""
    with connect(url) as conn:
        Migrator(conn, resolve(migrations)).run()
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn


def assert_script_ok(script: str, cwd: Path) -> None:
    """Run ``script`` in a fresh interpreter in ``cwd`` (where the generated package imports
    from); it must print ``ok``, else the failure shows its stderr and stdout."""
    out = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True,
                         text=True)
    assert out.stdout.strip() == "ok", out.stderr + out.stdout


def copy_project(dest: Path) -> Path:
    """Copy this repository's `PROJECT_FILES` under ``dest`` (no __pycache__)."""
    for rel in PROJECT_FILES:
        src, dst = ROOT / rel, dest / rel
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return dest
