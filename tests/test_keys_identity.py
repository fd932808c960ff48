"""A wrong key file is refused, and ``verify`` opens every sealed value (issue 17, item 2).

The audit swapped another key file in beside a database: classified writes were accepted,
the text written with it could not be read once the right key was back, ``key rotate``
then failed and ``verify`` said intact. The demo night: 20261125-012 is its 机密 telegram,
王立新 (777777) is cleared for 机密 and 李晓明 (1111) is its administrator; the desk is
accredited (``classified-network``), so the telegrams hold sealed content.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from dutydesk.services.integrity.sealed import KEY_FINGERPRINT
from dutydesk.storage.crypto import KeyRing, envelope_key_id
from dutydesk.storage.engine import Database
from tests.conftest import DEMO_MOMENT, DemoDb
from tests.docs_support import run_cli

SECRET = "20261125-012"
OFFICER = ("王立新", "777777")

Run = Callable[..., tuple[int, str, str]]


@dataclass
class Demo:
    """The accredited demo on the pass's store: its ``--db``, its database, its key file."""

    arg: str
    db: Database
    key: Path


@pytest.fixture
def demo(demo_db: DemoDb, db: Database, db_path: Path) -> Demo:
    # The key file is <db_path>.key on both stores (beside the file, DUTYDESK_KEY_FILE).
    return Demo(demo_db(DEMO_MOMENT, accredited=True), db, Path(f"{db_path}.key"))


@pytest.fixture
def run(demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("DUTYDESK_DEPLOYMENT", "classified-network")  # content is typed in

    def go(*args: str, who: tuple[str, str] = OFFICER) -> tuple[int, str, str]:
        monkeypatch.setenv("DUTYDESK_OPERATOR", who[0])
        monkeypatch.setenv("DUTYDESK_PIN", who[1])
        return run_cli(capsys, demo.arg, *args)

    return go


def _key(demo: Demo) -> Path:
    return demo.key


def _swap_in_another_key(demo: Demo) -> Path:
    """Move the right key file aside and put a fresh one in its place; the right one's path."""
    kept = demo.key.with_name("right.key")
    _key(demo).rename(kept)
    KeyRing.create(_key(demo))
    return kept


def _count(demo: Demo, sql: str) -> int:
    return int(demo.db.read(sql)[0][0])


def _write(demo: Demo, sql: str, params: dict[str, object]) -> None:
    """Change a row behind dutydesk's back, as someone with the database would."""
    from sqlalchemy import text

    with demo.db.session() as session:
        session.execute(text(sql), params)


def _log_note(run: Run, text: str) -> tuple[int, str, str]:
    return run("incident", "log", SECRET, "note", "--text", text)


def test_another_key_file_is_refused_before_anything_is_written(demo: Demo, run: Run) -> None:
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
    demo: Demo, run: Run
) -> None:
    _write(demo, "DELETE FROM meta WHERE key = :k", {"k": KEY_FINGERPRINT})
    kept = _swap_in_another_key(demo)
    code, _, err = _log_note(run, "旧库换了密钥")
    assert code != 0 and "is not the key file" in err, err  # it opens nothing sealed there
    shutil.move(kept, _key(demo))
    code, _, err = _log_note(run, "旧库正确密钥")
    assert code == 0, err
    recorded = _count(demo, "SELECT count(*) FROM meta WHERE key = 'key_fingerprint'")
    assert recorded == 1


def test_the_record_follows_a_rotation_and_the_old_copy_is_refused(demo: Demo, run: Run) -> None:
    code, _, err = _log_note(run, "轮换之前")
    assert code == 0, err
    before = demo.key.with_name("before-rotation.key")
    shutil.copy2(_key(demo), before)
    code, _, err = run("key", "rotate", who=("李晓明", "1111"))
    assert code == 0, err
    ring = KeyRing.load(_key(demo))
    ((value,),) = demo.db.read("SELECT value FROM meta WHERE key = :k", {"k": KEY_FINGERPRINT})
    assert value == ring.fingerprint()
    shutil.copy2(before, _key(demo))  # a copy of the key file from before the rotation
    code, _, err = _log_note(run, "用了轮换前的旧密钥")
    assert code != 0 and "is not the key file" in err, err


def test_key_rotate_refuses_another_key_file_and_leaves_it_alone(demo: Demo, run: Run) -> None:
    _swap_in_another_key(demo)
    stranger = _key(demo).read_bytes()
    code, out, err = run("key", "rotate", who=("李晓明", "1111"))
    assert code != 0 and len(err.strip().splitlines()) == 1, (code, out, err)
    assert "is not the key file" in err
    assert _key(demo).read_bytes() == stranger


def test_verify_names_a_sealed_value_that_does_not_open(demo: Demo, run: Run) -> None:
    ((row_id, value),) = demo.db.read(
        "SELECT id, summary FROM incident WHERE serial = :s", {"s": SECRET}
    )
    assert str(value).startswith("enc:v1:")
    # Another record's sealed summary moved here: a valid envelope that does not open.
    ((other,),) = demo.db.read("SELECT title FROM incident WHERE id = :i", {"i": row_id})
    _write(demo, "UPDATE incident SET summary = :v WHERE id = :i", {"v": other, "i": row_id})
    code, out, err = run("verify")
    assert code == 4, (code, out, err)
    assert f"incident {SECRET}" in out and "summary" in out, out
    assert "does not open" in out


def test_verify_without_the_key_file_says_sealed_values_were_not_checked(
    demo: Demo, run: Run
) -> None:
    _key(demo).rename(demo.key.with_name("elsewhere.key"))
    code, out, err = run("verify")
    assert "not checked" in out + err, (code, out, err)


def test_key_rotate_re_wraps_sealed_itineraries_too(demo: Demo, run: Run) -> None:
    """A classified itinerary (and a cleared reader's handover pack) is sealed as well;
    ``key rotate`` used to leave it wrapped with the retired key, unreadable."""
    code, out, err = run(
        "leave", "add", "--leader", "周文斌", "--from", "2026-11-28T10:00",
        "--to", "2026-11-29T18:00", "--acting", "陈国华", "--destination", "雀城QX7",
        "--reason", "开会", "--classification", "secret",
    )  # fmt: skip
    assert code == 0, err
    registration = int(out.strip())
    ((stored,),) = demo.db.read(
        "SELECT destination FROM leave_registration WHERE id = :i", {"i": registration}
    )
    assert stored.startswith("enc:v1:")
    code, _, err = run("key", "rotate", who=("李晓明", "1111"))
    assert code == 0, err
    ((stored,),) = demo.db.read(
        "SELECT destination FROM leave_registration WHERE id = :i", {"i": registration}
    )
    assert envelope_key_id(stored) == KeyRing.load(_key(demo)).current  # re-wrapped
    code, out, err = run("verify")
    assert code == 0 and "Every sealed value opens" in out, out + err
