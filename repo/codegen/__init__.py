"""Generate typed models and repositories from the query files and ``.sqlx/`` (no database).

`render_all` is pure and deterministic: the same query files, metadata and migrations always
give the same text (``verify`` compares it with the files on disk). `write_generated` writes
the package as one directory swap, and only when some text changed.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import dirswap
from ..config import Settings
from ..drift import write_stamp
from ..errors import CodegenError
from ..metadata.store import load_all, load_meta
from ..queries import load_queries
from . import _emit
from .nullability import Refiner, default_refiner
from .plan import Plan, build_plan
from .render_models import render_models, render_queries
from .render_repos import ASYNC, SYNC, render_repos


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
                      refiner, extensions(settings.extensions_file), settings.types,
                      settings.json)
    plan.extensions_module = settings.extensions_import
    plan.rows = settings.rows
    files = render_plan(plan, settings.generated_dir)
    for path, text in files.items():
        check_compiles(path, text)
    return Generated(files, plan.warnings)


def check_compiles(path: Path, text: str) -> None:
    """Refuse generated text Python cannot compile (the identifier gate should make this
    impossible; this makes sure bad code is never written, nor passed by ``verify``).

    Compiling is cheap (no import, nothing runs); the drift check in ``verify`` then proves
    the files on disk are this text.
    """
    try:
        _compile(text, str(path))
    except (SyntaxError, ValueError) as exc:
        line = exc.lineno if isinstance(exc, SyntaxError) else None
        raise CodegenError(f"generated {path.name} does not compile: {exc}", path=path,
                           line=line, hint="this is a bug in codegen: please report it with "
                           "the query file and schema that produced it") from None


def _compile(text: str, filename: str) -> None:
    """Raise what ``compile(text)`` raises, if anything, at less cost for a large module.

    CPython's code generation grows faster than the module: compiling 1,000 top-level
    statements one by one costs up to half as much as compiling them at once. The pieces are
    the text between two blank lines (how the renderers separate top-level blocks). When
    every piece compiles on its own, so does the whole: each piece is then complete
    statements starting at column 0 with no bracket or string left open, which blank lines
    join unchanged, and no rule of Python spans two module-level statements except ``global``
    declarations and ``__future__`` imports (a text naming either is compiled whole). When a
    piece fails (a real error, or a cut through a string holding blank lines), the whole
    text is compiled, so the error and its line are exactly ``compile``'s.
    """
    pieces = text.split("\n\n\n")
    if len(pieces) > 1 and "global" not in text and "__future__" not in text:
        try:
            for piece in pieces:
                compile(piece, filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            pass
        else:
            return
    compile(text, filename, "exec", dont_inherit=True)


def render_plan(plan: Plan, out: Path) -> dict[Path, str]:
    """The generated files of a plan, keyed by their path under ``out``."""
    return {
        out / "__init__.py": render_init(plan),
        out / "models.py": render_models(plan),
        out / "_queries.py": render_queries(plan),
        out / "repos.py": render_repos(plan, SYNC),
        out / "async_repos.py": render_repos(plan, ASYNC),
        out / "database.py": render_database(plan),
    }


def render_all(settings: Settings) -> dict[Path, str]:
    """Every generated file's expected text, keyed by path under ``settings.generated_dir``."""
    return generate(settings).files


def write_generated(settings: Settings) -> list[Path]:
    """Regenerate; replace the package only if some text changed. Returns the changed paths."""
    files = render_all(settings)
    changed = write_files(files)
    write_stamp(settings, files)
    return changed


def write_files(files: dict[Path, str]) -> list[Path]:
    """Replace the generated package(s) with ``files``, all files at once; return the changed.

    The whole directory is swapped (`repo.dirswap`), never file by file: a full disk or a
    crash leaves the old package or the new one, never a new ``__init__.py`` over old modules.

    Raises:
        WriteError: the new package could not be written; the old one is intact.
    """
    staged, changed = stage_files(files)
    dirswap.commit(staged)
    return changed


def stage_files(files: dict[Path, str]) -> tuple[list[dirswap.Staged], list[Path]]:
    """Build the new content of every directory of ``files`` whose text changes.

    Returns the staged directories (for `repo.dirswap.commit`, maybe together with a staged
    ``.sqlx``) and the changed paths. Hand-written files in the directory are kept;
    ``__pycache__`` is dropped (a cached module of the same size and second would be stale).
    """
    changed = [p for p, text in sorted(files.items()) if _read(p) != text]
    by_dir: dict[Path, dict[str, str]] = {}
    for path, text in files.items():
        by_dir.setdefault(path.parent, {})[path.name] = text
    staged: list[dirswap.Staged] = []
    try:
        for directory in sorted({p.parent for p in changed}):
            staged.append(dirswap.stage(directory, by_dir[directory],
                                        _keeper(frozenset(by_dir[directory]))))
    except BaseException:
        for s in staged:
            s.discard()
        raise
    return staged, changed


def _keeper(generated: frozenset[str]) -> Callable[[str], bool]:
    # Temporary files of the earlier file-by-file writer (".models.py.x1y2.tmp") are dropped.
    return lambda name: (name not in generated and name != "__pycache__"
                         and not (name.startswith(".") and name.endswith(".tmp")))


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def extensions(path: Path) -> frozenset[str]:
    """``*Extension`` class names in the hand-written module ``path`` (``[paths] extensions``).

    A generated repository ``LogRepo`` inherits from ``LogRepoExtension`` (and
    ``AsyncLogRepo`` from ``AsyncLogRepoExtension``) when the module defines it; the file is
    parsed, not imported, so generating never runs project code. The generated code imports
    it absolutely (``Settings.extensions_import``), so it works for a top-level package too.
    """
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except FileNotFoundError:
        return frozenset()
    except SyntaxError as exc:
        raise CodegenError(f"cannot parse {path.name}: {exc.msg}", path=path,
                           line=exc.lineno, col=exc.offset, hint="fix the syntax") from None
    return frozenset(node.name for node in tree.body
                     if isinstance(node, ast.ClassDef) and node.name.endswith("Extension"))


def render_init(plan: Plan) -> str:
    """The text of the generated package's ``__init__.py``."""
    sync = [f"{r.name}" for r in plan.repos] + ["Repos"]
    asyn = [f"Async{r.name}" for r in plan.repos] + ["AsyncRepos"]
    models = [m.name for m in plan.models] + [e.name for e in plan.enums]
    databases = ["AsyncDatabase", "Database"]
    groups: list[dict[str, set[str] | None]] = [
        {".async_repos": set(asyn), ".database": set(databases), ".models": set(models),
         ".repos": set(sync)}]
    lines = [_emit.HEADER.rstrip("\n"),
             '"""Generated row models, repositories (sync and async) and their Database."""', ""]
    lines += _emit.imports(groups)
    names = sorted(sync + asyn + models + databases)
    lines += ["__all__ = ["] + [f"    {_emit.string(n)}," for n in names] + ["]"]
    return "\n".join(lines) + "\n"


def render_database(plan: Plan) -> str:
    """The text of ``database.py``: `repo.database`'s pools bound to this package's repos."""
    example = plan.repos[0].folder if plan.repos else "<folder>"
    lines = [_emit.HEADER.rstrip("\n"),
             *_emit.docstring(f"This package's pools: ``Database(url).repos.{example}``.", ""),
             ""]
    lines += _emit.imports([
        {"repo": {"database"}, "repo.runtime": {"AsyncSource", "Source"}},
        {".async_repos": {"AsyncRepos"}, ".repos": {"Repos"}}])
    for prefix, source in (("", "Source"), ("Async", "AsyncSource")):
        lines += ["", f"class {prefix}Database(database.{prefix}Database[{prefix}Repos]):",
                  *_emit.docstring(f"`repo.database.{prefix}Database` over this package's "
                                   f"``{prefix}Repos``.", "    "), "",
                  f"    def make_repos(self, source: {source}) -> {prefix}Repos:",
                  f"        return {prefix}Repos(source)", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


__all__ = ["Generated", "check_compiles", "generate", "render_all", "render_plan", "stage_files",
           "write_files", "write_generated"]
