"""Follow-up entry forms (跟踪记录) on the selected incident, and the kind chooser (``l``).

One form class serves every kind; :data:`~dutydesk.tui.entry_forms.FORMS` says which
fields a kind asks for. The workflow rules live in the service
(:func:`dutydesk.services.incidents.followup.add_entry`): a refused entry shows the refusal
(why, and what to do instead) on the form's status line, and everything typed stays for a
second try.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import label, t
from dutydesk.services.incidents.timeline import IncidentDetail, TimelineItem
from dutydesk.tui.base.form import FormScreen
from dutydesk.tui.bindings import key, translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.entry_forms import FORMS
from dutydesk.tui.format import hhmm, report_number
from dutydesk.tui.moments import parse_due, typed_time
from dutydesk.tui.text import fit, safe
from dutydesk.tui.typed import after_typing
from dutydesk.tui.widgets.footer import KeysFooter
from dutydesk.tui.widgets.form import SafeInput, SafeTextArea
from dutydesk.vocab import EntryKind, Position


@dataclass(frozen=True)
class EntryResult:
    """The entry recorded."""

    incident_id: int
    serial: str
    kind: EntryKind
    seq: int


def entry_option(entry: TimelineItem, tz: Any) -> Content:
    """An earlier entry as one line of a chooser: ``#3 02:22 phone report  text``."""
    if entry.kind is EntryKind.CONTINUED_REPORT and entry.report_no:
        kind = report_number(int(entry.report_no))
    else:
        kind = label(entry.kind)
    return Content.assemble(
        fit(Content(f"#{entry.seq}"), 4),
        " ",
        hhmm(entry.occurred_at, tz),
        " ",
        fit(Content.styled(kind, "bold"), 18),
        " ",
        safe(entry.text, limit=50),
    )


class EntryScreen(FormScreen[EntryResult]):
    """A modal form for one follow-up entry on one incident."""

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("ctrl+s", "save", "save", priority=True),
        key("escape", "cancel", "cancel"),
    ]

    def __init__(self, context: Context, detail: IncidentDetail, kind: EntryKind) -> None:
        super().__init__(context)
        self.detail = detail
        self.kind = kind
        self.form = FORMS[kind]

    def _first_field(self) -> str:
        """Where the officer starts: the to-whom field, the entry answered, else the text."""
        if self.form.target:
            return "target"
        return "refers_to" if self.form.refers is not None else "text"

    def compose(self) -> ComposeResult:
        """The incident it is about, the kind's fields, the status line and the keys."""
        form, detail = self.form, self.detail
        with Vertical(id="form-box") as box:
            box.border_title = t("entry.title", kind=label(self.kind))
            yield Static(
                Content.assemble(safe(detail.serial, "bold"), "  ", safe(detail.title)),
                id="entry-incident",
            )
            now = typed_time(self.context.clock.now(), self.context.tz)
            yield self.field("occurred_at", SafeInput(now, compact=True))
            if form.target is not None:
                yield self.field("target", SafeInput(compact=True), caption=t(form.target))
            if form.refers is not None:
                options = [
                    (entry_option(entry, self.context.tz), entry.entry_id)
                    for entry in detail.entries
                    if not form.refers or entry.kind in form.refers
                ]
                yield self.field(
                    "refers_to",
                    Select(options, prompt=t("field.choose_entry"), compact=True),
                    caption=t("field.refers_to"),
                )
            if form.due:
                yield self.field(
                    "due_at",
                    SafeInput(placeholder=t("form.due_hint"), compact=True),
                )
            yield self.field(
                "text", SafeTextArea(compact=True, tab_behavior="focus"), caption=t(form.text)
            )
            yield Static(Content(""), id="form-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        """Start in the first field after the time; remember the blank form."""
        self._initial = self.values()
        # set_focus, not focus(): focus() lands a frame later, after the screen's auto
        # focus has put the first control (the time) in front, and keys typed in that
        # frame went there (the e2e night once typed an assignment into its due date).
        self.set_focus(self.control(self._first_field()))
        if self.kind is EntryKind.PHONE_REPORT:
            self._read_duty_leader()
        if self.kind is EntryKind.CONTINUED_REPORT:
            number = 1 + sum(1 for e in self.detail.entries if e.kind is EntryKind.CONTINUED_REPORT)
            self.status(t("entry.numbered", number=report_number(number)))

    class DutyLeader(Message):
        """Tonight's duty leader by the roster, read by a worker."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    @work(thread=True, exclusive=True, group="duty-leader", exit_on_error=False)
    def _read_duty_leader(self) -> None:
        from dutydesk.services.roster.pane import on_duty

        ctx = self.context
        name = on_duty(
            ctx.db,
            Position.DUTY_LEADER,
            ctx.clock.now(),
            day_start=ctx.settings.day_shift_start,
            night_start=ctx.settings.night_shift_start,
            tz=ctx.tz,
        )
        if name and not get_current_worker().is_cancelled:
            self.post_message(self.DutyLeader(name))

    def on_entry_screen_duty_leader(self, message: EntryScreen.DutyLeader) -> None:
        """A phone report goes to the duty leader: put their name in, unless one is typed."""
        target = self.control("target")
        assert isinstance(target, Input)
        if target.value == self._initial["target"]:
            target.value = message.name
            # The roster's value, not the officer's typing: escape still closes at once.
            self._initial["target"] = message.name

    def values(self) -> dict[str, Any]:
        """Every field as typed or chosen."""
        values: dict[str, Any] = {
            "occurred_at": self.text("occurred_at"),
            "text": self.text("text"),
        }
        if self.form.target is not None:
            values["target"] = self.text("target")
        if self.form.due:
            values["due_at"] = self.text("due_at")
        if self.form.refers is not None:
            chosen = self.query_one("#field-refers_to Select", Select).value
            values["refers_to"] = chosen if isinstance(chosen, int) else None
        return values

    @property
    def dirty(self) -> bool:
        """True when the officer typed or chose something."""
        return self.values() != self._initial

    @after_typing
    def action_save(self) -> None:
        """Check the times, then record the entry in a worker."""
        raw = self.values()
        tz = self.context.tz
        moment = self.typed_moment("occurred_at", self._initial["occurred_at"])
        ok = moment is not None
        occurred = moment or self.context.clock.now()
        due = None
        if raw.get("due_at", "").strip():
            try:
                due = parse_due(raw["due_at"], now=occurred, tz=tz)
                self.refuse("due_at", None)
            except ValueError as exc:
                ok = self.refuse("due_at", str(exc))
        if not ok:
            self.status(t("form.fix_fields"), error=True)
            return
        self.status(t("form.saving"))
        self._record(
            occurred=occurred,
            text=raw["text"],
            target=raw.get("target", ""),
            due=due,
            refers_to=raw.get("refers_to"),
        )

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def _record(self, **values: Any) -> None:
        from dutydesk.services.incidents.followup import NewEntry, add_entry
        from dutydesk.services.retry import write_with_retry
        from dutydesk.storage.models import Incident

        ctx, detail = self.context, self.detail
        step = NewEntry(
            kind=self.kind,
            occurred_at=values["occurred"],
            text=values["text"],
            target=values["target"],
            due_at=values["due"],
            refers_to_id=values["refers_to"],
        )

        def write(session: Any) -> int:
            incident = session.get(Incident, detail.id, populate_existing=True)
            if incident is None:
                raise DutyDeskError(t("entry.gone", serial=detail.serial))
            entry = add_entry(ctx.request(), incident, step, session=session)
            return int(entry.seq)

        try:
            seq = write_with_retry(ctx.db, write)
        except DutyDeskError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Done(EntryResult(detail.id, detail.serial, self.kind, seq)))


class LogChooser(ModalScreen[EntryKind | None]):
    """Pick the kind of follow-up entry to record (key ``l``): arrows and Enter, or its letter."""

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("escape", "close", "close"),
    ]

    def __init__(self, keys: dict[EntryKind, str]) -> None:
        super().__init__(classes="chooser")
        translate_bindings(self)
        self.keys = keys

    def compose(self) -> ComposeResult:
        """The kinds, each with its direct key."""
        options = [
            Option(
                Content.assemble(
                    fit(Content.styled(self.keys.get(kind, ""), "bold"), 3), label(kind)
                ),
                id=kind.value,
            )
            for kind in FORMS
        ]
        with Vertical(id="chooser-box") as box:
            box.border_title = t("entry.choose")
            yield OptionList(*options, id="chooser-list")

    def on_key(self, event: events.Key) -> None:
        """A letter shown beside a kind picks it, as it does on the main screen."""
        for kind, letter in self.keys.items():
            if event.key == letter and kind in FORMS:
                event.stop()
                event.prevent_default()
                self.dismiss(kind)
                return

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter: that kind."""
        assert event.option.id is not None
        self.dismiss(EntryKind(event.option.id))

    def action_close(self) -> None:
        """Escape: none."""
        self.dismiss(None)
