"""The public API is pinned (as httpx does): names, laziness, and a helpful missing-code error."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import repo

PUBLIC = [
    "Asset", "AssetRepo", "AsyncAssetRepo", "AsyncDatabase", "AsyncLogRepo", "AsyncRepos",
    "AsyncScriptRepo", "AsyncSessionRepo", "AsyncUserRepo", "CheckViolation", "ConnectionLost",
    "DataError", "Database", "ForeignKeyViolation", "IntegrityError", "InvalidArgument",
    "JsonValue", "Log", "LogRepo", "NotFound", "NotNullViolation", "RepoError", "Repos",
    "Script", "ScriptRepo", "Session", "SessionRepo", "StatementTimeout", "UniqueViolation",
    "User", "UserRepo",
]


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=60, check=False)


def test_all_is_pinned_and_sorted() -> None:
    assert repo.__all__ == sorted(PUBLIC)


def test_every_public_name_resolves() -> None:
    for name in PUBLIC:
        assert getattr(repo, name) is not None, name
    assert repo.LogRepo.__module__ == "repo.generated.repos"
    assert hasattr(repo.LogRepo, "append_many") and hasattr(repo.AsyncLogRepo, "append_many")


def test_import_is_cheap() -> None:
    result = _python("""
        import sys, repo
        print(sorted(m for m in ("psycopg", "pydantic", "repo.generated") if m in sys.modules))
    """)
    assert result.stdout.strip() == "[]", result.stderr


def test_missing_generated_code_is_explained() -> None:
    result = _python("""
        import sys
        sys.modules["repo.generated"] = None  # as if repo/generated/ did not exist
        import repo
        assert repo.NotFound is not None
        try:
            repo.ScriptRepo
        except ImportError as exc:
            print(exc)
    """)
    assert "run `python -m repo generate`" in result.stdout, result.stderr
