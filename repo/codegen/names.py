"""Python names for SQL things: classes, fields, enum members, column overrides."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WORD = re.compile(r"[A-Za-z0-9]+")

# Attributes of pydantic.BaseModel a field must not shadow (pydantic warns, and the field
# would hide the method). Written out rather than read from pydantic so that generated
# code does not depend on the installed pydantic version.
RESERVED_FIELDS = frozenset({
    "construct", "copy", "dict", "from_orm", "json", "parse_file", "parse_obj", "parse_raw",
    "schema", "schema_json", "update_forward_refs", "validate", "model_computed_fields",
    "model_config", "model_construct", "model_copy", "model_dump", "model_dump_json",
    "model_extra", "model_fields", "model_fields_set", "model_json_schema",
    "model_parametrized_name", "model_post_init", "model_rebuild", "model_validate",
    "model_validate_json", "model_validate_strings",
})


def is_identifier(name: str) -> bool:
    """A plain ASCII Python identifier (what SQLx also requires of a column name)."""
    return bool(_IDENT.match(name))


def pascal(name: str) -> str:
    """``get_valid_with_user`` -> ``GetValidWithUser``; ``public.my_type`` -> ``PublicMyType``.

    >>> pascal("get_valid_with_user")
    'GetValidWithUser'
    """
    words = _WORD.findall(name)
    text = "".join(w[:1].upper() + w[1:] for w in words)
    return text if text and not text[0].isdigit() else f"T{text}"


def singular(word: str) -> str:
    """A table or folder name made singular: ``sessions`` -> ``session``.

    >>> [singular(w) for w in ("scripts", "categories", "addresses", "boxes", "data")]
    ['script', 'category', 'address', 'box', 'data']
    """
    lower = word.lower()
    if lower.endswith("ies") and len(word) > 3:
        return word[:-3] + "y"
    if lower.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def model_name(table: str) -> str:
    """Row model of a table: ``scripts`` -> ``Script``."""
    return pascal(singular(table.split(".")[-1].strip('"')))


def repo_name(folder: str) -> str:
    """Repository class of a query folder: ``scripts`` -> ``ScriptRepo``."""
    return pascal(singular(folder)) + "Repo"


def field_name(column: str) -> str:
    """A model field name for a column (a keyword or reserved name gets a ``_`` suffix)."""
    if keyword.iskeyword(column) or keyword.issoftkeyword(column) or column in RESERVED_FIELDS:
        return column + "_"
    return column


def member_name(label: str) -> str:
    """An enum member name for a label: ``in progress`` -> ``IN_PROGRESS``.

    >>> member_name("in-progress"), member_name("3d")
    ('IN_PROGRESS', 'V_3D')
    """
    text = "_".join(_WORD.findall(label)).upper() or "EMPTY"
    return f"V_{text}" if text[0].isdigit() else text


@dataclass(frozen=True)
class ColumnName:
    """A column label parsed as SQLx does: ``name``, ``name!``, ``name?``, ``name: Type``."""

    ident: str
    nullable: bool | None  # the override: `!` -> False, `?` -> True, none -> None
    type_override: str | None


def parse_column(label: str) -> ColumnName | None:
    """Split a column label into identifier, nullability override and type override.

    Returns None when the identifier is not a valid identifier (``?column?``).

    >>> parse_column("id!: Uuid")
    ColumnName(ident='id', nullable=False, type_override='Uuid')
    """
    cut = min((i for i in (label.find(c) for c in ":!?") if i >= 0), default=len(label))
    ident, rest = label[:cut], label[cut:]
    if not is_identifier(ident):
        return None
    nullable: bool | None = None
    if rest[:1] in ("!", "?"):
        nullable = rest[0] == "?"
        rest = rest[1:]
    rest = rest.strip()
    type_override = rest[1:].strip() if rest.startswith(":") else None
    if rest and type_override is None:
        return None
    return ColumnName(ident, nullable, type_override or None)
