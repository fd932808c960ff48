"""The status workflow (DESIGN.md §4): timeline entries drive an incident's status.

received -> verifying -> reported -> following -> closed, and reopened (back to
following). Pure: give it the current status and the kind of the entry being added, get
the status after it. Issue 3 extends this module with refusals (an entry that makes no
sense for the current status); today every entry is accepted and the status only ever
moves forward, except through a reopening.
"""

from __future__ import annotations

from dutydesk.vocab import EntryKind, Status

STATUS_ORDER: tuple[Status, ...] = (
    Status.RECEIVED,
    Status.VERIFYING,
    Status.REPORTED,
    Status.FOLLOWING,
    Status.CLOSED,
)
"""The statuses in workflow order; the index is how far along an incident is."""

_RANK = {status: index for index, status in enumerate(STATUS_ORDER)}

# The status an entry moves an incident to, at least. Kinds missing here (received,
# note, correction, field change) leave the status alone: they record, they do not act.
_TARGET: dict[EntryKind, Status] = {
    EntryKind.VERIFIED: Status.VERIFYING,
    EntryKind.PHONE_REPORT: Status.REPORTED,
    EntryKind.FIRST_REPORT: Status.REPORTED,
    EntryKind.CONTINUED_REPORT: Status.FOLLOWING,
    EntryKind.LEADER_INSTRUCTION: Status.FOLLOWING,
    EntryKind.ASSIGNMENT: Status.FOLLOWING,
    EntryKind.SUPERVISION: Status.FOLLOWING,
    EntryKind.FEEDBACK: Status.FOLLOWING,
    EntryKind.FINAL_REPORT: Status.CLOSED,
    EntryKind.CLOSED: Status.CLOSED,
}


def status_after(current: Status | str, kind: EntryKind | str) -> Status:
    """The status of an incident at ``current`` once an entry of ``kind`` is added.

    The status never moves backwards: a late phone report on an incident already being
    followed up keeps it at ``following``. A closed incident stays closed until a
    ``reopened`` entry, which puts it back to ``following``.

    Args:
        current: the incident's status before the entry.
        kind: the kind of the entry being added.

    Returns:
        The new status (possibly the same).

    """
    status, entry = Status(current), EntryKind(kind)
    if status is Status.CLOSED:
        return Status.FOLLOWING if entry is EntryKind.REOPENED else Status.CLOSED
    target = _TARGET.get(entry)
    if target is None or _RANK[target] <= _RANK[status]:
        return status
    return target


def is_open(status: Status | str) -> bool:
    """True while an incident is not closed (it stays in the live queue)."""
    return Status(status) is not Status.CLOSED
