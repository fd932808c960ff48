"""The bulletin screen (《信息快报》《信息直呈》, key ``b``): draft, edit, review, sign, issue.

Opened on the selected incident; the officer may add more serials before drafting
(enter or ``ctrl+s``). An incident's bulletin not issued yet opens instead of a new
draft, and its other bulletins are listed by number and state. The draft's title and
body come prefilled from the incidents and their timelines
(:func:`dutydesk.services.bulletins.write.draft_bulletin`) and are edited in place; ``ctrl+s``
saves (a reviewed bulletin goes back to draft). F2 reviews (saving first), F3 signs off
(choosing a person with the role), F4 issues after asking (the number 第N期 is given
then, for good), F8 discards (no number used), F7 exports. F6 chooses, before the
sign-off, the 内部 items that may go by SMS/WeChat ("可发短信/微信"): the sign-off records
that decision per item, and the others stay out of the short version. F5 chooses the
leader a 《信息直呈》 is presented to (呈送), before drafting or after: its short version
goes to that leader alone. F9 chooses the 紧急程度 (特急, 加急 or none), before drafting
or after: printed at the top left, 【特急】 before the short version. Every service call runs in a
thread worker (:mod:`dutydesk.tui.base.bulletin_work`); a refusal is shown on the
status line and everything typed stays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, Label, Select, Static, TextArea

from dutydesk.i18n import label, t
from dutydesk.rules.bulletins import KIND_NAMES, issue_label
from dutydesk.rules.documents import BulletinView
from dutydesk.tui.base.bulletin_work import BulletinWork
from dutydesk.tui.base.read_only import refused
from dutydesk.tui.bindings import key, translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.screens.confirm import ConfirmScreen
from dutydesk.tui.screens.prompt import PickScreen, PromptScreen
from dutydesk.tui.text import safe, safe_block
from dutydesk.tui.typed import after_typing
from dutydesk.tui.widgets.footer import KeysFooter
from dutydesk.tui.widgets.form import SafeInput, SafeTextArea, choices
from dutydesk.tui.widgets.short_panel import ShortPanel
from dutydesk.vocab import BulletinKind, BulletinStatus, Classification, Urgency

if TYPE_CHECKING:
    from dutydesk.services.bulletins.read import BulletinRef

_IN_THE_WORKS = (BulletinStatus.DRAFT, BulletinStatus.REVIEWED)
"""States of a bulletin not issued yet: ``b`` reopens it rather than draft another."""


class BulletinScreen(BulletinWork, inherit_bindings=False):
    """One bulletin from draft to issue, with its short version beside it."""

    CSS_PATH = "../paper.tcss"
    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("ctrl+s", "save", "desk.save", priority=True),
        key("f2", "review", "desk.review", priority=True),
        key("f3", "sign", "desk.sign", priority=True),
        key("f4", "issue", "desk.issue", priority=True),
        key("f5", "leader", "desk.leader", priority=True),
        key("f6", "sms_ok", "desk.sms_ok", priority=True),
        key("f9", "urgency", "desk.urgency", priority=True),
        key("f7", "export", "desk.export_bulletin", priority=True),
        key("f8", "discard", "desk.discard", priority=True),
        key("escape", "close", "desk.close"),
    ]

    def __init__(
        self, context: Context, serials: list[str], *, others: list[BulletinRef] | None = None
    ) -> None:
        """Open on ``serials``; ``others`` are the bulletins already carrying the first one.

        The newest of ``others`` still in the works (draft or reviewed, not issued) opens
        instead of a new draft, so ``b`` pressed twice never makes a duplicate.
        """
        super().__init__(id="bulletin")
        translate_bindings(self)
        self.context = context
        self.serials = serials
        self.others = list(others or [])
        working = [ref for ref in self.others if ref[4] in _IN_THE_WORKS]
        self.reopen: BulletinRef | None = working[-1] if working else None
        self.sms_ok: set[str] = set()
        """The 内部 items chosen (F6) to go by SMS/WeChat; recorded with the sign-off."""
        self.leader: str | None = None
        """The leader chosen (F5) before the draft, recorded with it (a 《信息直呈》 only)."""
        self.urgency = Urgency.NONE
        """The urgency chosen (F9) before the draft, recorded with it."""

    def compose(self) -> ComposeResult:
        """Setup row, head line, title and body, short version panel, status, keys."""
        with Vertical(id="bulletin-box") as box:
            box.border_title = t("desk.bulletin.title")
            with Horizontal(id="bulletin-setup"):
                yield Select(
                    choices(BulletinKind),
                    value=BulletinKind.EXPRESS.value,
                    allow_blank=False,
                    compact=True,
                    id="bulletin-kind",
                )
                # Typing adds serials after the selected one (not replacing it).
                yield SafeInput(
                    " ".join(self.serials),
                    id="bulletin-serials",
                    compact=True,
                    select_on_focus=False,
                )
            yield Static(Content.styled(t("desk.bulletin.setup_hint"), "dim"), id="bulletin-head")
            yield Static(
                self._others_line(), id="bulletin-others", classes="" if self.others else "-none"
            )
            with Horizontal(id="bulletin-panes"):
                with Vertical(id="bulletin-left"):
                    yield Label(Content(t("desk.bulletin.title_field")), classes="field-label")
                    yield SafeInput(id="bulletin-title", compact=True, disabled=True)
                    yield Label(Content(t("desk.bulletin.body_field")), classes="field-label")
                    yield SafeTextArea(id="bulletin-body", compact=True, disabled=True)
                yield ShortPanel(id="bulletin-short")
            yield Static(Content(""), id="bulletin-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        """Open the bulletin in the works, else start in the serials to draft one."""
        self.query_one("#bulletin-serials", Input).focus()
        if self.reopen is not None:
            bulletin_id, _kind, _year, _number, status = self.reopen
            serial = self.serials[0] if self.serials else ""
            said = t("desk.bulletin.reopened", serial=serial, id=bulletin_id, status=label(status))
            self.status(t("app.loading"))
            self.open_existing(bulletin_id, said)

    def _others_line(self) -> Content:
        """``Bulletins of 20261126-004: 《信息快报》2026年第1期 issued · …`` (numbers, states)."""
        items = "  ·  ".join(
            f"《{KIND_NAMES[kind]}》{issue_label(year, number)} {label(status)} #{bulletin_id}"
            for bulletin_id, kind, year, number, status in self.others
        )
        serial = self.serials[0] if self.serials else ""
        return safe(t("desk.bulletin.of_incident", serial=serial, items=items))

    @property
    def others_text(self) -> str:
        """The line listing the incident's other bulletins (for tests)."""
        return str(self.query_one("#bulletin-others", Static).content)

    # -- state -------------------------------------------------------------------------

    @property
    def title_input(self) -> Input:
        """The title field."""
        return self.query_one("#bulletin-title", Input)

    @property
    def body_area(self) -> TextArea:
        """The body field."""
        return self.query_one("#bulletin-body", TextArea)

    @property
    def short_panel(self) -> ShortPanel:
        """The short version panel."""
        return self.query_one(ShortPanel)

    @property
    def edits(self) -> tuple[str | None, str | None]:
        """``(title, body)`` as typed where they differ from the stored bulletin."""
        view = self.view
        if view is None:
            return None, None
        title = self.title_input.value
        body = self.body_area.text
        return (
            title if title.strip() != view.title else None,
            body if body != view.body else None,
        )

    @property
    def dirty(self) -> bool:
        """True when something typed is not saved yet."""
        return self.edits != (None, None) or self.short_panel.typed is not None

    @property
    def status_text(self) -> str:
        """What the status line says (for tests)."""
        return str(self.query_one("#bulletin-status", Static).content)

    def status(self, text: str, *, error: bool = False) -> None:
        """Say something on the status line (an error stays until the next action)."""
        line = self.query_one("#bulletin-status", Static)
        line.set_class(error, "-error")
        line.update(safe_block(text, "bold" if error else ""))

    def show(self, view: BulletinView, *, fill: bool) -> None:
        """Show the bulletin read from the store; ``fill`` replaces the fields' text."""
        self.view = view
        self.query_one("#bulletin-head", Static).update(self.head(view))
        done = view.status in (BulletinStatus.ISSUED, BulletinStatus.DISCARDED)
        if fill:
            self.title_input.value = view.title
            self.body_area.load_text(view.body)
        self.title_input.disabled = done
        self.body_area.disabled = False
        self.body_area.read_only = done
        for widget in ("#bulletin-kind", "#bulletin-serials"):
            self.query_one(widget).disabled = True
        if self.focused is None or isinstance(self.focused, Input | Select):
            self.body_area.focus()

    def head(self, view: BulletinView) -> Content:
        """``《信息快报》2026年第1期 · issued · internal · #3 · items``."""
        name = f"《{KIND_NAMES[view.kind]}》{issue_label(view.year, view.issue_no)}"
        items = ", ".join(
            t("desk.bulletin.sms_ok_mark", serial=item.serial) if item.sms_allowed else item.serial
            for item in view.items
        )
        parts = [name, label(view.status), label(view.classification), f"#{view.id}", items]
        if view.urgency is not Urgency.NONE:
            parts.insert(1, label(view.urgency))
        if view.presented_to:  # a 《信息直呈》 goes to this leader alone
            parts.append(t("bulletin.direct.presented_to", name=view.presented_to))
        if view.signed_off_by:
            parts.append(t("desk.bulletin.signed_by", name=view.signed_off_by))
        return Content.assemble(safe(parts[0], "bold"), safe("  ·  " + "  ·  ".join(parts[1:])))

    # -- actions -----------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the serials field drafts the bulletin."""
        if event.input.id == "bulletin-serials":
            event.stop()
            self.action_save()

    @after_typing
    def action_save(self) -> None:
        """Draft (before there is one), else store the edits."""
        if refused(self, self.context):
            return
        if self.app.screen is not self:
            return
        if self.view is None:
            kind = str(self.query_one("#bulletin-kind", Select).value)
            serials = self.query_one("#bulletin-serials", Input).value
            wanted = [s for s in serials.replace(",", " ").replace("，", " ").split() if s]
            self.status(t("form.saving"))
            direct = BulletinKind(kind) is BulletinKind.DIRECT
            self.draft(BulletinKind(kind), wanted, self.leader if direct else None, self.urgency)
            return
        title, body = self.edits
        short = self.short_panel.typed
        if title is None and body is None and short is None:
            self.status(t("desk.bulletin.nothing_changed"))
            return
        self.status(t("form.saving"))
        self.save(title, body, short)

    def _ready(self) -> bool:
        if self.app.screen is not self:
            return False
        if self.view is None:
            self.status(t("desk.bulletin.no_draft"), error=True)
            return False
        return True

    @after_typing
    def action_review(self) -> None:
        """Save what was typed, then mark the bulletin reviewed."""
        if refused(self, self.context):
            return
        if self._ready():
            title, body = self.edits
            self.step("review", title=title, body=body, short=self.short_panel.typed)

    @after_typing
    def action_sign(self) -> None:
        """Record the sign-off: the signed-in operator's own, else a signer chosen."""
        if refused(self, self.context):
            return
        if self._ready():
            if self.dirty:
                self.status(t("desk.bulletin.save_first"), error=True)
                return
            if self.context.signed_in:  # a sign-off is the signer's own act
                self.step("sign", signer=self.context.operator, sms_ok=self._chosen_sms())
                return
            self.read_signers()

    def _internal_items(self) -> list[str]:
        """Serials of the bulletin's 内部 items: those that need a 可发短信/微信 decision."""
        view = self.view
        items = view.items if view is not None else ()
        return [item.serial for item in items if item.classification is Classification.INTERNAL]

    def _chosen_sms(self) -> tuple[str, ...]:
        """The 内部 items chosen with F6, in bulletin order."""
        return tuple(serial for serial in self._internal_items() if serial in self.sms_ok)

    def action_sms_ok(self) -> None:
        """Choose which 内部 items may go by SMS/WeChat; the sign-off records it."""
        if refused(self, self.context):
            return
        if not self._ready():
            return
        view = self.view
        assert view is not None
        if view.signed_off_by or view.status not in _IN_THE_WORKS:  # decided at sign-off
            self.status(t("desk.bulletin.sms_ok_after_sign"), error=True)
            return
        serials = self._internal_items()
        if not serials:
            self.status(t("desk.bulletin.sms_ok_no_internal"))
            return
        titles = {item.serial: item.title or "" for item in view.items}
        values = [
            f"{'☑' if serial in self.sms_ok else '☐'} {serial}  {titles[serial]}"
            for serial in serials
        ]

        def chosen(value: str | None) -> None:
            if value is None:
                return
            serial = serials[values.index(value)]
            self.sms_ok ^= {serial}
            picked = ", ".join(self._chosen_sms())
            self.status(
                t("desk.bulletin.sms_ok_chosen", serials=picked)
                if picked
                else t("desk.bulletin.sms_ok_none")
            )

        self.app.push_screen(PickScreen(t("desk.bulletin.sms_ok_choose"), values), chosen)

    def _kind(self) -> BulletinKind:
        """The bulletin's kind: as stored, or as chosen before the draft."""
        if self.view is not None:
            return self.view.kind
        return BulletinKind(str(self.query_one("#bulletin-kind", Select).value))

    def action_leader(self) -> None:
        """Choose the leader a 《信息直呈》 is presented to (before or after drafting)."""
        if refused(self, self.context):
            return
        if self.app.screen is not self:
            return
        if self._kind() is not BulletinKind.DIRECT:
            self.status(t("desk.bulletin.leader_express"), error=True)
            return
        self.read_signers(leader=True)  # the same people as may sign off

    def choose_leader(self, names: list[str]) -> None:
        """Offer the leaders read by the worker; the choice is stored through the service.

        Before the draft it waits for it. After, it is stored with what was typed (as
        F2 does), so the bulletin read back keeps the typing.
        """

        def chosen(name: str | None) -> None:
            if not name:
                return
            if self.view is None:
                self.leader = name
                self.status(t("desk.bulletin.leader_pending", name=name))
                return
            title, body = self.edits
            self.status(t("form.saving"))
            self.save(title, body, self.short_panel.typed, leader=name)

        self.app.push_screen(PickScreen(t("desk.bulletin.leader_choose"), names), chosen)

    def action_urgency(self) -> None:
        """Choose the 紧急程度 (before drafting or after); stored as an edit of the bulletin."""
        if self.app.screen is not self:
            return
        members = list(Urgency)
        values = [label(member) for member in members]

        def chosen(value: str | None) -> None:
            if value is None:
                return
            urgency = members[values.index(value)]
            if self.view is None:
                self.urgency = urgency
                self.status(t("desk.bulletin.urgency_pending", urgency=value))
                return
            if urgency is self.view.urgency:
                self.status(t("desk.bulletin.nothing_changed"))
                return
            title, body = self.edits
            self.status(t("form.saving"))
            self.save(title, body, self.short_panel.typed, urgency=urgency)

        self.app.push_screen(PickScreen(t("desk.bulletin.urgency_choose"), values), chosen)

    def choose_signer(self, names: list[str]) -> None:
        """Offer the signers read by the worker."""

        def chosen(name: str | None) -> None:
            if name:
                self.step("sign", signer=name, sms_ok=self._chosen_sms())

        self.app.push_screen(PickScreen(t("desk.bulletin.choose_signer"), names), chosen)

    @after_typing
    def action_issue(self) -> None:
        """Issue the signed bulletin, asking first: it takes the next number for good."""
        if refused(self, self.context):
            return
        if not self._ready():
            return
        if self.dirty:
            self.status(t("desk.bulletin.save_first"), error=True)
            return
        view = self.view
        assert view is not None
        if not view.signed_off_by:
            self.step("issue")  # refused at once, saying why: nothing to ask about
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.step("issue")

        kind = KIND_NAMES[view.kind]
        question = t("desk.bulletin.issue_question", id=view.id, kind=kind, year=view.year)
        self.app.push_screen(ConfirmScreen(question), answered)

    def action_discard(self) -> None:
        """Discard the draft (asking first); it uses no number."""
        if refused(self, self.context):
            return
        if not self._ready():
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.step("discard")

        self.app.push_screen(ConfirmScreen(t("desk.bulletin.discard_question")), answered)

    @after_typing
    def action_export(self) -> None:
        """Ask where to write the bulletin (docx, md or txt by the extension)."""
        if not self._ready():
            return
        from dutydesk.tui import export

        view = self.view
        assert view is not None
        number = view.issue_no if view.issue_no is not None else f"draft{view.id}"
        path = export.default_path(f"{KIND_NAMES[view.kind]}-{view.year}-{number}")

        def answered(target: str | None) -> None:
            if target:
                self.export(target.strip())

        hint = t("desk.export_hint")
        self.app.push_screen(PromptScreen(t("desk.export_to"), path, hint=hint), answered)

    def action_close(self) -> None:
        """Back to the main screen; asks first when edits are not saved."""
        if not self.dirty:
            self.dismiss(None)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen(t("form.discard")), answered)
