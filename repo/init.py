"""``python -m repo init [DIR]``: start a project that `prepare` accepts right away.

It writes ``config.toml`` (every key, each documented), a first migration, an example query
folder and a ``.gitignore`` entry for the development server's data. Files that already exist
are kept as they are, so it can also be run in a project that has migrations (say, from
SQLx); only an existing ``config.toml`` is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import CONFIG_FILE, DEFAULT_GENERATED
from .errors import ConfigError
from .migrate.add import next_version
from .server.dev import DATA_DIR

CONFIG_TEMPLATE = f'''\
# Configuration of `python -m repo` (distribution sqlfile-repo). Every key is
# optional: the values below are the defaults. Paths are relative to this file's folder,
# which is where you run the commands.

[repository]
# The only supported database.
database_type = "postgresql"

# The application's database. ${{VAR}} and ${{VAR:-default}} are expanded from the environment;
# APP_REPOSITORY__DATABASE_URL replaces this key, and DATABASE_URL (environment, else .env)
# wins over both. Unset, `prepare` and the pytest plugin start a throwaway embedded PostgreSQL,
# and `migrate` uses the development server (`python -m repo db start`).
# database_url = "${{DATABASE_URL}}"

# Apply pending migrations when the application opens its Database (handy in development;
# set it to false in production and run `python -m repo migrate run` at deploy time).
auto_migrate = false

# How the application's pools connect: "auto" (detect a transaction-pooling PgBouncer and
# then turn server-side prepared statements off), false (direct), true (PgBouncer in
# transaction mode), "prepared" (PgBouncer >= 1.21 with max_prepared_statements > 0).
pgbouncer = "auto"

# The server's own address for `migrate`, `prepare` and auto_migrate when database_url goes
# through a pooler (they need a session of their own); DIRECT_DATABASE_URL overrides it.
# direct_url = "${{DIRECT_DATABASE_URL}}"

# Read replicas: queries proven read-only (plain SELECT, no locks, no side effects) go to one
# of them; writes and transactions to database_url. A replica that is down falls back.
# replica_urls = ["${{REPLICA_URL}}"]

[paths]
# SQLx-style migrations: <version>_<description>.sql, or .up.sql + .down.sql pairs.
migrations = "migrations"
# One query per file: queries/<repository>/<method>.sql (folder `notes` -> NoteRepo).
queries = "queries"
# The metadata `prepare` writes (SQLx's query-<hash>.json files); commit it.
sqlx = ".sqlx"
# The generated package (models, repositories, Database); commit it, never edit it.
generated = "{DEFAULT_GENERATED}"
# Its import name; by default the path with dots (`blog/db` -> `blog.db`), which needs
# this folder on sys.path (it is when you run from here).
# generated_package = "{DEFAULT_GENERATED}"
# Hand-written methods for generated repositories: a class `NoteRepoExtension` in this module
# becomes the base class of the generated `NoteRepo` (and `AsyncNoteRepoExtension` of
# `AsyncNoteRepo`). Default: extensions.py beside the generated package. It is parsed, not
# imported, when code is generated; the generated code imports it absolutely.
# extensions = "extensions.py"
# Its import name; by default the path with dots, without .py.
# extensions_module = "extensions"
# Query and migration files that are symlinks to outside this folder are refused unless
# this is true (or REPO_ALLOW_OUTSIDE_LINKS=1).
allow_outside_links = false

[types]
# Rust type names used in SQLx column overrides (`AS "id: UserId"`) -> Python types: a SQLx
# type name, a built-in annotation (int, str, uuid.UUID, ...) or "module:Name" (called on
# each value read). Only needed for projects coming from SQLx.
# UserId = "int"

[json]
# Typed JSON: a json/jsonb column ("table.column": wherever it is read or written) or one
# query's column or parameter ("folder/method.name") holds this pydantic model, validated
# when read and serialised when written. Undeclared JSON is JsonValue.
# "notes.meta" = "myapp.models:NoteMeta"

[codegen]
# What a generated row is: "pydantic" (frozen pydantic models: model_dump, JSON, FastAPI) or
# "tuple" (typing.NamedTuple: same fields, about 0.1 µs a row to build instead of 0.4,
# `_asdict()` instead of model_dump). Run `python -m repo generate` after changing it.
rows = "pydantic"

[lint]
# `python -m repo lint` (and `verify`) check only migrations with a version greater than this
# one, e.g. the last one already deployed (0: none is deployed yet). Unset, `lint` checks
# every migration and `verify` shows lint errors as warnings only. To accept one finding,
# write `-- lint: allow L003 <reason>` on the line before the statement.
since = 0
'''

MIGRATION_UP = """\
-- The first migration: edit it, or add more with `python -m repo migrate add DESCRIPTION`.
CREATE TABLE notes (
    id bigserial PRIMARY KEY,
    title text NOT NULL,
    body text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
"""

MIGRATION_DOWN = "DROP TABLE notes;\n"

QUERIES = {
    "get.sql": "-- Find a note by its id.\n-- :optional\nSELECT * FROM notes WHERE id = :id\n",
    "create.sql": "-- Create a note and return it.\n-- :one\n"
                  "INSERT INTO notes (title, body) VALUES (:title, :body) RETURNING *\n",
    "list_recent.sql": "-- The newest notes first.\n-- :many\n"
                       "SELECT id, title, created_at FROM notes\n"
                       "ORDER BY created_at DESC, id DESC LIMIT :limit\n",
}

NEXT_STEPS = (
    ("python -m repo prepare", "migrate a throwaway PostgreSQL, describe queries/, write "
     f".sqlx/ and {DEFAULT_GENERATED}/"),
    ("python -m repo verify", "the offline check for CI: no database needed"),
    ("python -m repo db start", "a development server for your application "
     "(its URL: python -m repo db url)"),
)


@dataclass
class InitResult:
    """What `init` wrote and what it found already there (paths relative to the project)."""

    root: Path
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def init_project(root: Path) -> InitResult:
    """Create the project files in ``root`` (created if missing); never overwrite a file.

    Raises:
        ConfigError: ``root`` already has a ``config.toml``, or cannot be written.
    """
    config = root / CONFIG_FILE
    if config.exists():
        raise ConfigError(f"{config} already exists: this folder is already set up",
                          path=config, hint="edit it, or run `init` in another folder")
    result = InitResult(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        _write(result, Path(CONFIG_FILE), CONFIG_TEMPLATE)
        _migration(result)
        _queries(result)
        _gitignore(result)
    except OSError as exc:
        raise ConfigError(f"cannot write the project files: {exc.strerror or exc}",
                          path=exc.filename or root,
                          hint="check the folder's permissions and free space") from None
    return result


def _write(result: InitResult, rel: Path, text: str) -> None:
    path = result.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    result.written.append(rel)


def _migration(result: InitResult) -> None:
    folder = result.root / "migrations"
    if folder.is_dir() and any(folder.iterdir()):
        result.kept.append(Path("migrations"))
        return
    stem = f"{next_version([], timestamp=True, sequential=False)}_create_notes"
    _write(result, Path("migrations", f"{stem}.up.sql"), MIGRATION_UP)
    _write(result, Path("migrations", f"{stem}.down.sql"), MIGRATION_DOWN)


def _queries(result: InitResult) -> None:
    folder = result.root / "queries"
    if folder.is_dir() and any(folder.iterdir()):
        result.kept.append(Path("queries"))
        return
    for name, text in QUERIES.items():
        _write(result, Path("queries", "notes", name), text)


def _gitignore(result: InitResult) -> None:
    path = result.root / ".gitignore"
    entry = f"{DATA_DIR}/"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    lines = text.splitlines()
    if entry in lines or DATA_DIR in lines or f"/{entry}" in lines:
        result.kept.append(Path(".gitignore"))
        return
    with path.open("a", encoding="utf-8", newline="\n") as fh:
        if text and not text.endswith("\n"):
            fh.write("\n")
        fh.write(f"# the development PostgreSQL of `python -m repo db start`\n{entry}\n")
    result.written.append(Path(".gitignore"))
