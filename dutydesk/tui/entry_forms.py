"""Which fields each kind of follow-up entry asks for (:data:`FORMS`).

Apart from the form screen (:mod:`dutydesk.tui.screens.entry`) so that the command palette,
which lists a "log" command per kind at start-up, does not import the form and its widgets
before anyone opens one (issue 16: the console's first frame).
"""

from __future__ import annotations

from dataclasses import dataclass

from dutydesk.rules.workflow import ANSWERABLE
from dutydesk.vocab import EntryKind


@dataclass(frozen=True)
class EntryForm:
    """The fields a kind of entry asks for."""

    target: str | None = None
    """Caption key of the to-whom field (``None``: no such field)."""
    text: str = "field.text"
    """Caption key of the text field."""
    due: bool = False
    """Ask for a feedback due date."""
    refers: frozenset[EntryKind] | None = None
    """Ask which earlier entry this one answers or corrects (of these kinds; empty: any)."""


FORMS: dict[EntryKind, EntryForm] = {
    EntryKind.VERIFIED: EntryForm(text="field.verified_text"),
    EntryKind.PHONE_REPORT: EntryForm(target="field.reported_to"),
    EntryKind.FIRST_REPORT: EntryForm(target="field.reported_to"),
    EntryKind.CONTINUED_REPORT: EntryForm(),
    EntryKind.LEADER_INSTRUCTION: EntryForm(target="field.leader", text="field.verbatim", due=True),
    EntryKind.ASSIGNMENT: EntryForm(target="field.department", due=True),
    EntryKind.SUPERVISION: EntryForm(),
    EntryKind.FEEDBACK: EntryForm(refers=ANSWERABLE),
    EntryKind.REPORTED_BACK: EntryForm(
        target="field.leader", refers=frozenset({EntryKind.LEADER_INSTRUCTION})
    ),
    EntryKind.NOTE: EntryForm(),
    EntryKind.CORRECTION: EntryForm(text="field.correct_text", refers=frozenset()),
    EntryKind.FINAL_REPORT: EntryForm(),
    EntryKind.CLOSED: EntryForm(text="field.reason"),
    EntryKind.REOPENED: EntryForm(text="field.reason"),
    # An incoming document's steps (党政机关公文处理工作条例 §24).
    EntryKind.REGISTERED: EntryForm(),
    EntryKind.SUBMITTED: EntryForm(target="field.leader"),
    EntryKind.CIRCULATED: EntryForm(target="field.department"),
}
"""Every kind an officer can record, in the order the chooser lists them."""
