"""Drills (操作演练): run a scenario through the real response chain and measure it.

* :func:`start_run` stores a :class:`~dutydesk.storage.models.DrillRun` and one
  :class:`~dutydesk.storage.models.DrillInject` per inject, each due at
  ``started_at + offset / speed`` (:func:`dutydesk.rules.drills.due_at`).
* :func:`fire_due` fires what has fallen due. A report inject becomes *pending*: it waits
  for the officer to take it through intake (:func:`take_report`), which creates the
  incident with ``drill_run_id`` set and links the inject to it. Severity and
  instruction injects act on the incident their report became, through the normal edit
  and follow-up services (so the hash chain stays whole), attributed to drill control;
  while their report has not been taken they wait.
* :func:`stop_run` ends a run; :func:`build_report` measures it
  (:func:`dutydesk.rules.drills.measure`): inject to intake, phone report, written first
  report and assignment, against the scenario's targets, in scenario time.

Everything a drill creates carries ``incident.drill_run_id``; the live queue shows it
(marked), real outputs leave it out (see :data:`REAL_ONLY`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.rules.drills import (
    DrillReport,
    InjectState,
    ReportProgress,
    Scenario,
    ScenarioError,
    due_at,
    measure,
)
from dutydesk.services.office_rules import toml_detail
from dutydesk.storage.engine import Database, as_utc, stored_utc
from dutydesk.vocab import EntryKind, Status

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.config import Settings
    from dutydesk.services.incidents.intake import NewIncident
    from dutydesk.services.request import Request
    from dutydesk.storage.models import Incident

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "data" / "drills"
"""The sample scenarios shipped with the package."""

REAL_ONLY = "drill_run_id IS NULL"
"""The SQL condition that keeps drill incidents out of real outputs."""

RUNNING = "running"
_STEP_KINDS = {
    "phone_report": EntryKind.PHONE_REPORT.value,
    "first_report": EntryKind.FIRST_REPORT.value,
    "assignment": EntryKind.ASSIGNMENT.value,
}


class DrillError(DutyDeskError):
    """A drill cannot do what was asked (no run, a run already going, a bad scenario)."""

    exit_code = 2


# -- scenarios -----------------------------------------------------------------------------


def scenario_dirs(settings: Settings | None = None) -> list[Path]:
    """Where scenarios are looked for: the shipped samples, then the configured folder."""
    folders = [SCENARIO_DIR]
    if settings is not None and settings.drills_dir:
        folders.append(Path(settings.drills_dir).expanduser())
    return folders


@dataclass(frozen=True)
class ScenarioFile:
    """A scenario file found on disk; ``error`` says why it cannot be used."""

    path: Path
    scenario: Scenario | None
    error: str | None = None

    @property
    def name(self) -> str:
        """The name a run is started with (the file's stem)."""
        return self.path.stem


def read_scenario(path: Path) -> Scenario:
    """Parse one scenario file.

    Raises:
        DrillError: it cannot be read or is not valid (one line naming file and field).

    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DrillError(t("error.scenario.unreadable", where=path, detail=exc)) from None
    from dutydesk.rules.scenario_file import parse_scenario  # pydantic: not at start-up

    try:
        return parse_scenario(text, name=path.stem, source=str(path))
    except ScenarioError as exc:
        raise DrillError(scenario_refusal(exc)) from None


def scenario_refusal(error: ScenarioError) -> str:
    """A scenario file refused by its reader (rules/scenario_file.py), in the reader's language."""
    where, values = error.where, error.values
    if error.problem == "no_inject":
        return t("error.scenario.no_inject", where=where)
    if error.problem == "same_id":
        return t("error.scenario.same_id", where=where, name=values["name"])
    if error.problem == "no_report":
        return t("error.scenario.no_report", where=where)
    if error.problem == "unknown_report":
        return t("error.scenario.unknown_report", where=where, **values)
    if error.problem == "too_early":
        return t("error.scenario.too_early", where=where, **values)
    if error.problem == "two_targets":
        return t("error.scenario.two_targets", where=where)
    if error.problem == "not_toml":
        return t("error.scenario.not_toml", where=where, detail=toml_detail(values["detail"]))
    return t("error.scenario.invalid", where=where, detail=values["detail"])


def list_scenarios(settings: Settings | None = None) -> list[ScenarioFile]:
    """Every ``*.toml`` in the scenario folders, by name; broken files say why."""
    found: list[ScenarioFile] = []
    for folder in scenario_dirs(settings):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                found.append(ScenarioFile(path, read_scenario(path)))
            except DrillError as exc:
                found.append(ScenarioFile(path, None, str(exc)))
    return found


def find_scenario(name: str, settings: Settings | None = None) -> Path:
    """The file of scenario ``name`` (a stem from :func:`list_scenarios`, or a path).

    Raises:
        DrillError: no such scenario.

    """
    given = Path(name).expanduser()
    if given.suffix == ".toml" and given.is_file():
        return given
    for folder in reversed(scenario_dirs(settings)):  # the office's own file wins
        path = folder / f"{name}.toml"
        if path.is_file():
            return path
    raise DrillError(t("drill.no_scenario", name=name))


# -- runs ------------------------------------------------------------------------------------


def active_run_id(db: Database) -> int | None:
    """The running drill, if any (one at a time)."""
    rows = db.read("SELECT id FROM drill_run WHERE status = :s ORDER BY id DESC", {"s": RUNNING})
    return int(rows[0][0]) if rows else None


def latest_run_id(db: Database) -> int | None:
    """The most recent run, running or not."""
    rows = db.read("SELECT max(id) FROM drill_run")
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


def start_run(
    db: Database,
    path: Path,
    *,
    speed: float = 1.0,
    actor: str,
    actor_id: int | None = None,
    now: datetime,
) -> int:
    """Start a drill of the scenario at ``path``; returns the run's id.

    Args:
        db: the store.
        path: the scenario file (its text is kept with the run).
        speed: scenario minutes per real minute (1: live; 10: a 30-minute scenario in 3).
        actor: who starts it.
        actor_id: that person's id, when known.
        now: the start (aware).

    Raises:
        DrillError: a run is already going, the speed is not positive, or the scenario
            is not valid.

    """
    from dutydesk.services.retry import write_with_retry
    from dutydesk.storage.models import DrillInject, DrillRun

    if not speed > 0:
        raise DrillError(t("drill.bad_speed", speed=speed))
    scenario = read_scenario(path)
    text = path.read_text(encoding="utf-8")

    def work(session: Session) -> int:
        from sqlmodel import select

        running = session.exec(select(DrillRun.id).where(DrillRun.status == RUNNING)).first()
        if running is not None:
            raise DrillError(t("drill.already_running", id=running))
        run = DrillRun(
            scenario=scenario.name,
            title=scenario.title,
            started_at=now,
            speed=float(speed),
            status=RUNNING,
            started_by_id=actor_id,
            started_by=actor,
            scenario_text=text,
        )
        session.add(run)
        session.flush()
        assert run.id is not None
        for inject in scenario.injects:
            payload = {"name": inject.name, "report": inject.report, "values": dict(inject.values)}
            session.add(
                DrillInject(
                    run_id=run.id,
                    inject_no=inject.number,
                    kind=inject.kind,
                    due_at=due_at(now, inject.offset, speed),
                    payload=json.dumps(payload, ensure_ascii=False),
                )
            )
        return run.id

    return write_with_retry(db, work)


def _scenario_of(db: Database, run_id: int) -> tuple[Scenario, Any]:
    rows = db.read(
        "SELECT id, scenario, title, started_at, finished_at, status, speed, started_by, "
        "scenario_text FROM drill_run WHERE id = :id",
        {"id": run_id},
    )
    if not rows:
        raise DrillError(t("drill.no_run", id=run_id))
    row = rows[0]
    from dutydesk.rules.scenario_file import parse_scenario  # pydantic: not at start-up

    try:
        scenario = parse_scenario(str(row[8]), name=str(row[1]))
    except ScenarioError as exc:  # only if someone edited the stored text by hand
        raise DrillError(scenario_refusal(exc)) from None
    return scenario, row


def injects(db: Database, run_id: int) -> tuple[InjectState, ...]:
    """A run's injects in order, with what became of each."""
    rows = db.read(
        "SELECT j.id, j.inject_no, j.kind, j.due_at, j.fired_at, j.payload, i.serial "
        "FROM drill_inject j LEFT JOIN incident i ON i.id = j.incident_id "
        "WHERE j.run_id = :id ORDER BY j.inject_no",
        {"id": run_id},
    )
    found = []
    for id_, number, kind, due, fired, payload, serial in rows:
        data = json.loads(str(payload) or "{}")
        found.append(
            InjectState(
                id=int(id_),
                number=int(number),
                name=str(data.get("name", f"inject-{number}")),
                kind=str(kind),
                due_at=stored_utc(due),
                fired_at=as_utc(fired),
                serial=str(serial) if serial else None,
                values=dict(data.get("values", {})),
                report=str(data.get("report", "")),
            )
        )
    return tuple(found)


@dataclass(frozen=True)
class Fired:
    """An inject that fired now (a report to take, or a change applied to an incident)."""

    inject_id: int
    number: int
    kind: str
    name: str
    serial: str | None
    values: dict[str, str]


def has_due(db: Database, now: datetime) -> bool:
    """True when the running drill has an inject due and not fired (one cheap read)."""
    rows = db.read(
        "SELECT count(*) FROM drill_inject j JOIN drill_run r ON r.id = j.run_id "
        "WHERE r.status = :s AND j.fired_at IS NULL AND j.due_at <= :now",
        {"s": RUNNING, "now": db.time_param(now)},
    )
    return bool(rows and rows[0][0])


def fire_due(req: Request) -> list[Fired]:
    """Fire the running drill's injects that are due at ``req.now``; returns what fired.

    A severity or instruction inject whose report has not been taken through intake
    yet waits (it fires on a later call, once there is an incident to act on). What an
    inject does is written by drill control (not by the operator of ``req``).
    """
    db, now = req.db, req.now
    if not has_due(db, now):
        return []
    from dutydesk.services.retry import write_with_retry
    from dutydesk.storage.models import DrillInject, DrillRun, Incident

    control = _as_control(req)

    def work(session: Session) -> list[Fired]:
        from sqlmodel import col, select

        run = session.exec(select(DrillRun).where(DrillRun.status == RUNNING)).first()
        if run is None:
            return []
        rows = session.exec(
            select(DrillInject)
            .where(DrillInject.run_id == run.id)
            .order_by(col(DrillInject.inject_no))
        ).all()
        by_name = {json.loads(row.payload or "{}").get("name"): row for row in rows}
        fired: list[Fired] = []
        for inject in rows:
            if inject.fired_at is not None or as_utc(inject.due_at) > now:  # type: ignore[operator]
                continue
            data = json.loads(inject.payload or "{}")
            values: dict[str, str] = dict(data.get("values", {}))
            serial = None
            if inject.kind != "report":
                origin = by_name.get(data.get("report"))
                if origin is None or origin.incident_id is None:
                    continue  # its report is not taken yet: wait
                incident = session.get(Incident, origin.incident_id)
                assert incident is not None
                try:
                    _apply(control, inject.kind, incident, values, session=session)
                except DutyDeskError as exc:
                    # The officer closed the incident first, say: the inject is spent,
                    # and the screen says why it changed nothing.
                    values["refused"] = str(exc)
                inject.incident_id = origin.incident_id
                serial = incident.serial
            inject.fired_at = now
            session.add(inject)
            fired.append(
                Fired(
                    inject.id or 0,
                    inject.inject_no,
                    inject.kind,
                    str(data.get("name")),
                    serial,
                    values,
                )
            )
        return fired

    return write_with_retry(db, work)


def _as_control(req: Request) -> Request:
    """``req`` as drill control: what a drill does by itself is not the operator's act."""
    return replace(req, actor_name=t("drill.control"), actor_id=None)


def _apply(
    control: Request, kind: str, incident: Incident, values: dict[str, str], *, session: Session
) -> None:
    """Act on a drill incident through the normal services, as drill control."""
    from dutydesk.services.incidents.edits import update_fields
    from dutydesk.services.incidents.followup import NewEntry, add_entry

    assert incident.id is not None
    if kind == "severity":
        update_fields(
            control,
            session=session,
            incident_id=incident.id,
            expected_version=None,
            changes={"severity": values["severity"]},
        )
    else:
        instruction = NewEntry(
            kind=EntryKind.LEADER_INSTRUCTION,
            occurred_at=max(control.now, incident.received_at),
            text=values["text"],
            target=values["leader"],
        )
        add_entry(control, incident, instruction, session=session)


def take_report(req: Request, inject_id: int, report: NewIncident) -> Incident:
    """Register a fired report inject as a drill incident (the intake of a drill report).

    ``report`` is what the officer typed (stored exactly: the drill mark comes from
    ``drill_run_id``); ``req`` says who takes it and when, as for a real intake.

    Raises:
        DrillError: the inject is not a fired report of the running drill, or is taken.
        IncidentError: a field is not valid.

    """
    from dutydesk.services.incidents.incident import create_incident
    from dutydesk.services.retry import write_with_retry
    from dutydesk.storage.models import DrillInject, DrillRun

    def work(session: Session) -> Incident:
        inject = session.get(DrillInject, inject_id, with_for_update=True, populate_existing=True)
        if inject is None or inject.kind != "report":
            raise DrillError(t("drill.not_a_report", id=inject_id))
        run = session.get(DrillRun, inject.run_id)
        if run is None or run.status != RUNNING:
            raise DrillError(t("drill.not_running"))
        if inject.fired_at is None:
            raise DrillError(t("drill.not_fired", number=inject.inject_no))
        if inject.incident_id is not None:
            raise DrillError(t("drill.already_taken", number=inject.inject_no))
        incident = create_incident(req, report, session=session)
        incident.drill_run_id = run.id
        inject.incident_id = incident.id
        session.add_all([incident, inject])
        return incident

    return write_with_retry(req.db, work)


def stop_run(req: Request, *, run_id: int | None = None, finished: bool = False) -> int:
    """End the running drill (``finished``: every step done; else stopped); returns its id.

    The run's incidents still open are closed (a ``closed`` entry by drill control,
    through the normal follow-up service), so a rehearsal never leaves clocks running
    in the live queue. The measurement is unaffected: it reads the steps, not the status.

    Raises:
        DrillError: no drill is running.

    """
    from dutydesk.services.incidents.followup import NewEntry, add_entry
    from dutydesk.services.retry import write_with_retry
    from dutydesk.storage.models import DrillRun, Incident

    now, control, text = req.now, _as_control(req), t("drill.end.closed")

    def work(session: Session) -> int:
        from sqlmodel import col, select

        query = select(DrillRun).where(DrillRun.status == RUNNING)
        if run_id is not None:
            query = query.where(DrillRun.id == run_id)
        run = session.exec(query).first()
        if run is None:
            raise DrillError(t("drill.not_running"))
        run.status = "finished" if finished else "stopped"
        run.finished_at = now
        session.add(run)
        still_open = session.exec(
            select(Incident).where(Incident.drill_run_id == run.id, col(Incident.is_open))
        ).all()
        for incident in still_open:
            if incident.status != Status.CLOSED:
                closing = NewEntry(
                    kind=EntryKind.CLOSED, occurred_at=max(now, incident.received_at), text=text
                )
                add_entry(control, incident, closing, session=session)
            # A rehearsal's instructions end with it: nothing of it stays in the live
            # queue, though a real instruction is followed to 报结 after its matter closes.
            incident.is_open, incident.due_at, incident.due_step = False, None, None
            session.add(incident)
        assert run.id is not None
        return run.id

    return write_with_retry(req.db, work)


def build_report(db: Database, run_id: int, *, now: datetime) -> DrillReport:
    """Measure a run: each report's steps against the targets, slowest links first.

    A step's moment is when it was first recorded at the console (``recorded_at`` of
    its timeline entry; the incident's ``created_at`` for intake), from the report
    inject's due moment, in scenario time (real time x speed).

    Raises:
        DrillError: no such run.

    """
    scenario, row = _scenario_of(db, run_id)
    _, name, title, started, finished, status, speed, started_by, _text = row
    states = injects(db, run_id)
    rows = db.read(
        "SELECT j.payload, j.due_at, i.serial, i.created_at, "
        "(SELECT min(e.recorded_at) FROM timeline_entry e "
        " WHERE e.incident_id = i.id AND e.kind = :phone), "
        "(SELECT min(e.recorded_at) FROM timeline_entry e "
        " WHERE e.incident_id = i.id AND e.kind = :first), "
        "(SELECT min(e.recorded_at) FROM timeline_entry e "
        " WHERE e.incident_id = i.id AND e.kind = :assign) "
        "FROM drill_inject j LEFT JOIN incident i ON i.id = j.incident_id "
        "WHERE j.run_id = :id AND j.kind = 'report' ORDER BY j.inject_no",
        {
            "id": run_id,
            "phone": _STEP_KINDS["phone_report"],
            "first": _STEP_KINDS["first_report"],
            "assign": _STEP_KINDS["assignment"],
        },
    )
    progress = []
    for payload, due, serial, created, phone, first, assign in rows:
        data = json.loads(str(payload) or "{}")
        progress.append(
            ReportProgress(
                report=str(data.get("name")),
                arrived_at=stored_utc(due),
                serial=str(serial) if serial else None,
                done={
                    "intake": as_utc(created),
                    "phone_report": as_utc(phone),
                    "first_report": as_utc(first),
                    "assignment": as_utc(assign),
                },
            )
        )
    return DrillReport(
        run_id=run_id,
        scenario=str(name),
        title=str(title) or scenario.title,
        started_at=stored_utc(started),
        finished_at=as_utc(finished),
        status=str(status),
        speed=float(speed),
        started_by=str(started_by),
        injects=states,
        steps=measure(scenario, progress, float(speed)),
        generated_at=now,
    )
