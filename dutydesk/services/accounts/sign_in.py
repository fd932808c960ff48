"""Whether the console must open on the sign-in screen, and whom it lists: plain queries, no ORM.

Kept apart from :mod:`dutydesk.services.accounts.auth` (which imports SQLModel, ~0.5 s here) so the
launcher can ask it on the way to the first frame.
"""

from __future__ import annotations

from dutydesk.storage.engine import Database


def sign_in_required(db: Database) -> bool:
    """True once anyone has a PIN: from then on every operator must sign in.

    A database nobody has initialised (``dutydesk init``) cannot check anyone, so it
    takes the operator's name as given, as before sign-in existed.
    """
    return bool(db.read("SELECT 1 FROM credential LIMIT 1"))


def operator_names(db: Database) -> list[str]:
    """Names of the active people who can sign in (they have a PIN), in name order."""
    rows = db.read(
        "SELECT p.name FROM person p JOIN credential c ON c.person_id = p.id "
        "WHERE p.active ORDER BY p.name"
    )
    return [str(row[0]) for row in rows]
