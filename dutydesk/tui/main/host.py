"""What the main screen gives the mixins that hold its keys (:class:`MainHost`).

The key mixins (:mod:`.incident_keys`, :mod:`.paper_keys`, :mod:`.drill_keys`) are
written against this protocol rather than against
:class:`dutydesk.tui.screens.main.MainScreen`, which is built from them: a mixin reaches
the screen only through :attr:`OnMainScreen.host`, typed as :class:`MainHost`, so it may
use what is listed here and nothing else. The screen's ``host`` returns the screen itself,
and that ``return`` is where the type checker holds it to providing all of it.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.app import App
    from textual.message import Message
    from textual.timer import Timer, TimerCallback

    from dutydesk.tui.context import Context
    from dutydesk.tui.widgets.queue import QueueView
    from dutydesk.tui.widgets.timeline import TimelineView


class MainHost(Protocol):
    """The main screen as its key mixins see it: the panes, the context and the app."""

    context: Context

    @property
    def app(self) -> App[object]:
        """The running console (screens, notifications)."""
        ...

    @property
    def queue(self) -> QueueView:
        """The incident queue pane."""
        ...

    @property
    def timeline(self) -> TimelineView:
        """The follow-up timeline pane."""
        ...

    def reload(self) -> None:
        """Read everything again: queue, counts, roster and the shown timeline."""
        ...

    def recount(self) -> object:
        """Read the open and overdue counts again (in a worker)."""
        ...

    def call_after_refresh(self, callback: Callable[[], object]) -> bool:
        """Call ``callback`` once the screen has been drawn again."""
        ...

    def post_message(self, message: Message) -> bool:
        """Post ``message`` to the screen (safe from a worker thread)."""
        ...

    def set_interval(
        self,
        interval: float,
        callback: TimerCallback | None = None,
        *,
        name: str | None = None,
        repeat: int = 0,
        pause: bool = False,
    ) -> Timer:
        """Call ``callback`` every ``interval`` seconds."""
        ...


class OnMainScreen:
    """Base of the main screen's key mixins: the screen is reached through :attr:`host`."""

    # Abstract so that the type checker refuses to build a screen that forgot it.
    @property
    @abstractmethod
    def host(self) -> MainHost:
        """The main screen, as far as the mixins may use it (the screen returns itself)."""
        raise NotImplementedError
