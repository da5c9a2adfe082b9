"""Project settings and database URL resolution.

The URL is looked up in this order (design.md, "Database URL resolution"):

1. ``--database-url``;
2. ``DATABASE_URL`` from the process environment, else from ``./.env``;
3. ``config.toml`` ``[repository] database_url`` with ``${VAR}`` expanded from the environment,
   where ``APP_REPOSITORY__DATABASE_URL`` overrides the key;
4. none: commands that only need a scratch server start an embedded one.

Paths (``migrations/``, ``queries/``, ``.sqlx/``, the generated package) are relative to the
current directory and can be changed in ``config.toml`` ``[paths]`` or by command-line flags.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import sqlc_config
from .errors import ConfigError
from .pgbouncer import parse_mode

CONFIG_FILE = "config.toml"
ENV_FILE = ".env"
URL_ENV = "DATABASE_URL"
URL_OVERRIDE_ENV = "APP_REPOSITORY__DATABASE_URL"
DIRECT_URL_ENV = "DIRECT_DATABASE_URL"
OFFLINE_ENV = "SQLX_OFFLINE"
DEFAULT_GENERATED = "db"

_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


def redact(text: str) -> str:
    """``text`` made safe to show.

    A connection string (URL or ``key=value``) is parsed by libpq and shown with its secrets
    masked (`safe_url`); any other text has every secret of every connection string seen so
    far replaced by ``***`` (`scrub`). Nothing is guessed from the text's shape: a password
    that libpq would not read as one is not hidden by a pattern, it is hidden because the
    parser said it is a password.

    >>> redact("postgresql://app:s3cret@db:5432/app?sslmode=require")
    'postgresql://app:***@db:5432/app?sslmode=require'
    >>> redact("host=db password=s3cret user=app")
    'user=app password=*** host=db'
    >>> redact("login for s3cret failed")
    'login for *** failed'
    """
    from .conninfo import parse_or_none, safe_url, scrub

    if parse_or_none(text) is not None:
        return safe_url(text)
    return scrub(text)


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a ``.env`` file: ``KEY=value`` lines, optional ``export``, quotes and comments."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return values
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", path=path,
                          hint="fix or remove the .env file") from None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ConfigError("expected KEY=value", path=path, line=lineno,
                              hint="quote values with spaces; comment lines start with #")
        values[key] = _unquote_env_value(value.strip())
    return values


def _unquote_env_value(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    # An unquoted value ends at an inline comment.
    return value.split(" #", 1)[0].rstrip()


def expand_vars(value: str, env: Mapping[str, str]) -> str:
    """Expand ``${VAR}`` and ``${VAR:-default}``; an unset variable expands to ``""``."""
    return _VAR.sub(lambda m: env.get(m["name"]) or (m["default"] or ""), value)


@dataclass(frozen=True)
class ResolvedUrl:
    """A database URL and where it came from (for messages; the URL itself is never printed)."""

    url: str = field(repr=False)
    source: str

    def __post_init__(self) -> None:
        # Learn the URL's secrets now, so that any later text quoting them is scrubbed.
        from .conninfo import remember

        remember(self.url)

    def __repr__(self) -> str:
        return f"ResolvedUrl(url={self.safe!r}, source={self.source!r})"

    def check(self) -> None:
        """Raise `ConfigError` (naming the source, not the URL) if libpq cannot parse it."""
        from .conninfo import parse

        parse(self.url, source=self.source)

    @property
    def safe(self) -> str:
        """The URL with its secrets replaced by ``***`` (never the text of an unparsable one)."""
        from .conninfo import safe_url

        return safe_url(self.url, source=self.source)


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know about the project it runs in."""

    root: Path
    migrations_dir: Path
    queries_dir: Path
    sqlx_dir: Path
    generated_dir: Path
    generated_package: str
    database_type: str = "postgresql"
    # Kept out of repr(): the URL and the environment may hold passwords.
    config_url: str | None = field(default=None, repr=False)
    auto_migrate: bool = False
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    # Query/migration files may be symlinks to files outside the project (repo/links.py).
    allow_outside_links: bool = False
    # [paths] extensions / extensions_module; None: `extensions.py` beside the generated package.
    extensions: Path | None = None
    extensions_module: str | None = None
    # [types]: Rust type names used in SQLx column overrides -> Python types (codegen/rusttypes).
    types: Mapping[str, str] = field(default_factory=dict)
    # [json]: "table.column" or "repo/method.name" -> "module:Model" (typed JSON, codegen/plan).
    json: Mapping[str, str] = field(default_factory=dict)
    # Production keys (issue #15): see repo/pgbouncer.py and README "Production".
    pgbouncer: str = "auto"
    direct_url: str | None = field(default=None, repr=False)
    replica_urls: tuple[str, ...] = field(default=(), repr=False)
    # [codegen] rows: what a generated row model is, one of `ROW_TYPES` (codegen/render_models).
    rows: str = "pydantic"

    @property
    def extensions_file(self) -> Path:
        """The hand-written extensions module (``[paths] extensions``)."""
        if self.extensions is not None:
            return self.extensions
        return self.generated_dir.parent / "extensions.py"

    @property
    def extensions_import(self) -> str:
        """The absolute import name of `extensions_file` (``[paths] extensions_module``).

        Generated code imports it absolutely, so it works wherever the package lives.
        """
        return self.extensions_module or module_name(self.extensions_file, self.root)

    def with_paths(
        self,
        *,
        migrations: str | Path | None = None,
        queries: str | Path | None = None,
        sqlx_dir: str | Path | None = None,
        generated: str | Path | None = None,
    ) -> Settings:
        """A copy with the given directories (relative to the current directory) replaced."""
        return replace(
            self,
            migrations_dir=Path(migrations) if migrations else self.migrations_dir,
            queries_dir=Path(queries) if queries else self.queries_dir,
            sqlx_dir=Path(sqlx_dir) if sqlx_dir else self.sqlx_dir,
            generated_dir=Path(generated) if generated else self.generated_dir,
            generated_package=module_name(Path(generated), self.root) if generated
            else self.generated_package,
        )

    def resolve_url(self, cli_url: str | None = None, *,
                    direct: bool = False) -> ResolvedUrl | None:
        """The database URL by the documented precedence, or None when nothing is configured.

        ``direct`` (migrate, prepare): a configured direct URL (``DIRECT_DATABASE_URL``, else
        ``[repository] direct_url``) comes right after ``--database-url``, as Prisma's
        ``directUrl``: the application's URL may go through a transaction-pooling PgBouncer.
        """
        if cli_url:
            return ResolvedUrl(cli_url, "--database-url")
        if direct and self.direct_url:
            return ResolvedUrl(self.direct_url, "direct URL")
        if self.env.get(URL_ENV):
            return ResolvedUrl(self.env[URL_ENV], URL_ENV)
        if self.config_url:
            return ResolvedUrl(self.config_url, f"{CONFIG_FILE} [repository] database_url")
        return None

    def require_url(self, cli_url: str | None = None, *, direct: bool = False) -> ResolvedUrl:
        """Like `resolve_url`, but a missing URL is an error that says how to set one."""
        resolved = self.resolve_url(cli_url, direct=direct)
        if resolved is None:
            raise ConfigError(
                "no database URL configured",
                hint="pass --database-url, set DATABASE_URL (environment or .env), set "
                "[repository] database_url in config.toml, or start the development server "
                "with `python -m repo db start` and use `$(python -m repo db url)`",
            )
        return resolved

    @property
    def offline(self) -> bool:
        """True when SQLX_OFFLINE is truthy (``true`` in any case, or ``1``), as in SQLx."""
        value = self.env.get(OFFLINE_ENV, "")
        return value.lower() == "true" or value == "1"


def module_name(path: Path, root: Path) -> str:
    """The import name of a module or package at ``path`` when ``root`` is on ``sys.path``.

    >>> module_name(Path("blog/db"), Path("/src")), module_name(Path("/src/ext.py"), Path("/src"))
    ('blog.db', 'ext')
    """
    if path.is_absolute():
        path = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
    return ".".join(path.with_suffix("").parts if path.suffix == ".py" else path.parts)


def load_settings(root: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read ``config.toml`` and ``.env`` in ``root`` (default: the current directory).

    Process environment variables win over ``.env`` values, as with SQLx and dotenv.
    """
    root = Path.cwd() if root is None else root
    merged = {**read_env_file(root / ENV_FILE), **(os.environ if env is None else env)}
    doc = _read_config(root / CONFIG_FILE)
    repository = _table(doc, "repository", root)
    paths = _table(doc, "paths", root)
    url = merged.get(URL_OVERRIDE_ENV) or expand_vars(str(repository.get("database_url", "")),
                                                       merged)
    # The default is a top-level package, importable from the project root as `db`.
    generated = Path(str(paths.get("generated", DEFAULT_GENERATED)))
    database_type = str(repository.get("database_type", "postgresql"))
    if database_type.lower() not in ("postgresql", "postgres"):
        raise ConfigError(f"database_type {database_type!r} is not supported",
                          path=root / CONFIG_FILE,
                          hint='this tool targets PostgreSQL: set database_type = "postgresql"')
    migrations_dir, queries_dir = _paths(paths, root)
    return Settings(
        root=root,
        migrations_dir=migrations_dir,
        queries_dir=queries_dir,
        sqlx_dir=Path(str(paths.get("sqlx", ".sqlx"))),
        generated_dir=generated,
        generated_package=str(paths.get("generated_package", module_name(generated, root))),
        database_type=database_type,
        config_url=url or None,
        auto_migrate=bool(repository.get("auto_migrate", False)),
        env=merged,
        allow_outside_links=bool(paths.get("allow_outside_links", False))
        or merged.get("REPO_ALLOW_OUTSIDE_LINKS", "").strip().lower() in ("1", "true", "yes"),
        extensions=Path(str(paths["extensions"])) if "extensions" in paths else None,
        extensions_module=str(paths["extensions_module"]) if "extensions_module" in paths
        else None,
        types=_types(_table(doc, "types", root), root),
        json=_json_types(_table(doc, "json", root), root),
        pgbouncer=parse_mode(repository.get("pgbouncer", "auto"), str(root / CONFIG_FILE)),
        direct_url=merged.get(DIRECT_URL_ENV)
        or expand_vars(str(repository.get("direct_url", "")), merged) or None,
        replica_urls=_replicas(repository.get("replica_urls", []), merged, root),
        rows=_rows(_codegen(doc, root).get("rows", "pydantic"), root),
    )


def _paths(paths: Mapping[str, object], root: Path) -> tuple[Path, Path]:
    """``[paths] migrations`` and ``queries``; an unset one is a sqlc project's ``schema`` /
    ``queries`` from its sqlc.yaml or sqlc.json (repo/sqlc_config.py, read once), else the
    default folder."""
    sqlc = None
    if "migrations" not in paths or "queries" not in paths:
        found = sqlc_config.find(root)
        sqlc = sqlc_config.read(found) if found is not None else None

    def pick(key: str, from_sqlc: Path | None) -> Path:
        if key in paths:
            return Path(str(paths[key]))
        return from_sqlc if from_sqlc is not None else Path(key)

    return (pick("migrations", sqlc.schema if sqlc else None),
            pick("queries", sqlc.queries if sqlc else None))


_PY_TYPE = re.compile(r"[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?")


def _types(table: Mapping[str, object], root: Path) -> dict[str, str]:
    for key, value in table.items():
        if not isinstance(value, str) or not _PY_TYPE.fullmatch(value):
            raise ConfigError(
                f"[types] {key!r} must name a Python type, not {value!r}",
                path=root / CONFIG_FILE, hint='write e.g. UserId = "int" or '
                '"Vec<HeaderPairRecord>" = "myapp.types:HeaderPairs" (module:Name)')
    return {key: str(value) for key, value in table.items()}


_JSON_KEY = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*|/[A-Za-z_]\w*\.[A-Za-z_]\w*)")
_IMPORTABLE = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


def _json_types(table: Mapping[str, object], root: Path) -> dict[str, str]:
    for key, value in table.items():
        if not _JSON_KEY.fullmatch(key) or not isinstance(value, str) or \
                not _IMPORTABLE.fullmatch(value):
            raise ConfigError(
                f"[json] {key!r} = {value!r}: expected \"table.column\" or "
                "\"folder/method.name\" = \"module:Model\"", path=root / CONFIG_FILE,
                hint='write e.g. "sessions.data" = "myapp.models:SessionData"')
    return {key: str(value) for key, value in table.items()}


def _replicas(value: object, env: Mapping[str, str], root: Path) -> tuple[str, ...]:
    """``[repository] replica_urls``: a list of URLs (``${VAR}`` expanded; empty ones dropped)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError("[repository] replica_urls must be a list of database URLs",
                          path=root / CONFIG_FILE,
                          hint='write it as replica_urls = ["postgresql://...", "${REPLICA_URL}"]')
    return tuple(url for url in (expand_vars(v, env) for v in value) if url)


# [codegen] rows: "pydantic" (frozen pydantic models, the default) or "tuple" (typing.NamedTuple
# subclasses: built at tuple speed, no pydantic API on the rows).
ROW_TYPES = ("pydantic", "tuple")


def _codegen(doc: Mapping[str, object], root: Path) -> Mapping[str, object]:
    table = _table(doc, "codegen", root)
    # A misspelt key would silently leave the default in place.
    for key in table:
        if key != "rows":
            raise ConfigError(f"[codegen] {key!r} is not a setting", path=root / CONFIG_FILE,
                              line=_key_line(root / CONFIG_FILE, "codegen", key),
                              hint='[codegen] has one key: rows = "pydantic" or "tuple"')
    return table


def _rows(value: object, root: Path) -> str:
    if value not in ROW_TYPES:
        raise ConfigError(f"[codegen] rows = {value!r} is not one of "
                          f"{', '.join(map(repr, ROW_TYPES))}", path=root / CONFIG_FILE,
                          line=_key_line(root / CONFIG_FILE, "codegen", "rows"),
                          hint='write rows = "pydantic" (the default: pydantic models) or '
                          'rows = "tuple" (NamedTuple rows for hot paths), then run '
                          '`python -m repo generate`')
    return str(value)


def _key_line(path: Path, table: str, key: str) -> int | None:
    """The line of ``key`` in ``[table]`` (tomllib gives values, not positions)."""
    current = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        header = re.fullmatch(r"\s*\[\s*([\w.-]+)\s*\]\s*(#.*)?", line)
        if header:
            current = header.group(1)
        elif current == table and re.match(rf"\s*{key}\s*=", line):
            return number
    return None


def _read_config(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        # TOMLDecodeError has no lineno before Python 3.14; its message ends "(at line N, ...)".
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise ConfigError(f"invalid TOML: {exc}", path=path, line=line,
                          hint="fix the syntax; see config.toml in the project template") from None


def _table(doc: Mapping[str, object], name: str, root: Path) -> Mapping[str, object]:
    value = doc.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table", path=root / CONFIG_FILE,
                          hint=f"write it as a [{name}] section")
    return value
