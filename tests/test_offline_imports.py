"""Offline commands never load the database driver (not just never connect)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.fixture_project import copy_project

ROOT = Path(__file__).resolve().parent.parent
PROBE = ("import sys\nfrom repo.cli import main\nrc = main(sys.argv[1:])\n"
         "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', "
         "'psycopg_pool'))\nprint('DRIVER:', loaded)\nsys.exit(rc)\n")


@pytest.mark.parametrize("argv", [
    ["verify"],
    ["generate", "--check"],
    ["explain", "queries/scripts/get_by_uri.sql"],
])
def test_offline_commands_do_not_import_psycopg(argv: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "DRIVER: []" in proc.stdout


def test_verify_loads_only_what_it_runs(tmp_path: Path) -> None:
    """Startup is part of every verify: with the generator's stamp current, verify imports
    neither the code generator nor the embedded server, prepare or pydantic."""
    copy_project(tmp_path)
    probe = ("import sys\nfrom repo.cli import main\nrc = main(sys.argv[1:])\n"
             "heavy = ('repo.codegen', 'repo.server', 'repo.prepare', 'pydantic', 'psycopg')\n"
             "print('LOADED:', sorted(m for m in sys.modules if m in heavy))\nsys.exit(rc)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's `repo`, not the copy's
    gen = subprocess.run([sys.executable, "-m", "repo", "generate"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120, env=env)
    assert gen.returncode == 0, gen.stderr
    proc = subprocess.run([sys.executable, "-c", probe, "verify"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "LOADED: []" in proc.stdout, proc.stdout
