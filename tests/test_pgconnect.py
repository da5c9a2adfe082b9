"""``repo.pgconnect.connect``: options written in the URL are the user's, not overridden."""

from __future__ import annotations

from repo.conninfo import with_params
from repo.pgconnect import connect


def test_connect_timeout_in_the_url_is_kept(db_url: str) -> None:
    with connect(with_params(db_url, connect_timeout="3")) as conn:
        assert conn.info.get_parameters()  # a real session
        assert "connect_timeout=3" in conn.info.dsn.split()


def test_a_url_without_connect_timeout_gets_ten_seconds(db_url: str) -> None:
    with connect(db_url) as conn:
        assert "connect_timeout=10" in conn.info.dsn.split()
