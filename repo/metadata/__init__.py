"""The ``.sqlx/`` directory: SQLx query files and the project's extras file."""

from .store import (
    META_FILE,
    load_all,
    load_meta,
    query_file_name,
    render,
    render_meta,
    write_atomic,
)

__all__ = ["META_FILE", "load_all", "load_meta", "query_file_name", "render", "render_meta",
           "write_atomic"]
