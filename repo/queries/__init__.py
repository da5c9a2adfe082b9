"""Query files: ``queries/<repo>/<method>.sql`` -> `QueryDef`."""

from .loader import load_queries, load_query_file
from .model import CARDINALITIES, Cardinality, QueryDef

__all__ = ["CARDINALITIES", "Cardinality", "QueryDef", "load_queries", "load_query_file"]
