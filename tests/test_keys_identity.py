"""A wrong key file is refused, and ``verify`` opens every sealed value (issue 17, item 2).

The audit swapped another key file in beside a database: classified writes were accepted,
the text written with it could not be read once the right key was back, ``key rotate``
then failed and ``verify`` said intact. The demo night: 20261125-012 is its 机密 telegram,
王立新 (777777) is cleared for 机密 and 李晓明 (1111) is its administrator; the desk is
accredited (``classified-network``), so the telegrams hold sealed content.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from dutydesk.services.integrity.sealed import KEY_FINGERPRINT
from dutydesk.storage.crypto import KeyRing, envelope_key_id
from tests.conftest import DEMO_MOMENT
from tests.docs_support import run_cli
from tests.templates import DemoTemplates

SECRET = "20261125-012"
OFFICER = ("王立新", "777777")

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def demo(demo_templates: DemoTemplates, tmp_path: Path) -> Path:
    return demo_templates.copy_to(tmp_path / "demo.sqlite3", DEMO_MOMENT, accredited=True)


@pytest.fixture
def run(demo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("DUTYDESK_DEPLOYMENT", "classified-network")  # content is typed in

    def go(*args: str, who: tuple[str, str] = OFFICER) -> tuple[int, str, str]:
        monkeypatch.setenv("DUTYDESK_OPERATOR", who[0])
        monkeypatch.setenv("DUTYDESK_PIN", who[1])
        return run_cli(capsys, demo, *args)

    return go


def _key(demo: Path) -> Path:
    return demo.with_name(demo.name + ".key")


def _swap_in_another_key(demo: Path) -> Path:
    """Move the right key file aside and put a fresh one in its place; the right one's path."""
    kept = demo.with_name("right.key")
    _key(demo).rename(kept)
    KeyRing.create(_key(demo))
    return kept


def _count(demo: Path, sql: str) -> int:
    with sqlite3.connect(demo) as connection:
        return int(connection.execute(sql).fetchone()[0])


def _log_note(run: Run, text: str) -> tuple[int, str, str]:
    return run("incident", "log", SECRET, "note", "--text", text)


def test_another_key_file_is_refused_before_anything_is_written(demo: Path, run: Run) -> None:
    code, _, err = _log_note(run, "先以正确密钥记一笔")
    assert code == 0, err
    entries = _count(demo, "SELECT count(*) FROM timeline_entry")
    kept = _swap_in_another_key(demo)
    code, out, err = _log_note(run, "换了密钥文件之后")
    assert code != 0 and out == "", (code, out, err)
    assert len(err.strip().splitlines()) == 1 and "is not the key file of this database" in err
    assert _count(demo, "SELECT count(*) FROM timeline_entry") == entries  # nothing written
    code, _, err = run("incident", "add", "--classification", "secret", "--summary", "新的涉密事件")
    assert code != 0 and "is not the key file" in err, err
    # The right key back: everything opens, rotation works, verify holds.
    shutil.move(kept, _key(demo))
    code, out, err = run("verify")
    assert code == 0 and "Every sealed value opens" in out, out + err
    code, out, err = run("key", "rotate", who=("李晓明", "1111"))
    assert code == 0, err
    code, out, err = _log_note(run, "轮换之后")
    assert code == 0, err


def test_a_database_from_before_the_check_records_the_key_that_opens_it(
    demo: Path, run: Run
) -> None:
    with sqlite3.connect(demo) as connection:
        connection.execute("DELETE FROM meta WHERE key = ?", (KEY_FINGERPRINT,))
    kept = _swap_in_another_key(demo)
    code, _, err = _log_note(run, "旧库换了密钥")
    assert code != 0 and "is not the key file" in err, err  # it opens nothing sealed there
    shutil.move(kept, _key(demo))
    code, _, err = _log_note(run, "旧库正确密钥")
    assert code == 0, err
    recorded = _count(demo, "SELECT count(*) FROM meta WHERE key = 'key_fingerprint'")
    assert recorded == 1


def test_the_record_follows_a_rotation_and_the_old_copy_is_refused(demo: Path, run: Run) -> None:
    code, _, err = _log_note(run, "轮换之前")
    assert code == 0, err
    before = demo.with_name("before-rotation.key")
    shutil.copy2(_key(demo), before)
    code, _, err = run("key", "rotate", who=("李晓明", "1111"))
    assert code == 0, err
    ring = KeyRing.load(_key(demo))
    with sqlite3.connect(demo) as connection:
        (value,) = connection.execute(
            "SELECT value FROM meta WHERE key = ?", (KEY_FINGERPRINT,)
        ).fetchone()
    assert value == ring.fingerprint()
    shutil.copy2(before, _key(demo))  # a copy of the key file from before the rotation
    code, _, err = _log_note(run, "用了轮换前的旧密钥")
    assert code != 0 and "is not the key file" in err, err


def test_key_rotate_refuses_another_key_file_and_leaves_it_alone(demo: Path, run: Run) -> None:
    _swap_in_another_key(demo)
    stranger = _key(demo).read_bytes()
    code, out, err = run("key", "rotate", who=("李晓明", "1111"))
    assert code != 0 and len(err.strip().splitlines()) == 1, (code, out, err)
    assert "is not the key file" in err
    assert _key(demo).read_bytes() == stranger


def test_verify_names_a_sealed_value_that_does_not_open(demo: Path, run: Run) -> None:
    with sqlite3.connect(demo) as connection:
        row_id, value = connection.execute(
            "SELECT id, summary FROM incident WHERE serial = ?", (SECRET,)
        ).fetchone()
        assert value.startswith("enc:v1:")
        # Another record's sealed summary moved here: a valid envelope that does not open.
        (other,) = connection.execute(
            "SELECT title FROM incident WHERE id = ?", (row_id,)
        ).fetchone()
        connection.execute("UPDATE incident SET summary = ? WHERE id = ?", (other, row_id))
    code, out, err = run("verify")
    assert code == 4, (code, out, err)
    assert f"incident {SECRET}" in out and "summary" in out, out
    assert "does not open" in out


def test_verify_without_the_key_file_says_sealed_values_were_not_checked(
    demo: Path, run: Run
) -> None:
    _key(demo).rename(demo.with_name("elsewhere.key"))
    code, out, err = run("verify")
    assert "not checked" in out + err, (code, out, err)


def test_key_rotate_re_wraps_sealed_itineraries_too(demo: Path, run: Run) -> None:
    """A classified itinerary (and a cleared reader's handover pack) is sealed as well;
    ``key rotate`` used to leave it wrapped with the retired key, unreadable."""
    code, out, err = run(
        "leave", "add", "--leader", "周文斌", "--from", "2026-11-28T10:00",
        "--to", "2026-11-29T18:00", "--acting", "陈国华", "--destination", "雀城QX7",
        "--reason", "开会", "--classification", "secret",
    )  # fmt: skip
    assert code == 0, err
    registration = int(out.strip())
    with sqlite3.connect(demo) as connection:
        (stored,) = connection.execute(
            "SELECT destination FROM leave_registration WHERE id = ?", (registration,)
        ).fetchone()
    assert stored.startswith("enc:v1:")
    code, _, err = run("key", "rotate", who=("李晓明", "1111"))
    assert code == 0, err
    with sqlite3.connect(demo) as connection:
        (stored,) = connection.execute(
            "SELECT destination FROM leave_registration WHERE id = ?", (registration,)
        ).fetchone()
    assert envelope_key_id(stored) == KeyRing.load(_key(demo)).current  # re-wrapped
    code, out, err = run("verify")
    assert code == 0 and "Every sealed value opens" in out, out + err
