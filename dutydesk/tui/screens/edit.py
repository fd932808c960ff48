"""Field edit of the selected incident (key ``e``), with optimistic locking.

The form remembers the version it was filled from; the service refuses the change if
someone else wrote in between (:class:`~dutydesk.services.incidents.records.ConflictError`).
The form then shows the conflict message and the incident's current values next to
what the officer typed, which stays; a second ``ctrl+s`` applies the change on top of
the current version, knowingly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Checkbox, Select, Static

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import label, t
from dutydesk.services.incidents.records import ConflictError
from dutydesk.tui.base.form import FormScreen
from dutydesk.tui.bindings import key
from dutydesk.tui.context import Context
from dutydesk.tui.moments import parse_past
from dutydesk.tui.text import safe
from dutydesk.tui.typed import after_typing
from dutydesk.tui.widgets.choice import SEVERITY_KEYS, ChoiceSelect
from dutydesk.tui.widgets.footer import KeysFooter
from dutydesk.tui.widgets.form import SafeInput, SafeTextArea, choices
from dutydesk.vocab import Category, Channel, Classification, MatterKind, Severity

_CHOICES = {
    "severity": Severity,
    "category": Category,
    "channel": Channel,
    "classification": Classification,
}
_TEXTS = ("title", "location", "reporter_name", "reporter_unit", "reporter_phone")
_FACTS = ("deaths", "injured", "missing", "trapped", "report_every_minutes")
"""Typed report elements edited as text; the service checks them (``rules.facts``)."""


@dataclass(frozen=True)
class EditResult:
    """The edit went through: the incident's new version (same if nothing differed)."""

    incident_id: int
    serial: str
    version: int
    changed: tuple[str, ...]


class EditScreen(FormScreen[EditResult]):
    """A modal form with the incident's editable fields, filled with their values."""

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("ctrl+s", "save", "save", priority=True),
        key("escape", "cancel", "cancel"),
    ]

    class Conflict(Message):
        """Someone else changed the incident: the current version and values."""

        def __init__(self, message: str, version: int, current: dict[str, Any]) -> None:
            super().__init__()
            self.message = message
            self.version = version
            self.current = current

    def __init__(
        self, context: Context, incident_id: int, serial: str, version: int, values: dict[str, str]
    ) -> None:
        super().__init__(context)
        self.incident_id = incident_id
        self.serial = serial
        self.version = version
        """The version the officer's change is based on."""
        self.original = dict(values)
        # 事发时间 is shown and typed as the officer's local time, sent as an aware moment.
        if values.get("occurred_at"):
            moment = datetime.fromisoformat(values["occurred_at"]).astimezone(context.tz)
            self.original["occurred_at"] = f"{moment:%Y-%m-%d %H:%M}"

    def compose(self) -> ComposeResult:
        """The editable fields, the conflict panel, the status line and the keys."""
        values = self.original
        with Vertical(id="form-box") as box:
            box.border_title = t("edit.title", serial=self.serial)
            with Horizontal(classes="form-row"):
                for name, kind in _CHOICES.items():
                    # Type-ahead reaches every option by any of its names (Ⅱ级 by ii, 2, 二).
                    keys = SEVERITY_KEYS if name == "severity" else None
                    select = ChoiceSelect(choices(kind), value=values[name], keys=keys)
                    yield self.field(name, select)
            with Horizontal(classes="form-row"):
                yield self.field("title", SafeInput(values["title"], compact=True))
                yield self.field("location", SafeInput(values["location"], compact=True))
                occurred = SafeInput(
                    values.get("occurred_at", ""),
                    placeholder=t("intake.occurred_hint"),
                    compact=True,
                )
                yield self.field("occurred_at", occurred, caption=t("field.happened_at"))
            with Horizontal(classes="form-row"):
                for name in ("reporter_name", "reporter_unit", "reporter_phone"):
                    yield self.field(name, SafeInput(values[name], compact=True))
            with Horizontal(classes="form-row"):
                # The kind decides the clocks; the figures are the report's latest.
                kind_select = ChoiceSelect(choices(MatterKind), value=values["matter_kind"])
                yield self.field("matter_kind", kind_select, caption=t("field.kind"))
                for name in _FACTS:
                    caption = t(f"field.{name}")
                    yield self.field(name, SafeInput(values[name], compact=True), caption=caption)
                sensitive = Checkbox(
                    t("intake.sensitive"), value=values["sensitive"] == "yes", compact=True
                )
                yield self.field("sensitive", sensitive)
            yield self.field(
                "summary", SafeTextArea(values["summary"], compact=True, tab_behavior="focus")
            )
            yield Static(Content(""), id="edit-current")
            yield Static(Content(""), id="form-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        """Start on the severity, the field most often raised."""
        self.query_one("#edit-current").display = False
        self.set_focus(self.control("severity"))  # now, not a frame later (see EntryScreen)

    def values(self) -> dict[str, str]:
        """Every field as it stands in the form."""
        values = {name: self.text(name) for name in (*_TEXTS, "summary", *_FACTS, "occurred_at")}
        for name in (*_CHOICES, "matter_kind"):
            values[name] = str(self.query_one(f"#field-{name} Select", Select).value)
        sensitive = self.query_one("#field-sensitive Checkbox", Checkbox).value
        values["sensitive"] = "yes" if sensitive else "no"
        return values

    def changes(self) -> dict[str, str]:
        """The fields the officer changed, with their new values."""
        return {n: v for n, v in self.values().items() if v != self.original.get(n)}

    @property
    def dirty(self) -> bool:
        """True when a field differs from what the form was filled with."""
        return bool(self.changes())

    @after_typing
    def action_save(self) -> None:
        """Record the changes (against the version the form is based on)."""
        changes = self.changes()
        ok = True
        for name in ("title", "summary"):
            if name in changes and not changes[name].strip():
                ok = self.refuse(name, t("form.error_blank"))
            else:
                self.refuse(name, None)
        if "occurred_at" in changes:
            typed = changes["occurred_at"]
            try:
                when = self._occurred(typed)
            except ValueError as exc:
                ok = self.refuse("occurred_at", str(exc))
            else:
                self.refuse("occurred_at", None)
                changes["occurred_at"] = when
        if not ok:
            self.status(t("form.fix_fields"), error=True)
            return
        if not changes:
            self.dismiss(None)
            return
        self.status(t("form.saving"))
        self._update(changes, self.version)

    def _occurred(self, typed: str) -> str:
        """The typed 事发时间 as the service takes it (blank: not known)."""
        if not typed.strip():
            return ""
        moment = parse_past(typed, now=self.context.clock.now(), tz=self.context.tz)
        return moment.isoformat()

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def _update(self, changes: dict[str, str], version: int) -> None:
        from dutydesk.services.incidents.edits import update_fields
        from dutydesk.services.retry import write_with_retry

        ctx = self.context

        def write(session: Any) -> int:
            incident = update_fields(
                ctx.request(),
                session=session,
                incident_id=self.incident_id,
                expected_version=version,
                changes=changes,
            )
            return int(incident.version)

        try:
            new_version = write_with_retry(ctx.db, write)
        except ConflictError as conflict:
            current = conflict.current
            self.post_message(self.Conflict(str(conflict), int(current["version"]), current))
            return
        except DutyDeskError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        result = EditResult(self.incident_id, self.serial, new_version, tuple(changes))
        self.post_message(self.Done(result))

    def on_edit_screen_conflict(self, message: EditScreen.Conflict) -> None:
        """Show the conflict and the current values; keep what was typed."""
        # Only the version moves on: what the officer changed is still measured against
        # the values the form was filled with, so a second save never reverts the other
        # officer's change of a field this officer did not touch.
        self.version = message.version
        lines: list[Content] = [Content.styled(t("edit.current"), "bold")]
        for name in (*_CHOICES, *_TEXTS, "summary"):
            value = message.current.get(name, "")
            kind = _CHOICES.get(name)
            shown = label(kind(value)) if kind is not None else value
            lines.append(Content.assemble(f"{t(f'field.{name}')}: ", safe(shown, limit=80)))
        panel = self.query_one("#edit-current", Static)
        panel.update(Content("\n").join(lines))
        panel.display = True
        self.status(f"{message.message}\n{t('edit.again')}", error=True)
