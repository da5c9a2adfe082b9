"""The offline migration replay, checked against what PostgreSQL builds from the same files."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from repo.analysis import load_catalog, replay_differences
from repo.analysis.catalog import Catalog
from repo.analysis.live import compare, live_schema
from repo.analysis.replay import replay
from repo.migrate import Migrator, resolve

ROOT = Path(__file__).resolve().parent.parent

HARD = """\
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
CREATE TABLE t1 (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n INT CHECK (n > 0),
                 total NUMERIC(10, 2) DEFAULT 0, note TEXT NULL);
CREATE TABLE t2 (id SERIAL PRIMARY KEY, big BIGSERIAL, small SMALLSERIAL,
                 code VARCHAR(32) NOT NULL, ts TIMESTAMP(3) WITH TIME ZONE,
                 d DOUBLE PRECISION, r REAL, b BYTEA, j JSON, arr INT[][], e email,
                 m mood NOT NULL DEFAULT 'ok', mm mood[], "Quoted" TEXT,
                 g INT GENERATED ALWAYS AS (id * 2) STORED);
CREATE TABLE t3 (a INT, b INT, PRIMARY KEY (a, b));
CREATE TABLE t4 (a INT, b INT);
CREATE TABLE IF NOT EXISTS t5 (id UUID PRIMARY KEY);
CREATE TABLE IF NOT EXISTS t5 (id INT);
ALTER TABLE t1 ALTER COLUMN n SET NOT NULL;
ALTER TABLE t1 RENAME COLUMN note TO remark;
ALTER TABLE t1 RENAME total TO amount;
ALTER TABLE t2 ALTER COLUMN code TYPE TEXT USING code::text;
ALTER TABLE t2 ADD COLUMN IF NOT EXISTS role TEXT NOT NULL DEFAULT 'user';
ALTER TABLE ONLY t2 ADD COLUMN IF NOT EXISTS role INT;
ALTER TABLE t2 DROP COLUMN IF EXISTS d;
ALTER TABLE t2 DROP COLUMN IF EXISTS nothing;
ALTER TABLE t2 ALTER COLUMN m DROP NOT NULL, ALTER COLUMN m DROP DEFAULT;
ALTER TABLE t1 ALTER COLUMN remark SET DEFAULT '';
ALTER TABLE t1 ALTER COLUMN amount DROP DEFAULT;
ALTER TYPE mood ADD VALUE IF NOT EXISTS 'happy';
ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';
ALTER TYPE mood ADD VALUE IF NOT EXISTS 'sad';
ALTER TABLE t3 RENAME TO t3_renamed;
ALTER TABLE t4 ADD PRIMARY KEY (a, b);
CREATE INDEX IF NOT EXISTS t1_n ON t1 (n) WHERE n > 1;
COMMENT ON TABLE t1 IS 'x';
DROP TABLE IF EXISTS t5, nothing_here;
CREATE TABLE t6 (id INT);
DROP TABLE t6;
"""


def _apply(conn: psycopg.Connection[tuple[object, ...]], folder: Path) -> Catalog:
    migrations = resolve(folder)
    Migrator(conn, migrations).run()
    return replay(migrations)


def test_project_replay_matches_database(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    migrations = resolve(ROOT / "migrations")
    assert replay_differences(migrations, conn) == []
    catalog = load_catalog(ROOT / "migrations")
    assert list(catalog.tables) == ["scripts", "assets", "logs", "users", "sessions"]
    assert catalog.findings == [] and catalog.complete


def test_hard_statements_replay_exactly(empty_db_url: str, tmp_path: Path) -> None:
    # ADD VALUE may not be used in the transaction that adds it, so no-transaction.
    (tmp_path / "1_hard.sql").write_text("-- no-transaction\n" + HARD)
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        catalog = _apply(conn, tmp_path)
        tables, enums = live_schema(conn)
    assert compare(catalog, tables, enums) == []
    assert catalog.findings == []
    assert catalog.enums["mood"] == ["sad", "meh", "ok", "happy"]
    t2 = catalog.tables["t2"].columns
    assert (t2["id"].type, t2["id"].not_null, t2["id"].has_default) == ("int4", True, True)
    assert t2["big"].type == "int8" and t2["mm"].type == "mood[]" and "Quoted" in t2
    assert catalog.type_info("mood[]") == {"Custom": {"name": "mood[]", "kind": {"Array": {
        "Custom": {"name": "mood", "kind": {"Enum": ["sad", "meh", "ok", "happy"]}}}}}}
    assert catalog.type_info("email") == {"Custom": {"name": "email", "kind": {"Domain":
                                                                               "Text"}}}


def test_unmodelled_statements_are_listed(empty_db_url: str, tmp_path: Path) -> None:
    (tmp_path / "1_base.sql").write_text(
        "CREATE TABLE base (id INT PRIMARY KEY, v TEXT);\n"
        "CREATE TABLE copy (LIKE base INCLUDING ALL);\n"
        "DO $$ BEGIN IF now() > '2000-01-01' THEN CREATE TABLE hidden (x INT NOT NULL); "
        "END IF; END $$;\n"
        "CREATE VIEW v AS SELECT id FROM base;\n")
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        catalog = _apply(conn, tmp_path)
        diffs = replay_differences(resolve(tmp_path), conn)
    where = [(f.line, f.message.split(":")[0]) for f in catalog.findings]
    assert [w[0] for w in where] == [2, 3]
    view = catalog.tables["v"]  # a view's columns come from analysing its query
    assert view.kind == "view" and [(c.name, c.type) for c in view.columns.values()] == [
        ("id", "int4")]
    assert "LIKE" in catalog.findings[0].message
    assert "DO" in catalog.findings[1].message
    assert not catalog.complete  # a missing table is then only a warning
    assert any("table hidden" in d for d in diffs)
    assert any("copy" in d for d in diffs)


@pytest.mark.parametrize(("ddl", "check"), [
    ("CREATE TABLE a (x INT); ALTER TABLE a RENAME x TO y;",
     lambda c: list(c.tables["a"].columns) == ["y"]),
    ("CREATE TYPE e AS ENUM ('a', 'b'); ALTER TYPE e RENAME VALUE 'a' TO 'z';",
     lambda c: c.enums["e"] == ["z", "b"]),
    ("CREATE DOMAIN d AS varchar(5) NOT NULL; CREATE TABLE a (x d);",
     lambda c: c.domains["d"].base == "varchar" and not c.tables["a"].columns["x"].not_null),
    ("CREATE TABLE a (x INT); DROP TABLE a;", lambda c: "a" not in c.tables),
    ("CREATE TABLE public.a (\"X\" INT NOT NULL);",
     lambda c: c.tables["a"].columns["X"].not_null),
    ("CREATE TABLE a (x INT); ALTER TABLE a ALTER COLUMN x SET DATA TYPE bigint;",
     lambda c: c.tables["a"].columns["x"].type == "int8"),
])
def test_small_replays(tmp_path: Path, ddl: str, check: object) -> None:
    (tmp_path / "1_x.sql").write_text(ddl)
    catalog = load_catalog(tmp_path)
    assert catalog.findings == []
    assert check(catalog)  # type: ignore[operator]


ENUM_SWAP = """\
CREATE TYPE job_kind AS ENUM ('script', 'flow');
CREATE TABLE job (id BIGSERIAL PRIMARY KEY, kind job_kind NOT NULL, kinds job_kind[]);
CREATE TYPE job_kind_new AS ENUM ('script', 'flow', 'preview');
ALTER TABLE job ALTER COLUMN kind TYPE job_kind_new USING kind::text::job_kind_new,
                ALTER COLUMN kinds TYPE job_kind_new[] USING kinds::text[]::job_kind_new[];
DROP TYPE job_kind;
ALTER TYPE job_kind_new RENAME TO job_kind;
ALTER TABLE job ADD COLUMN IF NOT EXISTS a INT, ADD COLUMN IF NOT EXISTS b TEXT NOT NULL DEFAULT '';
ALTER TABLE job ADD COLUMN IF NOT EXISTS a TEXT, ADD c INT GENERATED ALWAYS AS IDENTITY;
CREATE SEQUENCE IF NOT EXISTS ticket_seq;
ALTER SEQUENCE ticket_seq RENAME TO tickets_seq;
ALTER TYPE job_kind OWNER TO CURRENT_USER;
"""


def test_enum_swap_renames_and_multi_add_column_replay_exactly(empty_db_url: str,
                                                               tmp_path: Path) -> None:
    (tmp_path / "1_swap.sql").write_text(ENUM_SWAP)
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        catalog = _apply(conn, tmp_path)
        tables, enums = live_schema(conn)
    assert catalog.findings == []
    assert compare(catalog, tables, enums) == []
    job = catalog.tables["job"].columns
    assert (job["kind"].type, job["kinds"].type) == ("job_kind", "job_kind[]")
    assert catalog.enums == {"job_kind": ["script", "flow", "preview"]}
    assert list(job) == ["id", "kind", "kinds", "a", "b", "c"] and job["a"].type == "int4"
    # Sequences are relations: serials, identities and CREATE SEQUENCE, renamed as in PG.
    assert set(catalog.sequences) == {"job_id_seq", "job_c_seq", "tickets_seq"}


def test_sequences_and_system_relations_are_known(tmp_path: Path) -> None:
    (tmp_path / "1_x.sql").write_text("CREATE TABLE crates (id SERIAL PRIMARY KEY);\n")
    catalog = load_catalog(tmp_path)
    seq = catalog.table("crates_id_seq")
    assert seq is not None and seq.columns["last_value"].type == "int8"
    assert catalog.table("pg_class").columns["relname"].type == "name"  # type: ignore[union-attr]
    cols = catalog.relation("information_schema", "columns")
    assert cols is not None and cols.columns["column_name"].type == \
        "information_schema.sql_identifier"
    assert catalog.type_info("information_schema.sql_identifier") == {
        "Custom": {"name": "information_schema.sql_identifier", "kind": {"Domain": "Name"}}}
    mig = catalog.table("_sqlx_migrations")
    assert mig is not None and mig.columns["version"].type == "int8"
    assert "_sqlx_migrations" not in catalog.tables  # not compared with the live schema


@pytest.mark.parametrize(("ddl", "uncertain", "listed"), [
    # Procedural DDL cannot be modelled: what it names becomes uncertain, and it is listed.
    ("CREATE TABLE a (x INT); CREATE TABLE b (y INT);\n"
     "DO $$ BEGIN ALTER TABLE a ADD COLUMN z INT; EXCEPTION WHEN duplicate_column THEN "
     "NULL; END $$;", {"a"}, True),
    # ... also through a function the migration calls, however it is called.
    ("CREATE TABLE a (x INT); CREATE TABLE b (y INT);\n"
     "CREATE FUNCTION addz() RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
     "EXECUTE 'ALTER TABLE b ADD COLUMN z INT'; END $$;\nSELECT addz();", {"b"}, True),
    ("CREATE TABLE a (x INT); CREATE PROCEDURE p() LANGUAGE sql AS $$ ALTER TABLE a ADD z INT "
     "$$;\nCALL p();", {"a"}, True),
    # A view over an uncertain table is uncertain too; so is a table using an uncertain type.
    ("CREATE TYPE e AS ENUM ('x'); CREATE TABLE a (x e); CREATE TABLE b (y INT);\n"
     "CREATE VIEW v AS SELECT y FROM b;\n"
     "DO $$ BEGIN IF true THEN ALTER TYPE e ADD VALUE 'y'; ALTER TABLE b ADD z INT; END IF; "
     "END $$;",
     {"a", "b", "v", "e"}, True),
    # Procedural code without DDL (roles, data) leaves the schema as it is: nothing listed.
    ("CREATE TABLE a (x INT);\nDO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE "
     "rolname = 'r') THEN CREATE ROLE r; END IF; UPDATE a SET x = 1; END $$;", set(), False),
    # An unmodelled ALTER TYPE makes the type and its users uncertain.
    ("CREATE TYPE e AS ENUM ('x'); CREATE TABLE a (x e); CREATE TABLE b (y INT);\n"
     "ALTER TYPE e SET SCHEMA other;", {"a", "e"}, True),
])
def test_unmodelled_statements_make_what_they_name_uncertain(
        tmp_path: Path, ddl: str, uncertain: set[str], listed: bool) -> None:
    (tmp_path / "1_x.sql").write_text(ddl)
    catalog = load_catalog(tmp_path)
    assert catalog.uncertain_names() == uncertain
    assert bool(catalog.findings) == listed
    if "e" in uncertain:
        assert catalog.type_info("e") is None and catalog.type_info("e[]") is None


# Forms real migrations use (seen in public SQLx projects), each replayed and compared with
# what PostgreSQL builds: constraint and index housekeeping, composite and non-SQLx built-in
# types, partitions, and a DO block that is a plain sequence of statements.
HOUSEKEEPING = """\
CREATE TABLE p (id BIGINT PRIMARY KEY, n INT NOT NULL DEFAULT 0, CONSTRAINT n_pos CHECK (n >= 0));
CREATE INDEX p_n ON p (n);
ALTER INDEX p_n RENAME TO p_n_idx;
ALTER TABLE p DROP CONSTRAINT p_pkey;
ALTER TABLE p RENAME CONSTRAINT n_pos TO n_nonneg;
ALTER TABLE p VALIDATE CONSTRAINT n_nonneg;
ALTER TABLE p REPLICA IDENTITY FULL;
ALTER TABLE p SET (fillfactor = 90);
ALTER TABLE p ALTER COLUMN n SET STATISTICS 100;
TRUNCATE p;
CREATE TYPE header_pair AS (name TEXT, value BYTEA);
CREATE TABLE q (h header_pair[] NOT NULL, x xid8, r regclass, tv tsvector);
CREATE TABLE ev (id BIGINT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT now(), v TEXT)
    PARTITION BY RANGE (at);
CREATE TABLE ev_default PARTITION OF ev DEFAULT;
CREATE VIEW pv AS SELECT id FROM p;
ALTER VIEW pv RENAME TO p_ids;
DO LANGUAGE plpgsql $$
DECLARE k INT := 4;
BEGIN
  -- data and schema, in order, no branches
  INSERT INTO p (id, n) VALUES (k, 1);
  ALTER TABLE p ADD COLUMN side TEXT;
  RAISE NOTICE 'done';
END $$;
"""


def test_housekeeping_composites_partitions_and_plain_do_replay_exactly(
        empty_db_url: str, tmp_path: Path) -> None:
    (tmp_path / "1_h.sql").write_text(HOUSEKEEPING)
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        catalog = _apply(conn, tmp_path)
        tables, enums = live_schema(conn)
    assert catalog.findings == [] and catalog.uncertain_names() == set()
    assert compare(catalog, tables, enums) == []
    assert catalog.complete and "side" in catalog.tables["p"].columns
    assert "p_ids" in catalog.tables
    assert catalog.type_info("header_pair[]") == {"Custom": {"name": "header_pair[]", "kind": {
        "Array": {"Custom": {"name": "header_pair", "kind": {"Composite": [
            ["name", "Text"], ["value", "Bytea"]]}}}}}}
    assert catalog.type_info("xid8") == {"Custom": {"name": "xid8", "kind": "Simple"}}
    assert list(catalog.tables["ev_default"].columns) == ["id", "at", "v"]
