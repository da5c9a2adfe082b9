"""Hostile names through the whole pipeline: schema, aliases, parameters, enums, folders, files.

The fixture project (tests/fixtures/codegen/hostile) is prepared on the test server and
generated into a temp dir. Every outside name reaches Python source only through the
identifier gate (`repo.identifiers`): the package compiles, imports under ``-W error``
without running anything, is mypy-strict and ruff clean, and each column lands in its own
field. Names the user should rename (folders, files) are refused with both paths named.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
from helpers.fixture_project import empty_package, importable, migrated
from pydantic import BaseModel

from repo.codegen import generate, write_files
from repo.codegen.names import parse_column
from repo.config import Settings, load_settings
from repo.errors import NameClash, QueryFileError
from repo.metadata.store import load_all
from repo.prepare import prepare
from repo.runtime import Query, row_maker

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "codegen" / "hostile"
ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "n: int = __import__('os').system('echo PWNED') #"


def _settings(tmp: Path, queries: Path = FIXTURE / "queries") -> Settings:
    return load_settings(tmp, env={}).with_paths(
        migrations=FIXTURE / "migrations", queries=queries, sqlx_dir=tmp / ".sqlx",
        generated=tmp / "hostilepkg" / "generated")


@pytest.fixture(scope="module")
def project(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    tmp = tmp_path_factory.mktemp("hostile")
    empty_package(tmp, "hostilepkg")
    settings = _settings(tmp)
    prepare(settings, database_url=pg_url)
    with importable(settings, "hostilepkg"):
        yield settings


@pytest.fixture(scope="module")
def gen(project: Settings) -> ModuleType:
    return importlib.import_module("hostilepkg.generated")


@pytest.fixture
def hconn(empty_db_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with migrated(empty_db_url, FIXTURE / "migrations") as conn:
        yield conn


def test_import_runs_nothing_and_warns_nothing(project: Settings) -> None:
    # -W error: pydantic's `model_` namespace warning (a `model_dumpster` column) would fail.
    run = subprocess.run([sys.executable, "-W", "error", "-c", "import hostilepkg.generated"],
                         cwd=project.root, capture_output=True, text=True, check=False)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")
    models = (project.generated_dir / "models.py").read_text(encoding="utf-8")
    assert "__import__" not in models.replace(f"alias={HOSTILE!r}", "")
    assert "protected_namespaces=()" in models


def test_generated_package_is_ruff_and_mypy_clean(project: Settings) -> None:
    out = str(project.generated_dir)
    for args in (["format", "--check", "--no-cache"], ["check", "--no-cache"]):
        run = subprocess.run([sys.executable, "-m", "ruff", *args, "--config",
                              str(ROOT / "pyproject.toml"), out], capture_output=True,
                             text=True, check=False)
        assert run.returncode == 0, run.stdout + run.stderr
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
                          "--cache-dir", str(project.root / "mypy_cache"), out],
                         capture_output=True, text=True, check=False, cwd=project.root,
                         env={**os.environ, "MYPYPATH": str(ROOT)})
    assert run.returncode == 0, run.stdout + run.stderr


def test_hostile_table_column_is_a_mapped_field(
        gen: ModuleType, hconn: psycopg.Connection[tuple[object, ...]]) -> None:
    fields = gen.Item.model_fields
    assert fields["n_int_import_os_system_echo_PWNED"].alias == HOSTILE
    assert (fields["order_id"].alias, fields["class_"].alias) == ("order id", "class")
    assert (fields["model_dump_"].alias, fields["model_dumpster"].alias) == ("model_dump", None)
    assert (fields["datetime_"].alias, fields["str_"].alias) == ("datetime", "str")
    items = gen.ItemRepo(hconn)
    added = items.add(name="a", n="x", order_id=7, kind=gen.Source2.CLASS)
    row = items.all()[0]
    assert (row.id, row.name, row.order_id, row.kind) == (added, "a", 7, gen.Source2.CLASS)
    assert row.model_dump(by_alias=True)["order id"] == 7


def test_private_looking_alias_does_not_shift_values(
        gen: ModuleType, hconn: psycopg.Connection[tuple[object, ...]]) -> None:
    users = gen.UserRepo(hconn)
    users.add(password_hash="secret-hash", display_name="Ann")
    [row] = users.hashes()
    assert (row.hash_, row.display_name) == ("secret-hash", "Ann")
    assert row.model_dump(by_alias=True) == {"_hash": "secret-hash", "display_name": "Ann"}


def test_private_looking_table_column_keeps_every_value_in_place(
        gen: ModuleType, hconn: psycopg.Connection[tuple[object, ...]]) -> None:
    docs = gen.DocRepo(hconn)
    docs.add(_version=42, id=1, title="t")
    assert docs.all() == [gen.Doc(_version=42, id=1, title="t")]
    [doc] = docs.all()
    assert (doc.version_, doc.id, doc.title) == (42, 1, "t")


def test_parameters_named_like_keywords_and_locals(
        gen: ModuleType, hconn: psycopg.Connection[tuple[object, ...]]) -> None:
    row = gen.ParamRepo(hconn).odd(class_="a", self_="b", sql_="c", x__="d", model_dumpster=5)
    assert (row.class_, row.self, row.sql, row.order_id, row.model_dumpster) == (
        "a", "b", "c", "d", 5)


def test_two_columns_of_one_name_are_kept_apart(
        project: Settings, gen: ModuleType,
        hconn: psycopg.Connection[tuple[object, ...]]) -> None:
    posts = gen.PostRepo(hconn)
    first = posts.add_author(name="x")
    second = posts.add_author(name="Bo")
    posts.add(author_id=second, title="T")
    [row] = posts.with_author()
    assert (row.id, row.author_id, row.title, row.id_2, row.name) == (1, second, "T", second,
                                                                     "Bo")
    assert first != second
    assert any("two result columns are named `id`" in w and "`id_2`" in w
               for w in generate(project).warnings)
    # .sqlx keeps both labels exactly as PostgreSQL (and SQLx) report them.
    described = [d for d in load_all(project.sqlx_dir).values() if "JOIN" in d.query]
    assert [c.name for c in described[0].describe.columns] == [
        "id", "author_id", "title", "id", "name"]


def test_enum_and_tables_named_like_generated_names_are_kept_apart(
        gen: ModuleType, hconn: psycopg.Connection[tuple[object, ...]]) -> None:
    # `source`, `queries`, `repos`, `base_models` would shadow Source, Query, Repo, BaseModel.
    assert (gen.Source2.__name__, gen.Query2.__name__, gen.Repo2.__name__,
            gen.BaseModel2.__name__) == ("Source2", "Query2", "Repo2", "BaseModel2")
    assert [m.value for m in gen.Source2] == ["a b", "A-B", "", "3d", "class", '"""', "héllo",
                                              "_x"]
    assert [m.name for m in gen.Source2] == ["A_B", "A_B_2", "EMPTY", "V_3D", "CLASS",
                                             "EMPTY_2", "HELLO", "X"]
    assert gen.LabelRepo(hconn).all() == list(gen.Source2)  # one column: the values
    assert [r.label for r in gen.LabelRepo(hconn).other()] == ["ok"]


def _model_of(query: Query[typing.Any], module: ModuleType, const: str) -> type[BaseModel] | None:
    (row_type,) = typing.get_args(module.__annotations__[const])
    # A generated row model; a scalar result may be an application's model (typed JSON).
    generated = row_type.__module__ == module.__name__.rsplit(".", 1)[0] + ".models" \
        if isinstance(row_type, type) else False
    return row_type if generated and issubclass(row_type, BaseModel) else None


@pytest.mark.parametrize("package", ["repo.generated", "hostilepkg.generated"])
def test_every_field_of_every_model_receives_its_own_column(
        package: str, gen: ModuleType, project: Settings) -> None:
    queries = importlib.import_module(f"{package}._queries")
    sqlx = ROOT / ".sqlx" if package == "repo.generated" else project.sqlx_dir
    by_sql = {d.query: d for d in load_all(sqlx).values()}
    checked = 0
    for const, query in vars(queries).items():
        if not isinstance(query, Query) or (model := _model_of(query, queries, const)) is None:
            continue
        labels = [c.name for c in by_sql[query.sql.decode()].describe.columns]
        idents = [parse_column(label).ident for label in labels]  # type: ignore[union-attr]
        fields = list(model.model_fields.items())
        assert len(fields) == len(idents), const
        for (name, info), ident in zip(fields, idents, strict=True):
            # The field is the column (by name or alias), or a repeated name made unique.
            assert ident in (name, info.alias) or (
                info.alias is None and name.startswith(ident + "_")), (const, name, ident)
        # Position i of the row goes to field i: distinct values come back distinct.
        values = tuple(f"v{i}" for i in range(len(fields)))
        made = row_maker(model)(values)
        assert [getattr(made, name) for name, _ in fields] == list(values), const
        checked += 1
    assert checked >= 6  # one-column queries return their value (no model to check)


# -- names the user renames: refused with the file and the fix ------------------------------

def _queries_with(tmp: Path, files: dict[str, str]) -> Path:
    queries = tmp / "queries"
    for rel, text in files.items():
        (queries / rel).parent.mkdir(parents=True, exist_ok=True)
        (queries / rel).write_text(text, encoding="utf-8")
    return queries


@pytest.mark.parametrize("folders", [("script", "scripts"), ("items", "async_items")])
def test_folders_giving_one_class_are_refused_with_both_paths(
        folders: tuple[str, str], tmp_path: Path, pg_url: str) -> None:
    queries = _queries_with(tmp_path, {f"{f}/get.sql": "SELECT 1 AS one\n" for f in folders})
    with pytest.raises(NameClash) as info:
        prepare(_settings(tmp_path, queries), database_url=pg_url)
    message = str(info.value)
    assert all(str(queries / f) in message for f in folders), message
    assert "rename one of the folders" in message


@pytest.mark.parametrize("rel, what", [
    ("items/_one.sql", "query file name '_one' starts with `_`"),
    ("items/_conn.sql", "query file name '_conn' starts with `_`"),
    ("_conn/get.sql", "query folder name '_conn' starts with `_`"),
    ("items/class.sql", "query file name 'class' is the Python keyword `class`"),
    ("it ems/get.sql", "query folder name 'it ems' is not a plain ASCII Python identifier"),
])
def test_files_and_folders_shadowing_the_runtime_are_refused(
        rel: str, what: str, tmp_path: Path, pg_url: str) -> None:
    queries = _queries_with(tmp_path, {rel: "SELECT 1 AS one\n"})
    with pytest.raises(QueryFileError) as info:
        prepare(_settings(tmp_path, queries), database_url=pg_url)
    assert what in str(info.value) and str(queries / rel) in str(info.value)
    assert "hint: rename it to" in str(info.value)


def test_generate_refuses_to_write_code_that_does_not_compile(tmp_path: Path) -> None:
    from repo.codegen import check_compiles
    from repo.errors import CodegenError

    with pytest.raises(CodegenError, match="does not compile"):
        check_compiles(tmp_path / "models.py", "class X(:\n")
    write_files({tmp_path / "ok.py": "x = 1\n"})
    check_compiles(tmp_path / "ok.py", "x = 1\n")


@pytest.mark.parametrize(("text", "line"), [
    # Top-level blocks are compiled one by one; the verdict is always the whole file's.
    ("x = 1\n\n\ny = (\n", 4),
    ("x = 1\n\n\nglobal x\n", 4),  # a rule across two statements
    ("x = 1\n\n\nfrom __future__ import annotations\n", 4),
    ("def f():\n    pass\n\n\nasync def g():\n    pass\n\n\ndef h():\n    await g()\n", 10),
])
def test_compile_check_refuses_what_python_refuses(tmp_path: Path, text: str,
                                                    line: int) -> None:
    from repo.codegen import check_compiles
    from repo.errors import CodegenError

    with pytest.raises(SyntaxError) as python:
        compile(text, "m.py", "exec", dont_inherit=True)
    with pytest.raises(CodegenError, match="does not compile") as ours:
        check_compiles(tmp_path / "m.py", text)
    assert ours.value.line == python.value.lineno == line


@pytest.mark.parametrize("text", [
    'x = """a\n\n\nb"""\n',  # blank lines inside a string: the pieces fail, the file does not
    "class A:\n    x = 1\n\n\n    y = 2\n",
    "if x:\n    pass\n\n\nelse:\n    pass\n",
    "x = 1\n\n\n\n\ny = 2\n",
])
def test_compile_check_passes_what_python_compiles(tmp_path: Path, text: str) -> None:
    from repo.codegen import check_compiles

    compile(text, "m.py", "exec", dont_inherit=True)
    check_compiles(tmp_path / "m.py", text)


def test_verify_names_a_generated_file_that_does_not_compile(project: Settings,
                                                             tmp_path: Path) -> None:
    from repo.verify import verify

    settings = project.with_paths(generated=tmp_path / "pkg" / "generated")
    write_files(generate(settings).files)
    models = settings.generated_dir / "models.py"
    text = models.read_text(encoding="utf-8")
    models.write_text(text.replace("class Doc(BaseModel):", "class Doc(BaseModel:"),
                      encoding="utf-8")
    line = text.splitlines().index("class Doc(BaseModel):") + 1
    report = verify(settings)
    [finding] = [f for f in report.errors if "does not compile" in f.message]
    assert (finding.code, finding.line) == ("V005", line)
