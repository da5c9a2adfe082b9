"""Which queries may run on a read replica: those the static analysis proves read-only (#15).

A query is read-only when PostgreSQL's own grammar (pglast) shows one plain ``SELECT`` (or
``VALUES``/``TABLE``) with no data-modifying CTE, no ``FOR UPDATE/SHARE``, no ``SELECT INTO``,
and no call of a function outside `SAFE_FUNCTIONS`: a function we do not know (a user
function, ``nextval``, ``setval``, ``pg_advisory_lock``, ``set_config``, ...) may write or take
a lock, so it counts as not read-only. Anything not proven read-only goes to the primary.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# Built-in functions without side effects (pg_catalog), by name. Volatile ones such as
# random() and clock_timestamp() are listed: they read, they do not write or lock.
SAFE_FUNCTIONS = frozenset("""
abs age array_agg array_append array_cat array_length array_position array_positions
array_remove array_replace array_to_json array_to_string avg bit_length bool_and bool_or
btrim cardinality ceil ceiling char_length character_length clock_timestamp concat concat_ws
count cume_dist current_date date_bin date_part date_trunc decode dense_rank encode every
exp extract first_value floor format gen_random_uuid generate_series generate_subscripts
greatest initcap isfinite json_agg json_array_elements json_array_elements_text
json_array_length json_build_array json_build_object json_extract_path
json_extract_path_text json_object_agg json_typeof jsonb_agg jsonb_array_elements
jsonb_array_elements_text jsonb_array_length jsonb_build_array jsonb_build_object
jsonb_each jsonb_each_text jsonb_extract_path jsonb_extract_path_text jsonb_object_agg
jsonb_object_keys jsonb_path_exists jsonb_path_query jsonb_path_query_array
jsonb_path_query_first jsonb_pretty jsonb_set jsonb_strip_nulls jsonb_typeof lag last_value
lead least left length ln log lower lpad ltrim make_date make_interval make_timestamp
make_timestamptz max md5 min mod now nth_value ntile nullif octet_length overlay
percent_rank percentile_cont percentile_disc position power random rank regexp_count
regexp_like regexp_match regexp_matches regexp_replace regexp_split_to_array
regexp_split_to_table repeat replace reverse right round row_number row_to_json rpad rtrim
sign split_part sqrt starts_with statement_timestamp stddev stddev_pop stddev_samp
string_agg string_to_array strpos substr substring sum timezone to_char to_date to_hex
to_json to_jsonb to_number to_timestamp transaction_timestamp translate trim trunc unnest
upper uuidv4 uuidv7 var_pop var_samp variance width_bucket
""".split())

_WRITES = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"})


@dataclass(frozen=True)
class Routing:
    """Whether a query may go to a replica, and why (shown by ``explain``)."""

    read_only: bool
    reason: str


def routing(sql: str) -> Routing:
    """Decide the routing of one query's SQL.

    >>> routing("SELECT count(*) FROM scripts WHERE uri = $1").read_only
    True
    >>> routing("SELECT nextval('s')").reason
    'calls nextval(), which is not known to be free of side effects'
    """
    from pglast import parser

    try:
        tree = parser.parse_sql_json(sql)
    except parser.ParseError as exc:
        return Routing(False, f"not parsed ({exc}): primary")
    # The JSON text is searched, not loaded (loading it cost more than the parse): a key
    # `"name":` cannot come from the SQL, whose strings and names are JSON strings, where a
    # quote is escaped. Only RawStmt has a field "stmt": one per statement.
    if len(_STMT.findall(tree)) != 1 or _SELECT.search(tree) is None:
        return Routing(False, "not a SELECT")
    # The keys in text order are the nodes in the order a depth-first walk meets them.
    for key in _KEYS.finditer(tree):
        value = _DECODER.raw_decode(tree, key.end())[0] if key[1] == "FuncCall" else None
        problem = _problem(key[1], value)
        if problem is not None:
            return Routing(False, problem)
    return Routing(True, "a plain SELECT without writes, locks or unknown functions")


_STMT = re.compile(r'"stmt"\s*:')
_SELECT = re.compile(r'"stmt"\s*:\s*\{\s*"SelectStmt"\s*:')
_KEYS = re.compile(r'"(InsertStmt|UpdateStmt|DeleteStmt|MergeStmt|lockingClause|intoClause'
                   r'|FuncCall)"\s*:\s*')
_DECODER = json.JSONDecoder()


def _problem(key: str, value: Any) -> str | None:
    if key in _WRITES:
        return "has a data-modifying WITH clause"
    if key == "lockingClause":
        return "locks rows (FOR UPDATE / FOR SHARE)"
    if key == "intoClause":
        return "creates a table (SELECT INTO)"
    if key == "FuncCall":
        parts = [p["String"]["sval"] for p in value.get("funcname", []) if "String" in p]
        schema, name = (parts[:-1], parts[-1].lower()) if parts else ([], "")
        if schema not in ([], ["pg_catalog"]) or name not in SAFE_FUNCTIONS:
            return f"calls {'.'.join(parts)}(), which is not known to be free of side effects"
    return None
