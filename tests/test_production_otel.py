"""OpenTelemetry: with the psycopg instrumentation on, each repository call is a span naming
its query file, and the SQL that ``.sqlx`` hashes is unchanged (#15)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from repo.generated import AsyncDatabase, Database, Repos
from repo.generated import _queries as sql

otel = pytest.importorskip("opentelemetry.instrumentation.psycopg",
                           reason="the [otel] extra is not installed "
                           "(pip install -e '.[test]' brings it)")
sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")
export = pytest.importorskip("opentelemetry.sdk.trace.export")
memory = pytest.importorskip("opentelemetry.sdk.trace.export.in_memory_span_exporter")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def spans() -> Iterator[object]:
    """psycopg instrumented for this test only, spans kept in memory."""
    exporter = memory.InMemorySpanExporter()
    provider = sdk_trace.TracerProvider()
    provider.add_span_processor(export.SimpleSpanProcessor(exporter))
    instrumentor = otel.PsycopgInstrumentor()
    instrumentor.instrument(tracer_provider=provider, skip_dep_check=True)
    try:
        yield exporter
    finally:
        instrumentor.uninstrument()


def _statement(span: object) -> str:
    attributes = span.attributes  # type: ignore[attr-defined]
    return str(attributes.get("db.statement") or attributes.get("db.query.text"))


def _query_spans(exporter: object) -> list[str]:
    # Connection set-up (the pool's PgBouncer check, ...) is traced too; keep the queries'.
    statements = [_statement(s) for s in exporter.get_finished_spans()]  # type: ignore[attr-defined]
    return [s for s in statements if "/*query=" in s]


def test_every_call_is_a_span_naming_its_query_file(db_url: str, spans: object) -> None:
    with Database(db_url, auto_migrate=False, pgbouncer=False, min_size=1) as db:
        db.repos.scripts.upsert(uri="/t.js", code="x")
        db.repos.scripts.get_by_uri(uri="/t.js")
        assert db.repos.scripts.delete_by_uri(uri="/t.js") == 1
        with db.transaction() as tx:
            tx.scripts.count()
    named = _query_spans(spans)
    assert [s.rsplit("/*query='", 1)[1] for s in named] == [
        "scripts/upsert'*/", "scripts/get_by_uri'*/", "scripts/delete_by_uri'*/",
        "scripts/count'*/"]
    # The traced statement is the .sqlx text, then the comment on a line of its own.
    assert named[1] == sql.SCRIPTS_GET_BY_URI.sql.decode() + "\n/*query='scripts/get_by_uri'*/"


def test_the_sqlx_text_and_hash_are_unchanged(db_url: str, spans: object) -> None:
    with psycopg.connect(db_url) as conn:
        Repos(conn).scripts.get_by_uri(uri="/none.js")
    text = sql.SCRIPTS_GET_BY_URI.sql.decode()
    digest = hashlib.sha256(text.encode()).hexdigest()
    stored = json.loads((ROOT / ".sqlx" / f"query-{digest}.json").read_text())
    assert stored["query"] == text and "/*" not in text
    assert _query_spans(spans) == [text + "\n/*query='scripts/get_by_uri'*/"]


async def test_async_calls_are_spans_too(db_url: str, spans: object) -> None:
    async with AsyncDatabase(db_url, auto_migrate=False, pgbouncer=False, min_size=1) as db:
        await db.repos.scripts.get_by_uri(uri="/a.js")
        await db.repos.logs.count_by_script()
    assert [s.rsplit("'", 2)[1] for s in _query_spans(spans)] == [
        "scripts/get_by_uri", "logs/count_by_script"]


def test_any_cursor_factory_keeps_dollar_placeholders(db_url: str) -> None:
    # The generated SQL has $n placeholders: a connection whose cursor factory binds on the
    # client (psycopg's ClientCursor) must still run it with server-side binding.
    with psycopg.connect(db_url, cursor_factory=psycopg.ClientCursor) as conn:
        repos = Repos(conn)
        repos.scripts.upsert(uri="/c.js", code="it's")
        got = repos.scripts.get_by_uri(uri="/c.js")
    assert got is not None and got.code == "it's"
