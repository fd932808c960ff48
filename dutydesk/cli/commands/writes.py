"""The writing half of ``dutydesk incident``: intake, follow-up entries and edits.

Each write runs as one retried transaction (:func:`dutydesk.services.retry.write_with_retry`):
the incident is looked up by serial inside it, so what is checked (version, status) is
what is committed. Data (serials, entry numbers, versions) goes to stdout, the sentence
for the officer to stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

from dutydesk.cli.commands.context import Env
from dutydesk.cli.commands.output import message
from dutydesk.cli.commands.parsing import InputError, intake_arguments, read_json_intakes
from dutydesk.cli.commands.views import due_text
from dutydesk.i18n import label, t
from dutydesk.vocab import EntryKind, Status

if TYPE_CHECKING:
    from dutydesk.services.accounts.auth import Operator
    from dutydesk.services.incidents.checks import NewEntry
    from dutydesk.services.incidents.intake import NewIncident
    from dutydesk.services.request import Request


def _read_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise InputError(
            t("cli.error.json_unreadable", path=path, detail=exc.strerror or exc)
        ) from None


def ready(req: Request) -> Request:
    """``req`` with its deadline rules read now, before the write lock is queued for.

    Every write computes clocks; reading ``rules.toml`` on first use did it inside the
    transaction, while the other writers waited (issue 16).
    """
    _ = req.rules
    return req


def intake_items(
    env: Env, options: Mapping[str, str | None], json_input: str | None
) -> list[NewIncident]:
    """Checked new incidents from the options or from ``--json`` input.

    Raises:
        InputError: naming the field (and the item of a JSON list).

    """
    if json_input is not None:
        if any(value is not None for value in options.values()):
            raise InputError(t("cli.error.json_and_options"))
        text = sys.stdin.read() if json_input == "-" else _read_file(json_input)
        raws = read_json_intakes(text)
    else:
        raws = [options]
    from dutydesk.services.incidents.intake import NewIncident

    many = len(raws) > 1
    return [
        NewIncident(
            **intake_arguments(
                {key: value for key, value in raw.items() if value is not None},
                tz=env.settings.tz,
                now=env.now,
                where=t("cli.error.item", index=index) if many else "",
                register_only=env.settings.deployment == "register",
            )
        )
        for index, raw in enumerate(raws, start=1)
    ]


def _register(req: Request, items: list[NewIncident]) -> list[Any]:
    """Write the new incidents: one plainly when it can be (issue 16), else through the ORM."""
    if len(items) == 1:
        from dutydesk.services.incidents.plain_write import NotPlain, add_incident

        try:
            return [add_incident(req, items[0])]
        except NotPlain:
            pass  # nothing was written: the ORM path writes it (or says why not)
    from dutydesk.services.incidents.intake import register_many

    return register_many(req, items)


def register_and_warn(env: Env, items: list[NewIncident], actor: Operator) -> None:
    """Register every item in one transaction; print serials and duplicate warnings."""
    from dutydesk.services.incidents.intake import find_similar

    req = ready(env.request(actor=actor))
    created = _register(req, items)
    serials = {incident.serial for incident in created}
    # The warning reads as nobody in particular, at internal level, as it always has.
    warn = env.request()
    for incident, item in zip(created, items, strict=True):
        typer.echo(incident.serial)
        message(t("cli.added", serial=incident.serial, due=due_text(incident, env.settings)))
        for similar in find_similar(
            warn,
            category=item.category,
            location=item.location,
            summary=item.summary,
            received_at=item.received_at,
            exclude_id=incident.id,
        ):
            if similar.serial not in serials:  # a batch's own items are not duplicates
                message(t("cli.similar", serial=similar.serial, new=incident.serial))


def link_report(env: Env, serial: str, items: list[NewIncident], actor: Operator) -> None:
    """Record the report on an existing incident (``--link``) instead of a new one."""
    from dutydesk.services.incidents.intake import link_as_continued_report
    from dutydesk.services.retry import write_with_retry

    if len(items) != 1:
        raise InputError(t("cli.error.link_one"))
    item = items[0]
    parts = (item.reporter_unit, item.reporter_name, item.reporter_phone)
    reporter = " ".join(part for part in parts if part)
    req = ready(env.request(actor=actor))

    def work(session: Any) -> tuple[int, str]:
        incident = env.incident(session, serial)
        assert incident.id is not None  # read from the store
        entry = link_as_continued_report(
            req,
            session=session,
            incident_id=incident.id,
            summary=item.summary,
            received_at=item.received_at,
            reporter=reporter,
        )
        return entry.seq, entry.kind

    seq, kind = write_with_retry(env.db, work)
    typer.echo(f"{serial} {seq}")
    message(t("cli.linked", serial=serial, kind=label(EntryKind(kind)), seq=seq))


def log_entry(
    env: Env, serial: str, entry: NewEntry, actor: Operator, *, refers_to: int | None
) -> None:
    """Add one follow-up entry; print ``SERIAL SEQ`` and the new status and clock.

    ``refers_to`` is the referred entry's number on the timeline (its id is looked up).
    """
    from dutydesk.services.incidents.plain_write import NotPlain
    from dutydesk.services.incidents.plain_write import log_entry as log_plainly

    # The writer's own clearance: a classified item is edited (or raised) only by
    # someone cleared for its level (issue 17).
    req = ready(replace(env.request(actor=actor), clearance=actor.clearance))
    try:
        written = log_plainly(req, serial, entry, refers_to)  # issue 16: no ORM
        seq, incident = written.id, written
    except NotPlain:  # nothing was written: the ORM path writes it (or says why not)
        seq, incident = _log_through_orm(env, req, serial, entry, refers_to)
    typer.echo(f"{incident.serial} {seq}")
    message(
        t(
            "cli.logged",
            serial=incident.serial,
            kind=label(EntryKind(entry.kind)),
            seq=seq,
            status=label(Status(incident.status)),
            due=due_text(incident, env.settings),
        )
    )


def _log_through_orm(
    env: Env, req: Request, serial: str, entry: NewEntry, refers_to: int | None
) -> tuple[int, Any]:
    from dutydesk.services.incidents.followup import add_entry
    from dutydesk.services.retry import write_with_retry

    def work(session: Any) -> tuple[int, Any]:
        incident = env.incident(session, serial)
        referred = replace(entry, refers_to_id=env.entry_id(session, incident, refers_to))
        written = add_entry(req, incident, referred, session=session)
        return written.seq, incident

    return write_with_retry(env.db, work)


def edit_fields(
    env: Env,
    serial: str,
    changes: dict[str, object],
    actor: Operator,
    *,
    expected_version: int | None,
) -> None:
    """Apply a field edit; print the new version (unchanged if nothing differed)."""
    from dutydesk.services.incidents.edits import update_fields
    from dutydesk.services.retry import write_with_retry

    # The writer's own clearance: a classified item is edited (or raised) only by
    # someone cleared for its level (issue 17).
    req = ready(replace(env.request(actor=actor), clearance=actor.clearance))

    def work(session: Any) -> tuple[int, Any]:
        incident = env.incident(session, serial)
        assert incident.id is not None  # read from the store
        before = incident.version
        updated = update_fields(
            req,
            session=session,
            incident_id=incident.id,
            expected_version=expected_version,
            changes=changes,
        )
        return before, updated

    before, incident = write_with_retry(env.db, work)
    typer.echo(str(incident.version))
    if incident.version == before:
        message(t("cli.unchanged", serial=incident.serial))
    else:
        due = due_text(incident, env.settings)
        message(t("cli.edited", serial=incident.serial, version=incident.version, due=due))


def purge_content(env: Env, serial: str, actor: Operator) -> None:
    """Purge a classified item's earlier content (register mode, issue 13); say what went."""
    from dutydesk.services.incidents.register import purge
    from dutydesk.services.retry import write_with_retry

    req = env.request(actor=actor)
    fields, entries = write_with_retry(env.db, lambda session: purge(req, serial, session=session))
    if not fields and not entries:
        message(t("register.nothing_to_purge", serial=serial.strip()))
        return
    message(t("register.purged", serial=serial.strip(), fields=fields, entries=entries))


def copy_move(
    env: Env,
    serial: str,
    kind: EntryKind,
    holder: str,
    copy_no: int | None,
    occurred: datetime,
    actor: Operator,
) -> None:
    """One copy of a classified item moves (呈批/传阅/清退/销毁); print ``SERIAL SEQ``."""
    from dutydesk.services.incidents.register import movement_seq, record_copy
    from dutydesk.services.retry import write_with_retry

    req = env.request(actor=actor)

    def work(session: Any) -> tuple[str, int]:
        incident = env.incident(session, serial)
        moved = record_copy(
            req, incident, session=session, kind=kind, holder=holder, copy_no=copy_no,
            occurred_at=occurred,
        )  # fmt: skip
        return incident.serial, movement_seq(session, moved)

    found, seq = write_with_retry(env.db, work)
    typer.echo(f"{found} {seq}")
    number = t("app.none") if copy_no is None else copy_no
    message(t("register.copy_moved", serial=found, copy_no=number, kind=label(kind),
              holder=holder, seq=seq))  # fmt: skip


def copy_back(env: Env, serial: str, seq: int, by: str, actor: Operator) -> None:
    """The copy moved by entry ``seq`` was signed back by ``by``; print ``SERIAL SEQ``."""
    from dutydesk.services.incidents.register import sign_back
    from dutydesk.services.retry import write_with_retry

    req = env.request(actor=actor)

    def work(session: Any) -> str:
        incident = env.incident(session, serial)
        sign_back(req, incident, session=session, seq=seq, by=by)
        return str(incident.serial)

    found = write_with_retry(env.db, work)
    typer.echo(f"{found} {seq}")
    message(t("register.copy_signed_back", serial=found, seq=seq, by=by))
