"""Register mode's canary matrix (issue 13): no input takes a classified item's content.

On an ordinary workstation (the default deployment, as the demo is loaded) content of a
classified item may not enter the desk at all, sealed or not. Each input path is tried
with a canary phrase as that content: the CLI's options (intake, a linked report, a
timeline entry, an edit), ``--json``, a classified bulletin's text, a drill report taken
as a classified item and a roster import. Each is refused in one line (the register
message where the input is a classified item's content) and afterwards the canary is
nowhere in the SQLite file: the raw bytes of the database and its write-ahead log are read.
The console's intake form is pinned in ``tests/tui/test_register_console.py``.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from dutydesk.cli.app import main
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.services.incidents.register import ContentRefused
from dutydesk.storage.engine import Database, url_for
from dutydesk.vocab import Deployment
from tests.conftest import DEMO_MOMENT
from tests.request_support import request
from tests.templates import DemoTemplates

NOW = "2026-11-26T02:31+08:00"
CANARY = "金丝雀登记簿9Q"
REFUSED = "Classified content must not be typed on a non-classified computer"
SECRET = "20261125-012"
"""The demo's 机密 telegram, a register entry; 韩冬 (机要员) is named in its 知悉范围."""
KEEPER = ("韩冬", "666666", "top_secret")
LEADER = ("孙丽", "333333", "secret")
"""The duty leader it was reported to (named), who drafts a bulletin of it."""

Run = Callable[..., tuple[int, str, str]]


def leaked(path: Path, canary: str = CANARY) -> bool:
    """True when ``canary`` is anywhere in the bytes of the database or its log."""
    needle = canary.encode()
    files = [path, path.with_name(path.name + "-wal")]
    return any(needle in file.read_bytes() for file in files if file.exists())


@pytest.fixture
def demo_file(demo_templates: DemoTemplates, tmp_path: Path) -> Path:
    """The demo as loaded by default (register mode), a fresh copy per test."""
    return demo_templates.copy_to(tmp_path / "demo.sqlite3", DEMO_MOMENT)


@pytest.fixture
def run(
    demo_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    monkeypatch.delenv("DUTYDESK_DEPLOYMENT", raising=False)  # the default: register

    def go(*args: str, who: tuple[str, str, str] = KEEPER, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        monkeypatch.setenv("DUTYDESK_OPERATOR", who[0])
        monkeypatch.setenv("DUTYDESK_PIN", who[1])
        capsys.readouterr()
        try:
            main(["--db", str(demo_file), "--now", NOW, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return go


def refused_in_one_line(code: int, out: str, err: str, message: str = REFUSED) -> None:
    assert code != 0 and out == "", (code, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert message in err, err


NEW_SECRET = ("incident", "add", "--classification", "secret", "--organ", "省委办公厅")
CLI_INPUTS: dict[str, tuple[str, ...]] = {
    **{
        f"add {option}": (*NEW_SECRET, option, CANARY)
        for option in (
            "--summary",
            "--title",
            "--location",
            "--reporter-name",
            "--reporter-unit",
            "--reporter-phone",
        )
    },
    "add --link (a report on the telegram)": ("incident", "add", "--link", SECRET,
                                              "--summary", CANARY),
    "log note --text": ("incident", "log", SECRET, "note", "--text", CANARY),
    "log instruction --text": ("incident", "log", SECRET, "instruction",
                               "--leader", "陈国华", "--text", CANARY),
    "edit --title": ("incident", "edit", SECRET, "--title", CANARY),
    "edit --summary": ("incident", "edit", SECRET, "--summary", CANARY),
    "edit --location": ("incident", "edit", SECRET, "--location", CANARY),
}  # fmt: skip


@pytest.mark.parametrize("path", sorted(CLI_INPUTS))
def test_cli_options_refuse_a_classified_items_content(
    run: Run, demo_file: Path, path: str
) -> None:
    code, out, err = run(*CLI_INPUTS[path])
    refused_in_one_line(code, out, err)
    assert not leaked(demo_file)


@pytest.mark.parametrize(
    "field",
    ["title", "summary", "location", "reporter_name", "reporter_unit", "reporter_phone"],
)
def test_json_input_refuses_a_classified_items_content(
    run: Run, demo_file: Path, field: str
) -> None:
    item = {"classification": "机密", "organ": "省委办公厅", field: CANARY}
    code, out, err = run("incident", "add", "--json", "-", stdin=json.dumps(item))
    refused_in_one_line(code, out, err)
    assert not leaked(demo_file)


@pytest.mark.parametrize("option", ["--title", "--body"])
def test_a_classified_bulletins_text_is_refused(run: Run, demo_file: Path, option: str) -> None:
    code, out, err = run("bulletin", "draft", SECRET, "--clearance", LEADER[2], who=LEADER)
    assert code == 0, err
    bulletin = out.strip()
    code, out, err = run(
        "bulletin", "edit", bulletin, option, CANARY, "--clearance", LEADER[2], who=LEADER
    )
    refused_in_one_line(code, out, err)
    assert not leaked(demo_file)


def test_a_drill_report_taken_as_classified_refuses_its_content(
    demo_file: Path, tmp_path: Path
) -> None:
    from dutydesk.services.drills import fire_due, injects, start_run, take_report

    scenario = tmp_path / "cipher.toml"
    scenario.write_text(
        'title = "密电演练"\n\n[[inject]]\nid = "cable"\nat = "0m"\nkind = "report"\n'
        'channel = "cipher"\nsummary = "演练来报"\n\n'
        '[[target]]\nreport = "cable"\nstep = "intake"\nwithin = "5m"\n',
        encoding="utf-8",
    )
    db = Database(url_for(str(demo_file)))
    try:
        start = DEMO_MOMENT
        run_id = start_run(db, scenario, actor="黄雨婷", now=start)
        req = request(db, now=start + timedelta(minutes=1), deployment=Deployment.REGISTER)
        fire_due(req)
        (report,) = injects(db, run_id)
        typed = NewIncident(
            received_at=req.now, channel="cipher", category="other", severity="unassessed",
            classification="secret", title="", summary=CANARY,
        )  # fmt: skip
        with pytest.raises(ContentRefused) as refused:
            take_report(req, report.id, typed)
        assert REFUSED in str(refused.value) and "\n" not in str(refused.value)
    finally:
        db.close()
    assert not leaked(demo_file)


def test_a_roster_import_takes_no_canary(run: Run, demo_file: Path, tmp_path: Path) -> None:
    """A roster file holds no item's content: a canary in it is refused as who it names."""
    csv = tmp_path / "roster.csv"
    csv.write_text(f"date,shift,position,name\n2026-11-28,night,duty_officer,{CANARY}\n")
    code, out, err = run("roster", "import", str(csv), who=("李晓明", "1111", "internal"))
    refused_in_one_line(code, out, err, message="line 2")
    assert not leaked(demo_file)
