"""Parsing PostgreSQL text with sqlglot, quietly (no log line per opaque statement)."""

from __future__ import annotations

import logging
import warnings

import sqlglot
from sqlglot import exp


def quiet_parse(sql: str) -> exp.Expr:
    """``sqlglot.parse_one`` without its log line for statements it keeps as Command."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sqlglot.parse_one(sql, read="postgres")
    finally:
        logger.setLevel(level)
