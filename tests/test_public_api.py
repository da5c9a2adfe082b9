"""The public API is pinned (as httpx does): names, laziness, and a helpful missing-code error."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import repo
import repo.database

PUBLIC = [
    "Asset", "AssetRepo", "AsyncAssetRepo", "AsyncDatabase", "AsyncLogRepo", "AsyncRepos",
    "AsyncScriptRepo", "AsyncSessionRepo", "AsyncUserRepo", "CheckViolation", "ConfigError",
    "ConnectionLost", "DataError", "Database", "ForeignKeyViolation", "IntegrityError",
    "InvalidArgument", "JsonValue", "Log", "LogRepo", "MigrationError", "NotFound",
    "NotNullViolation", "PoolExhausted", "RepoError", "Repos", "Script", "ScriptRepo",
    "ServerError", "Session", "SessionRepo", "StatementTimeout", "TooManyRows",
    "UniqueViolation", "User", "UserRepo",
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
    # AIWebEngine's Database is its generated package's, bound to its repositories.
    assert repo.Database.__module__ == "repo.generated.database"
    assert issubclass(repo.Database, repo.database.Database)
    assert issubclass(repo.AsyncDatabase, repo.database.AsyncDatabase)


PACKAGE = Path(repo.__file__).parent
# The only library modules allowed to name AIWebEngine's generated package: the lazy
# re-exports, and AIWebEngine's hand-written extensions that the generated code imports.
CLIENT_SIDE = {PACKAGE / "__init__.py", PACKAGE / "extensions.py"}


def _names_generated(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else ()
            module = ".".join([*base, node.module or ""]).strip(".")
            names = [module + "." + a.name for a in node.names]
            found += [n for n in [module, *names] if n.startswith("repo.generated")]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("repo.generated")]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if "repo.generated" in node.value or "repo/generated" in node.value:
                found.append(node.value)
    return found


def test_library_never_imports_a_generated_package() -> None:
    generated = PACKAGE / "generated"
    offenders = {str(p.relative_to(PACKAGE)): hits for p in sorted(PACKAGE.rglob("*.py"))
                 if generated not in p.parents and p not in CLIENT_SIDE
                 for hits in [_names_generated(p)] if hits}
    assert offenders == {}
    # The checker itself finds what it is meant to find.
    assert _names_generated(PACKAGE / "__init__.py")


def test_the_generic_database_needs_a_generated_package() -> None:
    with pytest.raises(TypeError, match="make_repos"):
        repo.database.Database("postgresql://localhost/x")  # type: ignore[abstract]


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
