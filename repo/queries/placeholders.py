"""Compile a query file's ``:name`` placeholders to PostgreSQL's ``$1..$n``.

Used by the loader for every file and by `repo.queries.variants` for each optional-filter
variant's text; the placeholders are the lexer's ``named`` / ``positional`` tokens
(`repo.sqltext`), so none is found inside literals, comments, dollar bodies or ``::`` casts.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import QueryFileError
from ..sqltext import Token, line_col


def compile_placeholders(
    text: str, toks: list[Token], path: Path
) -> tuple[str, tuple[str, ...], bool, tuple[tuple[int, int], ...]]:
    """Return (sql, params, positional, offsets) for the file text.

    >>> from repo.sqltext import tokens
    >>> sql, params, pos, _ = compile_placeholders("SELECT :a, ':b', :a::int, $$:c$$",
    ...     list(tokens("SELECT :a, ':b', :a::int, $$:c$$")), Path("x.sql"))
    >>> sql, params, pos
    ("SELECT $1, ':b', $1::int, $$:c$$", ('a',), False)
    """
    named = [t for t in toks if t.kind == "named"]
    positional = [t for t in toks if t.kind == "positional"]
    if named and positional:
        later = max(named[0], positional[0], key=lambda t: t.start)
        line, col = line_col(text, later.start)
        raise QueryFileError("query mixes :name and $n placeholders", path=path, line=line,
                             col=col, hint="use :name placeholders throughout (or $n throughout)")
    if not named:
        count = max((int(t.value) for t in positional), default=0)
        return text, tuple(f"p{i}" for i in range(1, count + 1)), bool(positional), ()
    return _compile_named(text, named)


def _compile_named(
    text: str, named: list[Token]
) -> tuple[str, tuple[str, ...], bool, tuple[tuple[int, int], ...]]:
    order: dict[str, int] = {}
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    pos = 0
    out_len = 0
    for tok in named:
        number = order.setdefault(tok.value, len(order) + 1)
        parts.append(text[pos:tok.start])
        out_len += tok.start - pos
        offsets.append((out_len, tok.start))
        placeholder = f"${number}"
        parts.append(placeholder)
        out_len += len(placeholder)
        offsets.append((out_len, tok.end))
        pos = tok.end
    parts.append(text[pos:])
    return "".join(parts), tuple(order), False, tuple(offsets)
