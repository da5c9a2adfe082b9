"""Codegen end to end on a schema with enums, arrays, domains, composites, keywords.

The fixture project (tests/fixtures/codegen/edge) goes through the real pipeline: `prepare`
describes it on the test server, `generate` renders a package into a temp dir; the package
must be ruff-clean, mypy-clean, importable, and its rows must carry the annotated types.
"""

from __future__ import annotations

import datetime as dt
import decimal
import importlib
import ipaddress
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
from helpers.fixture_project import empty_package, importable, migrated
from psycopg.types.range import Range

from repo.codegen import generate, write_files
from repo.config import Settings, load_settings
from repo.errors import InvalidArgument
from repo.prepare import prepare

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "codegen" / "edge"
ROOT = Path(__file__).resolve().parent.parent


def _settings(tmp: Path) -> Settings:
    return load_settings(tmp, env={}).with_paths(
        migrations=FIXTURE / "migrations", queries=FIXTURE / "queries", sqlx_dir=tmp / ".sqlx",
        generated=tmp / "edgepkg" / "generated")


@pytest.fixture(scope="module")
def project(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    tmp = tmp_path_factory.mktemp("edge")
    empty_package(tmp, "edgepkg")
    settings = _settings(tmp)
    prepare(settings, database_url=pg_url)
    write_files(generate(settings).files)
    with importable(settings, "edgepkg"):
        yield settings


@pytest.fixture(scope="module")
def gen(project: Settings) -> ModuleType:
    return importlib.import_module("edgepkg.generated")


@pytest.fixture
def edge_conn(empty_db_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with migrated(empty_db_url, FIXTURE / "migrations") as conn:
        yield conn


def test_warns_about_fallbacks_and_comments_them(project: Settings) -> None:
    result = generate(project)
    assert any("composite type pair" in w and "typed `object`" in w for w in result.warnings)
    models = (project.generated_dir / "models.py").read_text(encoding="utf-8")
    assert "    # fallback: composite type pair has no Python mapping" in models
    # `(1, 'x')::pair` is never NULL: the replay knows composite types, so this is certain.
    assert "    p: object\n" in models


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


def test_enums_arrays_domains_ranges_round_trip(
        gen: ModuleType, edge_conn: psycopg.Connection[tuple[object, ...]]) -> None:
    items = gen.ItemRepo(edge_conn)
    mood = gen.Mood
    assert [m.value for m in mood] == ["sad", "ok", "very happy"]
    added = items.add(class_name="k", mood=mood.VERY_HAPPY, moods=[mood.SAD, mood.VERY_HAPPY],
                      tags=["a", "b c"], contact="x@y.z", price=decimal.Decimal("9.50"),
                      span=Range(1, 5), addr=ipaddress.ip_address("10.0.0.1"),
                      made=dt.date(2024, 1, 2), at=dt.datetime(2024, 1, 2, 3, 4), data={"k": 1})
    assert type(added).__name__ == "Item"  # RETURNING * reuses the table model
    assert added.class_ == "k" and added.model_dump(by_alias=True)["class"] == "k"
    assert added.mood is mood.VERY_HAPPY
    assert added.moods == [mood.SAD, mood.VERY_HAPPY] and type(added.moods[0]) is mood
    assert (added.tags, added.contact, added.price) == (["a", "b c"], "x@y.z",
                                                        decimal.Decimal("9.50"))
    assert (added.span, added.addr) == (Range(1, 5), ipaddress.ip_address("10.0.0.1"))
    assert (added.made, added.at, added.data) == (dt.date(2024, 1, 2),
                                                  dt.datetime(2024, 1, 2, 3, 4), {"k": 1})
    bare = items.add(class_name="n", mood="sad", moods=[], tags=None, contact=None, price=None,
                     span=None, addr=None, made=None, at=None, data=None)
    assert (bare.moods, bare.tags, bare.data) == ([], None, None)
    rows = items.by_mood(mood.SAD)  # a `$1` file: positional parameters
    assert [(r.id, r.mood, r.total, r.tags) for r in rows] == [(bare.id, mood.SAD, 1, None)]
    items.touch(id=bare.id)
    odd = items.odd()
    # A composite is typed `object`: without a registered adapter psycopg returns its text.
    assert (odd.p, odd.quote, odd.tab) == ("(1,x)", 'a\\b"c', "tab\there")


def test_enum_parameters_are_checked(
        gen: ModuleType, edge_conn: psycopg.Connection[tuple[object, ...]]) -> None:
    with pytest.raises(InvalidArgument, match="'glad' is not one of ok, sad, very happy"):
        gen.ItemRepo(edge_conn).by_mood("glad")
