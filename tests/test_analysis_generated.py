"""Randomised shapes: 400 generated statements over the corpus schema, described by a real
PostgreSQL, must produce zero false errors in the static analysis (tests/corpus/generate.py,
fixed seed, so a failure is reproducible)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from corpus.generate import generate  # tests/ is on sys.path (rootdir conftest)

from repo.analysis import analyze
from repo.analysis.compare import compare
from repo.analysis.replay import replay
from repo.describe.describe import Describer
from repo.migrate import Migrator, resolve
from repo.queries.model import QueryDef

CORPUS = Path(__file__).parent / "corpus"


def test_generated_statements_have_no_false_errors(empty_db_url: str, capsys: Any) -> None:
    migrations = resolve(CORPUS / "shop" / "migrations")
    catalog = replay(migrations)
    statements = generate(catalog, 400, seed=11)
    defs = [QueryDef("gen", f"q{i}", CORPUS / "generate.py", sql, sql,
                     tuple(f"p{k}" for k in range(1, sql.count("$") + 1)), True, "many")
            for i, sql in enumerate(statements)]
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        Migrator(conn, migrations).run()
        done, errors = Describer(conn).describe_all(defs)
    assert not errors, "\n".join(str(e) for e in errors[:5])
    false_errors: list[str] = []
    totals = [0, 0, 0, 0]
    for d in done:
        result = analyze(d.query.sql, catalog)
        false_errors += [f"{d.query.sql}: {p.message}" for p in result.problems if p.certain]
        assert d.data is not None
        cmp = compare(result, d.data.describe, catalog)
        false_errors += [f"{d.query.sql}: {m.code} {m.message}" for m in cmp.mismatches]
        for i, n in enumerate((cmp.columns_verified, cmp.columns_total, cmp.params_verified,
                               cmp.params_total)):
            totals[i] += n
    with capsys.disabled():
        print(f"\ngenerated: {len(done)} statements; columns verified {totals[0]}/{totals[1]}, "
              f"params verified {totals[2]}/{totals[3]}, false errors {len(false_errors)}")
    assert false_errors == []
    assert totals[0] >= 0.95 * totals[1] and totals[2] >= 0.9 * totals[3]
