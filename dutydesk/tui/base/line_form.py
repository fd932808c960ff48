"""A form of one-line fields whose save runs one service call in a thread worker.

The roster changes (swap, cover, special period) and the leave registration are all
"a few names, dates and times, then one service call": subclasses list their fields
and implement :meth:`LineForm.apply`, which runs in the worker and returns the sentence
saying what was done. A refusal (``DutyDeskError``) or an unreadable value
(``ValueError``) is shown on the form's status line; what was typed stays.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.rules.typed_time import Day, TypedTimeError, read_time
from dutydesk.tui.base.form import FormScreen
from dutydesk.tui.bindings import key
from dutydesk.tui.context import Context
from dutydesk.tui.typed import after_typing
from dutydesk.tui.widgets.footer import KeysFooter
from dutydesk.tui.widgets.form import SafeInput
from dutydesk.vocab import ShiftKind

_KINDS = {
    "day": ShiftKind.DAY,
    "白班": ShiftKind.DAY,
    "night": ShiftKind.NIGHT,
    "夜班": ShiftKind.NIGHT,
}


def parse_day(text: str) -> date:
    """``YYYY-MM-DD``.

    Raises:
        ValueError: anything else (message in the interface language).

    """
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(t("desk.form.bad_date", value=text.strip())) from None


def parse_shift(text: str, default: date) -> tuple[date, ShiftKind]:
    """``YYYY-MM-DD day|night`` (白班/夜班 too); the date may be left out for ``default``."""
    parts = text.split()
    if parts and parts[-1].lower() in _KINDS:
        day = parse_day(parts[0]) if len(parts) == 2 else default
        if len(parts) <= 2:
            return day, _KINDS[parts[-1].lower()]
    raise ValueError(t("desk.form.bad_shift", value=text.strip()))


def parse_moment(text: str, tz: ZoneInfo, *, now: datetime, end: bool = False) -> datetime:
    """A moment ahead, as :func:`dutydesk.rules.typed_time.read_time` reads it.

    ``YYYY-MM-DD HH:MM`` (full-width too), ``HH:MM`` (the next such time), ``+3d``; a bare
    date is its start (or, with ``end``, the next midnight): a leave "to 11-30" includes
    the 30th.

    Raises:
        ValueError: not a time (message in the interface language).

    """
    try:
        return read_time(text, now=now, tz=tz, future=True, day=Day.END if end else Day.START)
    except TypedTimeError:
        raise ValueError(t("desk.form.bad_moment", value=text.strip())) from None


class LineForm(FormScreen[str]):
    """One-line fields, ``ctrl+s`` to save through :meth:`apply`, escape to cancel."""

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("ctrl+s", "save", "save", priority=True),
        key("escape", "cancel", "cancel"),
    ]

    FIELDS: tuple[str, ...] = ()
    """Field names; captions are ``desk.field.<name>``."""

    def __init__(self, context: Context, title: str, initial: dict[str, str], hint: str = ""):
        super().__init__(context)
        self.form_title = title
        self.initial = {name: initial.get(name, "") for name in self.FIELDS}
        self.hint = hint

    def compose(self) -> ComposeResult:
        """The fields, a hint, the status line, the keys."""
        with Vertical(id="form-box") as box:
            box.border_title = self.form_title
            for name in self.FIELDS:
                control = self.make_control(name)
                yield self.field(name, control, caption=t(f"desk.field.{name}"))
            yield Static(Content.styled(self.hint, "dim"), id="form-hint")
            yield Static(Content(""), id="form-status")
        yield KeysFooter()

    def make_control(self, name: str) -> Widget:
        """The control of field ``name``: a one-line input unless a subclass says more."""
        return SafeInput(self.initial[name], compact=True)

    def on_mount(self) -> None:
        """Start in the first empty field."""
        empty = [name for name in self.FIELDS if not self.initial[name]]
        self.control(empty[0] if empty else self.FIELDS[0]).focus()

    def values(self) -> dict[str, str]:
        """Every field as typed."""
        return {name: self.text(name) for name in self.FIELDS}

    @property
    def dirty(self) -> bool:
        """True when something was typed."""
        return self.values() != self.initial

    @after_typing
    def action_save(self) -> None:
        """Hand the values to the worker."""
        self.status(t("form.saving"))
        self._save(self.values())

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def _save(self, values: dict[str, str]) -> None:
        try:
            said = self.apply(values)
        except (DutyDeskError, ValueError) as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Done(said))

    def apply(self, values: dict[str, str]) -> str:
        """Make the change (in the worker thread); return what was done, in words."""
        raise NotImplementedError
