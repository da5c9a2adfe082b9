"""Optional filters: ``-- @optional name`` drops the predicates of ``:name`` when it is None.

A query file names its optional parameters in a directive::

    -- @optional script_uri, since
    SELECT * FROM logs
    WHERE script_uri = :script_uri
      AND created_at >= :since
    ORDER BY created_at DESC

Each placeholder of an optional parameter must sit in a *top-level conjunct* of a ``WHERE``
(or ``HAVING``) clause: the text from the ``WHERE``/``AND`` before it to the next ``AND``,
clause keyword or closing parenthesis at the same depth. That conjunct is the predicate
dropped from the text when the argument is None: an ``AND`` term is cut with its ``AND``; the
first term after ``WHERE`` is replaced by ``TRUE`` (which PostgreSQL's planner folds away, so
the remaining predicates still choose the index).

Every combination is a *variant*, a distinct SQL text: PostgreSQL describes each one during
``prepare`` and each has its own ``.sqlx`` file, so a dropped filter never hides in a generic
plan (``$1 IS NULL OR ...``), and every text that can run was proven. With N optional
parameters there are 2**N variants; N is at most `MAX_OPTIONAL` (64 variants), beyond which
loading the file fails naming the directive (split the query, or use ``:x IS NULL OR ...``).
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import QueryFileError
from ..sqltext import Token, line_col, tokens
from .model import QueryDef
from .placeholders import compile_placeholders

MAX_OPTIONAL = 6
_OPENERS = {"where", "having"}
# Keywords that end a conjunct at its own depth (besides AND and a closing parenthesis).
_ENDERS = {"order", "group", "limit", "offset", "fetch", "window", "union", "except",
           "intersect", "returning", "for", "having", "on", "join", "left", "right", "full",
           "inner", "cross", "lateral", "where"}


@dataclass(frozen=True)
class Predicate:
    """One droppable conjunct: ``[start, end)`` in the file text, and how to drop it."""

    name: str
    start: int  # the AND (or, after WHERE, the first character of the term)
    end: int
    after_where: bool  # first term of its clause: replaced by TRUE instead of cut


def _words(text: str, toks: Sequence[Token]) -> list[tuple[Token, str, int]]:
    """The code tokens (no space, no comment) with their lowercased text and paren depth."""
    out: list[tuple[Token, str, int]] = []
    depth = 0
    for tok in toks:
        if tok.kind in ("space", "comment"):
            continue
        word = text[tok.start:tok.end].lower() if tok.kind == "other" else ""
        if word == ")":
            depth -= 1
        out.append((tok, word, depth))
        if word == "(":
            depth += 1
    return out


def predicates(text: str, toks: Sequence[Token], optional: Sequence[str],
               path: Path) -> list[Predicate]:
    """The droppable conjunct of every placeholder of an ``optional`` parameter.

    Raises:
        QueryFileError: a placeholder outside a WHERE/HAVING conjunct, in an OR, in a
            BETWEEN, or an optional parameter the query never uses.
    """
    words = _words(text, toks)
    found: dict[tuple[int, int], Predicate] = {}
    for i, (tok, _, _) in enumerate(words):
        if tok.kind == "named" and tok.value in optional:
            pred = _conjunct(text, words, i, path)
            other = found.setdefault((pred.start, pred.end), pred)
            if other.name != pred.name:
                _fail(text, path, tok.start, f"one predicate holds two optional parameters "
                      f"(`{other.name}` and `{pred.name}`)",
                      "give each optional parameter a predicate of its own (AND ...)")
    used = {p.name for p in found.values()}
    for name in optional:
        if name not in used:
            raise QueryFileError(f"@optional names {name!r}, which the query never uses",
                                 path=path, hint="remove it from the directive")
    return sorted(found.values(), key=lambda p: p.start)


def _conjunct(text: str, words: list[tuple[Token, str, int]], i: int,
              path: Path) -> Predicate:
    tok, _, depth = words[i]
    start = i
    level = depth
    while start > 0:  # back to the AND/WHERE that opens the conjunct
        _, word, d = words[start - 1]
        if d < level and word == "(":
            level = d  # left a parenthesised group (a call, a subquery)
        if d == level and word in ({"and"} | _OPENERS):
            break
        if d == level and word in ("or", "between"):
            _fail(text, path, tok.start, f"optional parameter `{tok.value}` is in a "
                  f"predicate with {word.upper()}", "an optional predicate is one AND term of a "
                  "WHERE clause: write `AND col >= :x AND col < :y` instead of BETWEEN/OR")
        start -= 1
    if start == 0:
        _fail(text, path, tok.start, f"optional parameter `{tok.value}` is not in a WHERE "
              "clause", "use it in one AND term of a WHERE (or HAVING) clause")
    opener, word, d = words[start - 1]
    end = i + 1
    while end < len(words):
        _, w, dd = words[end]
        if dd < d or (dd == d and (w == "and" or w in _ENDERS or w == ";")):
            break
        if dd == d and w in ("or", "between"):
            _fail(text, path, tok.start, f"optional parameter `{tok.value}` is in a predicate "
                  f"with {w.upper()}", "wrap the OR in parentheses, or split the BETWEEN "
                  "into two AND terms")
        end += 1
    last = words[end - 1][0]
    if word == "and":
        return Predicate(tok.value, opener.start, last.end, False)
    return Predicate(tok.value, words[start][0].start, last.end, True)


def _fail(text: str, path: Path, offset: int, message: str, hint: str) -> None:
    line, col = line_col(text, offset)
    raise QueryFileError(message, path=path, line=line, col=col, hint=hint)


def variant_text(text: str, preds: Sequence[Predicate], present: frozenset[str]) -> str:
    """``text`` with the predicates of every optional parameter not in ``present`` dropped."""
    return _cut(text, preds, present)[0]


def _cut(text: str, preds: Sequence[Predicate], present: frozenset[str]
         ) -> tuple[str, list[tuple[int, int]]]:
    """The variant text, and (variant offset, file offset) at the start of each kept piece."""
    out: list[str] = []
    pieces = [(0, 0)]
    pos = length = 0
    for p in preds:
        if p.name in present:
            continue
        start, end = p.start, p.end
        if not p.after_where:
            start, end = _whole_line(text, start, end)
        kept = text[pos:start] + ("TRUE" if p.after_where else "")
        out.append(kept)
        length += len(kept)
        pieces.append((length, end))
        pos = end
    out.append(text[pos:])
    return "".join(out), pieces


def _through(pairs: Sequence[tuple[int, int]], x: int, key: int = 0) -> int:
    """Map ``x`` through piecewise slope-1 ``pairs`` (from element ``key`` to the other)."""
    i = bisect_right([p[key] for p in pairs], x) - 1
    if i < 0:
        return x
    return pairs[i][1 - key] + (x - pairs[i][key])


def _compose(offsets: Sequence[tuple[int, int]], pieces: Sequence[tuple[int, int]]
             ) -> tuple[tuple[int, int], ...]:
    """(sql offset, file offset) pairs: the placeholder map, then the cut map, so positions
    PostgreSQL reports in a variant point into the query file (`QueryDef.line_col_of`)."""
    points = {sql: _through(pieces, text) for sql, text in offsets}
    for text, file in pieces:
        points.setdefault(_through(offsets, text, key=1), file)
    return tuple(sorted(points.items()))


def _whole_line(text: str, start: int, end: int) -> tuple[int, int]:
    """An AND term alone on its line(s) is cut with its line, so no blank line is left."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if text[line_start:start].strip() or text[end:line_end].strip() or line_end == len(text):
        return start, end
    return line_start, line_end + 1


def mask_of(optional: Sequence[str], present: frozenset[str]) -> int:
    """Bit i set when ``optional[i]`` is given (not None); all bits set is the full text."""
    return sum(1 << i for i, name in enumerate(optional) if name in present)


def given(optional: Sequence[str], mask: int) -> tuple[str, ...]:
    """The optional parameters a variant's ``mask`` keeps (the inverse of `mask_of`)."""
    return tuple(name for i, name in enumerate(optional) if mask >> i & 1)


def expand(q: QueryDef) -> list[QueryDef]:
    """Every variant of ``q`` but the full text (``q`` itself), ordered by mask.

    Each is a `QueryDef` with `variant` set to its mask, its own compiled `sql` (so its own
    hash and ``.sqlx`` file) and its own `params` (a subsequence of ``q.params``).
    """
    if not q.optional:
        return []
    preds = predicates(q.text, list(tokens(q.text)), q.optional, q.path)
    out: list[QueryDef] = []
    for mask in range((1 << len(q.optional)) - 1):
        present = frozenset(given(q.optional, mask))
        text, pieces = _cut(q.text, preds, present)
        sql, params, _, offsets = compile_placeholders(text, list(tokens(text)), q.path)
        out.append(dataclasses.replace(q, sql=sql, params=params, variant=mask,
                                       offsets=_compose(offsets, pieces)))
    return out


def check_count(optional: Sequence[str], path: Path, line: int | None) -> None:
    """Refuse more than `MAX_OPTIONAL` optional parameters (2**N variants)."""
    if len(optional) > MAX_OPTIONAL:
        raise QueryFileError(
            f"{len(optional)} optional parameters make {2 ** len(optional)} variants; at most "
            f"{MAX_OPTIONAL} ({2 ** MAX_OPTIONAL} variants) are allowed", path=path, line=line,
            hint="split the query, or make some filters `:x IS NULL OR ...` predicates")
