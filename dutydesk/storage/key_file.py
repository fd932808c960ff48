"""Where a database's key file is, and whether its mode is safe: a path and a ``stat``.

Kept apart from :mod:`dutydesk.storage.crypto` (``hashlib``, ``secrets``, the chain's
envelope rules: ~4 ms of imports here) because the console's launcher checks the key
file before the first frame and opens nothing with it (issue 16). The crypto module
re-exports every name here: ``crypto.KeyFileError`` is this class.
"""

from __future__ import annotations

import stat
from pathlib import Path

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t


class CryptoError(DutyDeskError):
    """Encrypted text cannot be read or written; the message says why, without the text."""

    exit_code = 2


class KeyFileError(CryptoError):
    """The key file is missing, unsafe (readable by others) or not a dutydesk key file."""


def check_key_file(path: Path) -> None:
    """Refuse a key file that group or others may read or write (one line, no traceback).

    Raises:
        KeyFileError: the file's mode allows group or other access.

    """
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileError(t("error.key.open", path=path, mode=f"{mode:04o}"))


def key_file_for(db_path: Path | None, configured: str | None) -> Path:
    """Where the key file is: ``key_file`` if configured, else ``<database file>.key``.

    Raises:
        KeyFileError: neither is known (a server database with no ``key_file`` setting).

    """
    if configured:
        return Path(configured).expanduser()
    if db_path is None:
        raise KeyFileError(t("error.key.server"))
    return db_path.with_name(db_path.name + ".key")
