"""What every ``incident`` command needs: settings, store, clock, rules and the operator.

Options given before the sub-command (``dutydesk --db X --now T --lang zh_CN incident
...``) are read from the root command; ``--db`` may also follow the sub-command.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dutydesk.clock import FrozenClock, parse_moment
from dutydesk.commands.parsing import InputError
from dutydesk.config import Settings, load_settings
from dutydesk.errors import ConfigError, NotFoundError
from dutydesk.i18n import normalise_language, resolve_language, set_language, t
from dutydesk.store import Database, url_for

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.models import Incident
    from dutydesk.rules.deadlines import DeadlineRules

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database file or URL (default: as for dutydesk).", show_default=False
    ),
]
OperatorOption = Annotated[
    str | None,
    typer.Option(
        "--operator",
        envvar="DUTYDESK_OPERATOR",
        help="Who is writing (stored on the record); also DUTYDESK_OPERATOR.",
        show_default=False,
    ),
]
VersionOption = Annotated[
    int | None,
    typer.Option(
        "--expected-version",
        help="Refuse if the incident changed since you saw this version.",
        show_default=False,
    ),
]


def require_operator(operator: str | None) -> str:
    """The operator's name, or a one-line error asking for it."""
    if operator is None or not operator.strip():
        raise InputError(t("cli.no_operator"))
    return operator.strip()


@dataclass
class Env:
    """The resolved surroundings of one command run."""

    settings: Settings
    db: Database
    now: datetime

    @cached_property
    def rules(self) -> DeadlineRules:
        """Deadline rules: data/rules.toml with the config file's ``[rules]`` on top."""
        from dutydesk.rules.deadlines import load_rules

        return load_rules(overrides=self.settings.rules)

    def incident(self, session: Session, serial: str) -> Incident:
        """The incident with ``serial``, read in ``session`` (inside its transaction)."""
        from sqlmodel import select

        from dutydesk.models import Incident

        found = session.exec(select(Incident).where(Incident.serial == serial.strip())).first()
        if found is None:
            raise NotFoundError(f"no incident {serial.strip()!r}")
        return found

    def entry_id(self, session: Session, incident: Incident, seq: int | None) -> int | None:
        """The id of entry number ``seq`` on the incident's timeline (``None`` for none)."""
        if seq is None:
            return None
        from sqlmodel import select

        from dutydesk.models import TimelineEntry

        found: Any = session.exec(
            select(TimelineEntry.id).where(
                TimelineEntry.incident_id == incident.id, TimelineEntry.seq == seq
            )
        ).first()
        if found is None:
            raise InputError(f"refers-to: {incident.serial} has no entry {seq}")
        return int(found)


def open_env(ctx: typer.Context, db: str | None) -> Env:
    """Resolve settings, language, store (migrated if needed) and the moment.

    Raises:
        ConfigError: a bad --now, --lang or configuration.
        DatabaseError: the store cannot be used.

    """
    root: dict[str, Any] = ctx.find_root().params
    settings = load_settings()
    lang = root.get("lang")
    if lang is not None and normalise_language(lang) is None:
        raise ConfigError(f"--lang: expected en or zh_CN, got {lang!r}")
    set_language(normalise_language(lang) or resolve_language(settings.language))
    chosen = db or root.get("db") or settings.database_url
    database = Database(url_for(chosen) if chosen else settings.default_database_url())
    database.ensure_schema()  # as the console does: a new store is created, an old migrated
    pinned = root.get("now") or os.environ.get("DUTYDESK_NOW")
    if pinned:
        try:
            now = FrozenClock(parse_moment(pinned, settings.tz)).now()
        except ValueError as exc:
            raise ConfigError(f"--now: {exc}") from None
    else:
        from dutydesk.clock import Clock

        now = Clock().now()
    return Env(settings=settings, db=database, now=now)
