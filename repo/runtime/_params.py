"""Parameter checks run before a value is sent: cheap, and only where they pay.

Each parameter *kind* (chosen at generation time from the PostgreSQL type, see
`repo.codegen.typemap`) maps to one binder: a function that returns the value to send and
raises `TypeError`/`ValueError` with a short reason when the value cannot be right. The
query turns that into `repo.errors.InvalidArgument` naming the parameter (see `_query.py`).

Why check at all when mypy already does: callers are not always typed, and some mistakes
only show up on the server as confusing errors (a NUL byte in text, a naive datetime
silently read in the server's time zone, an int too large for int4).
"""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import json as _json
import uuid
from collections.abc import Callable, Sequence
from enum import Enum

from psycopg.types.json import Json, Jsonb
from psycopg.types.range import Range
from pydantic import BaseModel

Binder = Callable[[object], object]

_INT_LIMITS = {"int2": 2**15, "int4": 2**31, "int8": 2**63}


def _expect(value: object, types: type | tuple[type, ...], what: str) -> None:
    # bool is an int subclass: True is almost never meant as a number.
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types)):
        raise TypeError(f"expected {what}, got {type(value).__name__}")


def _tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def text(value: object) -> object:
    """str without NUL characters (PostgreSQL text cannot hold ``\\x00``) or surrogates."""
    if type(value) is not str:
        _expect(value, str, "str")
        if isinstance(value, Enum):
            value = value.value
    if "\x00" in value:  # type: ignore[operator]
        raise ValueError("contains a NUL character (\\x00), which PostgreSQL text cannot store")
    # isascii() is O(1) (a flag on the str); only non-ASCII text can hold a surrogate, and
    # for it a UTF-8 encode is the fastest exact test (faster than a regex scan).
    if not value.isascii():  # type: ignore[attr-defined]
        _utf8(value)  # type: ignore[arg-type]
    return value


def _utf8(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"contains a surrogate code point ({value[exc.start]!r} at index "
                         f"{exc.start}), which UTF-8 cannot encode; PostgreSQL cannot store "
                         "it") from None


def _integer(kind: str) -> Binder:
    limit = _INT_LIMITS[kind]

    def bind(value: object) -> object:
        if type(value) is not int:
            _expect(value, int, "int")
        if not -limit <= value < limit:  # type: ignore[operator]
            raise ValueError(f"{value} is out of range for {kind}")
        return value

    return bind


def _typed(types: type | tuple[type, ...], what: str) -> Binder:
    def bind(value: object) -> object:
        _expect(value, types, what)
        return value

    return bind


def timestamptz(value: object) -> object:
    """An aware datetime: a naive one would be read in the server's time zone."""
    _expect(value, dt.datetime, "datetime")
    if value.tzinfo is None or value.utcoffset() is None:  # type: ignore[attr-defined]
        raise ValueError("is a naive datetime; pass an aware one, e.g. datetime.now(UTC)")
    return value


def timestamp(value: object) -> object:
    """A naive datetime: an aware one would be converted with the server's time zone."""
    _expect(value, dt.datetime, "datetime")
    if value.tzinfo is not None:  # type: ignore[attr-defined]
        raise ValueError("is an aware datetime for a timestamp without time zone; pass a naive one")
    return value


def date(value: object) -> object:
    """A date that is not a datetime (which would be sent as a timestamp)."""
    _expect(value, dt.date, "date")
    if isinstance(value, dt.datetime):
        raise TypeError("expected date, got datetime; pass value.date()")
    return value


# One encoder each, built once: json.dumps() with any keyword builds a new encoder per call.
# allow_nan=False: JSON (and PostgreSQL) has no NaN/Infinity. The jsonb one writes non-ASCII
# as is (faster than \\u escapes, and a lone surrogate then fails the UTF-8 encode below);
# psycopg's JSON loader already assumes UTF-8, so this adds no new encoding assumption.
_JSON = _json.JSONEncoder(allow_nan=False)
_JSONB = _json.JSONEncoder(allow_nan=False, ensure_ascii=False)


def _dump(encoder: _json.JSONEncoder, value: object) -> str:
    if isinstance(value, BaseModel):
        # Typed JSON ([json] in config.toml): the model as its JSON document.
        value = value.model_dump(mode="json")
    try:
        return encoder.encode(value)
    except TypeError as exc:  # an object json cannot serialise
        raise TypeError(f"is not JSON-serialisable: {exc}") from None
    except ValueError as exc:  # NaN/Infinity ("Out of range float values"), or a cycle
        reason = ("contains NaN or Infinity, which JSON (and PostgreSQL) cannot store"
                  if "float" in str(exc) else f"cannot be serialised as JSON: {exc}")
        raise ValueError(reason) from None
    except RecursionError:
        raise ValueError("is nested too deeply to serialise as JSON") from None


def _predumped(data: bytes) -> bytes:
    """The ``dumps`` psycopg calls on an already serialised value: hand the bytes over."""
    return data


def jsonb(value: object) -> object:
    """Any JSON value jsonb can store, serialised once here (None is JSON ``null``).

    Rejects what the server would: NaN/Infinity, ``\\u0000`` in a string or key (jsonb
    cannot store it) and surrogate code points (lone ones are invalid; a Python str holding
    a *pair* as two code points is malformed too, and rejected as `text` rejects it).
    psycopg sends the bytes as they are, without serialising again.
    """
    dumped = _dump(_JSONB, value)
    # Non-ASCII is not escaped, so a backslash is rare: one memchr skips the NUL search.
    if "\\" in dumped and "\\u0000" in dumped and _has_nul_escape(dumped):
        raise ValueError("contains a NUL character (\\u0000) in a string or key, which "
                         "PostgreSQL jsonb cannot store")
    try:
        data = dumped.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"contains a surrogate code point ({dumped[exc.start]!r}) in a "
                         "string or key, which UTF-8 cannot encode; jsonb cannot store it") \
            from None
    return Jsonb(data, _predumped)


def _has_nul_escape(text: str) -> bool:
    # ``\\u0000`` is a NUL only when its backslash is not itself escaped: an odd run.
    at = text.find("\\u0000")
    while at >= 0:
        start = at
        while start > 0 and text[start - 1] == "\\":
            start -= 1
        if (at - start) % 2 == 0:
            return True
        at = text.find("\\u0000", at + 1)
    return False


def json(value: object) -> object:
    """Any JSON value, serialised once here and sent as json (None is JSON ``null``).

    json stores the text as given, so ``\\u0000`` and surrogate escapes are storable; only
    what JSON cannot express (NaN/Infinity, non-JSON objects) is rejected.
    """
    return Json(_dump(_JSON, value).encode("ascii"), _predumped)


def array_of(element: Binder, what: str) -> Binder:
    """A sequence (not a str or bytes) whose non-NULL items each pass ``element``; sent as a
    list (psycopg sends a list as an array, not a tuple or a range)."""

    def bind(value: object) -> object:
        if isinstance(value, (str, bytes, bytearray, memoryview)) or not isinstance(
                value, Sequence):
            raise TypeError(f"expected a sequence of {what} (a list), got "
                            f"{type(value).__name__}")
        items = list(value)
        for index, item in enumerate(items):
            if item is None:
                continue
            try:
                items[index] = element(item)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"item {index}: {exc}") from None
        return items

    return bind


def anything(value: object) -> object:
    """No check: the type has no cheap test (or no known Python form)."""
    return value


def enum_of(labels: frozenset[str]) -> Binder:
    """A str that is one of the enum's labels (a generated StrEnum member is one)."""

    def bind(value: object) -> object:
        text(value)
        if value not in labels:
            raise ValueError(f"{value!r} is not one of {', '.join(sorted(labels))}")
        return value.value if isinstance(value, Enum) else value

    return bind


def nullable(binder: Binder) -> Binder:
    """Let None through as SQL NULL, check anything else with ``binder``."""

    def bind(value: object) -> object:
        return None if value is None else binder(value)

    return bind


_ADDRESS = (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Interface,
            ipaddress.IPv6Interface, ipaddress.IPv4Network, ipaddress.IPv6Network)

# One row per kind name used by generated code. Kinds come from repo.codegen.typemap.
KINDS: dict[str, Binder] = {
    "text": text,
    "int2": _integer("int2"),
    "int4": _integer("int4"),
    "int8": _integer("int8"),
    "float": _typed((float, int), "float"),
    "numeric": _typed((decimal.Decimal, int), "Decimal"),
    "bool": _typed(bool, "bool"),
    "bytea": _typed((bytes, bytearray, memoryview), "bytes"),
    "uuid": _typed(uuid.UUID, "UUID"),
    "timestamptz": timestamptz,
    "timestamp": timestamp,
    "date": date,
    "time": _typed(dt.time, "time"),
    "interval": _typed(dt.timedelta, "timedelta"),
    "json": json,
    "jsonb": jsonb,
    "inet": _typed(_ADDRESS, "ipaddress object"),
    "range": _typed(Range, "psycopg Range"),
    "list": _typed((list, tuple), "list"),
    "text[]": array_of(text, "str"),
    "any": anything,
}


def binder(kind: str, *, is_nullable: bool = False,
           labels: frozenset[str] | None = None) -> Binder:
    """The binder for one parameter, built once when the generated module is imported.

    >>> binder("int4")(7)
    7
    >>> binder("text", is_nullable=True)(None) is None
    True
    """
    if labels is not None:
        base = enum_of(labels)
    elif kind.endswith("[]") and kind not in KINDS:
        # `int8[]`: an array parameter (`= ANY(:ids)`), each item checked as its element.
        base = array_of(KINDS[kind[:-2]], kind[:-2])
    else:
        base = KINDS[kind]
    return nullable(base) if is_nullable else base
