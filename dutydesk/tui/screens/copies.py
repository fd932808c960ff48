"""A classified item's copy moves, from the console (key ``m``; issue 13, register mode).

The 机要 clerk on night duty records what the register keeps of each copy: 呈批 or 传阅
to whom, 清退 or 销毁 of a numbered copy, and a copy signed back. The same service writes
it as ``dutydesk incident copy`` (:mod:`dutydesk.services.incidents.register`): a
movement is a chained timeline entry with no text, its 份号 and signing back beside it.
No field here takes content: the register holds names, numbers and times only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Select, Static
from textual.worker import get_current_worker

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import label, t
from dutydesk.services.incidents.register_view import CopyMovement
from dutydesk.services.incidents.timeline import IncidentDetail
from dutydesk.tui.base.form import FormScreen
from dutydesk.tui.bindings import key
from dutydesk.tui.context import Context
from dutydesk.tui.format import hhmm
from dutydesk.tui.moments import typed_time
from dutydesk.tui.text import fit, safe
from dutydesk.tui.typed import after_typing
from dutydesk.tui.widgets.footer import KeysFooter
from dutydesk.tui.widgets.form import SafeInput
from dutydesk.vocab import EntryKind

BACK = "back"
"""The choice that signs a copy back rather than moving one."""

MOVES = (EntryKind.SUBMITTED, EntryKind.CIRCULATED, EntryKind.RETURNED, EntryKind.DESTROYED)
"""The movements, in the order a copy usually makes them."""

NUMBERED = frozenset({EntryKind.RETURNED, EntryKind.DESTROYED})
"""Movements that name the copy they end: 清退 and 销毁 need its 份号."""


@dataclass(frozen=True)
class CopyResult:
    """What was recorded, for the main screen's one-line confirmation."""

    incident_id: int
    text: str


def movement_option(move: CopyMovement, tz: Any) -> Content:
    """An outstanding movement as one line of the sign-back chooser."""
    number = "" if move.copy_no is None else t("register.line_copy", copy_no=move.copy_no)
    return Content.assemble(
        fit(Content(f"#{move.seq}"), 4),
        " ",
        hhmm(move.occurred_at, tz),
        " ",
        fit(Content.styled(label(move.kind), "bold"), 8),
        " ",
        safe(move.holder, limit=20),
        " ",
        number,
    )


class CopyScreen(FormScreen[CopyResult]):
    """A modal form for one copy movement of one classified item."""

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("ctrl+s", "save", "save", priority=True),
        key("escape", "cancel", "cancel"),
    ]

    class Movements(Message):
        """The item's movements not yet signed back, read by a worker."""

        def __init__(self, moves: tuple[CopyMovement, ...]) -> None:
            super().__init__()
            self.moves = moves

    def __init__(self, context: Context, detail: IncidentDetail) -> None:
        super().__init__(context)
        self.detail = detail

    def compose(self) -> ComposeResult:
        """The item's register line, the movement's fields, the status line, the keys."""
        detail = self.detail
        with Vertical(id="form-box") as box:
            box.border_title = t("register.copy_form")
            yield Static(
                Content.assemble(safe(detail.serial, "bold"), "  ", safe(detail.heading)),
                id="entry-incident",
            )
            now = typed_time(self.context.clock.now(), self.context.tz)
            yield self.field("occurred_at", SafeInput(now, compact=True))
            kinds = [(label(kind), kind.value) for kind in MOVES]
            kinds.append((t("register.sign_back"), BACK))
            yield self.field(
                "movement",
                Select(kinds, value=EntryKind.SUBMITTED.value, allow_blank=False, compact=True),
                caption=t("register.movement"),
            )
            yield self.field("copy_no", SafeInput(compact=True, restrict=r"[0-9]*"))
            yield self.field(
                "holder", SafeInput(compact=True), caption=t("register.holder_caption")
            )
            yield self.field(
                "back",
                Select([], prompt=t("field.choose_entry"), compact=True),
                caption=t("register.back_caption"),
            )
            yield Static(Content(""), id="form-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        """Start on the movement; read the copies still out for the sign-back choice."""
        self._initial = self.values()
        self.set_focus(self.control("movement"))
        self._read_movements()

    @work(thread=True, exclusive=True, group="copies", exit_on_error=False)
    def _read_movements(self) -> None:
        from dutydesk.services.incidents.register_view import copy_movements

        moves = copy_movements(self.context.db, self.detail.id)
        out = tuple(
            move
            for move in moves
            if move.signed_back_at is None and move.kind not in NUMBERED  # 清退/销毁 end it
        )
        if not get_current_worker().is_cancelled:
            self.post_message(self.Movements(out))

    def on_copy_screen_movements(self, message: CopyScreen.Movements) -> None:
        """Offer the copies still out for signing back."""
        select = self.control("back")
        assert isinstance(select, Select)
        select.set_options(
            (movement_option(move, self.context.tz), move.seq) for move in message.moves
        )

    def values(self) -> dict[str, Any]:
        """Every field as typed or chosen."""
        movement = self.query_one("#field-movement Select", Select).value
        back = self.query_one("#field-back Select", Select).value
        return {
            "occurred_at": self.text("occurred_at"),
            "movement": movement,
            "copy_no": self.text("copy_no"),
            "holder": self.text("holder"),
            "back": back if isinstance(back, int) else None,
        }

    @property
    def dirty(self) -> bool:
        """True when the officer typed or chose something."""
        return self.values() != self._initial

    @after_typing
    def action_save(self) -> None:
        """Check the fields in place, then record the movement in a worker."""
        raw = self.values()
        occurred = self.typed_moment("occurred_at", self._initial["occurred_at"])
        ok = occurred is not None
        holder = raw["holder"].strip()
        back = raw["movement"] == BACK
        copy_no = int(raw["copy_no"]) if raw["copy_no"].strip() else None
        numbered = not back and EntryKind(raw["movement"]) in NUMBERED
        problems = {
            "holder": None if holder else t("register.holder_needed"),
            "copy_no": t("register.copy_no_needed") if numbered and copy_no is None else None,
            "back": t("register.back_needed") if back and raw["back"] is None else None,
        }
        for name, reason in problems.items():
            self.refuse(name, reason)  # marks the field, or clears an earlier mark
        ok = ok and not any(problems.values())
        if not ok:
            self.status(t("form.fix_fields"), error=True)
            return
        self.status(t("form.saving"))
        if back:
            self._sign_back(seq=raw["back"], by=holder)
        else:
            assert occurred is not None  # ok
            self._move(kind=EntryKind(raw["movement"]), holder=holder, copy_no=copy_no, at=occurred)

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def _move(self, **values: Any) -> None:
        from dutydesk.services.incidents.register import movement_seq, record_copy

        kind: EntryKind = values["kind"]

        def write(session: Any, incident: Any) -> str:
            moved = record_copy(
                self.context.request(), incident, session=session, kind=kind,
                holder=values["holder"], copy_no=values["copy_no"], occurred_at=values["at"],
            )  # fmt: skip
            number = t("app.none") if moved.copy_no is None else moved.copy_no
            seq = movement_seq(session, moved)
            return t("register.copy_moved", serial=incident.serial, copy_no=number,
                     kind=label(kind), holder=values["holder"], seq=seq)  # fmt: skip

        self._write(write)

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def _sign_back(self, seq: int, by: str) -> None:
        from dutydesk.services.incidents.register import sign_back

        def write(session: Any, incident: Any) -> str:
            sign_back(self.context.request(), incident, session=session, seq=seq, by=by)
            return t("register.copy_signed_back", serial=incident.serial, seq=seq, by=by)

        self._write(write)

    def _write(self, write: Any) -> None:
        """Run ``write(session, incident)`` with the house's retry; post its outcome."""
        from dutydesk.services.retry import write_with_retry
        from dutydesk.storage.models import Incident

        detail = self.detail

        def work(session: Any) -> str:
            incident = session.get(Incident, detail.id, populate_existing=True)
            if incident is None:
                raise DutyDeskError(t("entry.gone", serial=detail.serial))
            return str(write(session, incident))

        try:
            said = write_with_retry(self.context.db, work)
        except DutyDeskError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Done(CopyResult(detail.id, said)))


__all__ = ["CopyResult", "CopyScreen", "movement_option"]
