"""Every exception the package raises, in one place.

Each error says what happened, where (file:line:col when there is a file) and what to do next,
because the CLI prints ``str(error)`` as ``error: <text>`` and nothing else.

Hierarchy::

    RepoError
    ├── UsageError              bad command-line combination (exit 2)
    ├── ConfigError             database URL, config.toml, .env
    ├── ServerError             the embedded / development PostgreSQL server
    ├── QueryFileError          a queries/<repo>/<method>.sql file is malformed
    │   └── QueryFileErrors        several malformed files in one run (``errors`` lists them)
    ├── DescribeError           PostgreSQL rejected a query during `prepare`
    │   └── DescribeErrors         several queries rejected in one run (``errors`` lists them)
    ├── MetadataError           .sqlx/ is unreadable or out of date
    │   ├── MetadataMissing
    │   └── MetadataStale
    ├── CodegenError            generated code cannot be produced
    ├── WriteError              .sqlx/ or the generated package cannot be written (disk, rights)
    ├── MigrationError          the migrator refused or failed
    │   ├── MigrationSourceError   a file name or file content is invalid
    │   ├── DirtyMigration
    │   ├── MissingMigration
    │   ├── ChecksumMismatch
    │   ├── VersionNotPresent
    │   ├── VersionTooOld
    │   ├── VersionTooNew
    │   └── MigrationExecuteError
    └── DataError               raised by generated repositories at run time
        ├── NotFound               a `:one` query returned no row
        ├── InvalidArgument        a value rejected before it reached the server
        ├── UniqueViolation        names the constraint
        ├── ForeignKeyViolation
        ├── NotNullViolation
        ├── CheckViolation
        ├── StatementTimeout
        ├── ConnectionLost         the server went away; the call may not have run
        └── PoolExhausted          no pooled connection became free in time; nothing ran

A password is never part of any message: URLs are passed through `repo.config.redact` before
they are put into text.
"""

from __future__ import annotations

from pathlib import Path


class RepoError(Exception):
    """Base class. ``str(err)`` is the complete user-facing message.

    Args:
        message: what happened.
        path: the file concerned, if any.
        line: 1-based line in ``path``.
        col: 1-based column in ``path``.
        hint: what to do next.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        col: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.col = col
        self.hint = hint
        super().__init__(self.render())

    @property
    def location(self) -> str | None:
        """``file:line:col`` (as much of it as is known), or None."""
        if self.path is None:
            return None
        loc = self.path
        if self.line is not None:
            loc += f":{self.line}"
            if self.col is not None:
                loc += f":{self.col}"
        return loc

    def render(self) -> str:
        text = self.message
        if self.location is not None:
            text = f"{self.location}: {text}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.render()


class UsageError(RepoError):
    """The command line asks for something contradictory (exit code 2)."""


class ConfigError(RepoError):
    """The configuration (URL, config.toml, .env) is missing or invalid."""


class ServerError(RepoError):
    """A PostgreSQL server could not be started, reached or stopped."""


class QueryFileError(RepoError):
    """A query file is malformed (bad marker, mixed placeholders, not UTF-8, ...)."""


class QueryFileErrors(QueryFileError):
    """Every malformed query file found in one load; ``errors`` holds one per file."""

    def __init__(self, errors: list[QueryFileError]) -> None:
        self.errors = errors
        lines = "\n".join(f"  {e.render()}".replace("\n", "\n  ") for e in errors)
        super().__init__(f"{len(errors)} query files are malformed:\n{lines}",
                         hint="fix each file listed above")


class DescribeError(RepoError):
    """PostgreSQL rejected a query while it was being described."""


class DescribeErrors(DescribeError):
    """Every query PostgreSQL rejected in one `prepare` run; ``errors`` holds one per query."""

    def __init__(self, errors: list[DescribeError]) -> None:
        self.errors = errors
        n = len(errors)
        super().__init__(
            f"{n} quer{'y' if n == 1 else 'ies'} failed to describe; .sqlx/ was not changed",
            hint="fix the queries listed above and run `python -m repo prepare` again",
        )


class MetadataError(RepoError):
    """The .sqlx/ metadata is unreadable or disagrees with the query files."""


class MetadataMissing(MetadataError):
    """A query file has no metadata."""


class MetadataStale(MetadataError):
    """Metadata exists but was made from another query text or other migrations."""


class CodegenError(RepoError):
    """Generated code cannot be produced from the query files and metadata."""


class NameClash(CodegenError):
    """Two inputs (folders, files) would generate the same Python name."""


class WriteError(RepoError):
    """A file or directory could not be written (disk full, read-only, permissions).

    Raised before anything was replaced: the previous ``.sqlx/`` and generated code are intact.
    """


class MigrationError(RepoError):
    """The migrator refused to run or a migration failed."""


class MigrationSourceError(MigrationError):
    """A migration file name or its content is invalid."""


class DirtyMigration(MigrationError):
    """A row with ``success = false`` exists in ``_sqlx_migrations``."""

    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(
            f"migration {version} is partially applied; fix and remove row from "
            "`_sqlx_migrations` table",
            hint=f"inspect the schema, then `DELETE FROM _sqlx_migrations WHERE version = "
            f"{version}` once it is consistent",
        )


class MissingMigration(MigrationError):
    """An applied version has no file in the migration source."""

    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(
            f"migration {version} was previously applied but is missing in the resolved "
            "migrations",
            hint="restore the file, or pass --ignore-missing if it was removed on purpose",
        )


class ChecksumMismatch(MigrationError):
    """An applied migration's file was edited afterwards."""

    def __init__(self, version: int, path: str | Path | None = None) -> None:
        self.version = version
        super().__init__(
            f"migration {version} was previously applied but has been modified",
            path=path,
            hint="revert the edit (`git checkout -- <file>`) and put the change in a new "
            "migration (`python -m repo migrate add <name>`)",
        )


class VersionNotPresent(MigrationError):
    """``--target-version`` names a version that has no file."""

    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(
            f"migration {version} is not present in the migration source",
            hint="pass a version listed by `python -m repo migrate info`",
        )


class VersionTooOld(MigrationError):
    """``migrate run --target-version`` is older than what is applied."""

    def __init__(self, version: int, latest: int) -> None:
        self.version = version
        self.latest = latest
        super().__init__(
            f"migration {version} is older than the latest applied migration {latest}",
            hint="use `python -m repo migrate revert --target-version` to go back",
        )


class VersionTooNew(MigrationError):
    """``migrate revert --target-version`` is newer than what is applied."""

    def __init__(self, version: int, latest: int) -> None:
        self.version = version
        self.latest = latest
        super().__init__(
            f"migration {version} is newer than the latest applied migration {latest}",
            hint="use `python -m repo migrate run --target-version` to go forward",
        )


class MigrationExecuteError(MigrationError):
    """PostgreSQL rejected the SQL of a migration."""

    def __init__(
        self,
        version: int,
        cause: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        col: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.version = version
        self.cause = cause
        super().__init__(
            f"while executing migration {version}: {cause}", path=path, line=line, col=col,
            hint=hint,
        )


class DataError(RepoError):
    """Base of the errors raised by repositories at run time."""


class NotFound(DataError):
    """A ``:one`` query returned no row."""

    def __init__(self, query: str, params: dict[str, object] | None = None) -> None:
        self.query = query
        self.params = params or {}
        names = ", ".join(sorted(self.params))
        super().__init__(
            f"{query} returned no row" + (f" for the given {names}" if names else ""),
            hint="use an `:optional` query if a missing row is expected",
        )


class TooManyRows(DataError):
    """A ``:one`` query returned more than one row (it promises exactly one)."""

    def __init__(self, query: str, count: int, params: dict[str, object] | None = None) -> None:
        self.query = query
        self.count = count
        self.params = params or {}
        names = ", ".join(sorted(self.params))
        super().__init__(
            f"{query} returned {count} rows, expected exactly one"
            + (f" for the given {names}" if names else ""),
            hint="make the query select one row (a unique key, LIMIT 1), or mark it "
            "`-- :many`; a write it made is rolled back only with its transaction",
        )


class InvalidArgument(DataError):
    """A value was rejected before it was sent to the server."""


class IntegrityError(DataError):
    """A constraint rejected the write; ``constraint`` and ``table`` name it."""

    def __init__(self, message: str, *, constraint: str | None, table: str | None,
                 detail: str | None = None) -> None:
        self.constraint = constraint
        self.table = table
        self.detail = detail
        super().__init__(message, hint=detail)


class UniqueViolation(IntegrityError):
    """A UNIQUE or PRIMARY KEY constraint rejected the write."""


class ForeignKeyViolation(IntegrityError):
    """A FOREIGN KEY constraint rejected the write."""


class NotNullViolation(IntegrityError):
    """A NOT NULL constraint rejected the write."""


class CheckViolation(IntegrityError):
    """A CHECK constraint rejected the write."""


class StatementTimeout(DataError):
    """The server cancelled the statement (statement_timeout or a cancel request)."""


class ConnectionLost(DataError):
    """The connection broke; the statement may or may not have been applied."""


class PoolExhausted(DataError):
    """No connection of the pool became free within its wait; nothing was sent.

    Attributes:
        wait: the seconds waited (the pool's ``timeout``).
        max_size: the pool's size limit.
    """

    def __init__(self, name: str, wait: float, max_size: int) -> None:
        self.wait = wait
        self.max_size = max_size
        super().__init__(
            f"{name}: no pooled connection became free within {wait:g}s (all {max_size} in "
            "use); nothing was sent",
            hint="raise max_size, shorten what holds connections (long transactions), or "
            "give the pool a longer timeout (Database(..., timeout=SECONDS))")
