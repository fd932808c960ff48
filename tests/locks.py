"""Which POSIX (fcntl) locks a process holds on a file, read from Linux's ``/proc/locks``.

SQLite coordinates processes with fcntl locks; a process that silently lost them (see
:func:`dutydesk.storage.engine.check_sqlite_file`) lets others unlink the WAL under it. Tests read
``/proc/locks`` to see the locks a person cannot.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HAS_PROC_LOCKS = sys.platform == "linux" and Path("/proc/locks").exists()


def posix_locks(pid: int, path: Path) -> list[str]:
    """The ``/proc/locks`` lines of fcntl locks ``pid`` holds on ``path``'s inode."""
    inode = os.stat(path).st_ino
    held = []
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        # "1: POSIX  ADVISORY  READ 1234 fe:00:5678 1073741826 1073742335"; blocked
        # waiters have a "->" field first, which shifts the rest by one.
        if "->" in fields:
            fields.remove("->")
        if len(fields) < 6 or fields[1] != "POSIX":
            continue
        if fields[4] == str(pid) and fields[5].rsplit(":", 1)[-1] == str(inode):
            held.append(line)
    return held
