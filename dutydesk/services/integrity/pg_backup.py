"""``dutydesk backup`` on PostgreSQL: ``pg_dump`` in its custom format, checked.

Issue 15: a server database is backed up by the server's own tool, not by copying
files. The archive is written to ``<target>.partial``, listed back with
``pg_restore --list`` (a truncated or foreign file fails there), and renamed: the
target is never half an archive. Its chain head is read from the archive itself (the
``chain_state`` row ``pg_dump`` saved, from the one snapshot it dumped), so the head
printed beside it is the copy's own, whatever was written meanwhile.

The password never appears on a command line (``ps`` shows those): it is handed to
``pg_dump`` in ``PGPASSWORD``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from dutydesk.errors import DatabaseError
from dutydesk.i18n import t
from dutydesk.rules.chain import GENESIS, ChainHead
from dutydesk.storage.private import create_private_file

if TYPE_CHECKING:
    from dutydesk.storage.engine import Database

TIMEOUT_SECONDS = 3600
"""A year of a desk's records dumps in well under a minute; an hour is a stuck server."""


def tool(name: str) -> Path:
    """``pg_dump`` or ``pg_restore``: on PATH, else the newest Debian PostgreSQL's.

    Raises:
        DatabaseError: not installed.

    """
    found = shutil.which(name)
    if found:
        return Path(found)
    debian = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version, reverse=True)
    if debian:
        return Path(debian[0])
    raise DatabaseError(t("backup.no_tool", tool=name))


def _version(path: str) -> tuple[int, ...]:
    name = Path(path).parent.parent.name
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _connection(db: Database) -> tuple[str, dict[str, str]]:
    """The libpq URL without its password, and the environment that carries it."""
    from sqlalchemy.engine import make_url

    url = make_url(db.url).set(drivername="postgresql")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str]) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - our own tools, arguments as a list
            args, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, env=env, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise DatabaseError(t("backup.failed", detail=str(exc))) from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise DatabaseError(t("backup.failed", detail=detail[-1] if detail else done.returncode))
    return done.stdout


def pg_backup(db: Database, target: Path) -> ChainHead:
    """Dump the database to ``target`` (custom format) and return the archive's head.

    Raises:
        DatabaseError: the target exists or its folder does not, a tool is missing,
            or the dump or its check fails (no file is left behind then).

    """
    if target.exists():
        raise DatabaseError(t("backup.exists", target=target))
    if not target.parent.is_dir():
        raise DatabaseError(t("backup.no_dir", target=target))
    url, env = _connection(db)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # pg_dump truncates an existing --file and keeps its mode: the copy is 0600 whatever
    # the umask, like the database it copies.
    create_private_file(partial)
    try:
        _run([str(tool("pg_dump")), "--format=custom", f"--file={partial}", url], env)
        restore = str(tool("pg_restore"))
        _run([restore, "--list", str(partial)], env)  # a whole archive lists back
        rows = _run([restore, "--data-only", "--table=chain_state", "--file=-", str(partial)], env)
    except DatabaseError:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return _head(rows)


def _head(script: str) -> ChainHead:
    """The chain head in ``pg_restore``'s COPY of ``chain_state`` (columns as named)."""
    lines = script.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("COPY ") and "chain_state" in line:
            columns = [
                c.strip().strip('"') for c in line[line.index("(") + 1 : line.index(")")].split(",")
            ]
            for row in lines[index + 1 :]:
                if row == "\\.":
                    break
                values = dict(zip(columns, row.split("\t"), strict=False))
                if values.get("id") == "1":
                    return ChainHead(int(values["seq"]), values["hash"])
    return ChainHead(0, GENESIS)


__all__ = ["pg_backup", "tool"]
