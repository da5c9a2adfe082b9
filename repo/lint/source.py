"""A migration file as PostgreSQL's own parser (pglast) sees it: statements with positions,
and the ``-- lint: allow Lxxx <reason>`` comments that acknowledge findings.

pglast reports character offsets into the text it was given, so ``file:line:col`` is exact
(multi-byte characters included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..migrate.source import Migration
from ..sqltext import LexError, tokens

# `-- lint: allow L003 reason` (the reason is everything after the code).
_ALLOW = re.compile(r"--\s*lint:\s*allow\s+(?P<code>\S+)[ \t]*(?P<reason>[^\n]*)", re.I)


@dataclass(frozen=True)
class Allow:
    """One acknowledgement comment at ``offset``; it covers the statement that follows it."""

    code: str
    reason: str
    offset: int


@dataclass
class Statement:
    """One top-level statement: its pglast node, span and the acknowledgements before it."""

    node: Any
    start: int
    end: int
    text: str
    allows: list[Allow] = field(default_factory=list)
    offsets: list[int] | None = None  # `action_offsets`, computed once (every rule asks)


@dataclass
class ParsedMigration:
    """A migration's statements, or the offset and message of its syntax error."""

    migration: Migration
    text: str
    statements: list[Statement] = field(default_factory=list)
    error: tuple[int, str] | None = None


def parse_migration(m: Migration) -> ParsedMigration:
    """Parse one migration with pglast (imported here: only lint needs PostgreSQL's grammar)."""
    from pglast.parser import ParseError, parse_sql

    text = m.executable_sql
    parsed = ParsedMigration(m, text)
    try:
        raws = parse_sql(text)
    except ParseError as exc:
        offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        parsed.error = (offset, str(exc.args[0]))
        return parsed
    spans: list[tuple[int, int]] = []
    for r in raws:
        start = max(r.stmt_location or 0, 0)
        spans.append((start, start + r.stmt_len if r.stmt_len else len(text)))
    low = 0
    for i, (raw, (start, end)) in enumerate(zip(raws, spans, strict=True)):
        # A statement's acknowledgements: the comments since the previous statement's line,
        # plus one trailing on its own last line (`...; -- lint: allow L003 reason`).
        line_end = text.find("\n", end)
        high = len(text) if line_end < 0 else line_end
        if i + 1 < len(spans):
            high = min(high, spans[i + 1][0])
        stmt = Statement(raw.stmt, start, end, text[start:end], _allows(text, low, high))
        parsed.statements.append(stmt)
        low = high
    return parsed


def _allows(text: str, start: int, end: int) -> list[Allow]:
    """The acknowledgement comments between the previous statement's end and this one's."""
    out: list[Allow] = []
    if "lint" not in text[start:end].lower():
        return out
    try:
        for tok in tokens(text[start:end]):
            if tok.kind == "comment" and (m := _ALLOW.match(text, start + tok.start,
                                                            start + tok.end)):
                out.append(Allow(m["code"].upper(), m["reason"].strip(), start + tok.start))
    except LexError:  # pglast accepted the text; a disagreement here only loses comments
        return out
    return out


def location(node: Any) -> int | None:
    """A node's character offset, when the parser recorded one."""
    loc = getattr(node, "location", None)
    return loc if isinstance(loc, int) and loc >= 0 else None


def action_offsets(stmt: Statement, count: int) -> list[int]:
    """Start offsets of the ``count`` comma-separated actions of an ``ALTER TABLE``.

    pglast records no position for an ``AlterTableCmd``; the actions are the depth-0
    comma-separated parts after the table name, so each is found in the statement's tokens.
    Falls back to the statement start when the count does not match.
    """
    if stmt.offsets is None or len(stmt.offsets) != count:
        stmt.offsets = _action_offsets(stmt, count)
    return stmt.offsets


def _action_offsets(stmt: Statement, count: int) -> list[int]:
    starts: list[int] = []
    depth = 0
    expect = False
    try:
        toks = list(tokens(stmt.text))
    except LexError:
        return [stmt.start] * count
    for tok in toks:
        if tok.kind in ("space", "comment"):
            continue
        value = stmt.text[tok.start:tok.end]
        if expect:
            starts.append(stmt.start + tok.start)
            expect = False
        if value == "(":
            depth += 1
        elif value == ")":
            depth -= 1
        elif value == "," and depth == 0:
            expect = True
    first = _first_action(stmt.text, toks)
    if first is None or len(starts) + 1 != count:
        return [stmt.start] * count
    return [stmt.start + first, *starts]


_PREFIX = {"alter", "table", "if", "exists", "only"}


def _first_action(text: str, toks: list[Any]) -> int | None:
    """Offset of the first action: after ``ALTER TABLE [IF EXISTS] [ONLY] name [*]``."""
    seen_name = False
    dotted = False
    for tok in toks:
        if tok.kind in ("space", "comment"):
            continue
        value = text[tok.start:tok.end]
        if not seen_name:
            if tok.kind == "other" and value.lower() in _PREFIX:
                continue
            seen_name = True
            continue
        if value == "." or dotted:
            dotted = value == "."
            continue
        if value == "*":
            continue
        return int(tok.start)
    return None
