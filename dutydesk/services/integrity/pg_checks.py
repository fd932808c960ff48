"""``dutydesk verify`` on PostgreSQL: the server's own check of dutydesk's indexes.

Issue 15: on SQLite ``verify`` runs ``PRAGMA integrity_check``; PostgreSQL has no one
statement for that, but its ``amcheck`` extension checks a B-tree index's structure and
(``heapallindexed``) that every row of its table is in it: a damaged index makes a
lookup miss records that are there, which the hash chain (walked in full) cannot see.

``CREATE EXTENSION IF NOT EXISTS amcheck`` needs the extension's files on the server
(Debian's ``postgresql-NN`` package has them) and, because amcheck is not a "trusted"
extension, a superuser: either dutydesk's own role, or one who created it once in the
desk's database beforehand. When it cannot be had, :func:`amcheck` says so in one line
and ``verify`` goes on with the chain: a check that could not run is not damage.

Each index is checked in its own transaction with ``bt_index_check`` (an ACCESS SHARE
lock: consoles keep writing meanwhile), only this database's B-tree indexes of the
schema dutydesk's tables live in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dutydesk.i18n import t

if TYPE_CHECKING:
    from dutydesk.storage.engine import Database

_INDEXES = """
SELECT c.relname AS name
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_am a ON a.oid = c.relam
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.amname = 'btree' AND n.nspname = current_schema()
  AND i.indisvalid AND i.indisready AND c.relpersistence = 'p'
ORDER BY c.relname
"""
"""dutydesk's B-tree indexes (primary keys and unique constraints included); an index
being built (``CREATE INDEX CONCURRENTLY``) is not valid yet and cannot be checked."""


@dataclass
class ServerCheck:
    """What :func:`amcheck` found, in words."""

    summary: str
    """One line for the report: checked N indexes, or why no check ran."""
    problems: list[str] = field(default_factory=list)
    """One sentence per damaged index."""


def _unless_gone(db: Database, exc: BaseException) -> None:
    """Raise :class:`ServerUnreachable` for a server that went away: that is no finding."""
    from dutydesk.storage.engine import server_gone, unreachable_error

    if server_gone(exc):
        raise unreachable_error(exc, db.describe()) from None


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def _install(db: Database) -> str | None:
    """Create the extension if need be; ``None``, or why it cannot be had."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with db.engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
    except DBAPIError as exc:
        _unless_gone(db, exc)
        return _first_line(exc)
    return None


def amcheck(db: Database) -> ServerCheck:
    """Check every B-tree index of dutydesk's schema with ``amcheck``'s ``bt_index_check``.

    Raises:
        ServerUnreachable: the server went away.

    """
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    why = _install(db)
    if why is not None:
        return ServerCheck(t("verify.amcheck_unavailable", reason=why))
    names = [str(row.name) for row in db.read(_INDEXES)]
    problems: list[str] = []
    for name in names:
        try:
            with db.engine.begin() as conn:
                # heapallindexed: every row of the table is found in the index too.
                conn.execute(
                    text("SELECT bt_index_check(to_regclass(quote_ident(:name)), true)"),
                    {"name": name},
                )
        except DBAPIError as exc:
            _unless_gone(db, exc)
            problems.append(t("verify.amcheck_damaged", index=name, detail=_first_line(exc)))
    summary = t("verify.amcheck_ok", count=len(names), damaged=len(problems))
    return ServerCheck(summary, problems)
