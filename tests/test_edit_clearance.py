"""Editing a classified item needs its clearance; raising one needs the new level's (issue 17).

The audit found that an officer cleared only for internal could overwrite the title,
summary and location of a 机密 incident and raise it to 绝密, after which its 机密-cleared
readers lost it. The demo night: 20261125-012 is its 机密 telegram; 黄雨婷 4444 is cleared
for internal, 赵静 222222 for 秘密, 王立新 777777 for 机密, 韩冬 666666 for 绝密.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import DEMO_MOMENT, DemoDb
from tests.docs_support import run_cli

SECRET = "20261125-012"
OPEN = "20261126-004"
"""An internal incident of the demo night, still open."""

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(
    demo_db: DemoDb,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Run:
    path = demo_db(DEMO_MOMENT)  # on the pass's store

    def go(*args: str, who: tuple[str, str]) -> tuple[int, str, str]:
        monkeypatch.setenv("DUTYDESK_OPERATOR", who[0])
        monkeypatch.setenv("DUTYDESK_PIN", who[1])
        return run_cli(capsys, path, *args)

    return go


def one_line(code: int, out: str, err: str, words: str) -> None:
    assert code != 0 and out == "", (code, out, err)
    assert len(err.strip().splitlines()) == 1 and words in err, err


def test_an_uncleared_officer_cannot_edit_a_classified_item(run: Run) -> None:
    code, out, err = run("incident", "edit", SECRET, "--severity", "I", who=("黄雨婷", "4444"))
    one_line(code, out, err, f"{SECRET} is")
    assert "needs a" in err and "nothing was changed" in err
    code, out, err = run("incident", "edit", SECRET, "--severity", "I", who=("赵静", "222222"))
    one_line(code, out, err, "needs a")  # 秘密 is not enough for a 机密 item
    code, out, err = run("incident", "edit", SECRET, "--severity", "I", who=("王立新", "777777"))
    assert code == 0, err  # cleared for 机密


def test_raising_needs_the_clearance_of_the_new_level(run: Run) -> None:
    code, out, err = run(
        "incident", "edit", OPEN, "--classification", "top_secret", who=("赵静", "222222")
    )
    one_line(code, out, err, "cannot be raised to")
    code, out, err = run(
        "incident", "edit", SECRET, "--classification", "top_secret", who=("王立新", "777777")
    )
    one_line(code, out, err, "cannot be raised to")  # its 机密 readers would lose it
    code, out, err = run(
        "incident", "edit", OPEN, "--classification", "confidential", who=("赵静", "222222")
    )
    assert code == 0, err
    code, out, err = run(
        "incident", "edit", SECRET, "--classification", "top_secret", who=("韩冬", "666666")
    )
    assert code == 0, err
