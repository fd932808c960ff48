"""The one request object both front ends hand to services (services/request.py)."""

from __future__ import annotations

from datetime import datetime

from dutydesk.cli.commands.context import Env, Reader
from dutydesk.config import Settings
from dutydesk.rules.deadlines import DeadlineRules, load_rules
from dutydesk.services.accounts.auth import Operator
from dutydesk.services.incidents.search import search
from dutydesk.services.request import Request
from dutydesk.storage.engine import Database
from dutydesk.vocab import Classification, Role
from tests.conftest import DEMO_MOMENT, SHANGHAI

RULES = load_rules()


def test_rules_are_read_only_when_a_service_asks_and_then_once(db: Database) -> None:
    # A reading command must not parse the rules: a bad [rules] table in the
    # configuration then stops only the commands that need them, as before the Request.
    reads: list[int] = []

    def rules() -> DeadlineRules:
        reads.append(1)
        return RULES

    req = Request(db=db, now=DEMO_MOMENT, tz=SHANGHAI, rules_source=rules)
    search(req, "火灾")
    assert reads == []
    assert req.rules is RULES and req.rules is RULES
    assert reads == [1]


def test_the_cli_request_carries_the_reader_and_the_writer(db: Database) -> None:
    env = Env(settings=Settings(), db=db, now=DEMO_MOMENT)
    officer = Operator(7, "孙丽", frozenset({Role.DUTY_OFFICER}), Classification.SECRET)
    read = env.request(Reader(Classification.SECRET, officer))
    assert (read.clearance, read.viewer, read.actor_name) == (
        Classification.SECRET,
        officer,
        "",
    )
    write = env.request(actor=officer)
    assert (write.actor_name, write.actor_id, write.clearance, write.viewer) == (
        "孙丽",
        7,
        Classification.INTERNAL,  # a write reads nothing classified on the writer's behalf
        None,
    )
    assert write.now == DEMO_MOMENT and write.tz == env.settings.tz
    assert isinstance(write.now, datetime)


def test_the_console_request_is_its_operator_at_the_clocks_now(db: Database) -> None:
    from dutydesk.clock import FrozenClock
    from dutydesk.tui.context import Context

    context = Context(
        db=db,
        settings=Settings(),
        clock=FrozenClock(DEMO_MOMENT),
        clearance=Classification.SECRET,
        operator="孙丽",
        operator_id=7,
    )
    req = context.request()
    assert (req.now, req.clearance, req.viewer, req.actor_name, req.actor_id) == (
        DEMO_MOMENT,
        Classification.SECRET,
        7,  # the audit names the signed-in person by id
        "孙丽",
        7,
    )
    assert req.rules is context.rules  # the console's own rules, read once
