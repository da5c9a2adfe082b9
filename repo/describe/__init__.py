"""Describe queries with PostgreSQL: types (typeinfo), nullability, and the driver (describe)."""

from .describe import Described, Describer, RawColumn
from .nullability import explain_patch
from .typeinfo import BUILTIN, TypeResolver

__all__ = ["BUILTIN", "Described", "Describer", "RawColumn", "TypeResolver", "explain_patch"]
