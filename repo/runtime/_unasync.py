"""Write ``_sync.py`` from ``_async.py`` so the two shells can never drift apart.

The async shell is the one hand-maintained source (as psycopg does with its
``tools/async_to_sync.py``); the sync shell is this file's output. Run
``python repo/runtime/_unasync.py`` after editing ``_async.py``; ``--check`` exits 1 when
``_sync.py`` is stale (a test runs the check).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "_async.py"
TARGET = HERE / "_sync.py"

SYNC_DOC = '''"""The sync repository shell: execute a `Query`, fetch, hand the rows back.

Generated from ``_async.py`` by ``python repo/runtime/_unasync.py``; do not edit. Everything
that is not I/O lives in `_query.py`, shared by both.
"""
'''

# Ordered: longer names before their prefixes.
_REPLACEMENTS = (
    (r"\basync def ", "def "),
    (r"\basync with ", "with "),
    (r"\bawait ", ""),
    (r"\bAwaitable\[(\w+)\]", r"\1"),
    (r"\bAwaitable, ", ""),
    (r"\basync for ", "for "),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\bAsyncExitStack\b", "ExitStack"),
    (r"\benter_async_context\b", "enter_context"),
    (r"\bpush_async_callback\b", "callback"),
    (r"\bAsyncRawServerCursor\b", "RawServerCursor"),
    (r"\bAsyncRawCursor\b", "RawCursor"),
    (r"\bAsyncCursor\b", "Cursor"),
    (r"\bAsyncConnectionPool\b", "ConnectionPool"),
    (r"\bAsyncConnection\b", "Connection"),
    (r"\bAsyncRepo\b", "Repo"),
    (r"\bAsyncRouter\b", "Router"),
    (r"\bAsyncSource\b", "Source"),
    # isort order of the import line once `AsyncIterator` became `Iterator`.
    (r"import Iterator, Callable, Iterable, ", "import Callable, Iterable, Iterator, "),
)


def unasync(source: str) -> str:
    """The sync twin of the async shell's source text.

    >>> unasync('async def f(c: AsyncConnection[Any]) -> Awaitable[T]:\\n    await c.x()\\n')
    'def f(c: Connection[Any]) -> T:\\n    c.x()\\n'
    """
    body = source
    if source.startswith('"""'):
        body = source[source.index('"""', 3) + 3:].lstrip("\n")
        body = SYNC_DOC + "\n" + body
    for pattern, replacement in _REPLACEMENTS:
        body = re.sub(pattern, replacement, body)
    return body


def main(argv: list[str]) -> int:
    expected = unasync(SOURCE.read_text(encoding="utf-8"))
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
    if current == expected:
        return 0
    if "--check" in argv:
        print(f"{TARGET} is stale; run `python repo/runtime/_unasync.py`", file=sys.stderr)
        return 1
    TARGET.write_text(expected, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
