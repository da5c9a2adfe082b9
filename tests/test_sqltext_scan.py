"""The lexer's one-regex scan gives exactly the tokens of its character-by-character rules."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from repo.sqltext import LexError, Token, _slow_token, tokens

# Pieces that open, close or border every lexical form, plus identifier, space and
# non-ASCII characters, so random concatenations hit the boundaries between forms.
_PIECES = ["'", '"', "$", ":", ";", "-", "/", "*", "e", "E", "u", "U", "&", "b", "x", "X",
           "a", "_", "0", "9", " ", "\n", "\t", "\xa0", "é", "\u2028", "\x1c", "(", "]",
           ",", "\\", "--", "/*", "*/", "$$", "$a$", "$1", "::", ":x", "E'", "U&'", "B'",
           "SELECT ", "'it''s'", "E'\\''"]


def _reference(text: str) -> Iterator[Token]:
    """The lexer decided one character at a time (`_slow_token` at every position)."""
    i = 0
    while i < len(text):
        i = yield from _slow_token(text, i)


def _lex(lexer: Iterator[Token]) -> list[Token] | tuple[str, int]:
    try:
        return list(lexer)
    except LexError as e:
        return (str(e), e.offset)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25).map("".join))
def test_scan_matches_character_rules(text: str) -> None:
    assert _lex(tokens(text)) == _lex(_reference(text))


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_scan_matches_character_rules_on_any_text(text: str) -> None:
    assert _lex(tokens(text)) == _lex(_reference(text))


def test_scan_tokens_of_a_query() -> None:
    text = "SELECT e.x::int, E'a\\'b' FROM t e -- c\nWHERE id = $1 AND n = :name;"
    kinds = [(t.kind, text[t.start:t.end], t.value) for t in tokens(text)
             if t.kind != "space"]
    assert kinds == [
        ("other", "SELECT", ""), ("other", "e", ""), ("other", ".", ""), ("other", "x", ""),
        ("cast", "::", ""), ("other", "int", ""), ("other", ",", ""),
        ("string", "E'a\\'b'", ""), ("other", "FROM", ""), ("other", "t", ""),
        ("other", "e", ""), ("comment", "-- c", ""), ("other", "WHERE", ""),
        ("other", "id", ""), ("other", "=", ""), ("positional", "$1", "1"),
        ("other", "AND", ""), ("other", "n", ""), ("other", "=", ""),
        ("named", ":name", "name"), ("semi", ";", ""),
    ]
