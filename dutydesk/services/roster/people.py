"""People the console offers in its choosers: who may sign a bulletin off, who are leaders.

Plain reads; the services that write (sign-off, leave) check the role again, so a list
read a moment ago can never let the wrong person through.
"""

from __future__ import annotations

from collections.abc import Iterable

from dutydesk.storage.engine import Database
from dutydesk.vocab import Role


def names_with_roles(db: Database, roles: Iterable[Role]) -> list[str]:
    """Active people holding any of ``roles``, by name, in registration order."""
    wanted = sorted({role.value for role in roles})
    if not wanted:
        return []
    marks = ", ".join(f":r{index}" for index in range(len(wanted)))
    rows = db.read(
        "SELECT DISTINCT p.id, p.name FROM person p JOIN person_role r ON r.person_id = p.id "  # noqa: S608 - generated placeholders only; roles bound
        f"WHERE p.active = TRUE AND r.role IN ({marks}) ORDER BY p.id",
        {f"r{index}": role for index, role in enumerate(wanted)},
    )
    return [str(name) for _id, name in rows]


__all__ = ["names_with_roles"]
