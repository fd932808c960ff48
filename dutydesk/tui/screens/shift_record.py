"""The change of shift's record (交接班记录, ``s`` on the handover screen): make it, sign it.

The 08:30 meeting's pack has its own screen (:mod:`.handover`); this one is the record
made at every change of shift (:mod:`dutydesk.services.handover.shifts`): which change
is ending, who the roster puts on either side (交班人, 接班人, 带班领导), what is handed
over still open, and the signatures so far. ``m`` makes the record; ``s`` signs it as
the signed-in operator in the role the roster gives them (a duty leader signs as the
带班领导); ``o`` ``i`` ``l`` sign in a chosen role, e.g. where nobody was rostered.
The service checks every signature against the roster: a refusal is one line here.
Every read and write runs in a thread worker.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import label, t
from dutydesk.services.handover.shift_view import ShiftRecordView
from dutydesk.services.roster.pane import Holder
from dutydesk.tui.base.read_only import refused
from dutydesk.tui.bindings import key, translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.text import safe
from dutydesk.tui.widgets.footer import KeysFooter
from dutydesk.tui.workers import ReportsWorkerErrors
from dutydesk.vocab import Classification, Position

ROLE_KEYS = {"outgoing": "o", "incoming": "i", "leader": "l"}
"""The key that signs in each role (the roster's own role is ``s``)."""


class ShiftRecordScreen(ReportsWorkerErrors, Screen[None], inherit_bindings=False):
    """The record of the change of shift that is ending, with keys to make and sign it."""

    CSS_PATH = "../paper.tcss"
    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("m", "make", "desk.make_record"),
        key("s", "sign", "desk.sign_record"),
        key("o", "sign_as('outgoing')", "desk.sign_outgoing", show=False),
        key("i", "sign_as('incoming')", "desk.sign_incoming", show=False),
        key("l", "sign_as('leader')", "desk.sign_leader", show=False),
        key("r", "reload", "desk.reload_record"),
        key("escape,q", "close", "desk.close"),
    ]

    class Read(Message):
        """A worker read the change of shift and its record."""

        def __init__(self, view: ShiftRecordView) -> None:
            super().__init__()
            self.view = view

    class Done(Message):
        """A write went through; ``text`` says what happened."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Failed(Message):
        """A write was refused; ``reason`` says why in one line."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, context: Context) -> None:
        super().__init__(id="shift-record")
        translate_bindings(self)
        self.context = context
        self.view: ShiftRecordView | None = None

    def compose(self) -> ComposeResult:
        """The record in a scrollable pane, a status line, the keys."""
        with VerticalScroll(id="shift-record-pane") as pane:
            pane.border_title = t("desk.shift_record.title")
            pane.can_focus = True
            yield Static(Content(t("app.loading")), id="shift-record-body")
        yield Static(Content(""), id="shift-record-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        """Read the change of shift that is ending."""
        self.query_one("#shift-record-pane").focus()
        self.action_reload()

    @property
    def text(self) -> str:
        """The plain text of the record on screen (for tests)."""
        return str(self.query_one("#shift-record-body", Static).content)

    @property
    def status_text(self) -> str:
        """What the status line says (for tests)."""
        return str(self.query_one("#shift-record-status", Static).content)

    def _status(self, text: str, *, error: bool = False) -> None:
        line = self.query_one("#shift-record-status", Static)
        line.set_class(error, "-error")
        line.update(safe(text, "bold" if error else ""))

    # -- reading ---------------------------------------------------------------------------

    def action_reload(self) -> None:
        """Read the change of shift and its record again, as of now."""
        self._read()

    @work(thread=True, exclusive=True, group="shift-record", exit_on_error=False)
    def _read(self) -> None:
        from dutydesk.services.handover.shift_view import record_view

        ctx = self.context
        self.post_message(self.Read(record_view(ctx.db, ctx.clock.now(), ctx.settings)))

    def on_shift_record_screen_read(self, message: ShiftRecordScreen.Read) -> None:
        """Show what was read."""
        self.view = message.view
        self.query_one("#shift-record-body", Static).update(self.render_view(message.view))

    def render_view(self, view: ShiftRecordView) -> Content:
        """The change, each role with who is rostered and who signed, the open items."""
        tz = self.context.tz
        record = view.record
        kind = t("handover.shift.kind", kind=t(f"kind.{view.slot.kind.value}"))
        change = view.slot.end_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        head = t("desk.shift_record.head", date=view.slot.shift_date.isoformat(), kind=kind)
        lines = [safe(f"{head} → {change}", "bold")]
        if record is None:
            lines.append(safe(t("desk.shift_record.not_made"), "italic"))
        else:
            state = t("handover.shift.complete" if record.complete else "handover.shift.incomplete")
            lines.append(safe(t("desk.shift_record.number", id=record.id, state=state), "dim"))
        lines.append(Content(""))
        for role in ("outgoing", "incoming", "leader"):
            names = "、".join(_holder(h) for h in view.people.holders(role)) or t("app.none")
            lines.append(safe(t(f"desk.shift_record.{role}"), "bold $accent"))
            lines.append(_indented(t("desk.shift_record.rostered", names=names)))
            if record is not None:
                name, at = record.signatures[role]
                signed = (
                    f"{name} {at.astimezone(tz):%m-%d %H:%M}"
                    if at is not None
                    else t("handover.shift.unsigned")
                )
                lines.append(_indented(t("desk.shift_record.signed", who=signed)))
        lines += [Content(""), safe(t("desk.shift_record.open"), "bold $accent")]
        lines += self._open_lines(view)
        return Content("\n").join(lines)

    def _open_lines(self, view: ShiftRecordView) -> list[Content]:
        if view.record is None:
            return [_indented(t("desk.shift_record.open_after"), "dim")]
        classified = [
            _indented(
                t(
                    "desk.shift_record.classified",
                    serial=c.serial,
                    classification=label(c.classification),
                )
            )
            for c in view.classified
        ]
        if not view.open_items:
            return [_indented(t("handover.none")), *classified]
        tz = self.context.tz
        # The snapshot is the internal reader's: a viewer cleared for less sees serials.
        titled = self.context.clearance.level >= Classification.INTERNAL.level
        lines = []
        for item in view.open_items:
            title = item.title if titled else ""
            if item.due_step and item.due_at:
                text = t(
                    "handover.open_line",
                    serial=item.serial,
                    title=title,
                    step=t(f"step.{item.due_step}"),
                    due=item.due_at.astimezone(tz).strftime("%m-%d %H:%M"),
                )
            else:
                text = t("handover.open_nothing_due", serial=item.serial, title=title)
            lines.append(_indented(text))
        return lines + classified

    # -- writing ---------------------------------------------------------------------------

    def action_make(self) -> None:
        """Make the record of the change of shift that is ending (or find the one made)."""
        if refused(self, self.context):
            return
        if self.app.screen is self:
            self._status(t("form.saving"))
            self._make()

    @work(thread=True, exclusive=True, group="shift-record-write", exit_on_error=False)
    def _make(self) -> None:
        from dutydesk.services.handover.shifts import make_record

        ctx = self.context
        try:
            made = make_record(ctx.request(), ctx.settings)
        except DutyDeskError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Done(t("desk.shift_record.made", id=made.id)))
        self._read()

    def action_sign(self) -> None:
        """Sign as the signed-in operator, in the role the roster gives them."""
        if refused(self, self.context):
            return
        self._sign_as(None)

    def action_sign_as(self, role: str) -> None:
        """Sign as the signed-in operator in ``role``; the service checks the roster."""
        if refused(self, self.context):
            return
        self._sign_as(role)

    def _sign_as(self, role: str | None) -> None:
        view = self.view
        if view is None or self.app.screen is not self:
            return
        if view.record is None:
            self._status(t("desk.shift_record.make_first"), error=True)
            return
        self._status(t("form.saving"))
        self._sign(view.record.id, role)

    @work(thread=True, exclusive=True, group="shift-record-write", exit_on_error=False)
    def _sign(self, record_id: int, role: str | None) -> None:
        from dutydesk.services.handover.shifts import get_record, shift_people, sign

        ctx = self.context
        name = ctx.operator
        try:
            if role is None:
                record = get_record(ctx.db, record_id)
                roles = shift_people(ctx.db, record.changed_at, ctx.settings).roles_of(name)
                unsigned = [r for r in roles if r in record.missing]
                if not roles:
                    self.post_message(self.Failed(t("desk.shift_record.no_role", name=name)))
                    return
                role = unsigned[0] if unsigned else roles[0]  # signed: the service says by whom
            signed = sign(ctx.db, record_id, role, name, now=ctx.clock.now(), settings=ctx.settings)
        except DutyDeskError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        when = signed.signatures[role][1]
        at = when.astimezone(ctx.tz).strftime("%H:%M") if when else ""
        text = t("desk.shift_record.signed_as", name=name, role=t(f"handover.shift.{role}"), at=at)
        self.post_message(self.Done(text))
        self._read()

    # -- outcome ---------------------------------------------------------------------------

    def on_shift_record_screen_done(self, message: ShiftRecordScreen.Done) -> None:
        """Say what was done, here and in a toast."""
        self._status(message.text)
        self.app.notify(safe(message.text).plain, markup=False)

    def on_shift_record_screen_failed(self, message: ShiftRecordScreen.Failed) -> None:
        """Say why it was refused, in one line."""
        self._status(message.reason, error=True)

    def action_close(self) -> None:
        """Back to the handover pack."""
        self.dismiss(None)


def _indented(text: str, style: str = "") -> Content:
    """One line of stored text, two spaces in under its heading."""
    return Content("  ") + safe(text, style)


def _holder(holder: Holder) -> str:
    """A name, marked as the 带班领导 (and 电话带班) for a duty leader."""
    if holder.position is not Position.DUTY_LEADER:
        return holder.name
    call = t("roster.on_call") if holder.on_call else ""
    return t("desk.shift_record.leader_name", name=holder.name) + call


__all__ = ["ROLE_KEYS", "ShiftRecordScreen"]
