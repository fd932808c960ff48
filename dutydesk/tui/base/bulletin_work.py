"""The bulletin screen's thread workers: every service call, never on the event loop.

Each worker calls the bulletin services and posts what came back: the bulletin as read
after the write (:class:`BulletinWork.Loaded`), or the refusal in words
(:class:`BulletinWork.Failed`), which the screen shows without touching what was typed.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.screen import Screen

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import label, t
from dutydesk.rules.bulletins import SIGNER_ROLES
from dutydesk.rules.documents import BulletinView
from dutydesk.services.bulletins.short_version import ShortVersion
from dutydesk.tui.context import Context
from dutydesk.tui.text import safe
from dutydesk.tui.workers import ReportsWorkerErrors
from dutydesk.vocab import BulletinKind, BulletinStatus, Urgency

if TYPE_CHECKING:
    from dutydesk.tui.widgets.short_panel import ShortPanel


class BulletinWork(ReportsWorkerErrors, Screen[None]):
    """Workers and their messages; the screen (:mod:`.bulletin`) draws and binds keys."""

    context: Context
    view: BulletinView | None = None
    """The bulletin as last read from the store (``None`` before the draft)."""

    class Loaded(Message):
        """The bulletin and its short version (or why there is none), after a write."""

        def __init__(
            self,
            view: BulletinView,
            short: ShortVersion | None,
            refusal: str | None,
            said: str,
        ) -> None:
            super().__init__()
            self.view, self.short, self.refusal, self.said = view, short, refusal, said

    class Failed(Message):
        """A service refused; ``reason`` says why."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class Said(Message):
        """Something went through that changed nothing on screen (an export)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Signers(Message):
        """The people who may sign off, read for the chooser.

        The same people are those a 《信息直呈》 may be presented to: ``leader`` says
        the chooser is for that (F5), not for the sign-off.
        """

        def __init__(self, names: list[str], *, leader: bool = False) -> None:
            super().__init__()
            self.names, self.leader = names, leader

    # -- drawn by the screen (.bulletin) ---------------------------------------------------
    # Abstract, so the type checker refuses to build a bulletin screen that lacks one.

    @property
    @abstractmethod
    def short_panel(self) -> ShortPanel:
        """The panel showing the short version (or why there is none)."""
        raise NotImplementedError

    @abstractmethod
    def status(self, text: str, *, error: bool = False) -> None:
        """Say something on the screen's status line."""
        raise NotImplementedError

    @abstractmethod
    def show(self, view: BulletinView, *, fill: bool) -> None:
        """Draw ``view``; with ``fill``, put its values back into the fields."""
        raise NotImplementedError

    @abstractmethod
    def choose_signer(self, names: list[str]) -> None:
        """Let the officer choose who signs off, among ``names``."""
        raise NotImplementedError

    @abstractmethod
    def choose_leader(self, names: list[str]) -> None:
        """Let the drafter choose the leader a 《信息直呈》 is presented to, among ``names``."""
        raise NotImplementedError

    def _read(self, bulletin_id: int, said: str) -> None:
        """Read the bulletin and its short version back (worker thread)."""
        from dutydesk.services.bulletins.read import BulletinError, get_bulletin
        from dutydesk.services.bulletins.short_version import short_version

        ctx = self.context
        view = get_bulletin(
            ctx.db,
            bulletin_id,
            tz=ctx.tz,
            now=ctx.clock.now(),
            clearance=ctx.clearance,
            viewer=ctx.viewer,
        )
        short, refusal = None, None
        if view.status is not BulletinStatus.DISCARDED:
            try:
                short = short_version(
                    ctx.db, bulletin_id, style=ctx.settings.sms_style(), tz=ctx.tz
                )
            except BulletinError as exc:
                refusal = str(exc)
        self.post_message(self.Loaded(view, short, refusal, said))

    @work(thread=True, exclusive=True, group="bulletin", exit_on_error=False)
    def open_existing(self, bulletin_id: int, said: str) -> None:
        """Read a stored bulletin to go on with it."""
        try:
            self._read(bulletin_id, said)
        except DutyDeskError as exc:
            self.post_message(self.Failed(str(exc)))

    @work(thread=True, exclusive=True, group="bulletin", exit_on_error=False)
    def draft(
        self,
        kind: BulletinKind,
        serials: list[str],
        leader: str | None = None,
        urgency: Urgency = Urgency.NONE,
    ) -> None:
        """Draft the bulletin from ``serials`` (a 《信息直呈》 presented to ``leader``)."""
        from dutydesk.services.bulletins.write import draft_bulletin

        ctx = self.context
        try:
            bulletin_id = draft_bulletin(
                ctx.db,
                kind=kind,
                serials=serials,
                actor=ctx.operator,
                now=ctx.clock.now(),
                tz=ctx.tz,
                clearance=ctx.clearance,
                leader=leader,
                urgency=urgency,
            )
            self._read(bulletin_id, t("desk.bulletin.drafted", id=bulletin_id))
        except DutyDeskError as exc:
            self.post_message(self.Failed(str(exc)))

    def _store(
        self,
        title: str | None,
        body: str | None,
        short: str | None,
        leader: str | None = None,
        urgency: Urgency | None = None,
    ) -> None:
        from dutydesk.services.bulletins.short_version import short_version
        from dutydesk.services.bulletins.write import edit_bulletin

        ctx, view = self.context, self.view
        assert view is not None
        now = ctx.clock.now()
        if any(value is not None for value in (title, body, leader, urgency)):
            edit_bulletin(
                ctx.db,
                view.id,
                title=title,
                body=body,
                actor=ctx.operator,
                now=now,
                clearance=ctx.clearance,
                register_only=ctx.settings.deployment == "register",
                leader=leader,
                urgency=urgency,
                limits=ctx.settings.field_limits(),
            )
        if short is not None:
            short_version(ctx.db, view.id, edit=short, actor=ctx.operator, now=now)

    @work(thread=True, exclusive=True, group="bulletin", exit_on_error=False)
    def save(
        self,
        title: str | None,
        body: str | None,
        short: str | None,
        leader: str | None = None,
        urgency: Urgency | None = None,
    ) -> None:
        """Store the edited title, body and short version, a 《信息直呈》's leader, urgency."""
        view = self.view
        assert view is not None
        try:
            self._store(title, body, short, leader, urgency)
            if leader is not None:
                said = t("desk.bulletin.leader_set", id=view.id, name=leader)
            elif urgency is not None:
                said = t("desk.bulletin.urgency_set", id=view.id, urgency=label(urgency))
            else:
                said = t("bulletin.edited", id=view.id)
            self._read(view.id, said)
        except DutyDeskError as exc:
            self.post_message(self.Failed(str(exc)))

    @work(thread=True, exclusive=True, group="bulletin", exit_on_error=False)
    def step(
        self,
        action: str,
        *,
        signer: str = "",
        title: str | None = None,
        body: str | None = None,
        short: str | None = None,
        sms_ok: tuple[str, ...] = (),
    ) -> None:
        """Review (after saving edits), sign off (and its 可发短信/微信 items), issue, discard."""
        from dutydesk.services.bulletins import write as bulletins

        ctx, view = self.context, self.view
        assert view is not None
        db, who, now = ctx.db, ctx.operator, ctx.clock.now()
        try:
            if action == "review":
                self._store(title, body, short)
                bulletins.review_bulletin(db, view.id, actor=who, now=now)
                said = t("desk.bulletin.reviewed", id=view.id)
            elif action == "sign":
                bulletins.sign_bulletin(
                    db,
                    view.id,
                    signer=signer,
                    actor=who,
                    actor_id=ctx.operator_id,
                    now=now,
                    sms_ok=sms_ok,
                )
                said = t("desk.bulletin.signed", id=view.id, name=signer)
            elif action == "issue":
                from dutydesk.services.bulletins.read import issue_title

                bulletins.issue_bulletin(ctx.request().at(now), view.id)
                said = t("bulletin.issued", what=issue_title(db, view.id))
            else:
                bulletins.discard_bulletin(db, view.id, actor=who, now=now)
                said = t("bulletin.discarded", id=view.id)
            self._read(view.id, said)
        except DutyDeskError as exc:
            self.post_message(self.Failed(str(exc)))

    @work(thread=True, exclusive=True, group="bulletin", exit_on_error=False)
    def read_signers(self, *, leader: bool = False) -> None:
        """Read who may sign off (duty leaders and leaders), or be presented a 《信息直呈》.

        The service checks the one chosen again when it stores it
        (:func:`dutydesk.services.bulletins.write.edit_bulletin`): the list only offers.
        """
        from dutydesk.services.roster.people import names_with_roles

        names = names_with_roles(self.context.db, SIGNER_ROLES)
        self.post_message(self.Signers(names, leader=leader))

    @work(thread=True, exclusive=True, group="bulletin-export", exit_on_error=False)
    def export(self, target: str) -> None:
        """Write the bulletin as docx, md or txt (by the extension of ``target``)."""
        from dutydesk.reports.bulletin_render import render_bulletin
        from dutydesk.services.bulletins.read import get_bulletin
        from dutydesk.services.integrity.copies import bulletin_marking
        from dutydesk.tui import export

        ctx, view = self.context, self.view
        assert view is not None
        now, unit = ctx.clock.now(), ctx.settings.issuing_unit
        try:
            fresh = get_bulletin(
                ctx.db, view.id, tz=ctx.tz, now=now, clearance=ctx.clearance, viewer=ctx.viewer
            )
            fmt = export.format_of(target)
            # A classified bulletin printed here is a numbered copy too, as from the CLI.
            marking = bulletin_marking(ctx.request(), fresh)
            data = render_bulletin(
                fresh,
                fmt,
                unit=unit,
                tz=ctx.tz,
                now=now,
                marking=marking,
                distribution=ctx.settings.distribution(),
            )
            written = export.write(target, data)
        except (DutyDeskError, OSError) as exc:
            self.post_message(self.Failed(t("desk.export_failed", reason=str(exc))))
            return
        self.post_message(self.Said(t("handover.written", path=str(written))))

    # -- results on the event loop -------------------------------------------------------

    def say(self, text: str) -> None:
        """Status line and toast."""
        self.status(text)
        if text:
            self.app.notify(safe(text).plain, markup=False)

    def on_bulletin_work_loaded(self, message: BulletinWork.Loaded) -> None:
        """Show the bulletin as stored now."""
        self.show(message.view, fill=True)
        self.short_panel.show_version(message.short, message.refusal)
        if message.view.status is BulletinStatus.DISCARDED:
            self.app.notify(safe(message.said).plain, markup=False)
            self.dismiss(None)
            return
        self.say(message.said)

    def on_bulletin_work_said(self, message: BulletinWork.Said) -> None:
        """Say it."""
        self.say(message.text)

    def on_bulletin_work_failed(self, message: BulletinWork.Failed) -> None:
        """Show the refusal; what was typed stays."""
        if message.reason:
            self.status(message.reason, error=True)

    def on_bulletin_work_signers(self, message: BulletinWork.Signers) -> None:
        """Offer the signers, or the leaders a 《信息直呈》 may be presented to."""
        if not message.names:
            none = "desk.bulletin.no_leaders" if message.leader else "desk.bulletin.no_signers"
            self.status(t(none), error=True)
            return
        if message.leader:
            self.choose_leader(message.names)
        else:
            self.choose_signer(message.names)
