"""sqlc-style query files: several queries per file, each headed ``-- name: GetAuthor :one``.

A file is sqlc-style when one of its comments is a header: ``-- name: <Name> :<marker>`` on a
line of its own, or ``/* name: <Name> :<marker> */``. Headers are found in the lexer's comment
tokens, so a ``-- name:`` inside a string literal, a dollar body or another block comment is
not one. Each query runs from its header to the next one; blank lines between queries are
optional. The ``--`` lines right after a header are the docstring (as sqlc-gen-go's comment),
except ``-- @primary`` there (the query never runs on a read replica). Other ``-- @word`` lines
are sqlc's annotations (``@sqlc-vet-disable``, plugin flags) and stay docstring text; this
project's parameter directives (``@nullable`` ...) are refused, since sqlc spells them
``sqlc.narg``, and so is a misspelt ``@primary``.

Markers map onto ours (`MARKERS`); those with no equivalent are refused by name (`REFUSED`).
Parameters are sqlc's: ``$1..$n`` (sent byte for byte, positional, named from their context
by `repo.queries.sqlc_names`), or named with
``sqlc.arg(name)`` / ``@name``, ``sqlc.narg(name)`` (nullable, defaults to None) and
``sqlc.slice(name)`` (a list: ``IN (sqlc.slice(ids))`` is compiled to ``= ANY($1)`` so the
statement stays one prepared statement). ``sqlc.embed(t)`` is compiled to ``t.*`` and
recorded, so the result can nest ``t``'s row model. The compiled text is what ``.sqlx/``
hashes; `QueryDef.offsets` maps every position in it back to the multi-query file, so errors
read ``query.sql:LINE:COL`` as sqlc's do.

Naming (see README "Coming from sqlc"): ``GetAuthor`` is the method ``get_author``. The
repository is the first folder under the queries directory (``queries/authors/query.sql`` ->
``AuthorRepo``); a file directly in the queries directory names it by its stem
(``queries/authors.sql`` -> ``AuthorRepo``), except the generic stems ``query``/``queries``,
which take the name of the nearest folder above that is not generic (``examples/authors/
postgresql/query.sql`` -> ``AuthorRepo``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ..errors import QueryFileError
from ..identifiers import Kind, Refusal, identifier
from ..sqltext import Token, line_col, split_tokens, starts_line
from .copyfrom import copy_target
from .directives import refuse_block_directive
from .model import Cardinality, QueryDef
from .sqlc_names import positional_names, word

_LINE_HEADER = re.compile(r"--\s*name:\s*(?P<name>\S+)\s*(?::(?P<marker>\S+))?\s*$")
_BLOCK_HEADER = re.compile(r"/\*\s*name:\s*(?P<name>\S+)\s*(?::(?P<marker>\S+))?\s*\*/$",
                           re.DOTALL)

# sqlc marker -> ours. `:execresult` is Go's sql.Result / pgconn.CommandTag; in Python the
# part a caller uses is the affected-row count, which is what `:execrows` returns.
MARKERS = MappingProxyType({
    "one": Cardinality.ONE, "many": Cardinality.MANY, "exec": Cardinality.EXEC,
    "execrows": Cardinality.EXECROWS, "execresult": Cardinality.EXECROWS,
    "copyfrom": Cardinality.COPYFROM,
    # Ours, accepted in sqlc headers too.
    "optional": Cardinality.OPTIONAL,
})
# sqlc markers with no equivalent yet: refused with the reason, never silently mapped.
REFUSED = MappingProxyType({
    "batchexec": "pgx batches (`:batchexec`) have no equivalent yet",
    "batchmany": "pgx batches (`:batchmany`) have no equivalent yet",
    "batchone": "pgx batches (`:batchone`) have no equivalent yet",
    "execlastid": "`:execlastid` is MySQL/SQLite only (PostgreSQL has RETURNING)",
})
_MACROS = ("arg", "narg", "slice", "embed")
_ANNOTATION = re.compile(r"--\s*@(?P<name>[A-Za-z_][\w-]*)(?P<rest>.*?)\s*$")
# Directives of one-query files that a sqlc file spells with macros: refused, not ignored.
_FILE_DIRECTIVES = MappingProxyType({
    "nullable": "write sqlc.narg(name) in the SQL", "notnull": "drop it (sqlc.arg is not null)",
    "optional": "use a one-query file (queries/<repo>/<method>.sql) for optional filters",
    "default": "use a one-query file (queries/<repo>/<method>.sql) for parameter defaults",
    "rows": "use a one-query file (queries/<repo>/<method>.sql) for `@rows`",
    "model": "use a one-query file (queries/<repo>/<method>.sql) to name the model",
})
# Names that say "the queries" rather than what they are about.
GENERIC = frozenset({"query", "queries", "sql", "db", "postgresql", "postgres", "pg", "psql"})


@dataclass(frozen=True)
class Header:
    """One ``-- name:`` header: its comment token and what it says."""

    token: Token
    name: str
    marker: str | None
    line: int


def headers(text: str, toks: list[Token]) -> list[Header]:
    """The sqlc headers of a file, in order (empty for a one-query-per-file file)."""
    found: list[Header] = []
    for tok in toks:
        if tok.kind != "comment":
            continue
        body = text[tok.start:tok.end].rstrip("\r\n ")
        pattern = _BLOCK_HEADER if body.startswith("/*") else _LINE_HEADER
        m = pattern.match(body)
        # A header is a comment on a line of its own: `SELECT 1 -- name: X :one` is a remark.
        if m is None or not starts_line(text, tok.start):
            continue
        found.append(Header(tok, m["name"], m["marker"], line_col(text, tok.start)[0]))
    return found


def repo_for(path: Path, queries_dir: Path) -> str:
    """The repository folder name of a sqlc file (module docstring: Naming)."""
    if queries_dir.is_file():
        queries_dir = queries_dir.parent
    rel = path.relative_to(queries_dir) if path.is_relative_to(queries_dir) else Path(path.name)
    if len(rel.parts) > 1:
        return rel.parts[0]
    stem = path.name[: -len(".sql")] if path.name.lower().endswith(".sql") else path.stem
    if stem.lower() not in GENERIC:
        return re.sub(r"[^0-9A-Za-z_]", "_", stem)
    for folder in path.resolve().parents:
        if folder.name and folder.name.lower() not in GENERIC:
            return re.sub(r"[^0-9A-Za-z_]", "_", folder.name)
    return "queries"


def method_name(name: str) -> str:
    """``GetAuthor`` -> ``get_author``; ``UpdateBookISBN`` -> ``update_book_isbn``.

    >>> method_name("GetAuthor"), method_name("UpdateBookISBN"), method_name("list_all")
    ('get_author', 'update_book_isbn', 'list_all')
    """
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return snake.lower()


def load_sqlc(path: Path, text: str, toks: list[Token], found: list[Header],
              repo: str) -> list[QueryDef]:
    """Every query of one sqlc-style file (``found`` are its headers, in order)."""
    _check_prelude(path, text, toks, found[0])
    defs: list[QueryDef] = []
    seen: dict[str, Header] = {}
    for i, head in enumerate(found):
        end = found[i + 1].token.start if i + 1 < len(found) else len(text)
        q = _query(path, text, [t for t in toks if head.token.end <= t.start < end], head, repo)
        first = seen.setdefault(q.method, head)
        if first is not head:
            raise QueryFileError(
                f"two queries named {first.name!r}"
                + (f" and {head.name!r}" if first.name != head.name else "")
                + f" (lines {first.line} and {head.line}): both would be the method "
                f"`{q.method}`", path=path, line=head.line, col=1,
                hint="rename one of them; query names are unique in a repository")
        defs.append(q)
    return defs


def _check_prelude(path: Path, text: str, toks: list[Token], first: Header) -> None:
    for tok in toks:
        if tok.start >= first.token.start:
            return
        if tok.kind == "comment" and _annotation(path, text, tok) == "primary":
            line, col = line_col(text, tok.start)
            raise QueryFileError("`-- @primary` before the first `-- name:` header belongs to "
                                 "no query", path=path, line=line, col=col,
                                 hint="put it on the line under the header of its query")
        if tok.kind not in ("space", "comment"):
            line, col = line_col(text, tok.start)
            raise QueryFileError("SQL before the first `-- name:` header belongs to no query",
                                 path=path, line=line, col=col,
                                 hint="give it a header (`-- name: DoThing :exec`) or remove it")


def _marker(path: Path, head: Header) -> Cardinality:
    if head.marker is None:
        raise QueryFileError(f"query {head.name!r} has no marker", path=path, line=head.line,
                             col=1, hint=f"write `-- name: {head.name} :many` (or :one, :exec, "
                             ":execrows, :execresult, :copyfrom)")
    marker = head.marker.lower()
    if marker in REFUSED:
        raise QueryFileError(f"query {head.name!r}: {REFUSED[marker]}", path=path,
                             line=head.line, col=1,
                             hint="use :exec / :many / :one per statement, or :copyfrom for "
                             "bulk inserts")
    if marker not in MARKERS:
        raise QueryFileError(f"unknown sqlc marker ':{head.marker}' on query {head.name!r}",
                             path=path, line=head.line, col=1,
                             hint=f"use one of {', '.join(':' + m for m in MARKERS)}")
    return MARKERS[marker]


def _method(path: Path, head: Header) -> str:
    method = method_name(head.name)
    result = identifier(method, Kind.METHOD)
    if isinstance(result, Refusal):
        raise QueryFileError(f"query name {head.name!r} (method `{method}`): {result.reason}",
                             path=path, line=head.line, col=1, hint=result.hint)
    return method


def _query(path: Path, text: str, toks: list[Token], head: Header, repo: str) -> QueryDef:
    cardinality = _marker(path, head)
    method = _method(path, head)
    code = [t for t in toks if t.kind not in ("space", "comment")]
    if not code:
        raise QueryFileError(f"query {head.name!r} has no SQL statement", path=path,
                             line=head.line, col=1, hint="write its statement under the header")
    if code[-1].kind == "semi":
        code = code[:-1]
    span = [t for t in toks if code[0].start <= t.start < code[-1].end] if code else []
    _check_one_statement(path, text, span, head)
    doc = _doc(text, toks, code[0].start)
    primary = _primary_line(path, text, toks, code[0].start, head)
    compiled = _compile(path, text, span)
    sql = compiled.sql
    if cardinality == "copyfrom":
        copy_target(sql, path)
    return QueryDef(
        repo=repo, method=method, path=path, text=text, sql=sql, params=compiled.params,
        positional=compiled.positional, cardinality=Cardinality(cardinality), doc=doc,
        param_nullable=MappingProxyType({n: True for n in compiled.nullable}),
        marker_line=head.line, offsets=tuple(compiled.offsets), sqlc_name=head.name,
        param_defaults=frozenset(compiled.nullable), param_lists=frozenset(compiled.lists),
        embeds=tuple(compiled.embeds), primary_line=primary)


def _annotation(path: Path, text: str, tok: Token) -> str | None:
    """The name of a ``-- @name`` line comment (None for other comments), checked.

    ``@primary`` is ours; a near miss of it, or one of the one-query-file directives, is an
    error; anything else is a sqlc annotation, returned as is for the caller to pass over.
    """
    m = _ANNOTATION.fullmatch(text[tok.start:tok.end].rstrip("\r\n"))
    if m is None or not starts_line(text, tok.start):
        return None
    name = m["name"]
    line, col = line_col(text, tok.start)
    if name == "primary" and m["rest"]:
        raise QueryFileError("@primary takes no arguments", path=path, line=line, col=col,
                             hint="write `-- @primary` on a line of its own")
    if name in _FILE_DIRECTIVES:
        raise QueryFileError(f"`-- @{name}` is not read in a sqlc-style file", path=path,
                             line=line, col=col, hint=_FILE_DIRECTIVES[name])
    if name != "primary" and difflib.get_close_matches(name.lower(), ["primary"], cutoff=0.75):
        raise QueryFileError(f"unknown directive '@{name}' (did you mean `-- @primary`?)",
                             path=path, line=line, col=col, hint="write `-- @primary`")
    return name


def _primary_line(path: Path, text: str, toks: list[Token], code_start: int,
                  head: Header) -> int | None:
    """The line of ``-- @primary`` between the header and the statement, else None."""
    found: int | None = None
    for tok in toks:
        if tok.kind == "comment" and tok.start < code_start:
            refuse_block_directive(text, tok, path, directives=("primary",), markers=())
        if tok.kind != "comment" or _annotation(path, text, tok) != "primary":
            continue
        line, col = line_col(text, tok.start)
        if tok.start > code_start:  # inside or after the statement: it would be ignored
            raise QueryFileError(f"`-- @primary` below the statement of {head.name!r}",
                                 path=path, line=line, col=col,
                                 hint="put it between the `-- name:` header and the SQL of "
                                 "the query it is for")
        found = line if found is None else found
    return found


def _check_one_statement(path: Path, text: str, span: list[Token], head: Header) -> None:
    if not span:
        return
    start, end = span[0].start, span[-1].end
    statements = split_tokens(text[:end], [t for t in span if t.end <= end])
    later = [s for s in statements if s[0] > start]
    if later:
        offset = later[0][0] + len(later[0][1]) - len(later[0][1].lstrip())
        line, col = line_col(text, offset)
        raise QueryFileError(f"a second statement under the header of {head.name!r}",
                             path=path, line=line, col=col,
                             hint="give it a header of its own (`-- name: Other :exec`)")


def _doc(text: str, toks: list[Token], code_start: int) -> str:
    """The ``--`` lines between the header and the statement (sqlc's query comment)."""
    lines: list[str] = []
    for tok in toks:
        if tok.start >= code_start:
            break
        if tok.kind == "comment" and text.startswith("--", tok.start):
            body = text[tok.start + 2:tok.end].rstrip("\r\n")
            if body.strip() == "@primary":
                continue  # a directive, not prose
            lines.append((body[1:] if body.startswith(" ") else body).rstrip())
    return "\n".join(lines).strip("\n")


@dataclass
class _Compiled:
    sql: str = ""
    params: tuple[str, ...] = ()
    positional: bool = False
    offsets: list[tuple[int, int]] = field(default_factory=list)
    nullable: list[str] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)
    embeds: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Use:
    """One parameter or macro use: the span of text it replaces and its replacement."""

    start: int
    end: int
    kind: str  # arg | narg | slice | embed | positional
    name: str
    in_list: str | None = None  # "= ANY" / "<> ALL" when it replaced `[NOT] IN (...)`


def _compile(path: Path, text: str, span: list[Token]) -> _Compiled:
    uses = _uses(path, text, span)
    start, end = span[0].start, span[-1].end
    positional = [u for u in uses if u.kind == "positional"]
    named = [u for u in uses if u.kind not in ("positional", "embed")]
    if positional and named:
        later = max(positional[0], named[0], key=lambda u: u.start)
        line, col = line_col(text, later.start)
        raise QueryFileError("query mixes $n with named parameters (sqlc.arg/@name)",
                             path=path, line=line, col=col,
                             hint="use named parameters throughout (or $n throughout)")
    out = _render(path, text, (start, end), [u for u in uses if u.kind != "positional"],
                  _Compiled(positional=bool(positional)))
    if positional:
        # Named from context (`id = $1` -> id), as sqlc does; still passed by position.
        out.params = positional_names(out.sql, max(int(u.name) for u in positional))
    return out


def _render(path: Path, text: str, bounds: tuple[int, int], uses: list[_Use],
            out: _Compiled) -> _Compiled:
    start, end = bounds
    order: dict[str, int] = {}
    kinds: dict[str, str] = {}
    parts: list[str] = []
    offsets = [(0, start)]
    pos, length = start, 0
    for use in uses:
        if use.kind != "embed":
            prev = kinds.setdefault(use.name, use.kind)
            if prev != use.kind and not {prev, use.kind} <= {"arg", "narg"}:
                line, col = line_col(text, use.start)
                raise QueryFileError(f"parameter {use.name!r} is used both as "
                                     f"sqlc.{prev} and sqlc.{use.kind}", path=path,
                                     line=line, col=col, hint="use one macro per name")
        piece = _replacement(use, order)
        parts.append(text[pos:use.start])
        length += use.start - pos
        offsets.append((length, use.start))
        parts.append(piece)
        length += len(piece)
        offsets.append((length, use.end))
        pos = use.end
    parts.append(text[pos:end])
    out.sql = "".join(parts)
    out.offsets = offsets
    if order:
        out.params = tuple(order)
    out.nullable = sorted(n for n, k in kinds.items() if k == "narg")
    out.lists = sorted(n for n, k in kinds.items() if k == "slice")
    out.embeds = [u.name for u in uses if u.kind == "embed"]
    return out


def _replacement(use: _Use, order: dict[str, int]) -> str:
    if use.kind == "embed":
        return f"{use.name}.*"
    number = order.setdefault(use.name, len(order) + 1)
    if use.in_list is not None:
        return f"{use.in_list}(${number})"
    return f"${number}"


def _uses(path: Path, text: str, span: list[Token]) -> list[_Use]:
    """Every parameter and macro in the statement, in text order."""
    code = [t for t in span if t.kind not in ("space",)]
    uses: list[_Use] = []
    i = 0
    while i < len(code):
        tok = code[i]
        macro = _macro_at(text, code, i, path)
        if macro is not None:
            use, i = macro
            uses.append(use)
            continue
        if tok.kind == "positional":
            uses.append(_Use(tok.start, tok.end, "positional", tok.value))
        elif _at_param(text, code, i):
            name = code[i + 1]
            uses.append(_Use(tok.start, name.end, "arg", text[name.start:name.end]))
            i += 1
        i += 1
    return widen_in_lists(text, uses)


def _macro_at(text: str, code: list[Token], i: int, path: Path) -> tuple[_Use, int] | None:
    """``sqlc.<macro>(name)`` starting at ``code[i]``: the use and the index after it."""
    if word(text, code[i]).lower() != "sqlc" or i + 2 >= len(code):
        return None
    if word(text, code[i + 1]) != "." or word(text, code[i + 2]).lower() not in _MACROS:
        return None
    macro = word(text, code[i + 2]).lower()
    ok = (i + 5 < len(code) and word(text, code[i + 3]) == "("
          and word(text, code[i + 5]) == ")" and code[i + 4].kind in ("other", "string"))
    if not ok:
        line, col = line_col(text, code[i].start)
        raise QueryFileError(f"sqlc.{macro} takes one name: sqlc.{macro}(name)", path=path,
                             line=line, col=col, hint=f"write e.g. sqlc.{macro}(author_id)")
    arg = text[code[i + 4].start:code[i + 4].end]
    name = arg[1:-1] if code[i + 4].kind == "string" else arg
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        line, col = line_col(text, code[i + 4].start)
        raise QueryFileError(f"sqlc.{macro} needs a plain name, not {arg!r}", path=path,
                             line=line, col=col, hint="use letters, digits and underscores")
    return _Use(code[i].start, code[i + 5].end, macro, name), i + 6


def _at_param(text: str, code: list[Token], i: int) -> bool:
    # `@name` (sqlc's shorthand for sqlc.arg): `@` right before an identifier. PostgreSQL's
    # own `@` operators (`@>`, `<@`, `@@`, `@ -1`) are not followed by a letter, or follow
    # another operator character.
    if word(text, code[i]) != "@" or i + 1 >= len(code):
        return False
    name = code[i + 1]
    if name.start != code[i].end or not re.fullmatch(r"[A-Za-z_]\w*", word(text, name)):
        return False
    before = text[code[i].start - 1] if code[i].start else " "
    return before not in "<>@!=~#&|^*/%+-?"


_IN_BEFORE = re.compile(r"(?P<not>\bNOT\s+)?\bIN\s*\(\s*$", re.IGNORECASE)


def widen_in_lists(text: str, uses: list[_Use]) -> list[_Use]:
    """A slice written ``[NOT] IN (sqlc.slice(x))`` replaces the whole ``IN (...)``."""
    out: list[_Use] = []
    for use in uses:
        if use.kind != "slice":
            out.append(use)
            continue
        line_start = max(text.rfind("\n", 0, use.start) - 200, 0)
        before = _IN_BEFORE.search(text, line_start, use.start)
        close = re.match(r"\s*\)", text[use.end:])
        if before is None or close is None or before.end() != use.start:
            out.append(use)
            continue
        op = "<> ALL" if before["not"] else "= ANY"
        out.append(_Use(before.start(), use.end + close.end(), "slice", use.name, op))
    return out
