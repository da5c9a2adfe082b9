"""Conventional Python names for SQL things (classes, enum members) and column overrides.

These only derive the usual spelling; `repo.identifiers.identifier` decides whether it is
safe and unique.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ..identifiers import ascii_fold

_WORD = re.compile(r"[A-Za-z0-9]+")

def pascal(name: str) -> str:
    """``get_valid_with_user`` -> ``GetValidWithUser``; ``public.my_type`` -> ``PublicMyType``.

    >>> pascal("get_valid_with_user")
    'GetValidWithUser'
    """
    words = _WORD.findall(ascii_fold(name))
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


def member_name(label: str) -> str:
    """An enum member name for a label: ``in progress`` -> ``IN_PROGRESS``.

    >>> member_name("in-progress"), member_name("3d")
    ('IN_PROGRESS', 'V_3D')
    """
    text = "_".join(_WORD.findall(ascii_fold(label))).upper() or "EMPTY"
    return f"V_{text}" if text[0].isdigit() else text


@dataclass(frozen=True)
class ColumnName:
    """A column label parsed as SQLx does: ``name``, ``name!``, ``name?``, ``name: Type``."""

    ident: str
    nullable: bool | None  # the override: `!` -> False, `?` -> True, none -> None
    type_override: str | None


@functools.lru_cache(maxsize=4096)  # ColumnName is frozen; labels repeat across queries
def parse_column(label: str) -> ColumnName | None:
    """Split a column label into identifier, nullability override and type override.

    Returns None when there is no identifier (``?column?``) or the suffix is not an override;
    the identifier itself may be any text: `repo.identifiers.identifier` maps it.

    >>> parse_column("id!: Uuid")
    ColumnName(ident='id', nullable=False, type_override='Uuid')
    """
    cut = min((i for i in (label.find(c) for c in ":!?") if i >= 0), default=len(label))
    ident, rest = label[:cut], label[cut:]
    if not ident.strip():
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
