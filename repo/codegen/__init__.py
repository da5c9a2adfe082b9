"""Generate typed models and repositories from the query files and ``.sqlx/`` (no database).

`render_all` is pure and deterministic: the same query files, metadata and migrations always
give the same text (``verify`` compares it with the files on disk). `write_generated` writes
only the files whose text changed, each atomically.
"""

from __future__ import annotations

import ast
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings
from ..errors import CodegenError
from ..metadata.store import load_all, load_meta
from ..queries import load_queries
from . import _emit
from .nullability import Refiner, default_refiner
from .plan import Plan, build_plan
from .render_models import render_models, render_queries
from .render_repos import ASYNC, SYNC, render_repos

EXTENSIONS_MODULE = "extensions.py"


@dataclass
class Generated:
    """The generated files (path -> text) and the warnings met while generating them."""

    files: dict[Path, str]
    warnings: list[str] = field(default_factory=list)


def generate(settings: Settings, refiner: Refiner | None = None) -> Generated:
    """Load the inputs named by ``settings`` and render every generated file."""
    queries = load_queries(settings.queries_dir)
    refiner = refiner or default_refiner(settings.migrations_dir)
    plan = build_plan(queries, load_all(settings.sqlx_dir), load_meta(settings.sqlx_dir),
                      refiner, extensions(settings.generated_dir))
    return Generated(render_plan(plan, settings.generated_dir), plan.warnings)


def render_plan(plan: Plan, out: Path) -> dict[Path, str]:
    """The generated files of a plan, keyed by their path under ``out``."""
    return {
        out / "__init__.py": render_init(plan),
        out / "models.py": render_models(plan),
        out / "_queries.py": render_queries(plan),
        out / "repos.py": render_repos(plan, SYNC),
        out / "async_repos.py": render_repos(plan, ASYNC),
    }


def render_all(settings: Settings) -> dict[Path, str]:
    """Every generated file's expected text, keyed by path under ``settings.generated_dir``."""
    return generate(settings).files


def write_generated(settings: Settings) -> list[Path]:
    """Regenerate; write only the files whose text changed. Returns the changed paths."""
    return write_files(render_all(settings))


def write_files(files: dict[Path, str]) -> list[Path]:
    """Write each changed file atomically (temp file + ``os.replace``)."""
    changed: list[Path] = []
    for path, text in sorted(files.items()):
        try:
            if path.read_text(encoding="utf-8") == text:
                continue
        except (FileNotFoundError, UnicodeDecodeError):
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        changed.append(path)
    return changed


def extensions(generated_dir: Path) -> frozenset[str]:
    """``*Extension`` class names in the hand-written module next to the generated package.

    A generated repository ``LogRepo`` inherits from ``LogRepoExtension`` (and
    ``AsyncLogRepo`` from ``AsyncLogRepoExtension``) when ``extensions.py`` defines it; the
    file is parsed, not imported, so generating never runs project code.
    """
    path = generated_dir.parent / EXTENSIONS_MODULE
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except FileNotFoundError:
        return frozenset()
    except SyntaxError as exc:
        raise CodegenError(f"cannot parse {EXTENSIONS_MODULE}: {exc.msg}", path=path,
                           line=exc.lineno, col=exc.offset, hint="fix the syntax") from None
    return frozenset(node.name for node in tree.body
                     if isinstance(node, ast.ClassDef) and node.name.endswith("Extension"))


def render_init(plan: Plan) -> str:
    """The text of the generated package's ``__init__.py``."""
    sync = [f"{r.name}" for r in plan.repos] + ["Repos"]
    asyn = [f"Async{r.name}" for r in plan.repos] + ["AsyncRepos"]
    models = [m.name for m in plan.models] + [e.name for e in plan.enums]
    groups: list[dict[str, set[str] | None]] = [
        {".async_repos": set(asyn), ".models": set(models), ".repos": set(sync)}]
    lines = [_emit.HEADER.rstrip("\n"),
             '"""Generated row models and repositories (sync and async)."""', ""]
    lines += _emit.imports(groups)
    names = sorted(sync + asyn + models)
    lines += ["__all__ = ["] + [f"    {_emit.string(n)}," for n in names] + ["]"]
    return "\n".join(lines) + "\n"


__all__ = ["Generated", "generate", "render_all", "render_plan", "write_files",
           "write_generated"]
