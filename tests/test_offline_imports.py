"""Offline commands never load the database driver (not just never connect)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
