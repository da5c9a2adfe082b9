"""Load ``queries/<repo>/<method>.sql`` files into `QueryDef` objects.

A file is one statement. Its leading ``--`` lines are the docstring, except two kinds of
lines that are instructions rather than prose:

* the cardinality marker, a comment line of its own: ``-- :one``, ``:optional``, ``:many``,
  ``:iter`` (streamed through a server-side cursor), ``:exec``, ``:execrows`` or ``:copyfrom``;
* directives: parameter nullability (``-- @nullable name [, name...]``, ``-- @notnull name``),
  ``@optional``, ``@default``, ``@rows``, ``@model``, and ``-- @primary`` (never on a read
  replica). An unknown ``-- @word`` is refused, never read as prose.

``:name`` placeholders are compiled to ``$1..$n`` in order of first appearance, using the
lexer in `repo.sqltext` so literals, quoted identifiers, comments, dollar bodies and ``::``
casts are never touched. A file written with ``$n`` is sent byte for byte (SQLx's
``query_file!`` rule). Every problem is a `QueryFileError` naming ``file:line:col``.

A file with sqlc headers (``-- name: GetAuthor :one``) holds several queries and may sit
anywhere under the queries directory: see `repo.queries.sqlc`.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from .. import walk
from ..errors import QueryFileError, QueryFileErrors
from ..identifiers import Kind, Refusal, identifier
from ..links import check_inside
from ..reads import read_bytes
from ..sqltext import LexError, Token, line_col, split_tokens, starts_line, tokens
from . import sqlc, variants
from .copyfrom import copy_target
from .directives import KNOWN_DIRECTIVES, refuse_block_directive
from .model import CARDINALITIES, Cardinality, QueryDef
from .placeholders import compile_placeholders

_MARKER = re.compile(r"^\s*--\s*:([A-Za-z_]\w*)\s*$")
_DIRECTIVE = re.compile(r"^\s*--\s*@([A-Za-z_]\w*)\b(.*)$")
_COMMENT = re.compile(r"^\s*--")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DIRECTIVES = {"nullable": True, "notnull": False}
# Statements whose first keyword means "returns rows" (DML returns rows only with RETURNING).
_ROW_KEYWORDS = {"select", "values", "table", "show", "explain", "fetch"}
_DML_KEYWORDS = {"insert", "update", "delete", "merge"}


def load_queries(queries_dir: Path) -> list[QueryDef]:
    """Every query under ``queries_dir``, sorted by (repo, method).

    Args:
        queries_dir: the folder holding one sub-folder per repository, and/or sqlc-style
            files (`repo.queries.sqlc`); or one sqlc-style file (sqlc's ``queries:``).

    Raises:
        QueryFileError: a malformed file, naming file:line:col and the fix
            (`QueryFileErrors`, listing each, when several are malformed).
    """
    if queries_dir.is_file():
        files = [queries_dir]
    elif not queries_dir.is_dir():
        raise QueryFileError(f"query directory {queries_dir} does not exist", path=queries_dir,
                             hint="create queries/<repo>/<method>.sql files, or pass --queries")
    else:
        files = _query_files(queries_dir)
    # verify, codegen and lint each load the queries in one run: lex and check them once
    # while no file changed (same paths, same bytes; reading is cheap, lexing is not).
    key = tuple((str(p), read_bytes(p)) for p in files)
    cached = _LOADED.get(queries_dir.resolve())
    if cached is not None and cached[0] == key:
        return list(cached[1])
    defs = _load_files(files, queries_dir)
    _LOADED[queries_dir.resolve()] = (key, defs)
    return list(defs)


_LOADED: dict[Path, tuple[tuple[tuple[str, bytes], ...], list[QueryDef]]] = {}


def forget_loaded() -> None:
    """Drop the memoised query files (benchmarks measuring cold runs)."""
    _LOADED.clear()


def _load_files(files: list[Path], queries_dir: Path) -> list[QueryDef]:
    defs: list[QueryDef] = []
    errors: list[QueryFileError] = []
    for path in files:
        try:
            defs.extend(load_file(path, queries_dir))
        except QueryFileError as exc:
            errors.append(exc)  # keep going: report every malformed file in one run
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise QueryFileErrors(errors)
    _check_duplicates(defs)
    return sorted(defs, key=lambda q: (q.repo, q.method))


def _query_files(queries_dir: Path) -> list[Path]:
    found: list[Path] = []
    for f in walk.files(queries_dir, _is_sql):
        if any(part.startswith(".") for part in f.rel):
            continue  # editor lock/backup files and hidden folders are not queries
        if f.link:  # a plain file below plain folders is inside by construction
            check_inside(f.path, queries_dir, "query file", QueryFileError)
        found.append(f.path)
    return found


def _is_sql(name: str) -> bool:
    return name.lower().endswith(".sql")  # Path.suffix, any case (`.sql` alone is hidden)


def load_file(path: Path, queries_dir: Path) -> list[QueryDef]:
    """The queries of one file: one, or several for a sqlc-style file (`repo.queries.sqlc`).

    A one-query file must sit at ``queries/<repo>/<method>.sql``; a sqlc-style file may sit
    anywhere under the queries directory (its repository is named by `sqlc.repo_for`).
    """
    text, toks = _read_checked(path)
    found = sqlc.headers(text, toks)
    if found:
        repo = sqlc.repo_for(path, queries_dir)
        _check_name(repo, Kind.FOLDER, path)
        return sqlc.load_sqlc(path, text, toks, found, repo)
    # No stat of the folder per file: when `path.parent.parent == queries_dir`, the folder
    # holds a folder, so it is no file (a one-file `queries:` is never its grandparent).
    if path.parent.parent != queries_dir:
        raise QueryFileError(
            "query files must be queries/<repo>/<method>.sql (or sqlc-style files with "
            "`-- name: Name :one` headers)", path=path,
            hint=f"move it into a repository folder directly under {queries_dir}")
    return [_single(path, path.parent.name, text, toks)]


def _check_duplicates(defs: Iterable[QueryDef]) -> None:
    # Compared case-insensitively: `Get.sql` and `get.sql` would clash on macOS/Windows.
    seen: dict[tuple[str, str], QueryDef] = {}
    repos: dict[str, str] = {}
    for q in sorted(defs, key=lambda d: str(d.path)):
        other_repo = repos.setdefault(q.repo.lower(), q.repo)
        if other_repo != q.repo:
            raise QueryFileError(f"repository folder {q.repo!r} clashes with {other_repo!r}",
                                 path=q.path, hint="rename one of the folders")
        first = seen.setdefault((q.repo.lower(), q.method.lower()), q)
        if first is not q:
            also = f"{first.path}:{first.marker_line}" if first.sqlc_name else str(first.path)
            raise QueryFileError(
                f"duplicate method name {q.method!r} in {q.repo!r} (also {also})",
                path=q.path, line=q.marker_line if q.sqlc_name else 1,
                hint="rename one of the files or queries; method names are unique")


def _check_name(name: str, kind: Kind, path: Path) -> None:
    # The identifier gate (shared with codegen): a folder or file name becomes a class,
    # method and attribute name; a bad one is renamed by the user, never mapped.
    result = identifier(name, kind)  # memoised by the gate: a folder's files ask alike
    if isinstance(result, Refusal):
        raise QueryFileError(f"{kind.value} {result.message}", path=path, hint=result.hint)


def read_text(path: Path) -> str:
    """The file decoded as strict UTF-8; a bad byte is an error naming its line and column."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[:exc.start].decode("utf-8")
        line, col = line_col(good, len(good))
        raise QueryFileError(
            f"file is not UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start}",
            path=path, line=line, col=col, hint="re-save the file as UTF-8") from None


def load_query_file(path: Path, repo: str) -> QueryDef:
    """Parse one one-query file of repository ``repo``."""
    text, toks = _read_checked(path)
    return _single(path, repo, text, toks)


def _read_checked(path: Path) -> tuple[str, list[Token]]:
    text = read_text(path)
    if text.startswith("\ufeff"):
        raise QueryFileError(
            "file starts with a UTF-8 byte-order mark, which PostgreSQL rejects as part of "
            "the SQL", path=path, line=1, col=1, hint="save the file as UTF-8 without BOM")
    if "\x00" in text:
        # libpq sends C strings: the SQL would silently end at the NUL.
        line, col = line_col(text, text.index("\x00"))
        raise QueryFileError("file contains a NUL character, which PostgreSQL cannot receive",
                             path=path, line=line, col=col,
                             hint="remove it (a file saved in UTF-16 looks like this: "
                             "re-save it as UTF-8)")
    return text, _lex(text, path)


def _single(path: Path, repo: str, text: str, toks: list[Token]) -> QueryDef:
    _check_name(repo, Kind.FOLDER, path)
    method = path.name[: -len(".sql")]
    _check_name(method, Kind.METHOD, path)
    _check_single_statement(text, toks, path)
    header = parse_header(text, path, _leading_block_lines(text, toks, path))
    _check_late_markers(text, toks, path)
    sql, params, positional, offsets = compile_placeholders(text, toks, path)
    for name in [*header.param_nullable, *header.optional, *header.defaults, *header.rows]:
        if name not in params:
            raise QueryFileError(
                f"directive names {name!r}, which is not a parameter of this query",
                path=path, line=header.directive_lines[name],
                hint=f"parameters are: {', '.join(params) or '(none)'}")
    cardinality = Cardinality(header.cardinality) if header.cardinality else (
        Cardinality.MANY if returns_rows(text, toks) else Cardinality.EXEC)
    if cardinality == "copyfrom":
        copy_target(sql, path)  # the INSERT must have COPY's shape (repo/queries/copyfrom.py)
    optional = tuple(header.optional)
    if optional:
        variants.check_count(optional, path, header.directive_lines[optional[0]])
        variants.predicates(text, toks, optional, path)  # each has a droppable predicate
    nullable = dict(header.param_nullable) | dict.fromkeys(optional, True)
    return QueryDef(repo=repo, method=method, path=path, text=text, sql=sql,
                    params=params, positional=positional, cardinality=cardinality,
                    doc=header.doc, param_nullable=MappingProxyType(nullable),
                    marker_line=header.marker_line, offsets=offsets,
                    warnings=tuple(header.warnings), param_defaults=frozenset(optional),
                    optional=optional, param_values=MappingProxyType(dict(header.defaults)),
                    model_name=header.model_name, rows=tuple(header.rows),
                    primary_line=header.primary_line)


def _lex(text: str, path: Path) -> list[Token]:
    try:
        return list(tokens(text))
    except LexError as exc:
        line, col = line_col(text, exc.offset)
        raise QueryFileError(str(exc), path=path, line=line, col=col,
                             hint="close it, or escape the quote by doubling it") from None


def _check_single_statement(text: str, toks: list[Token], path: Path) -> None:
    if not any(t.kind not in ("space", "comment") for t in toks):
        raise QueryFileError("query file is empty (no SQL statement)", path=path, line=1,
                             hint="write one SQL statement, or delete the file")
    statements = split_tokens(text, toks)
    if len(statements) > 1:
        start = statements[1][0]
        start += len(statements[1][1]) - len(statements[1][1].lstrip())
        line, col = line_col(text, start)
        raise QueryFileError("a query file holds exactly one statement; found another here",
                             path=path, line=line, col=col,
                             hint="move the second statement into a file of its own")


def _check_late_markers(text: str, toks: list[Token], path: Path) -> None:
    """A marker or directive below the first SQL line would be silently ignored: refuse it."""
    started = False
    for tok in toks:
        if tok.kind not in ("space", "comment"):
            started = True
        elif started and tok.kind == "comment" and starts_line(text, tok.start):
            body = text[tok.start:tok.end]
            if _MARKER.match(body) or _DIRECTIVE.match(body):
                line, col = line_col(text, tok.start)
                raise QueryFileError(
                    "markers and directives belong in the leading comment block", path=path,
                    line=line, col=col, hint="move this line above the SQL statement")


def _leading_block_lines(text: str, toks: list[Token], path: Path) -> frozenset[int]:
    """The lines of the block comments above the statement (a licence header, say). The
    header parser passes over them, so the `--` lines below them are still read."""
    lines: set[int] = set()
    for tok in toks:
        if tok.kind not in ("space", "comment"):
            break
        if tok.kind == "comment" and text.startswith("/*", tok.start):
            refuse_block_directive(text, tok, path)
            first, last = line_col(text, tok.start)[0], line_col(text, tok.end - 1)[0]
            lines.update(range(first, last + 1))
    return frozenset(lines)


@dataclass
class Header:
    """What the leading comment block says besides the docstring."""

    doc: str = ""
    cardinality: str | None = None
    marker_line: int | None = None
    param_nullable: dict[str, bool] = field(default_factory=dict)
    directive_lines: dict[str, int] = field(default_factory=dict)
    optional: list[str] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)
    defaults: dict[str, str] = field(default_factory=dict)
    model_name: str | None = None
    primary_line: int | None = None
    warnings: list[str] = field(default_factory=list)


def parse_header(text: str, path: Path, skip: frozenset[int] = frozenset()) -> Header:
    """Read the docstring, the marker and the directives from the leading comment lines
    (``skip``: the lines of leading block comments, passed over)."""
    header = Header()
    doc: list[str] = []
    for lineno, raw in enumerate(text.split("\n"), 1):
        if lineno in skip:
            continue
        line = raw.rstrip("\r")
        if not line.strip():
            if doc:
                doc.append("")
            continue
        if not _COMMENT.match(line):
            break
        if _marker(line, lineno, path, header) or _directive(line, lineno, path, header):
            continue
        near = near_miss(line)
        if near is not None:
            header.warnings.append(f"{path}:{lineno}: comment {line.strip()!r} looks like a "
                                   f"marker but is docstring text; did you mean `{near}`?")
        body = line.lstrip()[2:]
        doc.append((body[1:] if body.startswith(" ") else body).rstrip())
    header.doc = "\n".join(doc).strip("\n")
    return header


# Comment lines that are almost a marker or a directive: `-- optional`, `-- : one`,
# `-- nullable x`. Taken as docstring text, they would silently change the method (`:many`
# instead of `:optional`), so they are warned about. (sqlc's `-- name: GetUser :one` is a
# real header: repo/queries/sqlc.py.)
_NEAR_MARKER = re.compile(r"^\s*--\s*:?\s*(?P<word>[A-Za-z]+)\s*[.!]?\s*$")
_NEAR_SPACED = re.compile(r"^\s*--\s*:\s+(?P<word>[A-Za-z]+)\b")
_NEAR_DIRECTIVE = re.compile(r"^\s*--\s*(?P<word>nullable|notnull)\s+[A-Za-z_]\w*(\s*,\s*"
                             r"[A-Za-z_]\w*)*\s*$", re.IGNORECASE)


def near_miss(line: str) -> str | None:
    """The marker or directive a docstring line was probably meant to be, or None.

    >>> near_miss("-- optional"), near_miss("-- : one"), near_miss("-- Find a script.")
    ('-- :optional', '-- :one', None)
    """
    for pattern in (_NEAR_SPACED, _NEAR_MARKER):
        found = pattern.match(line)
        if found and found["word"].lower() in CARDINALITIES:
            return f"-- :{found['word'].lower()}"
        if found and found["word"] == "primary":  # lowercase only: `-- Primary.` is prose
            return "-- @primary"
    found = _NEAR_DIRECTIVE.match(line)
    if found:
        return "-- @" + line.strip()[2:].strip()[0].lower() + line.strip()[2:].strip()[1:]
    return None


def _marker(line: str, lineno: int, path: Path, header: Header) -> bool:
    m = _MARKER.match(line)
    if not m:
        return False
    name = m.group(1)
    if name not in CARDINALITIES:
        hint = f"use one of {', '.join(':' + c for c in CARDINALITIES)}"
        if name in KNOWN_DIRECTIVES:
            hint = f"`{name}` is a directive: write `-- @{name}`"
        raise QueryFileError(f"unknown cardinality marker ':{name}'", path=path, line=lineno,
                             col=line.index(":") + 1, hint=hint)
    if header.cardinality is not None:
        raise QueryFileError("second cardinality marker", path=path, line=lineno,
                             hint=f"keep one marker (the first is on line {header.marker_line})")
    header.cardinality, header.marker_line = name, lineno
    return True


def _directive(line: str, lineno: int, path: Path, header: Header) -> bool:
    m = _DIRECTIVE.match(line)
    if not m:
        return False
    if m.group(1) == "default":
        _default(m.group(2), lineno, path, header)
        return True
    if m.group(1) == "primary":
        if m.group(2).strip():
            raise QueryFileError("@primary takes no arguments", path=path, line=lineno,
                                 col=line.index("@") + 1,
                                 hint="write `-- @primary` on a line of its own (a reason "
                                 "goes on the docstring line above)")
        if header.primary_line is None:
            header.primary_line = lineno
        return True
    if m.group(1) == "model":
        name = m.group(2).strip()
        if not _IDENT.fullmatch(name) or not name[0].isupper():
            raise QueryFileError("@model needs a class name", path=path, line=lineno,
                                 hint="write `-- @model ScriptWithLogs` (CamelCase)")
        header.model_name = name
        return True
    if m.group(1) not in _DIRECTIVES and m.group(1) not in ("optional", "rows"):
        close = difflib.get_close_matches(m.group(1).lower(), KNOWN_DIRECTIVES, n=1)
        raise QueryFileError(f"unknown directive '@{m.group(1)}'"
                             + (f" (did you mean `-- @{close[0]}`?)" if close else ""),
                             path=path, line=lineno, col=line.index("@") + 1,
                             hint="use `-- @nullable name`, `-- @notnull name`, "
                             "`-- @optional name`, `-- @default name value`, "
                             "`-- @rows a, b`, `-- @model Name` or `-- @primary`")
    names = [n for n in re.split(r"[\s,]+", m.group(2).strip()) if n]
    if not names or not all(_IDENT.fullmatch(n) for n in names):
        raise QueryFileError(f"@{m.group(1)} needs parameter names", path=path, line=lineno,
                             hint=f"write `-- @{m.group(1)} param_name`")
    for name in names:
        if m.group(1) == "optional":
            header.optional.append(name)
        elif m.group(1) == "rows":
            header.rows.append(name)
        else:
            header.param_nullable[name] = _DIRECTIVES[m.group(1)]
        header.directive_lines[name] = lineno
    return True


def _default(rest: str, lineno: int, path: Path, header: Header) -> None:
    """``-- @default name literal``: a number, a quoted string, true or false."""
    found = re.fullmatch(r"\s*([A-Za-z_]\w*)\s+(.+?)\s*", rest)
    value: object = None
    if found:
        literal = {"true": "True", "false": "False"}.get(found[2].lower(), found[2])
        try:
            value = ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            value = None
    if found is None or type(value) not in (int, float, str, bool):
        raise QueryFileError("@default needs a parameter name and a literal value",
                             path=path, line=lineno,
                             hint="write `-- @default limit 100` (a number, 'text', true or "
                             "false)")
    header.defaults[found[1]] = repr(value)  # repr of a literal: safe to put in source
    header.directive_lines[found[1]] = lineno


def returns_rows(text: str, toks: list[Token]) -> bool:
    """Guess from the text whether the statement returns rows (before PostgreSQL says so).

    The main statement is the first top-level keyword after any ``WITH`` list; DML returns
    rows only with a top-level ``RETURNING``.
    """
    depth = 0
    main: str | None = None
    first: str | None = None
    returning = False
    for tok in toks:
        word = text[tok.start:tok.end].lower() if tok.kind == "other" else ""
        if word == "(":
            depth += 1
        elif word == ")":
            depth -= 1
        elif depth == 0 and first is None and word:
            first = word
            main = word  # `ALTER TABLE` is not `TABLE x`: only the first keyword counts
        elif depth == 0 and first == "with" and main == "with" and word in (
                _ROW_KEYWORDS | _DML_KEYWORDS):
            main = word
        elif depth == 0 and word == "returning":
            returning = True
    return main in _ROW_KEYWORDS or (main in _DML_KEYWORDS and returning)
