"""Sessions are security-critical: an expired session is never returned by any read, while
other threads touch sessions (some to an expiry already past) and sweep expired ones.

The invariant checked on every read: a returned session expires after the moment the call
started, on the server's clock (the offset from this machine's clock is measured first, so a
remote TEST_DATABASE_URL server with a skewed clock cannot cause false reports).
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from dataclasses import dataclass, field

import psycopg
import pytest

from repo.generated import Database, Repos

USER = "session-user"
SESSIONS = 150
RUN_SECONDS = 3.0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _server_clock(url: str) -> dt.timedelta:
    """How far the server's clock is ahead of ours, minus the measuring error (a lower bound)."""
    with psycopg.connect(url, autocommit=True) as conn:
        best: tuple[dt.timedelta, dt.timedelta] | None = None
        for _ in range(5):
            before = _now()
            row = conn.execute("SELECT clock_timestamp()").fetchone()
            after = _now()
            assert row is not None
            error = (after - before) / 2
            if best is None or error < best[1]:
                best = (row[0] - (before + error), error)  # type: ignore[operator]
    assert best is not None
    return best[0] - best[1]


@dataclass
class Observations:
    reads: int = 0
    valid: int = 0
    touched: int = 0
    swept: int = 0
    violations: list[str] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _reader(db: Database, seed: int, stop: threading.Event, seen: Observations,
            skew: dt.timedelta) -> None:
    rnd = random.Random(seed)
    while not stop.is_set():
        sid = f"s{rnd.randrange(SESSIONS)}"
        started = _now() + skew  # on the server's clock, never later than its now()
        try:
            plain = db.repos.sessions.get_valid(session_id=sid)
            joined = db.repos.sessions.get_valid_with_user(session_id=sid)
        except BaseException as exc:  # noqa: BLE001
            seen.errors.append(exc)
            return
        with seen.lock:
            seen.reads += 2
            for kind, row in (("get_valid", plain), ("get_valid_with_user", joined)):
                if row is None:
                    continue
                seen.valid += 1
                if row.expires_at <= started:
                    seen.violations.append(f"{kind}({sid}) returned a session that expired at "
                                           f"{row.expires_at}, before the call at {started}")


def _toucher(db: Database, seed: int, stop: threading.Event, seen: Observations) -> None:
    rnd = random.Random(seed)
    while not stop.is_set():
        sid = f"s{rnd.randrange(SESSIONS)}"
        # Some touches move the expiry into the past: the session must then stay expired.
        new_expiry = _now() + dt.timedelta(seconds=rnd.uniform(-0.3, 1.5))
        try:
            row = db.repos.sessions.touch(expires_at=new_expiry, session_id=sid)
        except BaseException as exc:  # noqa: BLE001
            seen.errors.append(exc)
            return
        with seen.lock:
            seen.touched += row is not None
            if row is not None and row.expires_at != new_expiry:
                seen.violations.append(f"touch({sid}) returned expiry {row.expires_at}")


def _sweeper(db: Database, stop: threading.Event, seen: Observations) -> None:
    while not stop.is_set():
        try:
            deleted = db.repos.sessions.delete_expired()
        except BaseException as exc:  # noqa: BLE001
            seen.errors.append(exc)
            return
        with seen.lock:
            seen.swept += deleted
        time.sleep(0.01)


@pytest.mark.slow
def test_expired_sessions_are_never_returned_under_concurrent_touch_and_sweep(
        db_url: str) -> None:
    seen = Observations()
    stop = threading.Event()
    skew = _server_clock(db_url)
    with Database(db_url, min_size=10, max_size=10) as db:
        db.repos.users.upsert_login(user_id=USER, email="s@example.com", name=None,
                                    provider="google")
        rnd = random.Random(7)
        for i in range(SESSIONS):  # every session expires during the run unless touched
            db.repos.sessions.create(session_id=f"s{i}", user_id=USER, data={"i": i},
                                     expires_at=_now() + dt.timedelta(
                                         seconds=rnd.uniform(0.1, RUN_SECONDS * 0.6)))
        threads = [threading.Thread(target=_reader, args=(db, n, stop, seen, skew))
                   for n in range(4)]
        threads += [threading.Thread(target=_toucher, args=(db, 100 + n, stop, seen))
                    for n in range(4)]
        threads.append(threading.Thread(target=_sweeper, args=(db, stop, seen)))
        for t in threads:
            t.start()
        time.sleep(RUN_SECONDS)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        remaining = db.repos.sessions.list_for_user(user_id=USER)
        swept_at = _now()
        db.repos.sessions.delete_expired()
        after_sweep = db.repos.sessions.list_for_user(user_id=USER)

    assert seen.errors == [], [repr(e) for e in seen.errors[:5]]
    assert seen.violations == [], seen.violations[:5]
    # The run exercised both sides: valid reads, expiries, touches and sweeps.
    assert seen.valid > 0 and seen.reads > seen.valid and seen.touched > 0 and seen.swept > 0
    assert all(s.expires_at > swept_at for s in after_sweep)
    assert len(after_sweep) <= len(remaining)
    print(f"\nsessions: {seen.reads} reads ({seen.valid} valid), {seen.touched} touches, "
          f"{seen.swept} swept, {len(seen.violations)} expired sessions returned")


def test_a_session_that_expires_inside_a_transaction_is_not_returned(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as setup:
        repos = Repos(setup)
        repos.users.upsert_login(user_id=USER, email="s@example.com", name=None,
                                 provider="google")
        repos.sessions.create(session_id="short", user_id=USER, data={},
                              expires_at=_now() + dt.timedelta(milliseconds=300))
    with psycopg.connect(db_url) as conn, conn.transaction():  # e.g. a request's transaction
        repos = Repos(conn)
        assert repos.sessions.get_valid(session_id="short") is not None
        time.sleep(0.5)  # the session has now expired
        assert repos.sessions.get_valid(session_id="short") is None
        assert repos.sessions.get_valid_with_user(session_id="short") is None


def test_an_expired_session_cannot_be_touched_or_written(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        repos = Repos(conn)
        repos.users.upsert_login(user_id=USER, email="w@example.com", name=None,
                                 provider="google")
        repos.sessions.create(session_id="old", user_id=USER, data={"a": 1},
                              expires_at=_now() - dt.timedelta(seconds=1))
        assert repos.sessions.update_data(session_id="old", data={"stolen": True}) is None
        assert repos.sessions.touch(session_id="old",
                                    expires_at=_now() + dt.timedelta(hours=1)) is None
        row = conn.execute("SELECT data FROM sessions WHERE session_id = 'old'").fetchone()
        assert row == ({"a": 1},)
