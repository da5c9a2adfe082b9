"""The identifier gate: the one place a name from outside becomes a name in generated Python.

Table, column, alias, enum, parameter, folder and file names come from schemas, ``.sqlx/``
files and query folders, i.e. from outside. Every renderer passes each of them through
`identifier` before writing it into source; nothing else turns outside text into a Python
name. The answer is one of:

* the name unchanged, when it is a plain ASCII identifier that is no keyword, shadows
  nothing the generated module or its base classes use, and collides with nothing in
  ``taken``;
* a `Safe` mapped name (``order id`` -> ``order_id``, ``class`` -> ``class_``, ``_hash`` ->
  ``hash_``), deterministic, for kinds whose source is hard to rename (schema objects,
  parameters); the caller keeps the original as an alias (``Field(alias="order id")``);
* a `Refusal`, for names the user controls and should rename (query files and folders).

The rules are a table of same-shaped checks per `Kind`. This module imports nothing from the
project so that the query loader, the planner and the renderers can all use it.
"""

from __future__ import annotations

import builtins
import functools
import keyword
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """What the name becomes; the value is the word used in messages."""

    FIELD = "column"  # a pydantic model field (from a table column or a result column)
    PARAM = "parameter"  # a keyword argument of a generated method
    CLASS = "class"  # a model, enum or repository class (given already PascalCased)
    MEMBER = "enum label"  # an enum member (given already UPPER_CASED)
    METHOD = "query file"  # a repository method (the file stem)
    FOLDER = "query folder"  # a repository (the folder name, also a `Repos` attribute)


@dataclass(frozen=True)
class Safe:
    """A name fit for generated source; ``mapped`` when it differs from ``source``."""

    name: str
    source: str

    @property
    def mapped(self) -> bool:
        return self.name != self.source


@dataclass(frozen=True)
class Refusal:
    """Why ``source`` cannot be used, and how to fix it."""

    source: str
    reason: str
    hint: str

    @property
    def message(self) -> str:
        return f"name {self.source!r} {self.reason}"


# Attributes of pydantic.BaseModel a field must not shadow (pydantic warns, and the field
# would hide the method). Written out rather than read from pydantic so that generated code
# does not depend on the installed pydantic version; a test checks it covers the installed one.
BASEMODEL_ATTRIBUTES = frozenset({
    "construct", "copy", "dict", "from_orm", "json", "parse_file", "parse_obj", "parse_raw",
    "schema", "schema_json", "update_forward_refs", "validate", "model_computed_fields",
    "model_config", "model_construct", "model_copy", "model_dump", "model_dump_json",
    "model_extra", "model_fields", "model_fields_set", "model_json_schema",
    "model_parametrized_name", "model_post_init", "model_rebuild", "model_validate",
    "model_validate_json", "model_validate_strings", "model_fields_schema",
})

# The module-level names of ``models.py`` (imports used by annotations and class bodies): a
# field of that name would shadow it for every later line of its class body. Other modules'
# names (``models``, ``database``, runtime classes) are fine as fields.
MODELS_MODULE_NAMES = frozenset({
    # pydantic, enum, typing
    "BaseModel", "ConfigDict", "Field", "StrEnum", "AwareDatetime", "NaiveDatetime", "NamedTuple",
    # stdlib and psycopg modules and names used in annotations (repo.codegen.typemap.IMPORTS)
    "datetime", "uuid", "decimal", "Decimal", "ipaddress", "Range", "Multirange", "JsonValue",
    "IPAddress", "IPNetwork",
})

# Every module-level name a generated module imports or defines besides the generated classes:
# a class of that name would shadow it, a field of that name would shadow it inside the class
# body (a later annotation `x: datetime.date` would then read the field's default).
GENERATED_MODULE_NAMES = MODELS_MODULE_NAMES | frozenset({
    # collections.abc names the repositories annotate with (copyfrom/@rows, :iter, arrays)
    "Iterable", "Iterator", "AsyncIterator", "Sequence",
    # repo.runtime names the generated modules import
    "Repo", "AsyncRepo", "Source", "AsyncSource", "Query", "Param", "row_maker", "array_of",
    "scalar_maker", "CopyIn", "Variants", "columns_of", "json_as", "row_of", "rows_of",
    # names the generated package defines itself
    "Repos", "AsyncRepos", "Database", "AsyncDatabase",
    # the generated package's modules (attributes of the package)
    "models", "repos", "async_repos", "database", "_queries", "extensions",
})

# Builtins written in generated annotations; a field of that name would shadow them.
ANNOTATION_BUILTINS = frozenset({
    "str", "int", "float", "bool", "bytes", "list", "tuple", "dict", "set", "frozenset",
    "object", "type",
})

# The generated method body uses `self` and the `_queries` module alias.
METHOD_LOCALS = frozenset({"self", "_sql"})

_ASCII_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_WORD = re.compile(r"[A-Za-z0-9]+")

Check = Callable[[str], str | None]


def _not_identifier(name: str) -> str | None:
    # ASCII only: Python folds non-ASCII identifiers with NFKC, so two different column names
    # could become one attribute, and tools disagree on which letters are allowed.
    return None if _ASCII_IDENT.match(name) else "is not a plain ASCII Python identifier"


def _keyword(name: str) -> str | None:
    return f"is the Python keyword `{name}`" if keyword.iskeyword(name) else None


def _soft_keyword(name: str) -> str | None:
    # `type`, `match`, `case`, `_`: legal, but confusing as field names (and `type` shadows
    # the builtin inside the class body).
    return f"is the Python soft keyword `{name}`" if keyword.issoftkeyword(name) else None


def _private(name: str) -> str | None:
    # pydantic makes `_x` a private attribute, not a field; a repository's `_x` is runtime.
    return "starts with `_` (private names are the runtime's)" if name.startswith("_") else None


def _mangled(name: str) -> str | None:
    # `__x` inside a class body is name-mangled: a keyword argument `__x` cannot be passed.
    return "starts with `__` (Python mangles it inside a class)" if name.startswith("__") else None


def _dunder(name: str) -> str | None:
    dunder = len(name) > 4 and name.startswith("__") and name.endswith("__")
    return "is a __dunder__ name" if dunder else None


def _in(names: frozenset[str], what: str) -> Check:
    def check(name: str) -> str | None:
        return f"would shadow {what} `{name}`" if name in names else None

    return check


def _builtin(name: str) -> str | None:
    return f"would shadow the builtin `{name}`" if hasattr(builtins, name) else None


def _pydantic(name: str) -> str | None:
    # Also every `model_` name: pydantic warns about its protected namespace (an error under
    # `-W error`) unless the model opts out, which the models renderer does; the exact
    # BaseModel attributes stay off limits either way.
    if name in BASEMODEL_ATTRIBUTES:
        return f"would shadow the pydantic BaseModel attribute `{name}`"
    return None


@dataclass(frozen=True)
class _Rule:
    checks: tuple[Check, ...]
    shape: Callable[[str], str] | None  # how to map a bad name; None: refuse instead
    bump: Callable[[str, int], str]  # the n-th alternative when the shaped name is taken


def _snake(prefix: str) -> Callable[[str], str]:
    """``order id`` -> ``order_id``; ``_hash`` -> ``hash_``; ``class`` -> ``class_``."""

    def shape(source: str) -> str:
        lead = len(source) - len(source.lstrip("_"))
        words = _WORD.findall(ascii_fold(source))
        base = "_".join(words) or prefix
        if base[0].isdigit():
            base = f"{prefix}_{base}"
        return base + "_" * max(lead, 1 if _must_suffix(base) else 0)

    return shape


def _must_suffix(name: str) -> bool:
    return (keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in BASEMODEL_ATTRIBUTES
            or name in MODELS_MODULE_NAMES or name in ANNOTATION_BUILTINS
            or name in METHOD_LOCALS)


def _number(name: str, n: int) -> str:
    return f"{name}{n}"


def _underscore_number(name: str, n: int) -> str:
    return f"{name}_{n}"


def _pascal(source: str) -> str:
    words = _WORD.findall(ascii_fold(source))
    text = "".join(w[:1].upper() + w[1:] for w in words) or "T"
    return f"T{text}" if text[0].isdigit() else text


def _upper(source: str) -> str:
    text = "_".join(_WORD.findall(ascii_fold(source))).upper() or "EMPTY"
    return f"V_{text}" if text[0].isdigit() else text


_RULES: dict[Kind, _Rule] = {
    Kind.FIELD: _Rule((_not_identifier, _keyword, _soft_keyword, _private, _pydantic,
                       _in(MODELS_MODULE_NAMES, "a name the models module uses"),
                       _in(ANNOTATION_BUILTINS, "a builtin used in annotations")),
                      _snake("field"), _underscore_number),
    Kind.PARAM: _Rule((_not_identifier, _keyword, _mangled,
                       _in(METHOD_LOCALS, "a name the generated method uses")),
                      _snake("param"), _underscore_number),
    Kind.CLASS: _Rule((_not_identifier, _keyword, _private, _builtin,
                       _in(GENERATED_MODULE_NAMES, "a name the generated package uses")),
                      _pascal, _number),
    Kind.MEMBER: _Rule((_not_identifier, _keyword, _private), _upper, _underscore_number),
    Kind.METHOD: _Rule((_not_identifier, _keyword, _dunder, _private), None, _number),
    Kind.FOLDER: _Rule((_not_identifier, _keyword, _dunder, _private), None, _number),
}


def identifier(source: str, kind: Kind, taken: Collection[str] = ()) -> Safe | Refusal:
    """The Python name for ``source`` as a ``kind``, given the names already ``taken``.

    Args:
        source: the name as it came from outside (a column label, a file stem, ...); for
            `Kind.CLASS` and `Kind.MEMBER`, the conventional form the caller derived from it
            (`repo.codegen.names.pascal`, `member_name`).
        kind: what the name becomes in generated code.
        taken: names of the same scope already given out (earlier fields of the model, other
            classes of the package); a collision maps (``id`` -> ``id_2``) or refuses.

    >>> identifier("order id", Kind.FIELD)
    Safe(name='order_id', source='order id')
    >>> identifier("id", Kind.FIELD, {"id"}).name
    'id_2'
    >>> identifier("class", Kind.PARAM).name
    'class_'
    >>> identifier("_one", Kind.METHOD).reason
    "starts with `_` (private names are the runtime's)"
    """
    rule = _RULES[kind]
    problem = _problem(source, kind, taken)
    if problem is None:
        return Safe(source, source)
    if rule.shape is None:
        return Refusal(source, problem, f"rename it to {_suggest(source)!r} or another "
                       "lowercase name of letters, digits and `_` not starting with `_`")
    base = rule.shape(source)
    candidate, n = base, 2
    while _problem(candidate, kind, taken) is not None:
        candidate, n = rule.bump(base, n), n + 1
    return Safe(candidate, source)


def _problem(name: str, kind: Kind, taken: Collection[str]) -> str | None:
    problem = _checked(name, kind)
    if problem is not None:
        return problem
    return "collides with another generated name" if name in taken else None


# The rule's checks depend on the name alone: memoised per kind (a project asks about the
# same column names thousands of times), bounded for a long-lived process meeting endless names.
@functools.lru_cache(maxsize=50_000)
def _checked(name: str, kind: Kind) -> str | None:
    for check in _RULES[kind].checks:
        problem = check(name)
        if problem is not None:
            return problem
    return None


def _suggest(source: str) -> str:
    text = "_".join(_WORD.findall(ascii_fold(source))).lower() or "query"
    text = f"q_{text}" if text[0].isdigit() else text
    return text + "_" if keyword.iskeyword(text) else text


def is_ascii_identifier(name: str) -> bool:
    """A plain ASCII Python identifier (keywords included)."""
    return bool(_ASCII_IDENT.match(name))


def ascii_fold(text: str) -> str:
    """``Café Größe`` -> ``Cafe Groe``: letters without their accents, non-ASCII dropped."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


__all__ = ["Kind", "Refusal", "Safe", "ascii_fold", "identifier", "is_ascii_identifier"]
