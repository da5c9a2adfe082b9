"""Certainty is earned: verify reports an error only about a schema it modelled completely.

Each test makes a small project whose migrations do something the offline replay cannot see
(DDL in procedural code, a trigger running DDL), runs the real `prepare` against PostgreSQL,
then `verify --json` offline, and checks that queries over the affected objects are counted
as unverified instead of failing the run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from repo.cli import main
from repo.config import load_settings
from repo.drift import stamp_holds
from repo.metadata import store

BASE = """
CREATE TYPE kind AS ENUM ('a', 'b');
CREATE TABLE a (id INT PRIMARY KEY, x TEXT NOT NULL, k kind NOT NULL DEFAULT 'a');
CREATE TABLE b (id INT PRIMARY KEY);
"""
# A trigger that runs DDL, fired by a data migration: invisible to any offline replay, and
# without a W001 warning. Only prepare's comparison with the real schema can notice it.
TRIGGER_DDL = BASE + """
CREATE FUNCTION grow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN EXECUTE 'ALTER TABLE b ADD COLUMN IF NOT EXISTS z INT'; RETURN NEW; END $$;
CREATE TRIGGER grow AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION grow();
INSERT INTO a VALUES (1, 'x');
"""
# DDL inside a DO block: the replay lists it (W001) and doubts what it names.
DO_DDL = BASE + """
DO $$ BEGIN
  ALTER TABLE b ADD COLUMN z INT;
EXCEPTION WHEN duplicate_column THEN NULL;
END $$;
"""
QUERIES = {
    "a/get.sql": "-- :optional\nSELECT id, x, k FROM a WHERE id = :id\n",
    "b/get_z.sql": "-- :optional\nSELECT id, z FROM b WHERE id = :id\n",
    "b/set_z.sql": "-- :exec\nUPDATE b SET z = :z WHERE id = :id\n",
}


def make(root: Path, migration: str) -> None:
    (root / "migrations").mkdir()
    (root / "migrations" / "1_init.sql").write_text(migration)
    for rel, text in QUERIES.items():
        path = root / "queries" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("DATABASE_URL", "APP_REPOSITORY__DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["verify", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_prepare_records_what_the_replay_got_wrong(project: Path, pg_url: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    make(project, TRIGGER_DDL)
    assert main(["prepare", "--database-url", pg_url]) == 0
    assert stamp_holds(load_settings(project))  # prepare stamps the code it generated
    meta = store.load_meta(project / ".sqlx")
    assert meta is not None and meta["replay_uncertain"] == {"tables": ["b"], "types": []}
    code, report = verify(capsys)
    assert (code, report["errors"]) == (0, [])
    cov = report["coverage"]
    # a's three columns and one parameter are still verified; b's are counted, not claimed.
    assert (cov["columns_verified"], cov["columns_total"]) == (3, 5)
    assert (cov["params_verified"], cov["params_total"]) == (1, 4)

    # Without the record, the replay's view of b is taken as certain: the false alarm that
    # this mechanism prevents.
    del meta["replay_uncertain"]
    (project / ".sqlx" / store.META_FILE).write_text(store.render_meta(meta))
    code, report = verify(capsys)
    assert code == 1
    assert {e["code"] for e in report["errors"]} == {"V006"}
    assert {e["file"] for e in report["errors"]} == {"queries/b/get_z.sql",
                                                       "queries/b/set_z.sql"}


def test_ddl_in_a_do_block_makes_what_it_names_uncertain(
        project: Path, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    make(project, DO_DDL)
    assert main(["prepare", "--database-url", pg_url]) == 0
    meta = store.load_meta(project / ".sqlx")
    assert meta is not None
    meta.pop("replay_uncertain", None)  # the replay's own doubt is enough here
    (project / ".sqlx" / store.META_FILE).write_text(store.render_meta(meta))
    code, report = verify(capsys)
    assert (code, report["errors"]) == (0, [])
    assert [w["code"] for w in report["warnings"]] == ["W001"]
    assert report["coverage"]["columns_verified"] == 3


def test_certain_findings_on_uncertain_objects_are_downgraded_and_counted(
        project: Path, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    make(project, TRIGGER_DDL)
    assert main(["prepare", "--database-url", pg_url]) == 0
    # A finding the analysis believes certain (an alias it cannot resolve), in a query that
    # reads the table prepare found different: not provable, so W005 and counted.
    (project / "queries/b/get_z.sql").write_text(
        "-- :optional\nSELECT id, z FROM b WHERE id = :id AND bb.z IS NULL\n")
    code, report = verify(capsys)
    assert [e for e in report["errors"] if e["code"] == "V006"] == []
    w005 = [w for w in report["warnings"] if w["code"] == "W005"]
    assert len(w005) == 1 and "V006" in w005[0]["message"]
    assert "the query uses b, which the replay could not model" in w005[0]["message"]
    assert report["coverage"]["uncertain"] == 1
