"""Failure paths of the console: an unexpected error is one line, never a traceback."""

from __future__ import annotations

import pytest

import dutydesk.tui.widgets.rows as queue_widget
from dutydesk.clock import FrozenClock
from dutydesk.config import load_settings
from dutydesk.storage.engine import Database
from dutydesk.tui.app import DutyDeskApp
from tests.conftest import DEMO_MOMENT
from tests.templates import DemoTemplates


def test_a_crash_while_drawing_is_one_line_without_locals(
    db: Database,
    demo_templates: DemoTemplates,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    demo_templates.load_into(db, DEMO_MOMENT)

    def broken(*_args: object, **_kwargs: object) -> str:
        canary = "CANARY-机密-content"  # a local a traceback with locals would print
        raise ValueError(canary)

    monkeypatch.setattr(queue_widget, "hhmm", broken)
    app = DutyDeskApp(db, load_settings(), FrozenClock(DEMO_MOMENT), "en")
    app.run(headless=True, size=(120, 40))
    out, err = capfd.readouterr()
    assert app.return_code == 1
    assert "Traceback" not in out + err
    assert "CANARY" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == [
        "dutydesk: unexpected error in the console (ValueError); "
        "run again with DUTYDESK_DEBUG=1 to see the details"
    ]
