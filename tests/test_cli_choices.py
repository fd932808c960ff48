"""Help and shell completion offer exactly what each command makes and accepts."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from dutydesk.cli.app import app, main
from dutydesk.storage.engine import Database
from tests.conftest import DEMO_MOMENT
from tests.templates import DemoTemplates

NOW = "2026-11-26T02:31+08:00"
EVERY_DOCUMENT_FORMAT = {"txt", "md", "csv", "json", "ndjson", "xlsx", "docx", "table"}
CLEARANCES = ["public", "internal", "confidential", "secret", "top_secret"]
CHINESE = ["公开", "内部", "秘密", "机密", "绝密"]

# command path -> (the formats it makes, arguments that make it run on the demo)
MAKES: dict[tuple[str, ...], tuple[set[str], tuple[str, ...]]] = {
    ("handover",): ({"txt", "md", "json", "docx"}, ("--preview",)),
    ("bulletin", "show"): ({"txt", "md", "docx"}, ("1",)),
    ("drill", "report"): ({"md", "docx"}, ()),
    ("report", "weekly"): ({"md", "docx"}, ()),
    ("incident", "show"): ({"table", "json"}, ("20261126-001",)),
    ("incident", "list"): ({"table", "json", "csv"}, ()),
    ("export", "daily"): ({"csv", "json", "ndjson", "md", "xlsx", "docx"}, ()),
}


def command(path: tuple[str, ...]) -> Any:
    found: Any = typer.main.get_command(app)
    for name in path:
        found = found.commands[name]
    return found


def option(path: tuple[str, ...], name: str) -> Any:
    return next(p for p in command(path).params if name in p.opts)


def offered(path: tuple[str, ...], name: str) -> list[str]:
    """What shell completion offers for the option (typed nothing yet)."""
    param = option(path, name)
    ctx = command(path).make_context("dutydesk", [], resilient_parsing=True)
    return [item.value for item in param.shell_complete(ctx, "")]


class Cli:
    """``dutydesk ARGS`` in-process on the demo: (exit code, stderr); stdout in ``out``."""

    def __init__(
        self,
        db_arg: str,
        capsysbinary: pytest.CaptureFixture[bytes],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        self.db_arg, self.capsysbinary, self.monkeypatch = db_arg, capsysbinary, monkeypatch
        self.out = ""

    def __call__(self, *args: str) -> tuple[int, str]:
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        self.capsysbinary.readouterr()
        try:
            main(["--db", self.db_arg, "--now", NOW, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = self.capsysbinary.readouterr()
        self.out = captured.out.decode()
        return code, captured.err.decode()


@pytest.fixture
def cli(
    db: Database,
    db_arg: str,
    demo_templates: DemoTemplates,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    demo_templates.load_into(db, DEMO_MOMENT)
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李晓明")
    monkeypatch.setenv("DUTYDESK_PIN", "1111")
    return Cli(db_arg, capsysbinary, monkeypatch)


@pytest.mark.parametrize("path", list(MAKES), ids=" ".join)
def test_help_and_completion_offer_exactly_the_formats_made(path: tuple[str, ...]) -> None:
    makes, _ = MAKES[path]
    assert set(offered(path, "--format")) == makes
    ctx = command(path).make_context("dutydesk", [], resilient_parsing=True)
    shown = option(path, "--format").get_help_record(ctx)[0]
    for fmt in EVERY_DOCUMENT_FORMAT:
        assert (fmt in shown.strip("<>").split("<")[-1].rstrip(">").split("|")) == (fmt in makes)


@pytest.mark.parametrize(
    ("path", "fmt"),
    [(path, fmt) for path, (makes, _) in MAKES.items() for fmt in sorted(makes)],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else value,
)
def test_every_offered_format_is_made(
    cli: Cli, tmp_path: Path, path: tuple[str, ...], fmt: str
) -> None:
    _, extra = MAKES[path]
    if path == ("bulletin", "show"):
        assert cli("bulletin", "draft", "20261126-002")[0] == 0
    to_file = (
        ("-o", str(tmp_path / f"out.{fmt}"))
        if any("-o" in p.opts for p in command(path).params)
        else ()
    )
    code, err = cli(*path, *extra, "--format", fmt, *to_file)
    if path == ("drill", "report"):  # no drill has run on the demo: said after the format
        assert "no drill" in err.lower(), err
        return
    assert code == 0, err


@pytest.mark.parametrize("path", list(MAKES), ids=" ".join)
def test_a_format_not_made_is_one_line(cli: Cli, path: tuple[str, ...]) -> None:
    makes, extra = MAKES[path]
    if path == ("bulletin", "show"):
        assert cli("bulletin", "draft", "20261126-002")[0] == 0
    missing = sorted(EVERY_DOCUMENT_FORMAT - makes)[0]
    code, err = cli(*path, *extra, "--format", missing)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "--format" in lines[0] and missing in lines[0]


@pytest.mark.parametrize(
    "path",
    [("incident", "list"), ("incident", "show"), ("handover",), ("export", "daily"),
     ("bulletin", "show"), ("bulletin", "list"), ("bulletin", "draft")],
    ids=" ".join,
)  # fmt: skip
def test_clearance_is_a_choice_list_with_the_chinese_names(path: tuple[str, ...]) -> None:
    assert offered(path, "--clearance") == CLEARANCES + CHINESE


def test_a_chinese_clearance_reads_as_its_level(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    # 孙丽 (机密): the demo's administrator 李晓明 holds no clearance any more (issue 13).
    monkeypatch.setenv("DUTYDESK_OPERATOR", "孙丽")
    monkeypatch.setenv("DUTYDESK_PIN", "333333")
    code, err = cli("incident", "show", "20261125-012", "--clearance", "机密", "--format", "json")
    assert code == 0, err
    code, err = cli("incident", "list", "--clearance", "绝密")
    assert code == 2 and "not cleared to top_secret" in err  # 孙丽 is cleared to 机密
    code, err = cli("incident", "list", "--clearance", "cosmic")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "--clearance" in err and "机密" in err


def test_times_in_json_and_csv_are_local_with_their_offset(cli: Cli) -> None:
    import csv as csv_module
    import json

    assert cli("incident", "list", "--format", "json")[0] == 0
    listed = json.loads(cli.out)
    assert listed and all(row["received_at"].endswith("+08:00") for row in listed)
    assert cli("incident", "list", "--format", "csv")[0] == 0
    rows = list(csv_module.DictReader(io.StringIO(cli.out)))
    assert rows and all(row["received_at"].endswith("+08:00") for row in rows)
    assert cli("incident", "show", listed[0]["serial"], "--format", "json")[0] == 0
    shown = json.loads(cli.out)
    assert shown["received_at"] == listed[0]["received_at"]
    assert all(entry["occurred_at"].endswith("+08:00") for entry in shown["timeline"])
    assert cli("handover", "--preview", "--format", "json")[0] == 0
    assert json.loads(cli.out)["period_end"] == "2026-11-26T02:31:00+08:00"


def test_tables_say_which_zone_their_times_are_in(cli: Cli) -> None:
    # Issue 10, defect 7: a person reading a table must not have to guess UTC or local.
    assert cli("incident", "list")[0] == 0
    header = cli.out.splitlines()[0]
    assert "Received (+08:00)" in header and "Due (+08:00)" in header
    serial = cli.out.splitlines()[1].split()[0]
    assert cli("incident", "show", serial)[0] == 0
    received = next(line for line in cli.out.splitlines() if line.startswith("Received"))
    assert received.endswith("+08:00")
    assert any(line.startswith("#") and "(+08:00)" in line for line in cli.out.splitlines())
