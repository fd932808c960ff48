"""Several consoles, one store: two processes registering at once, and version conflicts."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from dutydesk.rules.deadlines import load_rules
from dutydesk.services.incidents.edits import update_fields
from dutydesk.services.incidents.incident import ConflictError, create_incident
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.storage.engine import Database
from dutydesk.storage.models import Incident, TimelineEntry
from tests.request_support import request

TZ = ZoneInfo("Asia/Shanghai")
RULES = load_rules()
PER_PROCESS = 100
"""Enough for the two writers to interleave many times; 500 each proved nothing more."""

WORKER = """
import json, os, sys, time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo
from dutydesk.rules.deadlines import load_rules
from dutydesk.services import retry
from dutydesk.services.incidents.intake import NewIncident, register
from dutydesk.services.request import Request
from dutydesk.storage.engine import Database, url_for

path, name, count, flag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
db, rules, tz = Database(url_for(path)), load_rules(), ZoneInfo("Asia/Shanghai")
base = datetime(2026, 11, 26, 1, 0, tzinfo=tz)
register  # import everything before the start line
import sqlmodel, sqlalchemy  # noqa
print("ready", flush=True)
while not os.path.exists(flag):
    time.sleep(0.002)
for number in range(count):
    at = base + timedelta(seconds=number)
    register(
        Request(db=db, now=at, tz=tz, actor_name=name, rules_source=rules),
        NewIncident(
            received_at=at, channel="phone", category="accident", severity="III",
            classification="internal", title=f"{name}-{number}", summary=f"{name} {number}",
        ),
    )
print(json.dumps({"retries": dict(retry.retries)}), flush=True)
"""


@pytest.mark.slow
def test_two_processes_register_100_each_with_unique_gapless_serials(
    db: Database, db_arg: str, tmp_path: Path
) -> None:
    flag = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, db_arg, name, str(PER_PROCESS), str(flag)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("A", "B")
    ]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
    started = time.monotonic()
    flag.touch()
    results = [worker.communicate(timeout=120) for worker in workers]
    elapsed = time.monotonic() - started
    for worker, (_, err) in zip(workers, results, strict=True):
        assert worker.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err, err
    retries = [json.loads(out.strip().splitlines()[-1])["retries"] for out, _ in results]
    print(f"\n{2 * PER_PROCESS} incidents by two processes in {elapsed:.1f} s; retries: {retries}")

    with db.session(write=False) as session:
        incidents = session.exec(select(Incident)).all()
        entries = session.exec(select(TimelineEntry)).all()
    assert len(incidents) == 2 * PER_PROCESS
    assert len(entries) == 2 * PER_PROCESS
    assert {incident.serial_date.isoformat() for incident in incidents} == {"2026-11-26"}
    assert sorted(incident.serial_no for incident in incidents) == list(
        range(1, 2 * PER_PROCESS + 1)
    )
    assert len({incident.serial for incident in incidents}) == 2 * PER_PROCESS
    titles = {incident.title for incident in incidents}
    assert titles == {f"{name}-{n}" for name in "AB" for n in range(PER_PROCESS)}


def _incident(db: Database) -> int:
    at = datetime(2026, 11, 26, 2, 14, tzinfo=TZ)
    with db.session() as session:
        incident = create_incident(
            request(session, now=at, tz=TZ, rules=RULES),
            NewIncident(
                received_at=at,
                channel="phone",
                category="accident",
                severity="IV",
                classification="internal",
                title="燃气泄漏",
                summary="幸福路燃气泄漏",
            ),
            session=session,
        )
        assert incident.id is not None
        return incident.id


def test_second_editor_gets_a_conflict_with_the_current_state(db: Database) -> None:
    incident_id = _incident(db)
    now = datetime(2026, 11, 26, 2, 30, tzinfo=TZ)
    # Both officers open the incident at version 1.
    with db.session(write=False) as session:
        seen = session.get(Incident, incident_id)
        assert seen is not None
        first_seen = second_seen = seen.version
    with db.session() as session:
        update_fields(
            request(session, actor_name="李四", now=now, rules=RULES),
            session=session,
            incident_id=incident_id,
            expected_version=first_seen,
            changes={"severity": "II"},
        )
    with pytest.raises(ConflictError) as caught, db.session() as session:
        update_fields(
            request(session, actor_name="王五", now=now, rules=RULES),
            session=session,
            incident_id=incident_id,
            expected_version=second_seen,
            changes={"severity": "III", "location": "幸福路12号"},
        )
    error = caught.value
    assert "changed by someone else" in str(error)
    assert "version 2" in str(error)
    assert error.current["severity"] == "II"
    assert error.current["version"] == 2
    assert error.attempted == {"severity": "III", "location": "幸福路12号"}
    with db.session(write=False) as session:
        stored = session.get(Incident, incident_id)
        assert stored is not None
        assert (stored.severity, stored.location, stored.version) == ("II", "", 2)


def test_interleaved_sessions_conflict_on_the_committed_version(db: Database) -> None:
    """Two open write sessions: the second waits for the lock, then sees version 2."""
    incident_id = _incident(db)
    now = datetime(2026, 11, 26, 2, 30, tzinfo=TZ)
    with db.session() as first:
        update_fields(
            request(first, now=now, rules=RULES),
            session=first,
            incident_id=incident_id,
            expected_version=1,
            changes={"title": "燃气爆炸"},
        )
    other = Database(db.url)
    try:
        with pytest.raises(ConflictError), other.session() as second:
            update_fields(
                request(second, now=now + timedelta(minutes=1), rules=RULES),
                session=second,
                incident_id=incident_id,
                expected_version=1,
                changes={"title": "燃气泄漏（更正）"},
            )
    finally:
        other.close()
