"""Files and folders only their owner may read: the database, its copies, exports, keys.

Issue 17: the database, its ``-wal``/``-shm``, backups and ``-o`` exports were created
0644 under the usual umask 022, so any local account (``nobody`` in the audit) could copy
the PIN hashes and search them offline. Everything dutydesk creates that holds the
record is made 0600, every folder it creates 0700, whatever the umask: the mode is given
at ``open``/``mkdir`` and set again with ``chmod`` (a umask can only remove bits, but a
strict one such as 0277 would leave the owner unable to write).

Existing files are not changed behind the operator's back: :func:`loose_files` names the
ones that group or others may read or write, for a one-line warning on open.
"""

from __future__ import annotations

import os
import shlex
import stat
from collections.abc import Iterable
from pathlib import Path

from dutydesk.i18n import t

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 unless it exists; True if this call made it.

    Used before SQLite opens a new database file: SQLite gives the ``-wal`` and ``-shm``
    files it creates later the permissions of the database file itself (``unix`` VFS,
    ``findCreateFileMode``), so a 0600 database gets a 0600 journal under any umask,
    with no process-wide umask change that would race the console's worker threads.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return False
    try:
        os.fchmod(descriptor, PRIVATE_FILE)
    finally:
        os.close(descriptor)
    return True


def make_private_dirs(path: Path) -> None:
    """Create ``path`` and any missing parents, each new one with mode 0700.

    Folders that exist already keep their mode: they are the operator's.
    """
    missing: list[Path] = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue  # made meanwhile by another process: it is not ours to change
        os.chmod(folder, PRIVATE_DIR)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (created or replaced in place) with mode 0600."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as stream:
        os.fchmod(stream.fileno(), PRIVATE_FILE)  # an existing file keeps no looser mode
        stream.write(data)


def loose_mode(path: Path) -> int | None:
    """The permission bits of ``path`` when group or others have any access, else None."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return mode if mode & 0o077 else None


def loose_files(paths: Iterable[Path]) -> list[tuple[Path, int]]:
    """Each existing file of ``paths`` that group or others may read or write, with its mode."""
    found = []
    for path in paths:
        mode = loose_mode(path)
        if mode is not None:
            found.append((path, mode))
    return found


def loose_database_line(db_path: Path | None) -> str | None:
    """One warning line naming the database files group or others may access, or None.

    The database, its ``-wal`` and ``-shm``: a file made by an older dutydesk, or copied
    with ``cp``, keeps a mode that lets any local account copy the PIN hashes. A warning,
    not a refusal (the desk must keep working at 3 a.m.); the key file is refused instead
    (:func:`dutydesk.storage.crypto.check_key_file`).
    """
    if db_path is None:
        return None
    names = [db_path, db_path.with_name(db_path.name + "-wal")]
    names.append(db_path.with_name(db_path.name + "-shm"))
    found = loose_files(names)
    if not found:
        return None
    files = ", ".join(f"{path.name} ({mode:04o})" for path, mode in found)
    target = shlex.quote(str(db_path)) + "*"  # the database and its side files, pasteable
    return t("files.loose", files=files, folder=db_path.parent, target=target)
