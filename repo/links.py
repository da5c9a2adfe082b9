"""Query and migration files must stay inside the project unless the project says otherwise.

A symlinked ``queries/users/get.sql -> /etc/passwd`` would otherwise be read and sent to the
server as SQL (and its text stored in ``.sqlx/``). A file whose real path lies outside both
the directory being loaded and the project root (the current directory) is refused, naming
the file and its target. Links inside the project (a shared folder) are fine.

To allow links outside (a monorepo whose queries live in a sibling checkout), set
``allow_outside_links = true`` under ``[paths]`` in ``config.toml``, or
``REPO_ALLOW_OUTSIDE_LINKS=1`` in the environment or ``.env``. The setting is read only when
such a link is found, so loading needs no settings object.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from .errors import RepoError

ALLOW_ENV = "REPO_ALLOW_OUTSIDE_LINKS"
CONFIG_KEY = "allow_outside_links"


def outside_target(path: Path, base: Path) -> Path | None:
    """The real path of ``path`` if it is outside ``base`` and the project root, else None."""
    if _plainly_inside(os.fspath(path), os.fspath(base)):
        return None
    target = path.resolve()
    for root in _roots(str(base), str(Path.cwd())):
        if target.is_relative_to(root):
            return None
    return target


def _plainly_inside(path: str, base: str) -> bool:
    """True when ``path`` is spelled under ``base`` with no symlink and no ``..`` between
    them: it then resolves inside ``base``, wherever ``base`` itself resolves. One lstat per
    component below ``base`` instead of resolving the whole path (1,000 query files)."""
    if not path.startswith(base.rstrip(os.sep) + os.sep):
        return False
    rest = path[len(base.rstrip(os.sep)) + 1:].split(os.sep)
    if ".." in rest:
        return False
    current = base.rstrip(os.sep)
    for part in rest:
        current += os.sep + part
        if os.path.islink(current):
            return False
    return True


@lru_cache(maxsize=64)
def _roots(base: str, cwd: str) -> tuple[Path, Path]:
    # Resolved once per (directory, working directory), not once per file: loading 1,000
    # query files would otherwise resolve the same two directories 2,000 times.
    return Path(base).resolve(), Path(cwd).resolve()


def check_inside(path: Path, base: Path, what: str, error: type[RepoError]) -> None:
    """Raise ``error`` if ``path`` resolves outside the project and that is not allowed."""
    target = outside_target(path, base)
    if target is None or allowed():
        return
    raise error(f"{what} resolves to {target}, outside the project; it is not read",
                path=path,
                hint=f"replace the link by the file, or allow links outside the project with "
                f"`{CONFIG_KEY} = true` under [paths] in config.toml (or {ALLOW_ENV}=1)")


def allowed() -> bool:
    """Whether the project allows links outside it (config.toml, environment, .env)."""
    from .config import load_settings

    return load_settings().allow_outside_links
