"""What each common CLI command imports: the light path stays light (issue 16).

Each command runs in a fresh interpreter through the real entry point
(:func:`dutydesk.cli.launch.main`); at exit the child writes which heavy packages were
imported. A read (``incident list``/``show``, ``export daily`` as CSV) and the sign-in
before it use plain SQL: no SQLModel, SQLAlchemy, Alembic, ``cryptography`` (no sealed
value is shown), document writers or Textual. ``incident add`` and ``log`` of an unclassified
item write with plain SQL too (:mod:`dutydesk.services.incidents.plain_write`). What that
path leaves alone (a classified item, an instruction that sets a cadence) needs the ORM and its flush hooks (state facts, the
chain), so SQLModel and SQLAlchemy may load, but never Alembic (the schema is current),
the document writers or Textual.

SQLite only: on PostgreSQL every query goes through SQLAlchemy's engine by design.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO_MOMENT
from tests.templates import DemoTemplates

NOW = "2026-11-26T02:31+08:00"
HEAVY = (
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "cryptography",
    "openpyxl",
    "docx",
    "textual",
    "pydantic",
    "importlib.metadata",
    "email",
)
"""Packages (or modules) a command loads only when it truly needs them.

``importlib.metadata`` (and the ``email`` package under it) read an installed package's
version: ~13 ms that the writes paid for the working-day calendar's source line.

pydantic reads the demo and drill files only: typer 0.29 converted every command's
parameters through it (~0.1-0.3 s of CPU per command), so typer is pinned to 0.28.0.
"""

ORM = {"sqlmodel", "sqlalchemy", "pydantic", "importlib.metadata", "email"}
"""What a write may load: SQLModel's tables and session (the flush hooks need them), and
what they import: pydantic (SQLModel's tables are pydantic models) and
``importlib.metadata`` (SQLAlchemy reads its plugins' entry points)."""

CHILD = r"""
import json, sys
out, args = sys.argv[1], sys.argv[2:]
from dutydesk.cli.launch import main
code = 0
try:
    main(args)
except SystemExit as exc:
    code = exc.code or 0
wanted = json.loads(out)["heavy"]
heavy = sorted({h for h in wanted for name in sys.modules if name == h or name.startswith(h + ".")})
with open(json.loads(out)["path"], "w") as file:
    json.dump({"code": code, "loaded": heavy}, file)
"""


def loaded_by(
    tmp_path: Path,
    *args: str,
    env: dict[str, str] | None = None,
    heavy: tuple[str, ...] = HEAVY,
) -> list[str]:
    """Run ``dutydesk ARGS`` in a fresh interpreter; which of ``heavy`` it imported."""
    report = tmp_path / "loaded.json"
    spec = json.dumps({"path": str(report), "heavy": heavy})
    result = subprocess.run(
        [sys.executable, "-c", CHILD, spec, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(report.read_text())
    assert figures["code"] == 0, result.stderr
    loaded: list[str] = figures["loaded"]
    return loaded


def probed(script: str, *args: str) -> str:
    """Run ``script`` (a probe around the launcher) signed in; the last word it printed on stderr."""
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **SIGNED_IN},
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr.split()[-1]


@pytest.fixture
def demo(tmp_path: Path, demo_templates: DemoTemplates) -> str:
    """The demo night in a SQLite file (it has accounts: commands sign in)."""
    path = tmp_path / "demo.sqlite3"
    demo_templates.copy_to(path, DEMO_MOMENT)
    return str(path)


SIGNED_IN = {"DUTYDESK_OPERATOR": "李晓明", "DUTYDESK_PIN": "1111"}

READS = {
    "incident list": ("incident", "list"),
    "incident show": ("incident", "show", "20261126-001"),
    "export daily csv": ("export", "daily", "--format", "csv"),
    "help": ("--help",),
    "incident help": ("incident", "--help"),
}


@pytest.mark.parametrize("name", list(READS))
def test_a_read_and_its_sign_in_load_no_orm(tmp_path: Path, demo: str, name: str) -> None:
    args = ("--db", demo, "--now", NOW, *READS[name])
    assert loaded_by(tmp_path, *args, env=SIGNED_IN) == []


def test_a_read_on_a_database_without_accounts_loads_no_orm(
    tmp_path: Path, sqlite_file: Path
) -> None:
    # No PINs yet: the name alone is taken, and nothing is hashed or written.
    args = ("--db", str(sqlite_file), "--now", NOW, "incident", "list")
    assert loaded_by(tmp_path, *args, env={"DUTYDESK_OPERATOR": "李晓明"}) == []


WRITES = {
    "incident add": ("incident", "add", "--summary", "幸福路12号燃气泄漏"),
    "incident log": ("incident", "log", "20261126-004", "note", "--text", "已电话核实"),
}


def test_adding_an_incident_loads_no_orm(tmp_path: Path, demo: str) -> None:
    # The plain-SQL write path (services/incidents/plain_write.py): an unclassified
    # incident is written with sqlite3, its chain links and state facts included.
    args = ("--db", demo, "--now", NOW, *WRITES["incident add"])
    assert loaded_by(tmp_path, *args, env=SIGNED_IN) == []


def test_a_classified_add_goes_the_orm_way(tmp_path: Path, demo: str) -> None:
    # A register (and sealed text) is the ORM path's: plain_write covers no classified item.
    register = ("--classification", "secret", "--organ", "省应急厅", "--doc-no", "应急〔2026〕1号")
    args = ("--db", demo, "--now", NOW, "incident", "add", *register)
    assert {"sqlmodel", "sqlalchemy"} <= set(loaded_by(tmp_path, *args, env=SIGNED_IN))


def test_a_follow_up_loads_no_orm(tmp_path: Path, demo: str) -> None:
    args = ("--db", demo, "--now", NOW, *WRITES["incident log"])
    assert loaded_by(tmp_path, *args, env=SIGNED_IN) == []


def test_an_instruction_setting_a_cadence_goes_the_orm_way(tmp_path: Path, demo: str) -> None:
    # It writes a field change too: the ORM path's (plain_write leaves it alone).
    instruction = ("--text", "每小时报告一次进展", "--leader", "张副市长")
    args = ("--db", demo, "--now", NOW, "incident", "log", "20261126-004", "instruction")
    assert set(loaded_by(tmp_path, *args, *instruction, env=SIGNED_IN)) == ORM


FRESH_WRITES = {
    **WRITES,
    "bulletin draft": ("bulletin", "draft", "20261126-004"),
}


@pytest.mark.parametrize("name", ["incident add", "incident log", "bulletin draft"])
def test_a_write_in_a_fresh_process_is_on_the_record(tmp_path: Path, demo: str, name: str) -> None:
    # Only the invoked command's module is imported now: a write must still carry the
    # session hooks that chain its state fact (bulletin draft wrote its row without one,
    # and verify called it "written around dutydesk").
    args = ("--db", demo, "--now", NOW, *FRESH_WRITES[name])
    loaded_by(tmp_path, *args, env=SIGNED_IN)
    result = subprocess.run(
        [sys.executable, "-m", "dutydesk", "--db", demo, "verify"],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_help_offers_shell_completion() -> None:
    # typer's add_completion: the options cost nothing on a command's path (the
    # completion script is only built when asked for).
    result = subprocess.run(
        [sys.executable, "-m", "dutydesk", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
        env={**os.environ, "COLUMNS": "100"},
    )
    assert result.returncode == 0, result.stderr
    assert "--install-completion" in result.stdout
    assert "--show-completion" in result.stdout


def test_a_command_name_picks_its_module_only() -> None:
    from dutydesk.cli.app import command_name

    assert command_name(["--db", "x.sqlite3", "--now=2026-11-26T02:31", "incident", "list"]) == (
        "incident"
    )
    assert command_name(["--lang", "zh_CN", "--help"]) is None
    assert command_name([]) is None


def test_shell_completion_completes_and_never_opens_the_console(tmp_path: Path) -> None:
    # The completion script runs `dutydesk` with no arguments: the launcher's console
    # path must hand that run to click (it opened the console before).
    env = {
        **os.environ,
        "_DUTYDESK_COMPLETE": "complete_bash",
        "COMP_WORDS": "dutydesk incident list --format ",
        "COMP_CWORD": "4",
        "DUTYDESK_DATABASE_URL": str(tmp_path / "never.sqlite3"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "dutydesk"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["table", "json", "csv"]
    assert not (tmp_path / "never.sqlite3").exists()


def test_a_sub_command_builds_only_itself() -> None:
    # typer turns every command of a group into click objects; `incident list` needs one
    # (issue 16: ~14 ms of the 9 in `incident`).
    import typer

    from dutydesk.cli.app import build_app

    root: Any = typer.main.get_command(build_app("incident", "list"))
    assert list(root.commands["incident"].commands) == ["list"]
    assert list(root.commands) == ["incident"]  # nor `demo`, which the whole line has
    assert "demo" in typer.main.get_command(build_app("demo")).commands  # type: ignore[attr-defined]
    whole: Any = typer.main.get_command(build_app("incident", "lst"))
    assert {"add", "list", "show", "log"} <= set(whole.commands["incident"].commands)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("incident", "lst"), "Did you mean 'list'?"),
        (("incident", "--help"), "readers"),
        (("key", "--help"), "rotate"),
    ],
)
def test_a_group_still_offers_every_command(args: tuple[str, ...], expected: str) -> None:
    # A typo or the group's help keeps every command, so that click's "did you mean" and
    # the list of commands see them all.
    result = subprocess.run(
        [sys.executable, "-m", "dutydesk", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
        env={**os.environ, "COLUMNS": "200", "DUTYDESK_LANG": "en"},
    )
    assert expected in result.stdout + result.stderr


DOCUMENT_MODULES = ("dutydesk.rules.documents", "dutydesk.rules.marking")
"""The documents' dataclasses and markings (~5-8 ms to import): exports and bulletins only."""

COMMON = {**READS, **WRITES}
# An export builds its rows with rules.documents; the whole help imports every command.
del COMMON["export daily csv"], COMMON["help"]


@pytest.mark.parametrize("name", list(COMMON))
def test_a_common_command_leaves_the_documents_alone(tmp_path: Path, demo: str, name: str) -> None:
    # Option parsing read the urgency names from rules.documents (now in vocab): every
    # command paid for the documents' dataclasses (issue 16).
    args = ("--db", demo, "--now", NOW, *COMMON[name])
    assert loaded_by(tmp_path, *args, env=SIGNED_IN, heavy=DOCUMENT_MODULES) == []


READ_SERVICES = (
    "dutydesk.services.incidents.listing",
    "dutydesk.services.incidents.queue",
    "dutydesk.services.incidents.timeline",
)
"""What reads incidents back (``list``, ``show``): ~10 ms of imports a write never uses."""


@pytest.mark.parametrize("name", list(WRITES))
def test_a_plain_write_leaves_the_read_services_alone(tmp_path: Path, demo: str, name: str) -> None:
    # The write's message (due_text) came from views, which imported the listing and the
    # timeline services at module level (issue 16).
    args = ("--db", demo, "--now", NOW, *WRITES[name])
    assert loaded_by(tmp_path, *args, env=SIGNED_IN, heavy=READ_SERVICES) == []


@pytest.mark.parametrize("name", ["incident list", "export daily csv"])
def test_a_list_leaves_the_rule_engine_alone(tmp_path: Path, demo: str, name: str) -> None:
    # The queue module read one constant from rules.deadlines at import: ~4 ms of every
    # read that lists incidents, none of which computes a deadline (issue 16).
    args = ("--db", demo, "--now", NOW, *READS[name])
    assert loaded_by(tmp_path, *args, env=SIGNED_IN, heavy=("dutydesk.rules.deadlines",)) == []


@pytest.mark.parametrize("name", ["incident list", "export daily csv"])
def test_a_read_without_a_config_file_leaves_tomllib_alone(
    tmp_path: Path, demo: str, name: str
) -> None:
    # The catalogs are read line by line and no config file exists here: tomllib was
    # imported by i18n and config all the same (~1.5 ms, issue 16). (`show` reads the
    # deadline rules, a TOML file.)
    args = ("--db", demo, "--now", NOW, *READS[name])
    env = {**SIGNED_IN, "DUTYDESK_CONFIG": str(tmp_path / "none.toml")}
    assert loaded_by(tmp_path, *args, env=env, heavy=("tomllib",)) == []


@pytest.mark.parametrize("name", list(WRITES))
def test_a_write_reads_the_kept_rules_without_tomllib(tmp_path: Path, demo: str, name: str) -> None:
    # tomllib's import and the parse of rules.toml were ~14 M instructions of every add and
    # log (issue 16): the first command keeps the parse (the user's cache folder), the next
    # reads it back as JSON.
    args = ("--db", demo, "--now", NOW, *WRITES[name])
    env = {**SIGNED_IN, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    loaded_by(tmp_path, *args, env=env, heavy=("tomllib",))
    assert (tmp_path / "cache" / "dutydesk" / "rules.json").is_file()
    assert loaded_by(tmp_path, *args, env=env, heavy=("tomllib",)) == []


def test_the_typed_time_patterns_are_compiled_at_first_use() -> None:
    # Every command imports rules.typed_time (and services.office_rules); few read a typed
    # time or a bad TOML file: their patterns compiled at import were ~2 M instructions of
    # each add, log and show (issue 16).
    script = (
        "import re, sys\n"
        "compiled = []\n"
        "original = re.compile\n"
        "def compile(pattern, flags=0):\n"
        "    compiled.append(sys._getframe(1).f_code.co_filename)\n"
        "    return original(pattern, flags)\n"
        "re.compile = compile\n"
        "import dutydesk.rules.typed_time, dutydesk.services.office_rules\n"
        "re.compile = original\n"
        "mine = ('typed_time.py', 'office_rules.py')\n"
        "print(len([name for name in compiled if name.endswith(mine)]))\n"
        "from datetime import datetime\n"
        "from zoneinfo import ZoneInfo\n"
        "from dutydesk.rules.typed_time import read_clock, read_time\n"
        "tz = ZoneInfo('Asia/Shanghai')\n"
        "now = datetime(2026, 11, 26, 2, 31, tzinfo=tz)\n"
        "print(read_clock('08:30'), read_time('2026-11-27 09:00', now=now, tz=tz).isoformat())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "08:30:00", "2026-11-27T09:00:00+08:00"]


CONNECTIONS = r"""
import sqlite3, sys
opened = []
connect = sqlite3.connect
def counted(*args, **kwargs):
    opened.append(str(args[0]))
    return connect(*args, **kwargs)
sqlite3.connect = counted
from dutydesk.cli.launch import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert not exc.code, exc.code
print(len(opened), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "name", ["incident list", "incident show", "export daily csv", "incident add", "incident log"]
)
def test_a_common_command_opens_one_sqlite_connection(demo: str, name: str) -> None:
    # Each connection parses the schema again (~3 ms of CPU): add, log and the export
    # opened three (schema check, sign-in snapshot, write or the export's snapshot; the
    # export's chain head was read beside its snapshot), list and show two (issue 16).
    args = ("--db", demo, "--now", NOW, *(READS | WRITES)[name])
    assert probed(CONNECTIONS, *args) == "1"


@pytest.mark.parametrize(
    ("command", "sub"), [("incident", "add"), ("incident", "list"), ("export", "daily")]
)
def test_typer_reads_no_string_annotation(command: str, sub: str) -> None:
    # typer evaluates a string annotation (compile, eval) each time it builds a command:
    # ~4 ms of `incident add` under `from __future__ import annotations` (issue 16).
    import inspect

    from dutydesk.cli.app import build_app, main_callback

    app = build_app(command, sub)
    groups = [info.typer_instance for info in app.registered_groups if info.typer_instance]
    callbacks = [main_callback] + [
        info.callback
        for group in groups
        for info in group.registered_commands
        if info.callback is not None
    ]
    assert len(callbacks) == 2  # the root's and the command's
    for callback in callbacks:
        annotations = inspect.get_annotations(callback)
        assert annotations
        assert not [name for name, value in annotations.items() if isinstance(value, str)]


def test_a_note_leaves_the_cadence_parser_alone(tmp_path: Path, demo: str) -> None:
    # Only a leader's instruction may set a report cadence: the parser (its regexes) was
    # imported before that test, by every follow-up (issue 16).
    args = ("--db", demo, "--now", NOW, *WRITES["incident log"])
    heavy = ("dutydesk.rules.cadence",)
    assert loaded_by(tmp_path, *args, env=SIGNED_IN, heavy=heavy) == []


@pytest.mark.parametrize("name", ["incident list", "incident add"])
def test_a_pin_from_the_environment_leaves_getpass_alone(
    tmp_path: Path, demo: str, name: str
) -> None:
    # getpass (and termios under it) asks at a terminal; with DUTYDESK_PIN nothing is
    # asked, yet every signed-in command imported it (issue 16).
    args = ("--db", demo, "--now", NOW, *COMMON[name])
    assert loaded_by(tmp_path, *args, env=SIGNED_IN, heavy=("getpass", "termios")) == []


@pytest.mark.parametrize("name", ["incident list", "incident show", "incident add", "incident log"])
def test_a_table_or_a_message_leaves_csv_alone(tmp_path: Path, demo: str, name: str) -> None:
    # The csv module writes the CSV formats only (~0.4 ms of every command, issue 16).
    args = ("--db", demo, "--now", NOW, *COMMON[name])
    assert loaded_by(tmp_path, *args, env=SIGNED_IN, heavy=("csv", "_csv")) == []


@pytest.mark.parametrize("name", ["incident show", "incident add", "incident log"])
def test_the_holidays_file_is_found_without_platformdirs(
    tmp_path: Path, demo: str, name: str
) -> None:
    # The rules read the office's holidays file from the user config folder: platformdirs'
    # import for that one path was ~3.5% of `incident add` (issue 16). Its Linux rule is
    # computed in config.py (tests/test_config_paths.py holds it to platformdirs').
    args = ("--db", demo, "--now", NOW, *(READS | WRITES)[name])
    env = {**SIGNED_IN, "HOME": str(tmp_path)}
    assert loaded_by(tmp_path, *args, env=env, heavy=("platformdirs",)) == []


@pytest.mark.parametrize("name", list(WRITES))
def test_an_emergency_write_leaves_the_published_holidays_alone(
    tmp_path: Path, demo: str, name: str
) -> None:
    # chinesecalendar's tables (~14 M instructions) count working days: an emergency's
    # clocks are minutes and hours, so the rules' calendar reads them at its first
    # question only (rules/workdays.py DeferredCalendar; issue 16).
    args = ("--db", demo, "--now", NOW, *WRITES[name])
    heavy = ("chinese_calendar",)
    assert loaded_by(tmp_path, *args, env=SIGNED_IN, heavy=heavy) == []


FROZEN = r"""
import gc, sys
from dutydesk.cli.launch import main
try:
    main()  # the shell's command line (sys.argv), as the `dutydesk` script runs it
except SystemExit as exc:
    assert not exc.code, exc.code
print(gc.get_freeze_count(), file=sys.stderr)
"""


def test_a_command_leaves_the_start_up_out_of_the_collections(demo: str) -> None:
    # Every full collection set off by a command's imports walked every object of the
    # interpreter, typer and click again: frozen before the command, ~5% of its
    # instructions (issue 16).
    args = ("--db", demo, "--now", NOW, *READS["incident show"])
    assert int(probed(FROZEN, *args)) > 10_000


def test_a_command_called_in_process_freezes_nothing(demo: str) -> None:
    # A caller's own objects (and its uncollected garbage) must stay collectable.
    import gc

    from dutydesk.cli.launch import main

    before = gc.get_freeze_count()
    code = None
    try:
        main(["--db", demo, "--now", NOW, "--help"])
    except SystemExit as exc:
        code = exc.code
    assert not code
    assert gc.get_freeze_count() == before


COMPILED_METHODS = r"""
import dataclasses, sys
compiled = set()
create = dataclasses._create_fn
def counted(name, args, body, *, globals=None, **kwargs):
    compiled.add((globals or {}).get("__name__", "?"))
    return create(name, args, body, globals=globals, **kwargs)
dataclasses._create_fn = counted
from dutydesk.cli.launch import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert not exc.code, exc.code
dataclasses.dataclass(type("Probe", (), {"__module__": "__main__", "__annotations__": {"x": "int"}}))
print(",".join(sorted(compiled)), file=sys.stderr)
"""

RECORDS = {
    "dutydesk.cli.commands.context",  # Reader (a record), Env (a plain class)
    "dutydesk.config",  # Settings
    "dutydesk.rules.access",  # Attempt
    "dutydesk.rules.chain",  # ChainHead
    "dutydesk.rules.deadlines",  # DeadlineRules
    "dutydesk.rules.documents",  # the daily report's rows, the bulletins' Distribution
    "dutydesk.rules.limits",  # FieldLimits
    "dutydesk.rules.marking",  # Marking
    "dutydesk.rules.workflow",  # Refusal
    "dutydesk.services.accounts.auth",  # Operator, Reset, Change
    "dutydesk.services.incidents.checks",  # NewEntry
    "dutydesk.services.incidents.intake",  # NewIncident
    "dutydesk.services.incidents.listing",  # IncidentRecord, TimelineRecord, IncidentFilter
    "dutydesk.services.incidents.queue",  # QueueRow, Place, PassedDeadline
    "dutydesk.services.incidents.reader_list",  # NamedReader
    "dutydesk.services.incidents.register_view",  # CopyMovement
    "dutydesk.services.incidents.timeline",  # TimelineItem, IncidentDetail
    "dutydesk.services.request",  # Request
}
"""Modules on the common commands' paths whose dataclasses are records now."""


@pytest.mark.parametrize("name", [*WRITES, "incident list", "incident show", "export daily csv"])
def test_a_command_compiles_no_method_of_its_records(demo: str, name: str) -> None:
    # A frozen dataclass compiled six methods from source at import: ~45 M instructions
    # (8%) of `incident add`, ~36 M of `log`, for these modules' classes (issue 16).
    args = ("--db", demo, "--now", NOW, *(WRITES | READS)[name])
    compiled = set(probed(COMPILED_METHODS, *args).split(","))
    assert "__main__" in compiled  # the probe sees a dataclass made: its own, at the end
    assert compiled & RECORDS == set()
