"""PostgreSQL built-in functions as data: result types and argument types.

A name missing here is typed "unknown" (never guessed). ``"$1"`` means "the type of the
first argument", ``"$1[]"`` an array of it, ``"$1elem"`` its element type and ``"common"``
the common type of all arguments (COALESCE, GREATEST, ...).
"""

from __future__ import annotations

_TEXT = ("lower upper trim btrim ltrim rtrim substr substring replace concat concat_ws left "
         "right repeat reverse initcap lpad rpad md5 to_char format split_part regexp_replace "
         "quote_ident quote_literal quote_nullable string_agg translate chr encode "
         "array_to_string jsonb_typeof json_typeof jsonb_pretty pg_typeof_text version "
         "regexp_substr overlay to_hex sha256_text current_setting inet_client_addr_text")
_RETURNS: dict[str, str] = {name: "text" for name in _TEXT.split()}
_RETURNS.update({
    "now": "timestamptz", "current_timestamp": "timestamptz", "transaction_timestamp":
    "timestamptz", "statement_timestamp": "timestamptz", "clock_timestamp": "timestamptz",
    "localtimestamp": "timestamp", "current_date": "date", "current_time": "timetz",
    "localtime": "time", "to_timestamp": "timestamptz", "to_date": "date",
    "make_interval": "interval", "age": "interval", "justify_interval": "interval",
    "justify_days": "interval", "justify_hours": "interval", "make_date": "date",
    "make_timestamptz": "timestamptz", "make_timestamp": "timestamp", "date_part": "float8",
    "extract": "numeric", "isfinite": "bool",
    "length": "int4", "char_length": "int4", "character_length": "int4", "octet_length": "int4",
    "bit_length": "int4", "position": "int4", "strpos": "int4", "ascii": "int4",
    "array_length": "int4", "cardinality": "int4", "array_position": "int4",
    "array_ndims": "int4", "jsonb_array_length": "int4", "json_array_length": "int4",
    "gen_random_uuid": "uuid", "uuid_generate_v4": "uuid", "random": "float8",
    "to_jsonb": "jsonb", "jsonb_build_object": "jsonb", "jsonb_build_array": "jsonb",
    "jsonb_agg": "jsonb", "jsonb_object_agg": "jsonb", "jsonb_set": "jsonb",
    "jsonb_insert": "jsonb", "jsonb_strip_nulls": "jsonb", "jsonb_path_query_first": "jsonb",
    "jsonb_object": "jsonb", "to_json": "json", "json_build_object": "json",
    "json_build_array": "json", "json_agg": "json", "json_object_agg": "json",
    "row": "record", "row_to_json": "json", "array_to_json": "json", "jsonb_path_exists": "bool",
    "jsonb_exists": "bool", "count": "int8", "row_number": "int8", "rank": "int8",
    "dense_rank": "int8", "ntile": "int4", "percent_rank": "float8", "cume_dist": "float8",
    "bool_and": "bool", "bool_or": "bool", "every": "bool", "starts_with": "bool",
    "pg_column_size": "int4", "pg_backend_pid": "int4", "txid_current": "int8",
    "current_user": "name", "session_user": "name", "current_schema": "name",
    "current_database": "name", "inet_client_addr": "inet", "num_nonnulls": "int4",
    "num_nulls": "int4", "regexp_match": "text[]", "regexp_split_to_array": "text[]",
    "string_to_array": "text[]", "array_agg": "$1[]", "array_append": "$1",
    "array_prepend": "$2", "array_cat": "$1", "array_remove": "$1", "array_replace": "$1",
    "unnest": "$1elem", "min": "$1", "max": "$1", "lag": "$1", "lead": "$1",
    "first_value": "$1", "last_value": "$1", "nth_value": "$1", "abs": "$1",
    "coalesce": "common", "greatest": "common", "least": "common", "nullif": "$1",
    "date_trunc": "$2", "mode": "$1",
    "bit_and": "$1", "bit_or": "$1", "width_bucket": "int4", "date_bin": "$2",
    "convert_from": "text", "convert_to": "bytea",
    "nextval": "int8", "currval": "int8", "setval": "int8", "lastval": "int8",
    "set_config": "text", "pg_table_size": "int8", "pg_indexes_size": "int8",
    "pg_relation_size": "int8", "pg_total_relation_size": "int8", "pg_database_size": "int8",
    "pg_size_pretty": "text", "ts_rank": "float4", "ts_rank_cd": "float4",
    "to_tsvector": "tsvector",
    "to_tsquery": "tsquery", "plainto_tsquery": "tsquery", "phraseto_tsquery": "tsquery",
    "websearch_to_tsquery": "tsquery", "ts_headline": "text",
})
# Functions whose optional first argument is a text-search configuration: an untyped
# parameter in the last position is the document or query text.
LAST_ARG_TEXT = frozenset({"to_tsvector", "to_tsquery", "plainto_tsquery", "phraseto_tsquery",
                           "websearch_to_tsquery"})
# Aggregates: NULL over an empty input (except count); window-only ranking functions.
AGGREGATES = frozenset({
    "count", "sum", "avg", "min", "max", "array_agg", "string_agg", "jsonb_agg",
    "jsonb_object_agg", "json_agg", "json_object_agg", "bool_and", "bool_or", "every",
    "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "mode",
    "percentile_cont", "percentile_disc", "bit_and", "bit_or",
})
NEVER_NULL = frozenset({
    "row",
    "count", "row_number", "rank", "dense_rank", "ntile", "percent_rank", "cume_dist",
    "now", "current_timestamp", "transaction_timestamp", "statement_timestamp",
    "clock_timestamp", "current_date", "localtimestamp", "gen_random_uuid", "random",
    "concat", "num_nulls", "num_nonnulls", "current_user", "session_user",
    "current_database", "version", "jsonb_build_object", "jsonb_build_array",
    "json_build_object", "json_build_array", "pg_backend_pid", "uuid_generate_v4",
})
# Argument types PostgreSQL would give an untyped parameter in that position.
ARG_TYPES: dict[str, tuple[str, ...]] = {
    **{name: ("text",) for name in (
        "lower upper trim btrim ltrim rtrim initcap md5 reverse length char_length "
        "character_length octet_length ascii quote_ident quote_literal").split()},
    "substr": ("text", "int4", "int4"), "substring": ("text", "int4", "int4"),
    "left": ("text", "int4"), "right": ("text", "int4"), "repeat": ("text", "int4"),
    "lpad": ("text", "int4", "text"), "rpad": ("text", "int4", "text"),
    "replace": ("text", "text", "text"), "split_part": ("text", "text", "int4"),
    "strpos": ("text", "text"), "starts_with": ("text", "text"),
    "regexp_replace": ("text", "text", "text", "text"), "to_timestamp": ("float8",),
    "to_date": ("text", "text"), "to_char": ("", "text"), "date_trunc": ("text",),
    "date_part": ("text",), "make_interval": ("int4", "int4", "int4", "int4", "int4", "int4",
                                             "float8"),
    "jsonb_set": ("jsonb", "text[]", "jsonb", "bool"), "jsonb_typeof": ("jsonb",),
    "jsonb_array_length": ("jsonb",), "jsonb_strip_nulls": ("jsonb",),
    "jsonb_pretty": ("jsonb",), "string_to_array": ("text", "text", "text"),
    "regexp_split_to_array": ("text", "text", "text"), "encode": ("bytea", "text"),
    "string_agg": ("text", "text"), "array_to_string": ("", "text", "text"),
    "set_config": ("text", "text", "bool"), "current_setting": ("text",),
    "timezone": ("text",), "convert_from": ("bytea", "name"), "convert_to": ("text", "name"),
    "nextval": ("regclass",), "currval": ("regclass",), "setval": ("regclass", "int8", "bool"),
    "date_bin": ("interval",), "make_date": ("int4", "int4", "int4"),
}
_LOCKS = ("pg_advisory_lock pg_advisory_xact_lock pg_advisory_unlock pg_try_advisory_lock "
          "pg_try_advisory_xact_lock pg_advisory_lock_shared pg_advisory_xact_lock_shared "
          "pg_advisory_unlock_shared pg_try_advisory_lock_shared "
          "pg_try_advisory_xact_lock_shared").split()
# Argument types that depend on the number of arguments: (name, arity) -> types.
ARITY_ARG_TYPES: dict[tuple[str, int], tuple[str, ...]] = {
    **{(f, 1): ("int8",) for f in _LOCKS}, **{(f, 2): ("int4", "int4") for f in _LOCKS},
}
_RETURNS.update({f: "bool" if "try" in f or "unlock" in f else "void" for f in _LOCKS})


# Named arguments (``make_interval(days => $1)``).
NAMED_ARG_TYPES: dict[str, dict[str, str]] = {
    "make_interval": {"years": "int4", "months": "int4", "weeks": "int4", "days": "int4",
                      "hours": "int4", "mins": "int4", "secs": "float8"},
}


def returns(name: str) -> str | None:
    """The result rule of a function, or None when it is not known."""
    return _RETURNS.get(name)


def sum_type(arg: str) -> str | None:
    """``sum(x)``: PostgreSQL widens integers (int2/int4 -> int8, int8 -> numeric)."""
    return {"int2": "int8", "int4": "int8", "int8": "numeric", "numeric": "numeric",
            "float4": "float4", "float8": "float8", "interval": "interval",
            "money": "money"}.get(arg)


def avg_type(arg: str) -> str | None:
    return {"int2": "numeric", "int4": "numeric", "int8": "numeric", "numeric": "numeric",
            "float4": "float8", "float8": "float8", "interval": "interval"}.get(arg)


def srf_columns(name: str, arg: str | None) -> list[tuple[str, str | None]] | None:
    """Columns of a set-returning function in FROM (name, type); None when unknown."""
    elem = arg[:-2] if arg and arg.endswith("[]") else None
    table: dict[str, list[tuple[str, str | None]]] = {
        # Single-column results are scalars: the column takes the alias as its name, except
        # for a function with a named OUT parameter (OUT_NAMED), which keeps that name.
        "jsonb_array_elements": [("value", "jsonb")],
        "jsonb_array_elements_text": [("value", "text")],
        "json_array_elements": [("value", "json")],
        "json_array_elements_text": [("value", "text")],
        "jsonb_object_keys": [("jsonb_object_keys", "text")],
        "jsonb_each": [("key", "text"), ("value", "jsonb")],
        "jsonb_each_text": [("key", "text"), ("value", "text")],
        "json_each": [("key", "text"), ("value", "json")],
        "json_each_text": [("key", "text"), ("value", "text")],
        "unnest": [("unnest", elem)],
        "generate_series": [("generate_series", series_type(arg))],
        "regexp_split_to_table": [("regexp_split_to_table", "text")],
        "string_to_table": [("string_to_table", "text")],
    }
    return table.get(name)


# Scalar set-returning functions whose single OUT parameter is named ("value"): PostgreSQL's
# chooseScalarFunctionAlias prefers that name to the FROM alias.
OUT_NAMED = frozenset({"jsonb_array_elements", "jsonb_array_elements_text",
                       "json_array_elements", "json_array_elements_text"})


def series_type(arg: str | None) -> str | None:
    """``generate_series(start, ...)``: the start type (int2 widens to int4)."""
    if arg in ("int2", "int4"):
        return "int4"
    if arg in ("int8", "numeric"):
        return arg
    if arg in ("timestamptz", "timestamp"):
        return arg
    return None
