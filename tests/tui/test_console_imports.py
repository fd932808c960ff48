"""What the console has loaded when the sign-in screen is first drawn (issue 16).

The sign-in screen shows a name field, the list of names and a PIN field: it must be
drawn without the desk behind it (the main screen, its panes, the queue's services, the
palette's commands, Textual's ``TextArea``), without the ORM the PIN check writes with,
and without the check itself (the auth service, ``hashlib``, the key ring's module).
Those are loaded while the officer types (the ORM and the auth service in a thread from
the first key, the desk at Enter while the PIN is hashed). It is the first screen drawn,
with its names in that first frame (the launcher reads them). Each start is a fresh
interpreter, as a launch is: in this process the other tests have imported everything
already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from dutydesk.clock import FrozenClock
from dutydesk.config import Settings
from dutydesk.storage.engine import Database, url_for
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.sign_in import SignInScreen
from tests.templates import DemoTemplates
from tests.tui.conftest import NOW
from tests.tui.test_console import settle

# Run in the child: the launcher's path to the sign-in screen, then a look at sys.modules
# at the moment its names are listed (its first frame with them), then after one key.
CHILD = r"""
import json, sys
from dutydesk.clock import FrozenClock
from dutydesk.config import load_settings
from dutydesk.cli.runtime import database_for, prepare_console
from datetime import datetime, UTC

WATCHED = sys.argv[2].split(",")
settings = load_settings()
database = database_for(settings, sys.argv[1])
start = prepare_console(settings, database)
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.sign_in import SignInScreen
app = DutyDeskApp(database, settings, FrozenClock(datetime(2026, 11, 25, 18, 31, tzinfo=UTC)),
                  "en", **start._asdict())
seen = {"frames": []}
display = app._display

def displayed(screen, renderable):
    # Every frame composed before the names are on screen: which screen, how many names.
    display(screen, renderable)
    if renderable is None or "drawn" in seen:
        return
    names = len(screen.query("#sign-in-names").first()._options) if screen.query("#sign-in-names") else 0
    seen["frames"].append([type(screen).__name__, names])
    if names:
        seen["drawn"] = loaded()

app._display = displayed

def loaded():
    return sorted(name for name in WATCHED if name in sys.modules)

async def auto_pilot(pilot):
    while "drawn" not in seen:
        await pilot.pause()
    seen["screen"] = loaded()
    app.screen.name_input.value = "李"
    await pilot.pause()  # the change is handled: its worker has started
    await app.workers.wait_for_complete()
    seen["typed"] = loaded()
    app.exit()

app.run(headless=True, size=(120, 40), auto_pilot=auto_pilot)
print(json.dumps(seen))
"""

DESK = [
    "dutydesk.tui.screens.main",
    "dutydesk.tui.widgets.queue",
    "dutydesk.tui.widgets.timeline",
    "dutydesk.tui.widgets.roster",
    "dutydesk.services.incidents.queue",
    "dutydesk.services.roster.pane",
    "dutydesk.rules.deadlines",
    "dutydesk.tui.commands",
    "textual.widgets._text_area",
]
ORM = ["sqlmodel", "sqlalchemy", "dutydesk.storage.models"]
CHECK = ["dutydesk.services.accounts.auth", "dutydesk.storage.crypto", "hashlib"]


def _first_frame_modules(demo_templates: DemoTemplates, tmp_path: Path) -> dict[str, Any]:
    path = demo_templates.copy_to(tmp_path / "demo.sqlite3", NOW)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), ",".join(DESK + ORM + CHECK)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return seen


def test_the_sign_in_screen_is_drawn_without_the_desk_or_the_orm(
    demo_templates: DemoTemplates, tmp_path: Path
) -> None:
    seen = _first_frame_modules(demo_templates, tmp_path)
    assert seen["drawn"] == []
    assert seen["screen"] == []
    # The first key starts the ORM's and the check's import in a thread (done once its
    # worker is); the desk still waits for Enter.
    assert {*ORM, "dutydesk.services.accounts.auth"} <= set(seen["typed"])
    assert set(seen["typed"]).isdisjoint(DESK)


def test_the_sign_in_screen_is_the_first_frame_and_lists_the_names(
    demo_templates: DemoTemplates, tmp_path: Path
) -> None:
    # No blank screen drawn before it, and no frame without the names (a worker reading
    # them after the first frame meant a second layout; the launcher reads them now).
    seen = _first_frame_modules(demo_templates, tmp_path)
    assert seen["frames"][0][0] == "SignInScreen"
    assert seen["frames"][0][1] > 0


async def test_the_sign_in_screen_does_not_parse_the_stylesheets_twice(
    demo_templates: DemoTemplates, tmp_path: Path
) -> None:
    # Its CSS file is read with the app's at start: Textual re-parses every stylesheet
    # (the app's, every widget's defaults) when a screen brings a file it has not read.
    path = demo_templates.copy_to(tmp_path / "demo.sqlite3", NOW)
    database = Database(url_for(str(path)))
    settings = Settings(timezone="Asia/Shanghai")
    app = DutyDeskApp(database, settings, FrozenClock(NOW), "en", sign_in=True)
    reparsed: list[int] = []
    reparse = app.stylesheet.reparse

    def counted() -> None:
        reparsed.append(1)
        reparse()

    app.stylesheet.reparse = counted  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, SignInScreen)
            assert app.screen.query_one("#sign-in-box").styles.width is not None
            assert str(app.screen.query_one("#sign-in-box").styles.width) == "64"
    finally:
        database.close()
    assert reparsed == []
