"""Property: whatever names a schema and a query carry, codegen emits a safe package.

Hypothesis draws arbitrary Unicode table, column, alias and enum-label names (anything
PostgreSQL can store: no NUL) and parameter names (anything the query loader accepts), builds
describe metadata as prepare would write it (fabricated here, no server, for speed), and runs
the identifier gate and the renderers. Every example must give a package that compiles,
imports (warnings are errors in this suite), executes nothing on import (only class
definitions and the few calls generated code makes at module level), and maps every result
column to its own field, in order. A few of the packages also go through ``mypy --strict``
(once, at the end: mypy is slow). Or the input is refused with the name in the message.
"""

from __future__ import annotations

import ast
import importlib
import itertools
import os
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repo.codegen import render_plan
from repo.codegen.nullability import Uncertain
from repo.codegen.plan import build_plan
from repo.errors import RepoError
from repo.metadata.model import QueryData
from repo.queries import QueryDef
from repo.runtime import row_maker

ROOT = Path(__file__).resolve().parent.parent
# Any character PostgreSQL can hold in a name (NUL and lone surrogates cannot be sent).
NAME = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1,
               max_size=24)
# What the query loader accepts after `:` (repo.queries.loader).
_HEAD = string.ascii_letters + "_"
PARAM = st.builds(str.__add__, st.sampled_from(_HEAD),
                  st.text(_HEAD + string.digits, max_size=10))
# The only calls generated code makes outside function bodies, i.e. on import.
MODULE_LEVEL_CALLS = frozenset({"Query", "Param", "row_maker", "scalar_maker", "json_as",
                                "array_of", "ConfigDict", "Field", "frozenset"})
MYPY_PACKAGES = 2


@st.composite
def projects(draw: st.DrawFn) -> dict[str, Any]:
    enum = {"Custom": {"name": draw(NAME), "kind": {"Enum": draw(
        st.lists(NAME, min_size=1, max_size=4, unique=True))}}}
    kinds = st.sampled_from(["Int4", "Text", "TextArray", enum])
    tables = draw(st.dictionaries(
        NAME, st.lists(st.tuples(NAME, kinds, st.booleans()), min_size=1, max_size=4,
                       unique_by=lambda c: c[0]), min_size=1, max_size=3))
    # Two or more: one column is a scalar result (no model whose fields could be checked).
    columns = draw(st.lists(st.tuples(NAME, kinds), min_size=2, max_size=5))  # repeats allowed
    params = draw(st.lists(st.tuples(PARAM, kinds), max_size=4, unique_by=lambda p: p[0]))
    return {"enum": enum, "tables": tables, "columns": columns, "params": params}


def _inputs(project: dict[str, Any], n: int) -> tuple[QueryDef, dict[str, Any], dict[str, Any]]:
    sql = f"SELECT {n}"
    q = QueryDef("things", "get", Path("queries/things/get.sql"), sql, sql,
                 tuple(p for p, _ in project["params"]), False, "many", marker_line=1)
    cols = [{"ordinal": i, "name": name, "type_info": t}
            for i, (name, t) in enumerate(project["columns"])]
    describe = {"columns": cols, "parameters": {"Left": [t for _, t in project["params"]]},
                "nullable": [True] * len(cols)}
    sqlx = {q.hash: QueryData.from_json({"db_name": "PostgreSQL", "query": sql,
                                         "describe": describe, "hash": q.hash})}
    meta = {"tables": {table: [{"name": c, "type_info": t, "not_null": nn, "has_default": False}
                               for c, t, nn in columns]
                       for table, columns in project["tables"].items()}}
    return q, sqlx, meta


def _runs_nothing_on_import(path: Path, text: str) -> None:
    tree = ast.parse(text, filename=str(path))
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            pending += node.decorator_list + node.args.defaults  # bodies run only when called
            continue
        assert not isinstance(node, ast.Lambda), ast.dump(node)
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            assert name in MODULE_LEVEL_CALLS, f"{path.name}: {ast.unparse(node)}"
        pending += list(ast.iter_child_nodes(node))


# [codegen] rows: pydantic models, and NamedTuples (which refuse some names pydantic takes).
@pytest.mark.parametrize(("rows", "examples"), [("pydantic", 120), ("tuple", 60)])
def test_any_names_give_a_package_that_compiles_imports_and_keeps_columns_apart(
        tmp_path: Path, rows: str, examples: int) -> None:
    built: list[tuple[int, str]] = []  # (source size, package)
    counter = itertools.count()
    sys.path.insert(0, str(tmp_path))

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(projects())
    def check(project: dict[str, Any]) -> None:
        n = next(counter)
        q, sqlx, meta = _inputs(project, n)
        try:
            plan = build_plan([q], sqlx, meta, Uncertain())
            plan.rows = rows
        except RepoError as exc:  # a refusal must name what it refuses
            names = [c for c, _ in project["columns"]] + list(project["tables"])
            assert any(name in str(exc) for name in names), str(exc)
            return
        package = f"gatepkg{n}"
        files = render_plan(plan, tmp_path / package / "generated")
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("", encoding="utf-8")
        for path, text in files.items():
            compile(text, str(path), "exec", dont_inherit=True)
            _runs_nothing_on_import(path, text)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        built.append((sum(map(len, files.values())), package))
        gen = importlib.import_module(f"{package}.generated")
        repos = importlib.import_module(f"{package}.generated.repos")
        row = plan.repos[0].methods[0].model
        assert row is not None
        model = getattr(gen, row)
        # Every column has its own field, in order: distinct values land in distinct fields.
        fields = list(model._fields if rows == "tuple" else model.model_fields)
        assert len(fields) == len(project["columns"])
        values = tuple(f"v{i}" for i in range(len(fields)))
        made = row_maker(model)(values)
        got = [getattr(made, f) if rows == "tuple" else made.__dict__[f] for f in fields]
        assert got == list(values)
        # Keyword arguments are the gate's parameter names, each distinct.
        method = repos.ThingRepo.get
        kwargs = method.__code__.co_varnames[1:method.__code__.co_argcount
                                            + method.__code__.co_kwonlyargcount]
        assert len(set(kwargs)) == len(project["params"])

    try:
        check()
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("gatepkg")]:
            del sys.modules[name]
    # The largest packages (most names) go through mypy.
    checked = [tmp_path / p / "generated" for _, p in sorted(built)[-MYPY_PACKAGES:]]
    if not checked:
        pytest.fail("no example produced a package")
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
                          "--cache-dir", str(tmp_path / ".mypy_cache"), *map(str, checked)],
                         capture_output=True, text=True, check=False, cwd=tmp_path,
                         env={**os.environ, "MYPYPATH": str(ROOT)})
    assert run.returncode == 0, run.stdout + run.stderr
