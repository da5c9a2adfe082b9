"""Codegen without a database: the committed code is current, formatted, deterministic; the
type map covers every SQLx type; bad inputs are errors naming the query file."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from repo.cli import main
from repo.codegen import generate, names, render_all, render_plan, typemap, write_generated
from repo.codegen.nullability import Uncertain
from repo.codegen.plan import build_plan
from repo.codegen.render_repos import SYNC, render_repos
from repo.config import Settings, load_settings
from repo.errors import CodegenError, MetadataMissing, MetadataStale
from repo.metadata.model import Column, Describe, QueryData
from repo.queries import QueryDef
from repo.runtime import _unasync
from repo.typetable import TYPES

ROOT = Path(__file__).resolve().parent.parent
# The 92 type_info strings SQLx writes for built-in types (sqlx-compat.md §2.1), from the one
# type table (checked against PostgreSQL's pg_type in tests/test_typetable.py).
SQLX_BUILTINS = [t.sqlx for t in TYPES]


@pytest.fixture
def project(tmp_path: Path) -> Settings:
    """A copy of this project's inputs, so tests may break them."""
    for name in ("queries", ".sqlx", "migrations"):
        shutil.copytree(ROOT / name, tmp_path / name)
    (tmp_path / "pkg").mkdir()
    shutil.copy(ROOT / "repo" / "extensions.py", tmp_path / "pkg" / "extensions.py")
    return load_settings(tmp_path, env={}).with_paths(
        queries=tmp_path / "queries", sqlx_dir=tmp_path / ".sqlx",
        migrations=tmp_path / "migrations", generated=tmp_path / "pkg" / "generated")


def test_committed_generated_code_is_current() -> None:
    settings = load_settings(ROOT, env={}).with_paths(
        queries=ROOT / "queries", sqlx_dir=ROOT / ".sqlx", migrations=ROOT / "migrations",
        generated=ROOT / "repo" / "generated")
    for path, text in render_all(settings).items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run generate"


def test_committed_generated_code_is_ruff_clean() -> None:
    out = str(ROOT / "repo" / "generated")
    for args in (["format", "--check"], ["check"]):
        run = subprocess.run([sys.executable, "-m", "ruff", *args, "--no-cache", out],
                             capture_output=True, text=True, check=False, cwd=ROOT)
        assert run.returncode == 0, run.stdout + run.stderr


def test_sync_shell_is_generated_from_the_async_one() -> None:
    assert _unasync.main(["--check"]) == 0, "run `python repo/runtime/_unasync.py`"


def test_render_is_deterministic_and_writes_only_changes(project: Settings) -> None:
    first = render_all(project)
    assert render_all(project) == first
    assert sorted(p.name for p in write_generated(project)) == [
        "__init__.py", "_queries.py", "async_repos.py", "database.py", "models.py", "repos.py"]
    assert write_generated(project) == []
    repos = project.generated_dir / "repos.py"
    repos.write_text("# edited by hand\n", encoding="utf-8")
    assert write_generated(project) == [repos]


def test_generate_cli_check_and_write(project: Settings, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project.root)
    args = ["generate", "--queries", "queries", "--sqlx-dir", ".sqlx", "--source",
            "migrations", "--out", "pkg/generated"]
    assert main([*args, "--check"]) == 1
    assert "generated code is out of date" in capsys.readouterr().err
    assert main(args) == 0
    assert capsys.readouterr().out.count("wrote ") == 6
    assert main([*args, "--check"]) == 0


def test_extension_classes_become_bases(project: Settings) -> None:
    repos = render_all(project)[project.generated_dir / "repos.py"]
    assert "from pkg.extensions import LogRepoExtension" in repos
    assert "class LogRepo(LogRepoExtension):" in repos
    (project.generated_dir.parent / "extensions.py").unlink()
    assert "class LogRepo(Repo):" in render_all(project)[project.generated_dir / "repos.py"]


def test_static_analysis_refines_nullability(project: Settings) -> None:
    refined = render_all(project)[project.generated_dir / "models.py"]
    plain = generate(project, Uncertain()).files[project.generated_dir / "models.py"]
    # SQLx reports count(*) and coalesce(...) as unknown (nullable); the analysis knows better.
    assert "    count: int\n" in refined and "    count: int | None\n" in plain
    repos = render_all(project)[project.generated_dir / "repos.py"]
    plain_repos = generate(project, Uncertain()).files[project.generated_dir / "repos.py"]
    # One-column results are returned as the value itself (scalar), refined the same way.
    assert "def total_bytes(self) -> int:" in repos
    assert "def total_bytes(self) -> int | None:" in plain_repos


def test_missing_metadata_names_the_query(project: Settings) -> None:
    (project.queries_dir / "scripts" / "count.sql").write_text(
        "-- :one\nSELECT count(*) AS n FROM scripts\n", encoding="utf-8")
    with pytest.raises(MetadataMissing, match="scripts/count") as info:
        render_all(project)
    assert info.value.path is not None and info.value.path.endswith("count.sql")
    assert "python -m repo prepare" in str(info.value)


# -- plans built from in-memory inputs ------------------------------------------------------

def _query(sql: str, cardinality: str = "many", params: tuple[str, ...] = ()) -> QueryDef:
    return QueryDef("things", "get", Path("queries/things/get.sql"), sql, sql, params, False,
                    cardinality, marker_line=1)


def _meta(q: QueryDef, columns: list[tuple[str, Any]], nullable: list[bool | None],
          params: list[Any] | None = None) -> dict[str, QueryData]:
    cols = tuple(Column(i, n, t) for i, (n, t) in enumerate(columns))
    return {q.hash: QueryData(q.sql, Describe(cols, tuple(params or ()), tuple(nullable)),
                              q.hash)}


def test_overrides_and_unknown_nullability() -> None:
    q = _query("SELECT 1")
    plan = build_plan([q], _meta(q, [("a!", "Int4"), ("b?", "Text"), ("c", "Int8"),
                                     ("d: Text", "Int4"), ("class", "Bool")],
                                 [None, False, None, False, False]), None, Uncertain())
    fields = {f.name: f.annotation for f in plan.models[0].fields}
    assert fields == {"a": "int", "b": "str | None", "c": "int | None", "d": "str",
                      "class_": "bool"}
    assert plan.models[0].name == "GetRow"


def test_a_scalar_enum_result_imports_its_enum(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # The enum is named only by the scalar query's converter and annotation (no model or
    # parameter uses it): the generated package must still import it.
    q = _query("SELECT 1", "one")
    mood = {"Custom": {"name": "mood", "kind": {"Enum": ["happy", "sad"]}}}
    plan = build_plan([q], _meta(q, [("mood", mood)], [False]), None, Uncertain())
    for path, text in render_plan(plan, tmp_path / "scalarenumpkg").items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    queries = importlib.import_module("scalarenumpkg._queries")
    assert queries.THINGS_GET.row_factory(None)(("sad",)) is queries.Mood.SAD


def test_a_table_named_like_an_imported_name_gets_another_class_name() -> None:
    # repos.py imports collections.abc's Sequence for an array parameter; a table `sequences`
    # must not become a class `Sequence` that the same module imports from .models.
    q = _query("SELECT id, n FROM sequences WHERE id = ANY($1)", params=("ids",))
    columns = [{"name": "id", "type_info": "Int8", "not_null": True},
               {"name": "n", "type_info": "Int8", "not_null": True}]
    meta = {"tables": {"sequences": columns},
            "queries": {q.key: {"origins": [["sequences", "id"], ["sequences", "n"]]}}}
    plan = build_plan([q], _meta(q, [("id", "Int8"), ("n", "Int8")], [False, False],
                                 ["Int8Array"]), meta, Uncertain())
    text = render_repos(plan, SYNC)
    assert "from collections.abc import Sequence\n" in text
    assert "ids: Sequence[int]" in text
    assert [m.name for m in plan.models] == ["Sequence2"]
    assert "from .models import Sequence2\n" in text


@pytest.mark.parametrize(("columns", "cardinality", "error", "message"), [
    ([], "one", CodegenError, "`:one` needs a statement that returns rows"),
])
def test_bad_columns_are_errors(columns: list[tuple[str, Any]], cardinality: str,
                                error: type[Exception], message: str) -> None:
    q = _query("SELECT 1", cardinality)
    with pytest.raises(error, match=message):
        build_plan([q], _meta(q, columns, [False] * len(columns)), None, Uncertain())


def test_parameter_count_mismatch_is_stale_metadata() -> None:
    q = _query("SELECT $1", params=("a", "b"))
    with pytest.raises(MetadataStale, match="has 2 parameters but its metadata has 1"):
        build_plan([q], _meta(q, [("x", "Int4")], [False], ["Int4"]), None, Uncertain())


# -- type map -------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", SQLX_BUILTINS)
def test_every_sqlx_builtin_has_a_mapping(variant: str) -> None:
    t = typemap.resolve(variant, {})
    assert t.warning is None and t.annotation != typemap.FALLBACK
    if variant.endswith("Array"):
        assert t.annotation.startswith("list[")


@pytest.mark.parametrize(("info", "annotation", "kind"), [
    ({"Custom": {"name": "email", "kind": {"Domain": "Text"}}}, "str", "text"),
    ({"Custom": {"name": "d2", "kind": {"Domain": {"Custom": {"name": "d1", "kind": {
        "Domain": "Int8"}}}}}}, "int", "int8"),
    ({"Custom": {"name": "mood", "kind": {"Enum": ["a", "b"]}}}, "Mood", "text"),
    ({"Custom": {"name": "mood[]", "kind": {"Array": {"Custom": {"name": "mood", "kind": {
        "Enum": ["a"]}}}}}}, "list[Mood]", "text[]"),
    ({"Custom": {"name": "citext", "kind": "Simple"}}, "str", "text"),
    ({"Custom": {"name": "int4multirange", "kind": "Simple"}}, "Multirange[int]", "any"),
])
def test_custom_types(info: Any, annotation: str, kind: str) -> None:
    t = typemap.resolve(info, {"mood": "Mood"})
    assert (t.annotation, t.kind, t.warning) == (annotation, kind, None)


@pytest.mark.parametrize("info", [
    {"Custom": {"name": "ltree", "kind": "Simple"}},
    {"Custom": {"name": "pair", "kind": {"Composite": [["a", "Int4"]]}}},
    {"Custom": {"name": "floatrange", "kind": {"Range": "Float8"}}},
    {"Custom": {"name": "any", "kind": "Pseudo"}},
    {"Custom": {"name": "d[]", "kind": {"Array": {"Custom": {"name": "d", "kind": {
        "Domain": "Int4"}}}}}},
    {"DeclareWithName": "x"}, "SomethingNew", 42, None, {"Custom": None},
])
def test_unknown_types_fall_back_to_object_with_a_warning(info: Any) -> None:
    t = typemap.resolve(info, {})
    assert t.annotation == "object" and t.warning and "typed `object`" in t.warning


@pytest.mark.parametrize(("label", "parsed"), [
    ("id", ("id", None, None)), ("id!", ("id", False, None)), ("id?", ("id", True, None)),
    ("id: Uuid", ("id", None, "Uuid")), ("id!: Uuid", ("id", False, "Uuid")),
    ("?column?", None), ("a b", ("a b", None, None)), ("", None),
])
def test_parse_column(label: str, parsed: tuple[str, bool | None, str | None] | None) -> None:
    result = names.parse_column(label)
    assert (None if result is None else (result.ident, result.nullable,
                                         result.type_override)) == parsed
