"""Database URL resolution in the documented order, .env, config.toml and redaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from repo.config import expand_vars, load_settings, read_env_file, redact
from repo.conninfo import remember, scrub
from repo.errors import ConfigError

CONFIG = """
[repository]
database_type = "postgresql"
database_url = "${APP_DB_URL}"
auto_migrate = true
"""


def test_precedence(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(CONFIG)
    (tmp_path / ".env").write_text('DATABASE_URL="postgresql://dotenv/db"\n')
    env = {"APP_DB_URL": "postgresql://config/db"}
    s = load_settings(tmp_path, env)
    assert s.auto_migrate is True
    assert s.resolve_url("postgresql://flag/db").source == "--database-url"  # type: ignore[union-attr]
    assert s.resolve_url().url == "postgresql://dotenv/db"  # type: ignore[union-attr]
    s = load_settings(tmp_path, {**env, "DATABASE_URL": "postgresql://env/db"})
    assert s.resolve_url().url == "postgresql://env/db"  # type: ignore[union-attr]  # env beats .env
    (tmp_path / ".env").unlink()
    assert load_settings(tmp_path, env).resolve_url().url == "postgresql://config/db"  # type: ignore[union-attr]
    over = {**env, "APP_REPOSITORY__DATABASE_URL": "postgresql://override/db"}
    assert load_settings(tmp_path, over).resolve_url().url == "postgresql://override/db"  # type: ignore[union-attr]
    assert load_settings(tmp_path, {}).resolve_url() is None  # ${VAR} unset: not configured


def test_missing_url_error_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path, {}).require_url()
    assert "DATABASE_URL" in str(err.value) and "db start" in str(err.value)


def test_env_file_syntax(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# comment\nexport A=1\nB='two words'\nC=x # trailing\n\n")
    assert read_env_file(env) == {"A": "1", "B": "two words", "C": "x"}
    env.write_text("A=1\nnot a pair\n")
    with pytest.raises(ConfigError, match=r"\.env:2: expected KEY=value"):
        read_env_file(env)


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[repository]\ndatabase_url = \n")
    with pytest.raises(ConfigError, match=r"config.toml:2"):
        load_settings(tmp_path, {})


def test_expand_vars() -> None:
    assert expand_vars("${A}/${B:-dflt}/${C}", {"A": "a"}) == "a/dflt/"


@pytest.mark.parametrize("text", [
    "postgresql://app:s3cret@db:5432/app",
    "postgres://app:s3cret@db/app?sslmode=require",
    "host=db user=app password=s3cret dbname=app",
    "host=db password='s3cret' user=app",
])
def test_redact_removes_passwords(text: str) -> None:
    assert "s3cret" not in redact(text)
    assert "***" in redact(text)


def test_scrub_removes_the_parsed_password_from_any_text() -> None:
    """Free text (a server message) loses every password of a URL libpq parsed before."""
    message = "login for pw?with#marks failed"
    remember("postgresql://u:pw?with#marks@h/d")
    assert scrub(message) == "login for *** failed"
    assert redact(message) == "login for *** failed"


def test_offline_flag(tmp_path: Path) -> None:
    assert load_settings(tmp_path, {"SQLX_OFFLINE": "TRUE"}).offline
    assert load_settings(tmp_path, {"SQLX_OFFLINE": "1"}).offline
    assert not load_settings(tmp_path, {"SQLX_OFFLINE": "yes"}).offline


def test_only_postgresql_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[repository]\ndatabase_type = "sqlite"\n')
    with pytest.raises(ConfigError, match="'sqlite' is not supported"):
        load_settings(tmp_path, {})
