"""Files only their owner may read, a warning on looser ones, longer PINs above internal.

Issue 17, item 6: under the usual umask 022 the database, its ``-wal``/``-shm``, backups
and ``-o`` exports were created 0644; run as ``nobody``, an offline search found a
4-digit PIN in 48 s. The demo night: 王立新 777777 (机密), 赵静 222222 (秘密), 黄雨婷 4444
(internal: 4 digits stay enough below 秘密), 李晓明 1111 the administrator, 马骏 1212 the
security officer.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dutydesk.config import Settings
from dutydesk.errors import DutyDeskError
from dutydesk.services.accounts.auth import NewPinRequired, authenticate
from dutydesk.services.accounts.users import set_pin
from dutydesk.storage.engine import Database, url_for
from tests.conftest import DEMO_MOMENT, DemoDb
from tests.docs_support import run_cli
from tests.templates import DemoTemplates

Run = Callable[..., tuple[int, str, str]]
DEMO_PINS = {"王立新": "777777", "赵静": "222222"}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    """The usual umask, whatever the test runner's: modes must not depend on it."""
    saved = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(saved)


@pytest.fixture
def demo(demo_templates: DemoTemplates, tmp_path: Path) -> Path:
    return demo_templates.copy_to(tmp_path / "demo.sqlite3", DEMO_MOMENT)


def _runner(
    target: Path | str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    def go(*args: str, who: tuple[str, str] = ("黄雨婷", "4444")) -> tuple[int, str, str]:
        monkeypatch.setenv("DUTYDESK_OPERATOR", who[0])
        monkeypatch.setenv("DUTYDESK_PIN", who[1])
        return run_cli(capsys, target, *args)

    return go


@pytest.fixture
def run(demo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """The CLI on the demo file (the modes are the file's)."""
    return _runner(demo, capsys, monkeypatch)


@pytest.fixture
def on_store(demo_db: DemoDb) -> str:
    """The demo night on the pass's store (the PIN rules hold on either): its ``--db``."""
    return demo_db(DEMO_MOMENT)


@pytest.fixture
def run_on_store(
    on_store: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    """The CLI on :func:`on_store`."""
    return _runner(on_store, capsys, monkeypatch)


# -- modes -------------------------------------------------------------------------------


def test_a_new_database_its_journal_folders_and_key_file_are_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "new" / "desk" / "duty.sqlite3"
    monkeypatch.setenv("DUTYDESK_NEW_PIN", "13579")
    code, _, err = run_cli(capsys, path, "init", "--name", "管理员")
    assert code == 0, err
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    assert mode(path.with_name("duty.sqlite3.key")) == 0o600
    db = Database(url_for(str(path)))
    try:
        db.read("SELECT count(*) FROM person")  # SQLite makes its -wal and -shm now
        for side in ("-wal", "-shm"):
            journal = path.with_name(path.name + side)
            assert journal.exists() and mode(journal) == 0o600, side
    finally:
        db.close()


def test_backups_and_exports_are_private(demo: Path, run: Run, tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite3"
    code, _, err = run("backup", str(copy))
    assert code == 0, err
    assert mode(copy) == 0o600
    export = tmp_path / "weekly.md"
    code, _, err = run("report", "weekly", "-o", str(export), who=("孙丽", "333333"))
    assert code == 0, err
    assert mode(export) == 0o600


def test_the_console_export_is_private(tmp_path: Path) -> None:
    from dutydesk.tui.export import write

    target = write(str(tmp_path / "handover.md"), "交接班")
    assert mode(target) == 0o600


# -- the warning on a looser mode ----------------------------------------------------------


def test_a_database_others_can_read_gives_one_warning_line(demo: Path, run: Run) -> None:
    code, _, err = run("incident", "list")
    assert code == 0 and "other users" not in err, err
    demo.chmod(0o644)
    code, out, err = run("incident", "list")
    assert code == 0 and out, err  # a warning, not a refusal
    lines = [line for line in err.splitlines() if "other users" in line]
    assert len(lines) == 1 and "demo.sqlite3 (0644)" in lines[0] and "chmod 600" in lines[0]


# -- PINs above internal ---------------------------------------------------------------------


def test_the_service_asks_six_characters_above_internal(on_store: str) -> None:
    db = Database(url_for(on_store))
    try:
        officer = authenticate(db, "马骏", "1212", DEMO_MOMENT)
        with pytest.raises(DutyDeskError, match="at least 6 characters"):
            set_pin(db, officer, "赵静", "2468", DEMO_MOMENT)
        set_pin(db, officer, "赵静", "246810", DEMO_MOMENT)
        admin = authenticate(db, "李晓明", "1111", DEMO_MOMENT)
        set_pin(db, admin, "黄雨婷", "2468", DEMO_MOMENT)  # internal: 4 stays enough
        longer = Settings(pin_min_classified=8)
        with pytest.raises(DutyDeskError, match="at least 8 characters"):
            set_pin(db, officer, "赵静", "246810", DEMO_MOMENT, settings=longer)
    finally:
        db.close()


def short_pin(target: str, name: str, pin: str) -> None:
    """Give ``name`` their own ``pin`` under a rule of 4, as before issue 17 item 6."""
    db = Database(url_for(target))
    try:
        own = authenticate(db, name, DEMO_PINS[name], DEMO_MOMENT)
        set_pin(db, own, name, pin, DEMO_MOMENT, settings=Settings(pin_min_classified=4))
    finally:
        db.close()


def test_a_short_pin_above_internal_is_replaced_at_the_next_sign_in(
    on_store: str, run_on_store: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17 item 6: a 4-digit PIN of a 机密 account opens it only to choose another."""
    short_pin(on_store, "王立新", "7777")
    code, out, err = run_on_store("incident", "list", who=("王立新", "7777"))
    assert code == 3 and out == "", (code, out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert "6 characters" in err and "dutydesk user passwd 王立新 --operator 王立新" in err, err
    monkeypatch.setenv("DUTYDESK_NEW_PIN", "9753")  # still too short: refused, kept
    code, _, err = run_on_store("user", "passwd", "王立新", who=("王立新", "7777"))
    assert code != 0 and "at least 6 characters" in err, err
    monkeypatch.setenv("DUTYDESK_NEW_PIN", "975310")
    code, _, err = run_on_store(
        "user", "passwd", "王立新", who=("王立新", "7777")
    )  # not locked out
    assert code == 0, err
    code, _, err = run_on_store("incident", "list", who=("王立新", "975310"))
    assert code == 0, err
    code, _, err = run_on_store("incident", "list", who=("王立新", "7777"))
    assert code == 3 and "wrong PIN" in err, err


def test_the_rule_is_the_configured_length(on_store: str) -> None:
    """A longer ``pin_min_classified`` asks the same of the demo's 6-digit PINs."""
    db = Database(url_for(on_store))
    try:
        longer = Settings(pin_min_classified=8)
        with pytest.raises(NewPinRequired, match="8 characters"):
            authenticate(db, "赵静", "222222", DEMO_MOMENT, settings=longer)
        assert authenticate(db, "赵静", "222222", DEMO_MOMENT).name == "赵静"
        assert authenticate(db, "黄雨婷", "4444", DEMO_MOMENT, settings=longer).name == "黄雨婷"
        signed = authenticate(
            db, "赵静", "222222", DEMO_MOMENT, settings=longer, new_pin="24681012"
        )
        assert signed.name == "赵静"
        assert authenticate(db, "赵静", "24681012", DEMO_MOMENT, settings=longer).name == "赵静"
    finally:
        db.close()


def test_the_cli_refuses_a_short_pin_in_one_line(
    run_on_store: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUTYDESK_NEW_PIN", "9753")
    code, out, err = run_on_store("user", "passwd", "王立新", who=("王立新", "777777"))
    assert code != 0 and out == "", (code, out, err)
    assert len(err.strip().splitlines()) == 1 and "at least 6 characters" in err, err
    code, _, err = run_on_store("user", "passwd", "赵静", who=("马骏", "1212"))  # a reset
    assert code != 0 and "at least 6 characters" in err, err
    monkeypatch.setenv("DUTYDESK_NEW_PIN", "975310")
    code, _, err = run_on_store("user", "passwd", "王立新", who=("王立新", "777777"))
    assert code == 0, err
    code, _, err = run_on_store("incident", "list", who=("王立新", "975310"))
    assert code == 0, err
