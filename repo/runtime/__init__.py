"""The small runtime that generated repositories run on.

Generated code imports only this package. It holds the non-I/O core (`Query`: SQL bytes,
parameter checks, row makers, error translation) and two thin shells over it, `Repo` (sync)
and `AsyncRepo`, the sync one generated from the async one.
"""

import ipaddress
from typing import TypeAlias

from pydantic import JsonValue as _JsonValue

from ._async import AsyncRepo, AsyncRouter, AsyncSource
from ._nested import row_of, rows_of
from ._params import KINDS
from ._query import CopyIn, Param, Query, Variants, columns_of, translate
from ._rows import array_of, json_as, parse_text_array, row_maker, scalar_maker
from ._sync import Repo, Router, Source

JsonValue: TypeAlias = _JsonValue
"""A JSON document as Python values (dict, list, str, int, float, bool, None)."""

IPAddress: TypeAlias = (ipaddress.IPv4Address | ipaddress.IPv6Address | ipaddress.IPv4Interface
                        | ipaddress.IPv6Interface)
"""An ``inet`` value as psycopg returns it: an address, or an interface when it has a mask."""

IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
"""A ``cidr`` value."""

__all__ = [
    "KINDS",
    "AsyncRepo",
    "AsyncRouter",
    "AsyncSource",
    "IPAddress",
    "IPNetwork",
    "CopyIn",
    "JsonValue",
    "Param",
    "Query",
    "Repo",
    "Router",
    "Source",
    "Variants",
    "array_of",
    "columns_of",
    "json_as",
    "parse_text_array",
    "row_maker",
    "row_of",
    "rows_of",
    "scalar_maker",
    "translate",
]
