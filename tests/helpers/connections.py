"""What a caller checks of a connection after a call: no transaction left open, no cursor."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

OPEN_CURSORS = "SELECT count(*) FROM pg_cursors"


def assert_clean(conn: psycopg.Connection[Any]) -> None:
    """``conn`` is outside any transaction and holds no open cursor."""
    status = conn.info.transaction_status
    assert status == TransactionStatus.IDLE, status
    cursors = conn.execute(OPEN_CURSORS).fetchone()
    assert cursors == (0,), f"open cursors: {cursors}"


async def assert_clean_async(aconn: psycopg.AsyncConnection[Any]) -> None:
    """`assert_clean` for an async connection."""
    status = aconn.info.transaction_status
    assert status == TransactionStatus.IDLE, status
    cursors = await (await aconn.execute(OPEN_CURSORS)).fetchone()
    assert cursors == (0,), f"open cursors: {cursors}"
