"""Faults and bad input on the command line (issue 17): each one line that says what to do.

Every case here is a real condition, not a mock: hostile bytes on a real stdin, a real
missing or empty file, a real full file system (a tmpfs mounted for the test when run as
root, else the file-size limit ``RLIMIT_FSIZE`` of the child process), a key file that
the user running the command cannot read.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dutydesk.cli.app import main
from tests.hostile import unsafe_in

NOW = "2026-11-26T02:31+08:00"
PYTHON = sys.executable

OSC52 = "\x1b]52;c;ZWNobw==\x07"
CLEAR = "\x1b[2J\x1b[H"


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def line(self) -> str:
        """The one error line (the test fails when there is not exactly one)."""
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        assert "Traceback" not in self.err + self.out
        return lines[0]


Run = Callable[..., Result]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``dutydesk ARGS`` in-process, ``stdin`` as text; (exit code, stdout, stderr)."""

    def invoke(*args: str, stdin: str = "") -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            main(["--now", NOW, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return invoke


def child(
    *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``python -m dutydesk ARGS`` in a child process, ``stdin`` as raw bytes."""
    return subprocess.run(
        [PYTHON, "-m", "dutydesk", "--now", NOW, *args],
        input=stdin,
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[bytes]) -> str:
    """The child's one error line, decoded (fails when there is not exactly one)."""
    err = result.stderr.decode("utf-8")
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def accounts(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database with one administrator, 赵建国 (PIN 246810), signed in by the variables."""
    path = tmp_path / "duty.sqlite3"
    monkeypatch.setenv("DUTYDESK_NEW_PIN", "246810")
    made = run("--db", str(path), "init", "--name", "赵建国")
    assert made.code == 0, made.err
    monkeypatch.setenv("DUTYDESK_OPERATOR", "赵建国")
    monkeypatch.setenv("DUTYDESK_PIN", "246810")
    return path


# -- 14: every error text goes through the sanitiser --------------------------------------


def test_a_json_key_with_terminal_escapes_is_shown_inert(run: Run, accounts: Path) -> None:
    key = f"summ{OSC52}ary{CLEAR}"
    said = run("--db", str(accounts), "incident", "add", "--json", "-",
               stdin=json.dumps({key: "市民来电反映停电"}))  # fmt: skip
    assert said.code == 2
    line = said.line
    assert "\x1b" not in line and "\x07" not in line, repr(line)
    assert not unsafe_in(line)
    assert "unknown field" in line and "summ" in line


def test_an_unknown_operator_name_with_escapes_is_shown_inert(run: Run, accounts: Path) -> None:
    said = run("--db", str(accounts), "incident", "list", "--operator", f"李{OSC52}四{CLEAR}")
    assert said.code == 3
    line = said.line
    assert not unsafe_in(line), repr(line)
    assert "李" in line and "四" in line
