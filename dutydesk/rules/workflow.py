"""The status workflow (docs/architecture.md §4): timeline entries drive an incident's status.

received -> verifying -> reported -> following -> closed, and reopened (back to
following). Pure: give it the current status and the kind of the entry being added, get
the status after it (:func:`status_after`), or the reason the entry makes no sense now
(:func:`refusal`). Refusals carry a message key (``refusal.<key>`` in the i18n
catalogs) that says why and what to do instead; the service turns it into words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import field

from dutydesk.records import record
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

ANSWERABLE: frozenset[EntryKind] = frozenset({EntryKind.LEADER_INSTRUCTION, EntryKind.ASSIGNMENT})
"""Entries a department's feedback can answer."""

# Written by the service itself, never asked for by an operator.
_SYSTEM_KINDS = {EntryKind.RECEIVED: "received_again", EntryKind.FIELD_CHANGE: "field_change"}
_REFERRING = {EntryKind.FEEDBACK, EntryKind.CORRECTION, EntryKind.REPORTED_BACK}
# An instruction is followed to its end whatever happens to the incident: its feedback,
# reminders (督办/催办) and 报结 may be recorded on a closed incident.
# 事发时间 is a required 报告要素 of an emergency's first written report.
_WRITTEN_FIRST_OR_LAST = {EntryKind.FIRST_REPORT, EntryKind.FINAL_REPORT}
_AFTER_CLOSING = {
    EntryKind.FEEDBACK,
    EntryKind.SUPERVISION,
    EntryKind.REPORTED_BACK,
    # A classified document's copy is returned (清退) or destroyed (销毁) after it is done.
    EntryKind.RETURNED,
    EntryKind.DESTROYED,
}


@record
class Refusal:
    """Why an entry is refused: an i18n key under ``refusal.`` and its placeholders."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    @property
    def message_key(self) -> str:
        """The full catalog key, e.g. ``refusal.continued_before_first``."""
        return f"refusal.{self.key}"


REFUSAL_KEYS: tuple[str, ...] = (
    "closed",
    "not_closed",
    "reopen_reason",
    "continued_before_first",
    "first_again",
    "feedback_reference",
    "feedback_answers",
    "correction_reference",
    "correction_text",
    "instruction_text",
    "instruction_leader",
    "assignment_target",
    "supervision_nothing",
    "received_again",
    "field_change",
    "reference_not_expected",
    "reported_back_reference",
    "written_needs_occurred",
)
"""Every key :func:`refusal` can return (a test keeps the catalogs in step)."""


def refusal(
    current: Status | str,
    kind: EntryKind | str,
    history: Iterable[EntryKind | str],
    *,
    text: str = "",
    target: str = "",
    referred: EntryKind | str | None = None,
    referred_seq: int | None = None,
    occurred_known: bool = True,
) -> Refusal | None:
    """Say why an entry of ``kind`` cannot be added now, or ``None`` when it may be.

    Args:
        current: the incident's status before the entry.
        kind: the kind of the entry being added.
        history: kinds of the entries already on the timeline.
        text: the entry's text (a reopening needs a reason, an instruction its words).
        target: to whom / from whom (instructing leader, assigned department).
        referred: kind of the entry this one refers to (already checked to be an
            earlier entry of the same incident), ``None`` when it refers to none.
        referred_seq: that entry's number on the timeline, for the message.
        occurred_known: ``False`` for an emergency whose 事发时间 is not recorded: the
            first written report (首报, or a 终报 sent without one) must state it, so it
            is refused until it is filled in. A phone report may go first, before the
            time is known; later written reports refer back to the first.

    Returns:
        The refusal, or ``None``.

    """
    status, entry = Status(current), EntryKind(kind)
    done = {EntryKind(item) for item in history}
    if entry in _SYSTEM_KINDS:
        return Refusal(_SYSTEM_KINDS[entry])
    if status is Status.CLOSED:
        if entry is not EntryKind.REOPENED and entry not in _AFTER_CLOSING:
            return Refusal("closed")
    elif entry is EntryKind.REOPENED:
        return Refusal("not_closed")
    if referred is not None and entry not in _REFERRING:
        return Refusal("reference_not_expected")
    first_written = not done & {EntryKind.FIRST_REPORT, EntryKind.CONTINUED_REPORT}
    if not occurred_known and entry in _WRITTEN_FIRST_OR_LAST and first_written:
        return Refusal("written_needs_occurred")
    return _content_refusal(entry, done, text, target, referred, referred_seq)


def _content_refusal(
    entry: EntryKind,
    done: set[EntryKind],
    text: str,
    target: str,
    referred: EntryKind | str | None,
    referred_seq: int | None,
) -> Refusal | None:
    reported = bool(done & {EntryKind.FIRST_REPORT, EntryKind.CONTINUED_REPORT})
    # A final report sent without a first one (a minor matter settled at once) still
    # counts as reported when the incident is reopened and followed again.
    any_report = reported or EntryKind.FINAL_REPORT in done
    checks: list[tuple[bool, Refusal]] = {
        EntryKind.REOPENED: [(not text.strip(), Refusal("reopen_reason"))],
        EntryKind.CONTINUED_REPORT: [(not any_report, Refusal("continued_before_first"))],
        EntryKind.FIRST_REPORT: [(reported, Refusal("first_again"))],
        EntryKind.LEADER_INSTRUCTION: [
            (not text.strip(), Refusal("instruction_text")),
            (not target.strip(), Refusal("instruction_leader")),
        ],
        EntryKind.ASSIGNMENT: [(not target.strip(), Refusal("assignment_target"))],
        EntryKind.SUPERVISION: [(not done & ANSWERABLE, Refusal("supervision_nothing"))],
        EntryKind.FEEDBACK: [
            (referred is None, Refusal("feedback_reference")),
            (
                referred is not None and EntryKind(referred) not in ANSWERABLE,
                Refusal("feedback_answers", {"seq": referred_seq, "kind": referred}),
            ),
        ],
        EntryKind.REPORTED_BACK: [
            (
                referred is None or EntryKind(referred) is not EntryKind.LEADER_INSTRUCTION,
                Refusal("reported_back_reference"),
            ),
        ],
        EntryKind.CORRECTION: [
            (referred is None, Refusal("correction_reference")),
            (not text.strip(), Refusal("correction_text")),
        ],
    }.get(entry, [])
    return next((found for failed, found in checks if failed), None)


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
