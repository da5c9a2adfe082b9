"""Hand-written methods of generated repositories (``python -m repo generate`` wires them in).

A class named ``<Repo>Extension`` here becomes the base class of the generated ``<Repo>``
(and ``Async<Repo>Extension`` of ``Async<Repo>``). Keep such methods thin: put the work in
`repo.runtime` so sync and async share it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from .runtime import AsyncRepo, CopyIn, Param, Repo


class SessionData(BaseModel):
    """The application's view of ``sessions.data``: typed JSON (config.toml ``[json]`` maps
    ``sessions/get_data.data`` and ``sessions/set_data.data`` to it), validated when read and
    serialised when written. Keys it does not declare are kept (``extra="allow"``)."""

    model_config = ConfigDict(extra="allow")

    theme: str = "light"
    cart: list[int] = []
    csrf_token: str | None = None


class LogLine(Protocol):
    """Anything with a ``script_uri`` and a ``message`` (the generated ``Log`` qualifies)."""

    @property
    def script_uri(self) -> str: ...

    @property
    def message(self) -> str: ...


LogRow = tuple[str, str] | LogLine
"""One log line for `append_many`: ``(script_uri, message)`` or an object with both."""

_LOGS_COPY = CopyIn("logs", (Param("script_uri", "text"), Param("message", "text")))


def _log_values(rows: Iterable[LogRow]) -> Iterable[Sequence[object]]:
    for row in rows:
        yield row if isinstance(row, tuple) else (row.script_uri, row.message)


class LogRepoExtension(Repo):
    """Bulk writes for ``LogRepo``."""

    __slots__ = ()

    def append_many(self, rows: Iterable[LogRow]) -> int:
        """Append many log lines with one ``COPY logs (script_uri, message) FROM STDIN``.

        Rows are checked like parameters (a NUL character is an `InvalidArgument` naming
        the row). The caller's transaction, if any, holds the whole load.

        Returns:
            The number of rows written.
        """
        return self._copy_in(_LOGS_COPY, _log_values(rows))


class AsyncLogRepoExtension(AsyncRepo):
    """Bulk writes for ``AsyncLogRepo``."""

    __slots__ = ()

    async def append_many(self, rows: Iterable[LogRow]) -> int:
        """Async `LogRepoExtension.append_many`."""
        return await self._copy_in(_LOGS_COPY, _log_values(rows))
