"""The handover screen (交接班, key ``h``): the pack for now, its acknowledgement, export.

``s`` opens the record of the change of shift that is ending (:mod:`.shift_record`).

The pack is built in a thread worker by :func:`dutydesk.services.handover.pack.build_pack`
for the viewer's clearance (classified items by serial and classification only) and
laid out by :func:`dutydesk.reports.handover.sections`, the same lines the txt, md and
docx renderers print. It is stored (:func:`~dutydesk.services.handover.store.record_pack`)
the first time it is exported or acknowledged, so the paper and the acknowledgement
name the same pack number; acknowledging starts the next period and the screen shows
the new, empty pack.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.rules.handover import HandoverPack
from dutydesk.tui import export
from dutydesk.tui.base.read_only import refused
from dutydesk.tui.bindings import key, translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.screens.prompt import PromptScreen
from dutydesk.tui.text import safe, safe_block
from dutydesk.tui.widgets.footer import KeysFooter
from dutydesk.tui.workers import ReportsWorkerErrors

# What an officer types for "nothing to report" (零报告), in either language.
_NOTHING_TO_REPORT = frozenset({"无", "没有", "零报告", "0", "none", "nothing", "nil"})


class HandoverScreen(ReportsWorkerErrors, Screen[None], inherit_bindings=False):
    """The handover pack, scrollable, with keys to acknowledge and export it."""

    CSS_PATH = "../paper.tcss"
    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("a", "acknowledge", "desk.acknowledge"),
        key("x", "export", "desk.export"),
        key("r", "rebuild", "desk.rebuild"),
        key("s", "shift_record", "desk.shift_record"),
        key("z", "daily_report", "desk.daily_report"),
        key("escape,q", "close", "desk.close"),
    ]

    class Built(Message):
        """A worker built (or stored) the pack."""

        def __init__(self, pack: HandoverPack) -> None:
            super().__init__()
            self.pack = pack

    class Done(Message):
        """A write went through; ``text`` says what happened."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Failed(Message):
        """A write was refused; ``reason`` says why."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, context: Context) -> None:
        super().__init__(id="handover")
        translate_bindings(self)
        self.context = context
        self.pack: HandoverPack | None = None

    def compose(self) -> ComposeResult:
        """The pack in a scrollable pane, a status line, the keys."""
        with VerticalScroll(id="handover-pane") as pane:
            pane.border_title = t("desk.handover.title")
            pane.can_focus = True
            yield Static(Content(t("app.loading")), id="handover-body")
        yield Static(Content(""), id="handover-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        """Build the pack for now."""
        self.query_one("#handover-pane").focus()
        self.action_rebuild()

    @property
    def text(self) -> str:
        """The plain text of the pack on screen (for tests)."""
        return str(self.query_one("#handover-body", Static).content)

    @property
    def status_text(self) -> str:
        """What the status line says (for tests)."""
        return str(self.query_one("#handover-status", Static).content)

    def _status(self, text: str, *, error: bool = False) -> None:
        line = self.query_one("#handover-status", Static)
        line.set_class(error, "-error")
        line.update(safe_block(text, "bold" if error else ""))

    # -- the pack ------------------------------------------------------------------------

    def action_rebuild(self) -> None:
        """Build the pack again, as of now."""
        self._build()

    @work(thread=True, exclusive=True, group="handover", exit_on_error=False)
    def _build(self) -> None:
        from dutydesk.services.handover.pack import build_pack
        from dutydesk.services.handover.store import period_start

        ctx = self.context
        req = ctx.request()
        now = req.now
        pack = build_pack(
            req, start=period_start(ctx.db, now, ctx.settings), at=now, settings=ctx.settings
        )
        self.post_message(self.Built(pack))

    def on_handover_screen_built(self, message: HandoverScreen.Built) -> None:
        """Show the pack that arrived."""
        self.pack = message.pack
        self.query_one("#handover-body", Static).update(self.render_pack(message.pack))

    def render_pack(self, pack: HandoverPack) -> Content:
        """The pack's lines in the interface language (every stored string sanitised)."""
        from dutydesk.reports.handover import sections

        layout = sections(pack, self.context.tz)
        lines = [safe(layout.title, "bold"), *(safe(p, "dim") for p in layout.preamble)]
        for section in layout.sections:
            lines += [Content(""), safe(section.heading, "bold $accent")]
            lines += [safe_block(f"  {line}") for line in section.lines]
        lines += [Content(""), *(safe(c, "dim") for c in layout.closing)]
        return Content("\n").join(lines)

    def _stored(self, pack: HandoverPack) -> HandoverPack:
        """The pack with a handover id: stored now if it was not yet (worker threads only)."""
        from dutydesk.services.handover.store import record_pack

        if pack.handover_id is not None:
            return pack
        stored = record_pack(self.context.db, pack, actor=self.context.operator or None)
        self.post_message(self.Built(stored))
        return stored

    # -- acknowledge ---------------------------------------------------------------------

    def action_acknowledge(self) -> None:
        """Ask the incoming officers' names, then record the acknowledgement."""
        if refused(self, self.context):
            return
        if self.pack is None or self.app.screen is not self:
            return
        pack = self.pack

        def answered(names: str | None) -> None:
            if names:
                self._status(t("form.saving"))
                self._acknowledge(pack, names)

        question = PromptScreen(t("desk.handover.names"), hint=t("desk.handover.names_hint"))
        self.app.push_screen(question, answered)

    @work(thread=True, exclusive=True, group="handover-write", exit_on_error=False)
    def _acknowledge(self, pack: HandoverPack, names: str) -> None:
        from dutydesk.services.handover.store import acknowledge, split_names

        ctx = self.context
        try:
            stored = self._stored(pack)
            assert stored.handover_id is not None
            done = acknowledge(
                ctx.db, stored.handover_id, split_names(names), ctx.clock.now(), actor=ctx.operator
            )
        except DutyDeskError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        tz = ctx.tz
        text = t(
            "handover.acknowledged",
            id=done.handover_id,
            names="、".join(done.names),
            at=done.acknowledged_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            next=done.period_end.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        )
        self.post_message(self.Done(text))
        self._build()

    # -- export --------------------------------------------------------------------------

    def action_export(self) -> None:
        """Ask where to write the pack (txt, md or docx by the extension), then write it."""
        if self.pack is None or self.app.screen is not self:
            return
        pack = self.pack
        stamp = pack.period_end.astimezone(self.context.tz).strftime("%Y%m%d-%H%M")
        path = export.default_path(f"{t('desk.handover.file')}-{stamp}")

        def answered(target: str | None) -> None:
            if target:
                self._export(pack, target.strip())

        hint = t("desk.export_hint")
        self.app.push_screen(PromptScreen(t("desk.export_to"), path, hint=hint), answered)

    @work(thread=True, exclusive=True, group="handover-write", exit_on_error=False)
    def _export(self, pack: HandoverPack, target: str) -> None:
        from dutydesk.reports.handover import render_markdown, render_text
        from dutydesk.reports.handover_docx import render_docx
        from dutydesk.services.integrity.copies import numbered_pack

        tz = self.context.tz
        try:
            stored = self._stored(pack)
            if stored.marking is not None:
                # A classified pack printed here is a numbered copy too, as from the CLI.
                stored = numbered_pack(self.context.request(), stored)
            fmt = export.format_of(target)
            data: str | bytes
            if fmt == "docx":
                settings = self.context.settings
                unit, cc = settings.issuing_unit, settings.imprint_cc
                data = render_docx(stored, tz, unit=unit, cc=cc)
            else:
                data = (render_markdown if fmt == "md" else render_text)(stored, tz)
            written: Path = export.write(target, data)
        except (DutyDeskError, OSError) as exc:
            self.post_message(self.Failed(t("desk.export_failed", reason=str(exc))))
            return
        self.post_message(self.Done(t("handover.written", path=str(written))))

    # -- outcome -------------------------------------------------------------------------

    def on_handover_screen_done(self, message: HandoverScreen.Done) -> None:
        """Say what was done, here and in a toast."""
        self._status(message.text)
        self.app.notify(safe(message.text).plain, markup=False)

    def on_handover_screen_failed(self, message: HandoverScreen.Failed) -> None:
        """Say why it was refused."""
        self._status(message.reason, error=True)

    # -- the change of shift's record ----------------------------------------------------

    def action_shift_record(self) -> None:
        """Open the record of the change of shift that is ending (交接班记录)."""
        if self.app.screen is self:
            from dutydesk.tui.screens.shift_record import ShiftRecordScreen

            self.app.push_screen(ShiftRecordScreen(self.context))

    # -- the special period's daily report (零报告) -------------------------------------

    def action_daily_report(self) -> None:
        """Ask what today's report to the superior said (无: a zero report), then record it."""
        if self.app.screen is not self:
            return
        from dutydesk.rules.deadlines import duty_date

        ctx = self.context
        day = duty_date(ctx.clock.now(), ctx.rules)

        def answered(text: str | None) -> None:
            if text:
                self._status(t("form.saving"))
                self._daily_report(day, text)

        question = PromptScreen(
            t("desk.daily_report.question", day=day.isoformat()),
            hint=t("desk.daily_report.hint"),
        )
        self.app.push_screen(question, answered)

    @work(thread=True, exclusive=True, group="handover-write", exit_on_error=False)
    def _daily_report(self, day: date, text: str) -> None:
        from dutydesk.services.roster.daily_report import record_report

        ctx = self.context
        nothing = text.strip().lower() in _NOTHING_TO_REPORT
        try:
            made = record_report(ctx.request(), day, text="" if nothing else text, nothing=nothing)
        except DutyDeskError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        key_ = "daily_report.recorded_zero" if nothing else "daily_report.recorded"
        at = made.made_at.astimezone(ctx.tz).strftime("%H:%M") if made.made_at else ""
        self.post_message(self.Done(t(key_, day=day.isoformat(), name=made.made_by, at=at)))
        self._build()  # the pack's section 7 says it was made

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)
