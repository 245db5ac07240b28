"""The publication store: numbered, immutable publications in one directory.

Readers (the lookup service, ``sor publications``) use :class:`PublicationStore` to find the
current publication and the others; the publisher also uses it to number, build, switch and
prune them. This module imports only the standard library, so the lookup service can use it
without touching the register.

Layout (see :mod:`opensor.publication.schema`)::

    publications/
      current -> 000042            symlink, replaced atomically
      000041/ 000042/              complete publications (each with manifest.json)
      .building-000043-<pid>/      a publication being built
      .pruning-000035/             a publication being deleted
      .lock                        held (flock) by the one process building a publication
      .last-number                 the highest number ever begun

A directory is a complete publication once it carries its six-digit number as its name: it is
renamed to that name only after every file in it, the manifest last, has been written and
fsynced. Numbers are never reused: the next number is one more than the highest number found,
whether complete, a build that died, or a build that failed (``.last-number``).
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opensor.publication.schema import CURRENT_LINK, MANIFEST_NAME, READ_MODEL_NAME

__all__ = [
    "Publication",
    "PublicationStore",
    "StoreBusy",
    "default_store_root",
    "fsync_directory",
    "fsync_file",
]

_NUMBER = re.compile(r"^[0-9]{6}$")
_BUILDING = re.compile(r"^\.building-([0-9]{6})-([0-9]+)$")
_PRUNING = re.compile(r"^\.pruning-([0-9]{6})(?:-[0-9]+)?$")
_LOCK_NAME = ".lock"
_LAST_NUMBER_NAME = ".last-number"


def default_store_root() -> Path:
    """``$SOR_PUBLICATIONS``, else ``$SOR_HOME/publications`` (``SOR_HOME`` defaults to ./var)."""
    explicit = os.environ.get("SOR_PUBLICATIONS")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("SOR_HOME", "var")) / "publications"


def format_number(number: int) -> str:
    """The directory name of publication ``number`` (six digits, zero-padded)."""
    if not 0 < number <= 999_999:
        raise ValueError(f"a publication number is 1 to 999999, not {number}")
    return f"{number:06d}"


def fsync_file(path: Path) -> None:
    """Flush a file's contents to stable storage."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_directory(path: Path) -> None:
    """Flush a directory's entries (creations, renames, deletions) to stable storage."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Publication:
    """One complete publication: its number, its directory and its manifest."""

    number: int
    path: Path
    manifest: dict[str, Any] = field(compare=False, hash=False, repr=False)

    @property
    def read_model_path(self) -> Path:
        """The publication's SQLite read model."""
        return self.path / READ_MODEL_NAME

    def file_path(self, name: str) -> Path:
        """The path of one of the publication's files, by its name in the manifest.

        Raises ``ValueError`` for a name that is not a plain file name (no directories).
        """
        if not name or name != Path(name).name or name in (".", ".."):
            raise ValueError(f"{name!r} is not the name of a file in a publication")
        return self.path / name


class StoreBusy(RuntimeError):
    """Another process is building a publication in the same store."""


class PublicationStore:
    """The directory of publications (see the module documentation for its layout)."""

    def __init__(self, root: Path) -> None:
        """A store rooted at ``root`` (created when a publication is first built)."""
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"PublicationStore({str(self.root)!r})"

    # -- reading ---------------------------------------------------------------------------

    def current(self) -> Publication | None:
        """The publication the ``current`` symlink points at, or ``None`` when there is none."""
        try:
            target = os.readlink(self.root / CURRENT_LINK)
        except OSError:
            return None
        name = Path(target).name
        if not _NUMBER.match(name):
            return None
        return self.get(int(name))

    def get(self, number: int) -> Publication | None:
        """Publication ``number`` if it is complete, else ``None``."""
        if not 0 < number <= 999_999:
            return None
        path = self.root / format_number(number)
        try:
            text = (path / MANIFEST_NAME).read_text(encoding="utf-8")
        except OSError:
            return None
        try:
            manifest = json.loads(text)
        except ValueError:
            return None
        return Publication(number=number, path=path, manifest=manifest)

    def numbers(self) -> list[int]:
        """The numbers of the complete publications, newest first."""
        try:
            names = os.listdir(self.root)
        except OSError:
            return []
        found = [
            int(name)
            for name in names
            if _NUMBER.match(name) and (self.root / name / MANIFEST_NAME).is_file()
        ]
        return sorted(found, reverse=True)

    def list(self) -> list[Publication]:
        """Every complete publication, newest first."""
        result = []
        for number in self.numbers():
            publication = self.get(number)
            if publication is not None:
                result.append(publication)
        return result

    def latest(self) -> Publication | None:
        """The complete publication with the highest number (normally the current one)."""
        for number in self.numbers():
            publication = self.get(number)
            if publication is not None:
                return publication
        return None

    # -- building (used by the publisher) ----------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's build lock; raise :class:`StoreBusy` if another process holds it."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / _LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                raise StoreBusy(
                    f"another process (pid {holder}) is building a publication in {self.root}; "
                    "try again when it has finished"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def next_number(self) -> int:
        """One more than the highest number used so far, counting builds that died or failed.

        The highest number ever begun is also kept in ``.last-number``, so a number stays used
        after its failed build has been cleaned up.
        """
        highest = 0
        with contextlib.suppress(OSError, ValueError):
            highest = int((self.root / _LAST_NUMBER_NAME).read_text().strip() or 0)
        try:
            names = os.listdir(self.root)
        except OSError:
            names = []
        for name in names:
            match = _NUMBER.match(name) or _BUILDING.match(name) or _PRUNING.match(name)
            if match:
                highest = max(highest, int(match.group(1) if match.groups() else name))
        return highest + 1

    def begin(self, number: int) -> Path:
        """Create and return the directory in which publication ``number`` is built."""
        self.root.mkdir(parents=True, exist_ok=True)
        marker = self.root / f"{_LAST_NUMBER_NAME}.tmp-{os.getpid()}"
        with marker.open("w") as handle:
            handle.write(f"{number}\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(marker, self.root / _LAST_NUMBER_NAME)
        path = self.root / f".building-{format_number(number)}-{os.getpid()}"
        path.mkdir()
        fsync_directory(self.root)
        return path

    def remove_stale(self, keep: Path | None = None) -> builtins.list[Path]:
        """Delete what dead builds and interrupted prunes left behind (call under the lock)."""
        removed = []
        try:
            names = os.listdir(self.root)
        except OSError:
            return removed
        for name in names:
            path = self.root / name
            if keep is not None and path == keep:
                continue
            temporary = name.startswith(("current.tmp-", f"{_LAST_NUMBER_NAME}.tmp-"))
            if _BUILDING.match(name) or _PRUNING.match(name) or temporary:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed.append(path)
        if removed:
            fsync_directory(self.root)
        return removed

    def complete(self, building: Path, number: int) -> Publication:
        """Rename a fully written (and fsynced) build directory to its number."""
        final = self.root / format_number(number)
        if final.exists():
            raise FileExistsError(f"publication {final} already exists; numbers are never reused")
        fsync_directory(building)
        os.rename(building, final)
        fsync_directory(self.root)
        publication = self.get(number)
        if publication is None:
            raise RuntimeError(f"{final} has no readable {MANIFEST_NAME}")
        return publication

    def switch_current(self, number: int) -> None:
        """Point ``current`` at publication ``number`` atomically (a new link renamed over it)."""
        temporary = self.root / f"current.tmp-{os.getpid()}"
        temporary.unlink(missing_ok=True)
        os.symlink(format_number(number), temporary)
        os.replace(temporary, self.root / CURRENT_LINK)
        fsync_directory(self.root)

    def prune(self, keep: int) -> builtins.list[int]:
        """Delete all but the newest ``keep`` complete publications, never the current one."""
        if keep < 1:
            raise ValueError(f"keep must be at least 1, not {keep}")
        current = self.current()
        removed = []
        for number in self.numbers()[keep:]:
            if current is not None and number == current.number:
                continue
            path = self.root / format_number(number)
            doomed = self.root / f".pruning-{format_number(number)}-{os.getpid()}"
            os.rename(path, doomed)
            fsync_directory(self.root)
            shutil.rmtree(doomed, ignore_errors=True)
            removed.append(number)
        return removed
