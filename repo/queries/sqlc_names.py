"""Names for a sqlc query's ``$n`` parameters, guessed from where they are used (as sqlc does).

sqlc names ``WHERE id = $1`` the parameter ``id`` and ``INSERT INTO t (name, bio) VALUES ($1,
$2)`` ``name`` and ``bio``. The method still takes them by position (a ``$n`` query is sent
byte for byte), so the names only make signatures readable: ``get_author(self, id: int, /)``.
A parameter with no such context keeps ``pN``; a name taken by an earlier parameter gets
``_N`` appended.
"""

from __future__ import annotations

import re

from ..sqltext import Token, tokens

_OPERATOR = set("=<>!&|@~")
_WORD_OPS = {"like", "ilike", "is", "in"}
_CLAUSES = {"limit": "limit", "offset": "offset"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Words that end an expression, never a column name.
_KEYWORDS = {"and", "or", "not", "where", "set", "select", "when", "then", "else", "on",
             "by", "values", "returning", "from", "case", "end", "null", "true", "false",
             "any", "all", "some", "having", "as", "distinct"}


def positional_names(sql: str, count: int) -> tuple[str, ...]:
    """Names for ``$1..$count`` in ``sql``.

    >>> positional_names("UPDATE t SET name = $2 WHERE t.slug = $1 LIMIT $3", 3)
    ('slug', 'name', 'limit')
    >>> positional_names("INSERT INTO t (a, b) VALUES ($1, now(), $2)", 2)
    ('a', 'p2')
    """
    code = [t for t in tokens(sql) if t.kind not in ("space", "comment")]
    found: dict[int, str] = {}
    for n, column in _insert_names(sql, code):
        found.setdefault(n, column)
    for i, tok in enumerate(code):
        guess = _context_name(sql, code, i) if tok.kind == "positional" else None
        if guess is not None:
            found.setdefault(int(tok.value), guess)
    names: list[str] = []
    for n in range(1, count + 1):
        name = found.get(n, f"p{n}")
        names.append(name if name not in names else f"{name}_{n}")
    return tuple(names)


def word(sql: str, tok: Token) -> str:
    """The text of a word or punctuation token ('' for literals, comments, placeholders)."""
    return sql[tok.start:tok.end] if tok.kind == "other" else ""


def _column_before(sql: str, code: list[Token], j: int) -> str | None:
    before = word(sql, code[j]) if j >= 0 else ""
    if _IDENT.fullmatch(before) and before.lower() not in _KEYWORDS:
        return before.lower()  # PostgreSQL folds unquoted names
    return None


def _context_name(sql: str, code: list[Token], i: int) -> str | None:
    before = word(sql, code[i - 1]).lower() if i else ""
    if before in _CLAUSES:
        return _CLAUSES[before]
    j = i - 1
    while j >= 0 and word(sql, code[j]) in _OPERATOR:
        j -= 1
    if j < i - 1:
        return _column_before(sql, code, j)
    if before in _WORD_OPS:
        k = i - 2
        if word(sql, code[k]).lower() == "not":
            k -= 1
        return _column_before(sql, code, k)
    return _column_after(sql, code, i)


def _column_after(sql: str, code: list[Token], i: int) -> str | None:
    # `$1 = id`
    j = i + 1
    while j < len(code) and word(sql, code[j]) in _OPERATOR:
        j += 1
    if j == i + 1 or j >= len(code):
        return None
    while j + 2 < len(code) and word(sql, code[j + 1]) == ".":
        j += 2
    return _column_before(sql, code, j)


def _insert_names(sql: str, code: list[Token]) -> list[tuple[int, str]]:
    """``INSERT INTO t (a, b) VALUES ($1, $2)``: each plain ``$n`` value named by its column."""
    words = [word(sql, t).lower() for t in code]
    if "insert" not in words or "values" not in words:
        return []
    try:
        open_cols = words.index("(", words.index("insert"))
        values = words.index("values", open_cols)
    except ValueError:
        return []
    columns = [sql[g[0].start:g[-1].end].strip('"').lower() if g else ""
               for g in _groups(sql, code[open_cols + 1:values - 1])]
    if values + 1 >= len(code) or words[values + 1] != "(":
        return []
    close = _close(words, values + 1)
    exprs = _groups(sql, code[values + 2:close])
    out: list[tuple[int, str]] = []
    for col, expr in zip(columns, exprs, strict=False):
        if len(expr) == 1 and expr[0].kind == "positional" and _IDENT.fullmatch(col):
            out.append((int(expr[0].value), col))
    return out


def _close(words: list[str], open_at: int) -> int:
    depth = 0
    for k in range(open_at, len(words)):
        depth += words[k] == "("
        depth -= words[k] == ")"
        if depth == 0:
            return k
    return len(words)


def _groups(sql: str, toks: list[Token]) -> list[list[Token]]:
    """Split a token list at top-level commas."""
    groups: list[list[Token]] = [[]]
    depth = 0
    for t in toks:
        w = word(sql, t)
        depth += w == "("
        depth -= w == ")"
        if w == "," and depth == 0:
            groups.append([])
        else:
            groups[-1].append(t)
    return groups
