"""A small lexer for PostgreSQL text: enough to split statements and find placeholders.

It knows the lexical forms that can hide a ``;`` or a ``:name``: string constants (standard,
``E''`` with backslash escapes, ``U&''``, ``B''``, ``X''``), dollar-quoted bodies, quoted
identifiers, ``--`` and nested ``/* */`` comments, ``::`` casts and ``$n`` parameters.
Everything else is passed through as ``other``. Unterminated quotes and comments are errors
with the line and column where they start.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator
from typing import NamedTuple

# Identifier characters are ASCII letters, digits, `_` (and `$` after the first) and every
# non-ASCII character. Written as the ASCII characters they exclude: the same classes as
# [A-Za-z0-9_\x80-\U0010ffff], but compiled in a fraction of a millisecond instead of ~20 ms
# at every start (re builds a bitmap over the whole range).
_START = r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f]"  # [A-Za-z_] or non-ASCII
_CONT = r"[^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"  # [A-Za-z0-9_] or non-ASCII
_DOLLAR_TAG = re.compile(rf"\$({_START}{_CONT}*)?\$")
_POSITIONAL = re.compile(r"\$[0-9]+")
_NAMED = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")
_IDENT_CHAR = re.compile(r"[^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]")  # _CONT or $
_WORD = re.compile(rf"{_CONT}+")  # an identifier's characters but `$`
_SPACE = re.compile(r"\s+")


class LexError(ValueError):
    """Unterminated quote or comment; ``offset`` is where it starts."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class Token(NamedTuple):
    """A lexical unit: ``kind`` and the half-open span ``[start, end)`` in the text (a named
    tuple: a query file makes hundreds, and tuples are built several times faster)."""

    # string | dollar | ident | comment | named | positional | cast | semi | space | other
    kind: str
    start: int
    end: int
    value: str = ""


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset.

    >>> line_col("SELECT\\n  x", 9)
    (2, 3)
    """
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def starts_line(text: str, offset: int) -> bool:
    """Whether only blanks precede ``offset`` on its line (a comment "on a line of its own").

    >>> starts_line("SELECT 1\\n  -- :one", 11), starts_line("SELECT 1 -- :one", 9)
    (True, False)
    """
    return not text[text.rfind("\n", 0, offset) + 1:offset].strip()


def _end_of_quoted(text: str, i: int, quote: str, backslash: bool) -> int:
    """Index just past the closing quote of a literal whose opening quote is at ``i``."""
    j = i + 1
    n = len(text)
    while j < n:
        c = text[j]
        if backslash and c == "\\":
            j += 2
            continue
        if c == quote:
            if j + 1 < n and text[j + 1] == quote:  # doubled quote is an escaped quote
                j += 2
                continue
            return j + 1
        j += 1
    what = "identifier" if quote == '"' else "string literal"
    raise LexError(f"unterminated quoted {what}", i)


def _end_of_block_comment(text: str, i: int) -> int:
    depth = 0
    j = i
    n = len(text)
    while j < n:
        if text.startswith("/*", j):
            depth += 1
            j += 2
        elif text.startswith("*/", j):
            depth -= 1
            j += 2
            if depth == 0:
                return j
        else:
            j += 1
    raise LexError("unterminated /* comment", i)


def _string_prefix(text: str, i: int) -> tuple[int, bool] | None:
    """If a string constant starts at ``i`` (with an optional E/U&/B/X prefix), return the
    offset of its opening quote and whether backslash escapes apply."""
    if i > 0 and _IDENT_CHAR.match(text[i - 1]):
        return None  # part of an identifier such as `name'`: not a prefix
    c = text[i]
    if c == "'":
        return i, False
    upper = c.upper()
    if upper == "E" and text[i + 1:i + 2] == "'":
        return i + 1, True
    if upper in "BX" and text[i + 1:i + 2] == "'":
        return i + 1, False
    if upper == "U" and text[i + 1:i + 3] == "&'":
        return i + 2, False
    return None


# The common tokens in one pattern, tried at each position: whitespace, words, `--` comments,
# `$n`, `::`, `;` and punctuation. A word that could be a string prefix (`E'`, `U&'`, ...) and
# the characters that open quotes, dollar bodies, block comments or `:name` are left to
# `_slow_token`, which decides them with the rules below (a word never starts after an
# identifier character, so `_slow_token` sees exactly the cases it always saw).
_FAST = re.compile(
    r"(?P<space>\s+)"
    rf"|(?P<other>(?![eEbBxX]'|[uU]&'){_CONT}+"
    r"|(?!['\"$:;/-])[\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]|-(?!-)|/(?!\*))"
    r"|(?P<comment>--[^\n]*)"
    r"|(?P<positional>\$[0-9]+)"
    r"|(?P<cast>::)"
    r"|(?P<semi>;)")


_SCAN = re.compile(_FAST.pattern + r"|(?P<slow>.)", re.S)  # `slow`: decided by _slow_token
_new_token = tuple.__new__  # skips NamedTuple's Python-level __new__: a third of the cost


def tokens(text: str) -> Iterator[Token]:
    """Yield the tokens of ``text`` in order; raises `LexError` on unterminated forms."""
    # Every query file is lexed: one scan over the common tokens, Python only for the rare
    # ones (restarting the scan where such a token ends).
    i = 0
    n = len(text)
    while i < n:
        for m in _SCAN.finditer(text, i):
            kind = m.lastgroup
            start, end = m.span()
            if kind == "slow":
                i = yield from _slow_token(text, start)
                break
            yield _new_token(Token, (kind, start, end,
                                     text[start + 1:end] if kind == "positional" else ""))
        else:
            return


def _slow_token(text: str, i: int) -> Generator[Token, None, int]:
    """The token at ``i`` (any form, the rare ones included); returns where it ends."""
    n = len(text)
    c = text[i]
    if c.isspace():
        end = _SPACE.match(text, i).end()  # type: ignore[union-attr]
        yield Token("space", i, end)
    elif c in "'eEuUbBxX" and (prefix := _string_prefix(text, i)) is not None:
        end = _end_of_quoted(text, prefix[0], "'", prefix[1])
        yield Token("string", i, end)
    elif c >= "\x80" or c.isalnum() or c == "_":
        # An identifier or keyword is one token, so the `E` of `CASE'` is not a prefix.
        end = _WORD.match(text, i).end()  # type: ignore[union-attr]
        yield Token("other", i, end)
    elif c == '"':
        end = _end_of_quoted(text, i, '"', False)
        yield Token("ident", i, end)
    elif c == "-" and text.startswith("--", i):
        end = text.find("\n", i)
        end = n if end < 0 else end
        yield Token("comment", i, end)
    elif c == "/" and text.startswith("/*", i):
        end = _end_of_block_comment(text, i)
        yield Token("comment", i, end)
    elif c == "$":
        end = yield from _dollar(text, i)
    elif c == ":" and text.startswith("::", i):
        end = i + 2
        yield Token("cast", i, end)
    elif c == ":" and (m := _NAMED.match(text, i)) and not _after_identifier(text, i):
        end = m.end()
        yield Token("named", i, end, m.group(1))
    elif c == ";":
        end = i + 1
        yield Token("semi", i, end)
    else:
        end = i + 1
        yield Token("other", i, end)
    return end


def _after_identifier(text: str, i: int) -> bool:
    """A ``:`` glued to a preceding identifier or ``]`` is an array slice, not a placeholder."""
    return i > 0 and (bool(_IDENT_CHAR.match(text[i - 1])) or text[i - 1] in "]:")


def _dollar(text: str, i: int) -> Generator[Token, None, int]:
    """Tokens for a ``$`` at ``i``: a positional parameter, a dollar-quoted body, or other."""
    if m := _POSITIONAL.match(text, i):
        yield Token("positional", i, m.end(), m.group(0)[1:])
        return m.end()
    m = _DOLLAR_TAG.match(text, i)
    if m and not (i > 0 and _IDENT_CHAR.match(text[i - 1])):
        tag = m.group(0)
        close = text.find(tag, m.end())
        if close < 0:
            raise LexError("unterminated dollar-quoted string", i)
        yield Token("dollar", i, close + len(tag))
        return close + len(tag)
    yield Token("other", i, i + 1)
    return i + 1


def split_statements(text: str) -> list[tuple[int, str]]:
    """Split a script into statements; return ``(start offset, statement text)`` pairs.

    Statements that are only whitespace and comments are dropped.

    >>> [s for _, s in split_statements("SELECT 1; SELECT ';'; -- end")]
    ['SELECT 1', " SELECT ';'"]
    """
    return split_tokens(text, tokens(text))


def split_tokens(text: str, toks: Iterable[Token]) -> list[tuple[int, str]]:
    """`split_statements` over tokens already lexed from ``text``."""
    out: list[tuple[int, str]] = []
    start = 0
    meaningful = False
    for tok in toks:
        if tok.kind == "semi":
            if meaningful:
                out.append((start, text[start:tok.start]))
            start = tok.end
            meaningful = False
        elif tok.kind not in ("space", "comment"):
            meaningful = True
    if meaningful:
        out.append((start, text[start:]))
    return out
