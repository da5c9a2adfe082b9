"""Parsing PostgreSQL text with sqlglot, quietly (no log line per opaque statement)."""

from __future__ import annotations

import logging
import threading
import warnings

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError
from sqlglot.parser import Parser
from sqlglot.tokens import Tokenizer

# One dialect instance: sqlglot.parse_one(read="postgres") builds a new one per call.
_POSTGRES = Dialect.get_or_raise("postgres")


class _Quiet(logging.Filter):
    """Drops sqlglot's warnings while we parse (setting the logger's level per statement
    clears the logging module's caches every time)."""

    active = False

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.active or record.levelno >= logging.ERROR


# One tokenizer and one parser per thread, reused: both reset their state at the start of
# every call, and building them per statement (as `Dialect.parse` does) was ~4 % of a
# `verify` run on 1,000 queries. Per thread because that state lives on the instances.
_LOCAL = threading.local()


def _tools() -> tuple[Tokenizer, Parser]:
    tools: tuple[Tokenizer, Parser] | None = getattr(_LOCAL, "tools", None)
    if tools is None:
        tools = _LOCAL.tools = (_POSTGRES.tokenizer(), _POSTGRES.parser())
    return tools


_QUIET = _Quiet()
logging.getLogger("sqlglot").addFilter(_QUIET)


_PARSED: dict[str, exp.Expr] = {}


def quiet_parse(sql: str) -> exp.Expr:
    """``sqlglot.parse_one`` without its log line for statements it keeps as Command.

    Memoised by text: one verify run parses each query for the analysis and again for the
    migration lint. The tree is shared, so callers read it and never modify it.
    """
    tree = _PARSED.get(sql)
    if tree is None:
        if len(_PARSED) > 8192:
            _PARSED.clear()
        tree = _PARSED[sql] = _parse(sql)
    return tree


def _parse(sql: str) -> exp.Expr:
    _QUIET.active = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tokenizer, parser = _tools()
            trees = parser.parse(tokenizer.tokenize(sql), sql)
    finally:
        _QUIET.active = False
    if not trees or trees[0] is None:  # the same rules as sqlglot.parse_one
        raise ParseError(f"No expression was parsed from '{sql}'")
    return exp.Block(expressions=trees) if len(trees) > 1 else trees[0]
