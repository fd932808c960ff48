"""A :class:`~dutydesk.services.request.Request` for tests, from a database or a session."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from dutydesk.rules.deadlines import DeadlineRules
from dutydesk.services.accounts.auth import Operator
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.services.request import Request
from dutydesk.storage.crypto import KeyRing
from dutydesk.storage.engine import Database
from dutydesk.vocab import Classification, Deployment

SHANGHAI = ZoneInfo("Asia/Shanghai")


def request(
    source: Database | Session,
    *,
    now: datetime | None = None,
    tz: ZoneInfo = SHANGHAI,
    rules: DeadlineRules | None = None,
    keys: KeyRing | None = None,
    actor_name: str = "",
    actor_id: int | None = None,
    clearance: Classification | str = Classification.INTERNAL,
    viewer: Operator | int | str | None = None,
    deployment: Deployment = Deployment.CLASSIFIED_NETWORK,
) -> Request:
    """The request a front end would hand over; ``now`` defaults to the clock.

    ``deployment``: the tests written before issue 13 pin the sealed storage of
    classified content, which is the accredited deployment's; register-mode tests say
    ``Deployment.REGISTER``.

    A session stands for its database (a writing service uses the session; only a read
    made inside it, for the audit, opens the database's key file).
    """
    if isinstance(source, Database):
        db = source
    else:
        db = Database(source.get_bind().engine.url.render_as_string(hide_password=False))
    level: Any = clearance
    if clearance in {c.value for c in Classification}:
        level = Classification(clearance)  # else as given: the service refuses it in words
    return Request(
        db=db,
        now=datetime.now(UTC) if now is None else now,
        tz=tz,
        clearance=level,
        viewer=viewer,
        actor_name=actor_name,
        actor_id=actor_id,
        keys=keys,
        deployment=deployment,
        rules_source=rules,
    )


_REQUEST_FIELDS = {"now", "tz", "rules", "keys", "actor_name", "actor_id", "created_by"}


def intake(source: Database | Session, **fields: Any) -> tuple[Request, NewIncident]:
    """Split the flat keywords of an intake (as tests write them) into request and report.

    ``created_by`` is the actor's id, as ``create_incident`` once called it.
    """
    given = dict(fields)
    if "created_by" in given:
        given["actor_id"] = given.pop("created_by")
    wanted = {name: given.pop(name) for name in list(given) if name in _REQUEST_FIELDS}
    return request(source, **wanted), NewIncident(**given)
