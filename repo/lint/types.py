"""Does ``ALTER COLUMN ... TYPE`` rewrite the table?

PostgreSQL skips the rewrite when the old type is binary-coercible to the new one and the
``USING`` expression does not change the values (ALTER TABLE docs, "Notes"; the planner
support functions ``varchar_support``, ``numeric_support``, ``timestamp_support`` ... drop a
length coercion that can only widen). Everything else rewrites every row and rebuilds every
index under an ACCESS EXCLUSIVE lock.
"""

from __future__ import annotations

from .schema import TypeRef

# (old, new) pairs PostgreSQL relabels without touching a row (pg_cast castmethod 'b').
_BINARY = {("varchar", "text"), ("text", "varchar"), ("cidr", "inet"), ("xml", "text"),
           ("xml", "varchar")}
# Types whose length/precision modifier only constrains values: a wider (or no) modifier
# keeps every stored value as it is.
_WIDENING = {"varchar", "varbit", "timestamp", "timestamptz", "time", "timetz", "interval"}
_ALIASES = {"int": "int4", "integer": "int4", "bigint": "int8", "smallint": "int2",
            "boolean": "bool", "decimal": "numeric", "char": "bpchar", "character": "bpchar"}


def canonical(t: TypeRef) -> TypeRef:
    return TypeRef(_ALIASES.get(t.name, t.name), t.mods, t.array)


def rewrites(old: TypeRef, new: TypeRef) -> bool:
    """True when changing a column from ``old`` to ``new`` rewrites the table.

    >>> rewrites(TypeRef("varchar", (20,)), TypeRef("text"))
    False
    >>> rewrites(TypeRef("varchar", (20,)), TypeRef("varchar", (10,)))
    True
    >>> rewrites(TypeRef("int4"), TypeRef("int8"))
    True
    """
    old, new = canonical(old), canonical(new)
    if old.array or new.array:  # an array coercion is never reduced to a relabel
        return old != new
    if old.name == new.name:
        return not _same_values(old, new)
    if (old.name, new.name) in _BINARY:
        # A modifier on the new type (text -> varchar(10)) needs a length check per row.
        return bool(new.mods) and new.name != "text"
    return True


def _same_values(old: TypeRef, new: TypeRef) -> bool:
    if old.mods == new.mods:
        return True
    if not new.mods:
        return old.name in _WIDENING or old.name == "numeric"
    if not old.mods:
        return False
    if old.name in _WIDENING:
        return new.mods[0] >= old.mods[0]
    if old.name == "numeric":  # same scale, no smaller precision
        old_scale = old.mods[1] if len(old.mods) > 1 else 0
        new_scale = new.mods[1] if len(new.mods) > 1 else 0
        return old_scale == new_scale and new.mods[0] >= old.mods[0]
    return False


def timezone_dependent(old: TypeRef, new: TypeRef) -> bool:
    """timestamp <-> timestamptz: no rewrite only when the session TimeZone is UTC (PG 12+)."""
    pair = {canonical(old).name, canonical(new).name}
    return pair == {"timestamp", "timestamptz"} and not (old.array or new.array)
