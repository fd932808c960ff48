"""The intake form (接报登记, key ``n``): register what came in within seconds.

Defaults make a phone call quick: channel phone, received now, internal, unassessed;
only the summary is required and the title defaults to its first clause. ``ctrl+s``
saves in a thread worker; while the officer types, a debounced worker looks for a
similar incident within two hours (:func:`dutydesk.services.incidents.intake.find_similar`) and
offers to file the report there as a continued report (``ctrl+l``) instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Checkbox, Input, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import label, t
from dutydesk.services.incidents.intake import SimilarIncident, default_title, find_similar
from dutydesk.services.incidents.queue import QueueRow, fetch_row
from dutydesk.tui.base.form import FormScreen
from dutydesk.tui.bindings import key
from dutydesk.tui.context import Context
from dutydesk.tui.format import clock_periods, hhmm
from dutydesk.tui.moments import parse_past, typed_time
from dutydesk.tui.text import safe
from dutydesk.tui.typed import after_typing
from dutydesk.tui.widgets.choice import SEVERITY_KEYS, ChoiceSelect
from dutydesk.tui.widgets.footer import KeysFooter
from dutydesk.tui.widgets.form import SafeInput, SafeTextArea, choices
from dutydesk.vocab import Category, Channel, Classification, MatterKind, Severity

if TYPE_CHECKING:
    from dutydesk.storage.models import (
        Incident,  # the ORM is imported when a form saves, not before
    )

SIMILAR_DEBOUNCE = 0.4
"""Seconds of quiet typing before looking for a similar incident."""

_TEXT_FIELDS = ("reporter_name", "reporter_unit", "reporter_phone", "location", "title")
_REGISTER_FIELDS = ("organ", "doc_no", "period", "copies", "copy_no", "signer")
"""Register mode (issue 13): a classified item's register row (来文机关, 文号, ★保密期限,
份数, 份号, 签收人), shown only when a classified level is chosen."""


@dataclass(frozen=True)
class IntakeResult:
    """What the form did: registered a new incident, or linked the report to one."""

    incident_id: int
    serial: str
    linked: bool = False
    kind: str = ""
    """The kind of the entry a linked report became (continued report, or note)."""
    row: QueueRow | None = None
    """The new incident as the queue shows it, read back after the commit (``None``
    when linked, or not open): the queue places it without reading its rows again."""


class IntakeScreen(FormScreen[IntakeResult]):
    """A modal form for a new incident."""

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("ctrl+s", "save", "save", priority=True),
        key("ctrl+l", "link", "link", priority=True),
        key("escape", "cancel", "cancel"),
    ]

    class Similar(Message):
        """A worker found incidents that may be this one."""

        def __init__(self, found: list[SimilarIncident], blocking: bool) -> None:
            super().__init__()
            self.found = found
            self.blocking = blocking

    def __init__(
        self,
        context: Context,
        *,
        prefill: Mapping[str, str] | None = None,
        drill_inject: int | None = None,
    ) -> None:
        """A blank form, or one ``prefill``-ed with a drill's report (``drill_inject``).

        A drill report is registered as a drill incident linked to its inject
        (:func:`dutydesk.services.drills.take_report`); it is never linked to a real one.
        """
        super().__init__(context)
        self._prefill = dict(prefill or {})
        self._drill_inject = drill_inject

    def compose(self) -> ComposeResult:
        """The fields, the duplicate warning, the status line and the keys."""
        # When the form opened: what an untouched Received field means, to the second.
        now = self.opened_at = self.context.clock.now()
        with Vertical(id="form-box") as box:
            box.border_title = t("intake.title")
            if self._drill_inject is not None:
                box.border_title = Content(f"{t('drill.mark')} {t('intake.title')}")
            with Horizontal(classes="form-row"):
                yield self.field(
                    "channel",
                    Select(choices(Channel), value="phone", allow_blank=False, compact=True),
                )
                yield self.field(
                    "received_at",
                    SafeInput(
                        typed_time(now, self.context.tz),
                        placeholder=t("form.time_hint"),
                        compact=True,
                    ),
                )
                yield self.field(
                    "category",
                    Select(choices(Category), value="other", allow_blank=False, compact=True),
                )
            with Horizontal(classes="form-row"):
                yield self.field(
                    "severity",
                    ChoiceSelect(choices(Severity), value="unassessed", keys=SEVERITY_KEYS),
                    note=Static(Content(""), id="severity-clocks", classes="field-note"),
                )
                yield self.field(
                    "classification",
                    Select(
                        choices(Classification), value="internal", allow_blank=False, compact=True
                    ),
                )
                yield self.field("location", SafeInput(compact=True))
            with Horizontal(classes="form-row", id="register-row"):
                for name in _REGISTER_FIELDS:
                    yield self.field(name, SafeInput(compact=True))
            with Horizontal(classes="form-row"):
                # The kind decides the clocks: blank means as the category or channel
                # starts it (data/rules.toml); 事发时间 is a report element of its own.
                yield self.field(
                    "kind",
                    Select(
                        [(t("intake.kind_auto"), ""), *choices(MatterKind)],
                        value="",
                        allow_blank=False,
                        compact=True,
                    ),
                )
                yield self.field(
                    "occurred_at",
                    SafeInput(placeholder=t("intake.occurred_hint"), compact=True),
                    caption=t("field.happened_at"),
                )
                yield self.field("sensitive", Checkbox(t("intake.sensitive"), compact=True))
            with Horizontal(classes="form-row"):
                for name in ("reporter_name", "reporter_unit", "reporter_phone"):
                    yield self.field(name, SafeInput(compact=True))
            yield self.field("title", SafeInput(placeholder=t("intake.title_hint"), compact=True))
            yield self.field("summary", SafeTextArea(compact=True, tab_behavior="focus"))
            with Vertical(id="similar-box"):
                yield Static(Content(""), id="similar-text")
                yield OptionList(id="similar-list", compact=True)
            yield Static(Content(""), id="form-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        """Start in the summary: the one field a phone report must fill."""
        self.query_one("#similar-box").display = False
        self._show_register()
        self._found: list[SimilarIncident] = []
        self._warned: frozenset[int] = frozenset()
        self._initial = self.values()
        self._fill(self._prefill)
        self.set_focus(self.control("summary"))  # now, not a frame later (see EntryScreen)
        self._warm_up()
        self._read_clocks(self.values())

    def _fill(self, values: Mapping[str, str]) -> None:
        """Put a drill report's content in the fields (stored text goes in as typed)."""
        for name, value in values.items():
            if name in {"channel", "category", "severity", "classification"}:
                self.query_one(f"#field-{name} Select", Select).value = value
            elif name == "summary":
                self.control("summary").load_text(value)  # type: ignore[attr-defined]
            elif name in _TEXT_FIELDS:
                self.control(name).value = value  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="warm-up", exit_on_error=False)
    def _warm_up(self) -> None:
        # The write path imports SQLAlchemy and SQLModel (0.6 s), configures the ORM and
        # opens a connection: do it while the officer types, not when ctrl+s is pressed,
        # and never inside the save's transaction, which holds the write lock (issue 16).
        # Every module the first save imported inside its transaction (python -X
        # importtime): the first save at 200k went from ~300 ms to ~120 ms.
        from dutydesk import config  # noqa: F401
        from dutydesk.services.accounts import audit, auth  # noqa: F401
        from dutydesk.services.incidents import incident, readers  # noqa: F401
        from dutydesk.services.incidents.intake import register  # noqa: F401
        from dutydesk.services.integrity import chain, state_facts  # noqa: F401
        from dutydesk.services.retry import write_with_retry  # noqa: F401

        _ = self.context.rules
        self.context.db.warm_writes()

    # -- the clocks the severity sets ----------------------------------------------------

    class Clocks(Message):
        """The report clocks of the chosen severity, in words (from the rules)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    @on(Select.Changed, "#field-severity Select")
    @on(Select.Changed, "#field-channel Select")
    @on(Select.Changed, "#field-category Select")
    @on(Select.Changed, "#field-kind Select")
    @on(Checkbox.Changed, "#field-sensitive Checkbox")
    def _clock_terms_chosen(self) -> None:
        # Grade, kind (as chosen, or as the channel and category start it) and the
        # sensitive flag together decide which clocks the new item starts.
        self._read_clocks(self.values())

    @work(thread=True, exclusive=True, group="clocks", exit_on_error=False)
    def _read_clocks(self, raw: dict[str, str]) -> None:
        # The rules come from the rules file and the config (read once, off the loop).
        rules = self.context.rules
        kind = (
            MatterKind(raw["kind"])
            if raw["kind"]
            else rules.kind_for(Channel(raw["channel"]), Category(raw["category"]))
        )
        clocks = rules.clocks_for(Severity(raw["severity"]), kind, sensitive=bool(raw["sensitive"]))
        if not get_current_worker().is_cancelled:
            self.post_message(self.Clocks(clock_periods(clocks)))

    def on_intake_screen_clocks(self, message: IntakeScreen.Clocks) -> None:
        """Show beside the severity what choosing it means for the report clocks."""
        self.query_one("#severity-clocks", Static).update(Content.styled(message.text, "dim"))

    # -- values ------------------------------------------------------------------------

    @property
    def _register_mode(self) -> bool:
        """Register mode with a classified level chosen: the item is its register only."""
        level = str(self.query_one("#field-classification Select", Select).value)
        return (
            self.context.settings.deployment == "register" and Classification(level).is_classified
        )

    @on(Select.Changed, "#field-classification Select")
    def _show_register(self) -> None:
        """The register row appears only for a classified item in register mode."""
        self.query_one("#register-row").display = self._register_mode

    def _register_fields(self, raw: dict[str, str], fields: dict[str, Any]) -> bool:
        """Move the register row's values into ``fields["register"]``; marks a bad number."""
        from dutydesk.services.incidents.register import RegisterFields

        for name in _REGISTER_FIELDS:
            fields.pop(name, None)
        if not self._register_mode:
            return True
        numbers: dict[str, int | None] = {}
        ok = True
        for name in ("copies", "copy_no"):
            text = raw[name].strip()
            if text and not (text.isascii() and text.isdigit()):
                ok = self.refuse(
                    name, t("error.fact.not_a_number", field=t(f"field.{name}"), value=repr(text))
                )
                continue
            self.refuse(name, None)
            numbers[name] = int(text) if text else None
        if ok:
            fields["register"] = RegisterFields(
                organ=raw["organ"], doc_no=raw["doc_no"], period=raw["period"],
                copies=numbers["copies"], copy_no=numbers["copy_no"], signer=raw["signer"],
            )  # fmt: skip
        return ok

    def values(self) -> dict[str, str]:
        """Every field as typed or chosen (strings, untouched)."""
        names = (*_TEXT_FIELDS, *_REGISTER_FIELDS, "received_at", "occurred_at")
        values = {name: self.text(name) for name in names}
        # Each field's own control, found by id: a "#field-x Select" query matched every
        # node of the form against the selector (24 of them: 10-30 ms of each ctrl+s).
        for name in ("channel", "category", "severity", "classification", "kind"):
            choice = self.control(name)
            assert isinstance(choice, Select)
            values[name] = str(choice.value)
        sensitive = self.control("sensitive")
        assert isinstance(sensitive, Checkbox)
        values["sensitive"] = "yes" if sensitive.value else ""
        values["summary"] = self.text("summary")
        return values

    @property
    def dirty(self) -> bool:
        """True when the officer typed or chose something."""
        return self.values() != self._initial

    def checked(self) -> dict[str, Any] | None:
        """The ``register`` fields, or ``None`` with every invalid field marked."""
        raw = self.values()
        fields: dict[str, Any] = dict(raw)
        ok = self._register_fields(raw, fields)
        if not raw["summary"].strip() and not self._register_mode:
            # A classified item in register mode has no summary: its register is all.
            ok = self.refuse("summary", t("form.error_summary"))
        else:
            self.refuse("summary", None)
        now = self.context.clock.now()
        if raw["received_at"] == self._initial["received_at"]:
            # Untouched: the moment the form opened (the time shown, seconds included),
            # not the save, so the report clocks start when the call came in.
            fields["received_at"] = self.opened_at
            self.refuse("received_at", None)
        else:
            try:
                fields["received_at"] = parse_past(raw["received_at"], now=now, tz=self.context.tz)
                self.refuse("received_at", None)
            except ValueError as exc:
                ok = self.refuse("received_at", str(exc))
        ok = self._check_facts(raw, fields, now) and ok
        if ok and not raw["title"].strip():
            fields["title"] = default_title(raw["summary"])
        return fields if ok else None

    def _check_facts(self, raw: dict[str, str], fields: dict[str, Any], now: datetime) -> bool:
        """Kind, 事发时间 and 敏感 as ``NewIncident`` takes them; marks a bad 事发时间."""
        fields["kind"] = raw["kind"] or None
        fields["sensitive"] = bool(raw["sensitive"])
        fields["occurred_at"] = None
        if not raw["occurred_at"].strip():
            self.refuse("occurred_at", None)
            return True
        try:
            fields["occurred_at"] = parse_past(raw["occurred_at"], now=now, tz=self.context.tz)
        except ValueError as exc:
            return self.refuse("occurred_at", str(exc))
        received = fields.get("received_at")
        if isinstance(received, datetime) and fields["occurred_at"] > received:
            return self.refuse("occurred_at", t("intake.occurred_after"))
        self.refuse("occurred_at", None)
        return True

    # -- duplicates --------------------------------------------------------------------

    @on(Input.Changed, "#field-location SafeInput")
    @on(TextArea.Changed)
    @on(Select.Changed, "#field-category Select")
    def _typed(self) -> None:
        if self._drill_inject is not None:
            return  # a drill report becomes a drill incident: no real one to link to
        if self.text("summary").strip() or self.text("location").strip():
            self._look_for_similar(self.values(), SIMILAR_DEBOUNCE)

    @work(thread=True, exclusive=True, group="similar", exit_on_error=False)
    def _look_for_similar(self, raw: dict[str, str], debounce: float) -> None:
        worker = get_current_worker()
        if worker.cancelled_event.wait(debounce):
            return
        received = self.opened_at
        if raw["received_at"] != self._initial["received_at"]:
            # A time the save will refuse: look around the opening moment meanwhile.
            with suppress(ValueError):
                received = parse_past(
                    raw["received_at"], now=self.context.clock.now(), tz=self.context.tz
                )
        found = self._similar(raw, received)
        if not worker.is_cancelled:
            self.post_message(self.Similar(found, blocking=False))

    def _similar(self, raw: dict[str, Any], received: datetime) -> list[SimilarIncident]:
        return find_similar(
            self.context.request(),
            category=raw["category"],
            location=raw["location"],
            summary=raw["summary"],
            received_at=received,
        )

    def on_intake_screen_similar(self, message: IntakeScreen.Similar) -> None:
        """Show the incidents that may be this one (or hide the warning)."""
        self._found = message.found
        box = self.query_one("#similar-box")
        box.display = bool(message.found)
        if not message.found:
            return
        self._warned = self._warned | {item.id for item in message.found}
        self.query_one("#similar-text", Static).update(
            Content.styled(t("intake.similar"), "bold $text-warning")
        )
        options = self.query_one("#similar-list", OptionList)
        options.clear_options()
        options.add_options([Option(self._describe(item)) for item in message.found])
        options.highlighted = 0
        if message.blocking:
            self.status(t("intake.similar_on_save"), error=True)

    def _describe(self, item: SimilarIncident) -> Content:
        tz = self.context.tz
        if item.title is None:
            what = Content(f"[{label(item.classification)}] {t('app.restricted')}")
        else:
            what = Content.assemble(
                safe(item.title, limit=30), "  ", safe(item.location, "dim", limit=20)
            )
        why = (
            t("intake.same_place")
            if item.same_place
            else t("intake.similar_text", score=int(item.score * 100))
        )
        state = label(item.status)
        return Content.assemble(
            safe(item.serial, "bold"),
            "  ",
            hhmm(item.received_at, tz),
            "  ",
            what,
            "  ",
            Content.styled(f"{why} · {state}", "italic"),
        )

    # -- actions -----------------------------------------------------------------------

    @after_typing
    def action_save(self) -> None:
        """Register the incident (after a duplicate warning, a second ctrl+s saves as new)."""
        fields = self.checked()
        if fields is None:
            self.status(t("form.fix_fields"), error=True)
            return
        self.status(t("form.saving"))
        self._save(fields)

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def _save(self, fields: dict[str, Any]) -> None:
        try:
            if self._drill_inject is None:  # a drill report has no real incident to link to
                found = self._similar(fields, fields["received_at"])
                if {item.id for item in found} - self._warned:
                    self.post_message(self.Similar(found, blocking=True))
                    return
            incident = self._register(fields)
        except DutyDeskError as exc:  # the duplicate check's read too (a server gone)
            self.post_message(self.Failed(str(exc)))
            return
        assert incident.id is not None  # committed
        self.post_message(
            self.Done(IntakeResult(incident.id, incident.serial, row=self._row(incident.id)))
        )

    def _row(self, incident_id: int) -> QueueRow | None:
        """The committed incident as the queue reads it (gated, audited); ``None`` on failure.

        Read after the commit, never from the form's values: the queue shows only what
        is stored. A failed read costs only the shortcut (the queue then reloads).
        """
        ctx = self.context
        try:
            return fetch_row(
                ctx.db, incident_id, ctx.clearance, viewer=ctx.viewer, now=ctx.clock.now()
            )
        except DutyDeskError:
            return None

    def _register(self, fields: dict[str, Any]) -> Incident:
        """Write the incident (in the save worker's thread): a real one, or a drill's."""
        from dutydesk.services.incidents.intake import NewIncident, register

        req, report = self.context.request(), NewIncident(**fields)
        if self._drill_inject is not None:
            from dutydesk.services.drills import take_report

            return take_report(req, self._drill_inject, report)
        return register(req, report)

    @after_typing
    def action_link(self) -> None:
        """File the report as a continued report of the highlighted similar incident."""
        if not self._found:
            self.status(t("intake.nothing_to_link"), error=True)
            return
        fields = self.checked()
        if fields is None:
            self.status(t("form.fix_fields"), error=True)
            return
        index = self.query_one("#similar-list", OptionList).highlighted or 0
        self.status(t("form.saving"))
        self._link(self._found[index], fields)

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def _link(self, target: SimilarIncident, fields: dict[str, Any]) -> None:
        from dutydesk.services.incidents.intake import link_as_continued_report
        from dutydesk.services.retry import write_with_retry

        ctx = self.context
        parts = (fields["reporter_unit"], fields["reporter_name"], fields["reporter_phone"])

        def write(session: Any) -> str:
            entry = link_as_continued_report(
                ctx.request(),
                session=session,
                incident_id=target.id,
                summary=fields["summary"],
                received_at=fields["received_at"],
                reporter=" ".join(part for part in parts if part.strip()),
            )
            return str(entry.kind)

        try:
            kind = write_with_retry(ctx.db, write)
        except DutyDeskError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Done(IntakeResult(target.id, target.serial, linked=True, kind=kind)))
