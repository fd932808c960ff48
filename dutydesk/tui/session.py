"""Who is at the console: the signed-in operator and the :class:`Context` they see through.

The console's :class:`Context` is immutable. Signing in builds a new one from the app's
base context (:func:`context_for`) with the operator's name, id and clearance, and the app
mounts a fresh main screen on it, so every pane, search and form opened from there reads
with that clearance and writes in that name. Signing out throws that screen away.

The reads here run in thread workers only (never on the event loop).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from dutydesk.storage.engine import Database
from dutydesk.tui.context import Context
from dutydesk.vocab import Classification

if TYPE_CHECKING:
    # The services below import SQLModel (~0.5 s here): types only at import time, the
    # audit service is loaded in the worker that writes the sign-out.
    from dutydesk.services.accounts.auth import Operator
    from dutydesk.services.incidents.queue import QueueRow


def context_for(
    base: Context, operator: Operator, first_rows: tuple[QueueRow, ...] | None = None
) -> Context:
    """``base`` as seen by ``operator``: name, id, clearance and roles.

    ``first_rows`` must have been read as ``operator`` (their clearance, their audit);
    the launcher's rows, read before anyone signed in, are never carried over.
    """
    return replace(
        base,
        clearance=operator.clearance,
        operator=operator.name,
        operator_id=operator.id,
        roles=operator.roles,
        first_rows=first_rows,
    )


_orm_imported = threading.Lock()
"""Held while a thread imports the ORM for a sign-in: one thread at a time does it."""

_orm_done = threading.Event()


def import_orm() -> None:
    """Import what a console sign-in checks and writes with: SQLModel, the tables, the services.

    About 0.3 s of CPU here, none of it needed to draw the sign-in screen: the screen
    runs this in a thread from the first key typed, while the officer types on, so the
    PIN check finds it done (issue 16). The check calls it too, before ``authenticate``.
    The lock keeps the two from importing the same modules at once (Python's per-module
    import locks could otherwise meet in a circular import of SQLAlchemy's and raise a
    deadlock error in one of them). Nothing on the event loop imports these before the
    check has finished (the desk, whose forms do, opens after it), so the loop never
    waits on them. Thread workers only.
    """
    with _orm_imported:
        import sqlmodel  # noqa: F401 - loaded for its side effect, the import

        import dutydesk.services.accounts.audit
        import dutydesk.services.accounts.auth
        import dutydesk.storage.models  # noqa: F401
    _orm_done.set()


def orm_imported() -> bool:
    """True once :func:`import_orm` has finished (in any thread): no import of it is running."""
    return _orm_done.is_set()


def guards_classified(operator: Operator | None) -> bool:
    """True if classified text may be on screen for ``operator``: no copying, no screenshots.

    Anyone signed in with a clearance above internal may be shown 秘密 or higher, so the
    clipboard and screenshots stay off for the whole session, on every screen.
    """
    return operator is not None and operator.clearance.level > Classification.INTERNAL.level


def record_sign_out(db: Database, operator: Operator, now: datetime) -> None:
    """Write the ``sign_out`` audit event for ``operator``."""
    from dutydesk.services.accounts import audit

    with db.session() as session:
        audit.record(session, operator.id, "sign_out", "person", operator.id, "", now)
