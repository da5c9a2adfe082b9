"""The identifier gate alone: every kind, its mappings and refusals (no database needed)."""

from __future__ import annotations

import keyword

import pytest
from pydantic import BaseModel

from repo.identifiers import BASEMODEL_ATTRIBUTES, Kind, Refusal, Safe, identifier


@pytest.mark.parametrize(("source", "kind", "taken", "name"), [
    ("id", Kind.FIELD, (), "id"),
    ("order id", Kind.FIELD, (), "order_id"),
    ("_hash", Kind.FIELD, (), "hash_"),
    ("__x", Kind.FIELD, (), "x__"),
    ("class", Kind.FIELD, (), "class_"),
    ("type", Kind.FIELD, (), "type_"),
    ("model_dump", Kind.FIELD, (), "model_dump_"),
    ("model_dumpster", Kind.FIELD, (), "model_dumpster"),
    ("datetime", Kind.FIELD, (), "datetime_"),
    ("str", Kind.FIELD, (), "str_"),
    ("3d", Kind.FIELD, (), "field_3d"),
    ("名前", Kind.FIELD, (), "field"),
    ("Größe", Kind.FIELD, (), "Groe"),
    ("café", Kind.FIELD, (), "cafe"),
    ("n: int = __import__('os').system('x') #", Kind.FIELD, (), "n_int_import_os_system_x"),
    ("database", Kind.FIELD, (), "database"),  # only models.py's own names are off limits
    ("Source", Kind.FIELD, (), "Source"),
    ("myapp", Kind.FIELD, {"myapp"}, "myapp_2"),  # a [types] module, passed in as taken
    ("id", Kind.FIELD, {"id"}, "id_2"),
    ("id", Kind.FIELD, {"id", "id_2"}, "id_3"),
    ("class", Kind.PARAM, (), "class_"),
    ("self", Kind.PARAM, (), "self_"),
    ("_sql", Kind.PARAM, (), "sql_"),
    ("_x", Kind.PARAM, (), "_x"),
    ("__x", Kind.PARAM, (), "x__"),
    ("type", Kind.PARAM, (), "type"),
    ("Source", Kind.CLASS, (), "Source2"),
    ("Query", Kind.CLASS, (), "Query2"),
    ("None", Kind.CLASS, (), "None2"),
    ("Exception", Kind.CLASS, (), "Exception2"),
    ("Script", Kind.CLASS, {"Script"}, "Script2"),
    ("A_B", Kind.MEMBER, {"A_B"}, "A_B_2"),
])
def test_maps_deterministically(source: str, kind: Kind, taken: set[str], name: str) -> None:
    result = identifier(source, kind, taken)
    assert result == Safe(name, source)
    assert name.isidentifier() and name.isascii() and not keyword.iskeyword(name)
    assert identifier(source, kind, taken) == result


@pytest.mark.parametrize(("source", "kind", "reason"), [
    ("_one", Kind.METHOD, "starts with `_`"),
    ("_conn", Kind.FOLDER, "starts with `_`"),
    ("class", Kind.METHOD, "is the Python keyword `class`"),
    ("get-all", Kind.METHOD, "is not a plain ASCII Python identifier"),
    ("naïve", Kind.FOLDER, "is not a plain ASCII Python identifier"),
    ("__init__", Kind.METHOD, "is a __dunder__ name"),
])
def test_user_named_files_and_folders_are_refused(source: str, kind: Kind, reason: str) -> None:
    result = identifier(source, kind)
    assert isinstance(result, Refusal) and reason in result.message and source in result.message
    assert "rename it to" in result.hint


def test_reserved_fields_cover_the_installed_pydantic() -> None:
    public = {n for n in dir(BaseModel) if not n.startswith("_")}
    assert public <= BASEMODEL_ATTRIBUTES, public - BASEMODEL_ATTRIBUTES
