"""The one request object both front ends hand to services: who asks, when, with what.

The command line (``cli.commands.context.Env.request``) and the console
(``tui.context.Context.request``) each build a :class:`Request` in one place; a service
takes it as ``req`` beside its own domain arguments, instead of a dozen loose
parameters (store, moment, zone, rules, key ring, clearance, viewer, actor) that every
caller had to pass in the same way.

Nothing here touches the database or imports SQLModel: making a request is free, so a
reading command pays for nothing it does not use. The deadline rules are read on first
use, so a command that never writes never parses them (a bad ``[rules]`` table in the
configuration then stops only the commands that need the rules, as before).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field, replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dutydesk.records import record
from dutydesk.rules.limits import FieldLimits
from dutydesk.vocab import Classification, Deployment

if TYPE_CHECKING:
    from dutydesk.rules.deadlines import DeadlineRules
    from dutydesk.services.accounts.auth import Operator
    from dutydesk.storage.crypto import KeyRing
    from dutydesk.storage.engine import Database


@record
class Request:
    """What a service needs of its caller, whichever front end the caller is.

    Reading services use ``clearance``, ``viewer`` and ``keys`` (content above the
    clearance is withheld; a classified read is audited under ``viewer`` at ``now``);
    writing services use ``actor_name``/``actor_id`` (stored on what they write), ``now``,
    ``tz`` and ``rules``.
    """

    db: Database
    """The store (a writing service given an open session writes there instead)."""
    now: datetime
    """The moment of the request (aware): written on records, used in audit events."""
    tz: ZoneInfo
    """The office's timezone: it decides a serial's day, shift boundaries, report days."""
    clearance: Classification = Classification.INTERNAL
    """How far the reader may see; classified content above it is withheld."""
    viewer: Operator | int | str | None = None
    """Who reads, for the audit of classified reads: an operator, a person id or a name."""
    actor_name: str = ""
    """Who writes: the name stored on entries and records."""
    actor_id: int | None = None
    """That person's id; ``None`` on a database without sign-in."""
    keys: KeyRing | None = None
    """The key ring for sealed text; ``None``: the key file beside the database, lazily."""
    deployment: Deployment = Deployment.REGISTER
    """Issue 13: register mode (the default, and what a caller that does not say gets:
    classified content is refused) or an accredited classified network (content sealed)."""
    limits: FieldLimits = field(default_factory=FieldLimits)
    """How long a field may be (issue 17): checked by every writing service."""
    rules_source: DeadlineRules | Callable[[], DeadlineRules] | None = field(
        default=None, repr=False, compare=False
    )
    """The deadline rules, or how to read them; ``None``: data/rules.toml as shipped."""

    @cached_property
    def rules(self) -> DeadlineRules:
        """The deadline rules, read on first use (report clocks, feedback periods)."""
        from dutydesk.rules.deadlines import DeadlineRules, load_rules

        source = self.rules_source
        if source is None:
            return load_rules()
        if isinstance(source, DeadlineRules):
            return source
        return source()

    @property
    def register_only(self) -> bool:
        """True in register mode: a classified item keeps its register, never content."""
        return Deployment(self.deployment) is Deployment.REGISTER

    def at(self, now: datetime) -> Request:
        """The same request as of another moment (a report made as of a meeting's time)."""
        return replace(self, now=now)


__all__ = ["Request"]
