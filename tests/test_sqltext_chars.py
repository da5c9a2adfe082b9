"""The lexer's identifier classes: ASCII letters, digits, `_`, and every non-ASCII character."""

from __future__ import annotations

import pytest

from repo.sqltext import tokens


def _words(text: str) -> list[str]:
    return [text[t.start:t.end] for t in tokens(text) if t.kind != "space"]


@pytest.mark.parametrize("name", ["été", "a1", "_x", "日本", "x\U0001f600", "zZ9_"])
def test_non_ascii_and_ascii_identifier_characters_make_one_word(name: str) -> None:
    assert _words(f"SELECT {name} FROM t") == ["SELECT", name, "FROM", "t"]


@pytest.mark.parametrize("tag", ["$été$", "$_1$", "$$", "$日$", "$x\U0001f600$"])
def test_dollar_quote_tags_with_any_identifier_characters(tag: str) -> None:
    body = f"{tag}a ' b{tag}"
    assert [(t.kind, body[t.start - 7:t.end - 7]) for t in tokens("SELECT " + body)][-1] \
        == ("dollar", body)


def test_a_digit_cannot_start_a_dollar_tag() -> None:
    # `$1a$` is not a tag: a parameter $1 then the word a$ ...
    assert "dollar" not in [t.kind for t in tokens("SELECT $1a$x$1a$")]

