"""Names of the query-file directives, and the refusal of one spelt as a block comment.

Markers (``-- :one``) and directives (``-- @primary``) are read from ``--`` line comments
only. The same words inside ``/* ... */`` would be silently ignored, turning an ``:optional``
method into ``:many`` or sending a read-your-writes query to a replica, so such a block comment
is refused, in one-query files and in sqlc-style files alike.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from ..errors import QueryFileError
from ..sqltext import Token, line_col
from .model import CARDINALITIES

# Every directive name, for the "did you mean" of an unknown one.
KNOWN_DIRECTIVES = ("nullable", "notnull", "optional", "default", "rows", "model", "primary")
_BLOCK = re.compile(r"/\*\s*(?P<sigil>[@:])(?P<word>[A-Za-z_]\w*)")


def refuse_block_directive(text: str, tok: Token, path: Path,
                           directives: Collection[str] = KNOWN_DIRECTIVES,
                           markers: Collection[str] = CARDINALITIES) -> None:
    """Raise if the comment ``tok`` is a block comment that reads as one of ``directives``
    (``/* @name``) or ``markers`` (``/* :name``)."""
    m = _BLOCK.match(text, tok.start)
    if m is None or m["word"] not in (directives if m["sigil"] == "@" else markers):
        return
    line, col = line_col(text, tok.start)
    word = f"{m['sigil']}{m['word']}"
    raise QueryFileError(f"`{word}` in a block comment is not read: markers and directives "
                         "are `--` line comments", path=path, line=line, col=col,
                         hint=f"write `-- {word}` on a line of its own instead")
