"""All-or-nothing replacement of whole directories (``.sqlx/``, the generated package).

`stage` builds the complete new directory next to the old one (``.<name>.new-<pid>-<hex>``):
the files it keeps from the old one, then the new files, each fsynced. Nothing visible has
changed yet, so a full disk or a read-only directory fails here with a `WriteError` naming
the path, and the old directory is untouched. `commit` then swaps every staged directory in
(``renameat2(RENAME_EXCHANGE)``, one system call per directory, where the kernel has it;
elsewhere: rename the old one to ``.<name>.old-<pid>-<hex>``, rename the new one in). If one
swap fails, the ones already made are swapped back, so a set of directories (``prepare``:
``.sqlx/`` and the generated package) changes together or not at all. A process killed
between two swaps (SIGKILL, power loss) leaves each directory whole, old or new; `verify`
then reports the generated code as stale and the next ``prepare`` writes both again.

A directory that is a symlink stays a symlink: the swap happens at its target, so every
checkout sharing the target sees the new content.

Leftovers of a killed process (``.<name>.new-...``, ``.<name>.old-...``) are swept by the
next `stage` once their pid no longer runs (`recover`); a backup whose swap never finished is
put back first. Our own pid counts as dead for names this process is not using (a container
restarts with the same pid).

New files and directories get the permissions of any file the user creates (the umask).
"""

from __future__ import annotations

import ctypes
import errno
import os
import secrets
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ._proc import pid_alive
from .errors import WriteError

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
# Names of this process's staged directories still in use (threads may stage concurrently).
_ACTIVE: set[str] = set()
_ACTIVE_LOCK = threading.Lock()


def real_dir(path: Path) -> Path:
    """Where ``path``'s content lives: the target of a symlink, else ``path`` (absolute, so
    that ``.`` has a name and a parent to build beside)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else Path(os.path.abspath(path))


def siblings(path: Path, kind: str) -> list[Path]:
    """``.<name>.<kind>-*`` next to ``path`` (kind: ``new`` or ``old``), sorted."""
    parent = path.parent if str(path.parent) else Path(".")
    prefix = f".{path.name}.{kind}-"
    try:
        return sorted(p for p in parent.iterdir() if p.name.startswith(prefix))
    except (FileNotFoundError, NotADirectoryError):
        return []


def owner_alive(path: Path) -> bool:
    """Whether the process that named ``path`` (``...-<pid>-<hex>``) is still using it."""
    try:
        pid = int(path.name.rsplit("-", 2)[-2])
    except (ValueError, IndexError):
        return False
    if pid == os.getpid():
        with _ACTIVE_LOCK:
            return path.name in _ACTIVE
    return pid_alive(pid)


def readable(path: Path) -> Path:
    """The directory holding the current content: the backup if a writer died mid-swap."""
    real = real_dir(path)
    if not real.exists():
        olds = siblings(real, "old")
        if olds:
            return olds[-1]
    return path


def recover(path: Path) -> None:
    """Undo the traces of interrupted writes whose process is gone."""
    real = real_dir(path)
    olds = [p for p in siblings(real, "old") if not owner_alive(p)]
    if olds and not real.exists():
        os.rename(olds[-1], real)  # died between the two renames: keep the old content
        olds = olds[:-1]
    for leftover in olds + [p for p in siblings(real, "new") if not owner_alive(p)]:
        shutil.rmtree(leftover, ignore_errors=True)


@contextmanager
def _writing(path: Path, action: str = "write") -> Iterator[None]:
    """Turn an OSError into a `WriteError` naming ``path`` (the user's path, not a temp one)."""
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or str(exc)
        hint = ("free some disk space" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else
                "check that the directory is writable (permissions, read-only mount)")
        raise WriteError(f"cannot {action}: {reason}", path=path,
                         hint=f"{hint}; nothing was replaced, the previous files are "
                         "intact") from None


@dataclass
class Staged:
    """A complete new directory waiting to be swapped in for ``target``."""

    target: Path  # the path the user named (maybe a symlink)
    real: Path  # where the content lives (the symlink's target)
    new: Path
    backup: Path
    state: str = "staged"  # staged -> created | exchanged | renamed -> done

    def swap(self) -> None:
        with _writing(self.target, "replace the directory"):
            if not self.real.exists():
                os.rename(self.new, self.real)
                self.state = "created"
            elif _exchange(self.new, self.real):
                self.state = "exchanged"  # `new` now holds the old content
            else:
                os.rename(self.real, self.backup)
                os.rename(self.new, self.real)
                self.state = "renamed"

    def undo(self) -> None:
        """Put the old content back after a later directory of the same commit failed."""
        if self.state == "created":
            os.rename(self.real, self.new)
        elif self.state == "exchanged":
            _exchange(self.new, self.real)
        elif self.state == "renamed":
            os.rename(self.real, self.new)
            os.rename(self.backup, self.real)
        self.state = "staged"

    def discard(self) -> None:
        """Remove what is left next to ``real`` (the old content, or an unused new one)."""
        shutil.rmtree(self.new, ignore_errors=True)
        shutil.rmtree(self.backup, ignore_errors=True)
        with _ACTIVE_LOCK:
            _ACTIVE.discard(self.new.name)
            _ACTIVE.discard(self.backup.name)


def stage(target: Path, files: Mapping[str, str], keep: Callable[[str], bool]) -> Staged:
    """Build the new content of directory ``target`` next to it; nothing visible changes.

    Args:
        files: file name -> text, written as UTF-8 with ``\\n`` newlines.
        keep: which entries of the old directory (by name) are copied over; the others are
            dropped (e.g. stale query files).

    Raises:
        WriteError: a write failed (disk full, read-only directory); the staging directory
            is removed and ``target`` is untouched.
    """
    real = real_dir(target)
    with _writing(target, "clean up leftovers next to the directory"):
        recover(real)
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    staged = Staged(target, real, real.with_name(f".{real.name}.new-{token}"),
                    real.with_name(f".{real.name}.old-{token}"))
    with _ACTIVE_LOCK:
        _ACTIVE.update((staged.new.name, staged.backup.name))
    try:
        with _writing(target, "create the new directory beside it"):
            real.parent.mkdir(parents=True, exist_ok=True)
            staged.new.mkdir()
            if real.is_dir():
                shutil.copymode(real, staged.new)
                _copy_kept(real, staged.new, keep)
        for name, text in files.items():
            with _writing(target / name):
                _write(staged.new / name, text)
        with _writing(target, "sync the directory"):
            _fsync_dir(staged.new)
    except BaseException:
        staged.discard()
        raise
    return staged


def commit(staged: Sequence[Staged]) -> None:
    """Swap every staged directory in, all or none; then remove the old contents."""
    done: list[Staged] = []
    try:
        for s in staged:
            s.swap()
            done.append(s)
        for s in staged:
            with _writing(s.target, "sync the directory"):
                _fsync_dir(s.real.parent if str(s.real.parent) else Path("."))
    except BaseException:
        for s in reversed(done):
            s.undo()
        raise
    finally:
        for s in staged:
            s.discard()


def replace(target: Path, files: Mapping[str, str], keep: Callable[[str], bool]) -> None:
    """`stage` then `commit` one directory."""
    commit([stage(target, files, keep)])


def _copy_kept(old: Path, new: Path, keep: Callable[[str], bool]) -> None:
    for entry in old.iterdir():
        if not keep(entry.name):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, new / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, new / entry.name, follow_symlinks=False)


def _write(path: Path, text: str) -> None:
    # open() creates the file with 0o666 & ~umask, like any tool the user runs.
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))
