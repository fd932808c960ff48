"""Operators: PIN hashing, sign-in and lockout, roles and clearance, ``init``/``user``/``audit``."""

from __future__ import annotations

import base64
import io
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from dutydesk.cli.app import main
from dutydesk.config import Settings, load_settings
from dutydesk.services.accounts.audit import AccessDenied, list_events
from dutydesk.services.accounts.auth import (
    SCRYPT_N,
    AuthError,
    LockedError,
    Operator,
    authenticate,
    check_pin,
    hash_pin,
    sign_in_required,
)
from dutydesk.services.accounts.users import (
    AccountError,
    NewAccount,
    add_user,
    change_roles,
    init_admin,
    set_pin,
)
from dutydesk.storage.engine import Database
from dutydesk.vocab import Classification, Role
from tests.conftest import DEMO_MOMENT
from tests.hostile import shows_number

NOW = DEMO_MOMENT


def test_hash_parameters_are_stated_and_salted() -> None:
    stored = hash_pin("2468")
    scheme, n, r, p, salt, key = stored.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", SCRYPT_N, 8, 1) == ("scrypt", 2**17, 8, 1)
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(key)) == 32
    assert hash_pin("2468") != stored  # a fresh salt every time
    assert check_pin("2468", stored) and not check_pin("2469", stored)
    assert not check_pin("2468", "garbage") and not check_pin("2468", "md5$x")


@pytest.fixture
def admin(db: Database) -> Operator:
    return init_admin(db, "赵建国", "2468", NOW, clearance=Classification.INTERNAL)


def test_weaker_parameters_are_told_and_a_greedy_hash_is_refused() -> None:
    from dutydesk.services.accounts.auth import needs_rehash

    salt, key = base64.b64encode(b"s" * 16).decode(), base64.b64encode(b"k" * 32).decode()
    assert not needs_rehash(f"scrypt${2**17}$8$1${salt}${key}")
    assert needs_rehash(f"scrypt${2**14}$8$1${salt}${key}")
    assert needs_rehash(f"scrypt${2**18}$4$1${salt}${key}")  # more N does not excuse less r
    assert needs_rehash("garbage")
    # A damaged or planted hash cannot make a sign-in allocate 16 GiB: refused unread.
    assert not check_pin("1357", f"scrypt${2**24}$8$1${salt}${key}")


def _stored_hash(db: Database, name: str) -> str:
    rows = db.read(
        "SELECT c.pin_hash FROM credential c JOIN person p ON p.id = c.person_id"
        " WHERE p.name = :name",
        {"name": name},
    )
    return str(rows[0][0])


def test_an_older_weaker_hash_verifies_and_is_upgraded_on_sign_in(
    db: Database, admin: Operator
) -> None:
    from sqlalchemy import text

    add_user(db, admin, NewAccount("孙丽", "1357", roles=[Role.DUTY_OFFICER]), NOW)
    old = hash_pin("1357", n=2**14)  # as stored before N = 2**17
    with db.session() as session:
        session.execute(text("UPDATE credential SET pin_hash = :old").bindparams(old=old))
    with pytest.raises(AuthError, match="wrong PIN"):
        authenticate(db, "孙丽", "0000", NOW)
    assert _stored_hash(db, "孙丽") == old  # a wrong PIN upgrades nothing
    operator = authenticate(db, "孙丽", "1357", NOW)
    assert operator.name == "孙丽"
    upgraded = _stored_hash(db, "孙丽")
    assert upgraded.startswith(f"scrypt${2**17}$8$1$") and check_pin("1357", upgraded)
    assert not check_pin("0000", upgraded)
    events = db.read("SELECT action, detail FROM audit_event ORDER BY chain_seq")
    assert events[-2:] == [("pin_rehashed", f"scrypt N={2**17} r=8 p=1"), ("sign_in", "")]
    authenticate(db, "孙丽", "1357", NOW)
    assert _stored_hash(db, "孙丽") == upgraded  # current already: not hashed again


def test_lockout_after_five_wrong_pins_then_unlock_after_the_period(
    db: Database, admin: Operator
) -> None:
    add_user(db, admin, NewAccount("孙丽", "1357", roles=[Role.DUTY_OFFICER]), NOW)
    for left in (4, 3, 2, 1):
        with pytest.raises(AuthError, match=f"{left} more wrong"):
            authenticate(db, "孙丽", "0000", NOW)
    with pytest.raises(LockedError, match="now locked until"):
        authenticate(db, "孙丽", "0000", NOW)
    with pytest.raises(LockedError, match="locked"):  # even the right PIN, while locked
        authenticate(db, "孙丽", "1357", NOW + timedelta(minutes=4, seconds=59))
    operator = authenticate(db, "孙丽", "1357", NOW + timedelta(minutes=5))
    assert operator.name == "孙丽" and operator.roles == {Role.DUTY_OFFICER}
    actions = [row[0] for row in db.read("SELECT action FROM audit_event ORDER BY chain_seq")]
    # The whole trail in its order, so that a failure shows every event (CI once counted
    # other than five failures here, and the log was lost before anyone read it).
    signing = {"sign_in_failed", "account_locked", "sign_in_refused", "sign_in"}
    assert [action for action in actions if action in signing] == [
        *["sign_in_failed"] * 5,
        "account_locked",
        "sign_in_refused",
        "sign_in",
    ], actions
    details = " ".join(str(row[0]) for row in db.read("SELECT detail FROM audit_event"))
    assert not shows_number(details, "0000") and not shows_number(details, "1357")  # no PIN


def test_a_cli_sign_in_reads_only_when_it_has_nothing_to_record(
    db: Database, admin: Operator
) -> None:
    """A CLI command's sign-in (no ``sign_in`` event) writes only what it must (issue 16).

    A clean account's is a plain read (nothing written); one after a wrong PIN still
    clears the count, and a reset PIN is still refused and audited, as the console's is.
    """
    from dutydesk.services.accounts.auth import NewPinRequired

    add_user(db, admin, NewAccount("孙丽", "1357", roles=[Role.DUTY_OFFICER]), NOW)

    def events() -> list[str]:
        return [str(row[0]) for row in db.read("SELECT action FROM audit_event")]

    before = events()
    quiet = authenticate(db, "孙丽", "1357", NOW, record_success=False)
    assert (quiet.name, quiet.roles, quiet.clearance) == (
        "孙丽",
        frozenset({Role.DUTY_OFFICER}),
        Classification.INTERNAL,
    )
    assert quiet.id is not None and events() == before
    with pytest.raises(AuthError, match="4 more wrong"):
        authenticate(db, "孙丽", "0000", NOW, record_success=False)
    authenticate(db, "孙丽", "1357", NOW, record_success=False)
    counts = db.read("SELECT failed_attempts FROM credential WHERE pin_hash IS NOT NULL")
    assert all(row[0] == 0 for row in counts)  # the wrong PIN's count was cleared
    set_pin(db, admin, "孙丽", "8642", NOW)  # a reset by the administrator
    with pytest.raises(NewPinRequired, match="reset by 赵建国"):
        authenticate(db, "孙丽", "8642", NOW, record_success=False)
    assert events()[-1] == "sign_in_refused"


def test_lockout_is_configurable(db: Database, admin: Operator) -> None:
    settings = load_settings(
        environ={"DUTYDESK_LOCKOUT_ATTEMPTS": "2", "DUTYDESK_LOCKOUT_MINUTES": "30"}
    )
    assert (settings.lockout_attempts, settings.lockout_minutes) == (2, 30)
    add_user(db, admin, NewAccount("孙丽", "1357", roles=[Role.DUTY_OFFICER]), NOW)
    with pytest.raises(AuthError):
        authenticate(db, "孙丽", "0", NOW, settings=settings)
    with pytest.raises(LockedError):
        authenticate(db, "孙丽", "0", NOW, settings=settings)
    with pytest.raises(LockedError):
        authenticate(db, "孙丽", "1357", NOW + timedelta(minutes=29), settings=settings)
    assert authenticate(db, "孙丽", "1357", NOW + timedelta(minutes=30), settings=settings)


def test_unknown_and_disabled_are_clear_errors(db: Database, admin: Operator) -> None:
    with pytest.raises(AuthError, match="no operator named 无名氏"):
        authenticate(db, "无名氏", "1234", NOW)
    from dutydesk.services.accounts.users import set_active

    add_user(db, admin, NewAccount("孙丽", "1357", roles=[Role.DUTY_OFFICER]), NOW)
    set_active(db, admin, "孙丽", False, NOW)
    with pytest.raises(AuthError, match="disabled"):
        authenticate(db, "孙丽", "1357", NOW)


def test_administrators_get_no_clearance_and_no_audit_trail(db: Database, admin: Operator) -> None:
    # Issue 13 (三员分立): the administrator holds no clearance and grants none; it was
    # "not above their own" before, when the administrator granted clearances.
    assert not admin.may_see(Classification.CONFIDENTIAL)
    with pytest.raises(AccessDenied, match="security officer"):  # not for themselves ...
        change_roles(db, admin, "赵建国", NOW, clearance=Classification.TOP_SECRET)
    with pytest.raises(AccountError, match="security officer"):  # ... nor for a stooge
        add_user(
            db,
            admin,
            NewAccount("傀儡", "1234", roles=[Role.DUTY_OFFICER], clearance="top_secret"),
            NOW,
        )
    with pytest.raises(AccountError, match="two of"):
        change_roles(db, admin, "赵建国", NOW, add=[Role.AUDITOR])
    with pytest.raises(AccessDenied):
        list_events(db, admin)
    with pytest.raises(AccountError, match="no active administrator"):
        change_roles(db, admin, "赵建国", NOW, remove=[Role.ADMIN])
    # Issue 17: an auditor the administrator made (with a PIN they chose) would let them
    # read the trail; auditors are the security officer's to add, once there is one.
    with pytest.raises(AccessDenied, match="security officer"):
        add_user(db, admin, NewAccount("钱审计", "9999", roles=[Role.AUDITOR]), NOW)
    add_user(db, admin, NewAccount("马保密", "4321", roles=[Role.SECURITY_OFFICER]), NOW)
    officer_of_security = authenticate(db, "马保密", "4321", NOW)
    add_user(db, officer_of_security, NewAccount("钱审计", "9999", roles=[Role.AUDITOR]), NOW)
    auditor = authenticate(db, "钱审计", "9999", NOW)
    assert [row.action for row in list_events(db, auditor)][:2] == ["sign_in", "account_added"]
    officer = Operator(5, "x", frozenset({Role.DUTY_OFFICER}), Classification.TOP_SECRET)
    with pytest.raises(AccessDenied):
        add_user(db, officer, NewAccount("y", "1234", roles=[]), NOW)
    with pytest.raises(AccessDenied):  # only your own PIN, unless administrator
        set_pin(db, officer, "赵建国", "1111", NOW)


def test_sign_in_is_off_until_someone_has_a_pin(db: Database) -> None:
    assert not sign_in_required(db)
    init_admin(db, "赵建国", "2468", NOW, clearance="internal")
    assert sign_in_required(db)
    with pytest.raises(AccountError, match="exists already"):
        init_admin(db, "某人", "2468", NOW, clearance="internal")


# -- the command line ----------------------------------------------------------------


Run = Callable[..., tuple[int, str, str]]
"""The ``run`` fixture: ``dutydesk ARGS`` in-process; (exit code, stdout, stderr)."""


@pytest.fixture
def run(db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """On the test's own store (``db_arg``): the PostgreSQL pass runs these too."""

    def go(*args: str, pin: str | None = None, new_pin: str | None = None) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        for name, value in (("DUTYDESK_PIN", pin), ("DUTYDESK_NEW_PIN", new_pin)):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        capsys.readouterr()
        try:
            main(["--db", db_arg, "--now", "2026-11-26T02:31+08:00", *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return go


def test_cli_init_user_and_audit(run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["2468", "2468"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    # Issue 13: the system administrator holds no clearance (refused in one line).
    code, _, err = run("init", "--name", "赵建国", "--clearance", "secret", new_pin="2468")
    assert code == 2 and "holds no clearance" in err and len(err.strip().splitlines()) == 1
    code, _, err = run("init", "--name", "赵建国")
    assert code == 0, err
    assert "administrator 赵建国 can sign in" in err and not shows_number(err, "2468")
    key = db_path.with_name(db_path.name + ".key")  # DUTYDESK_KEY_FILE on a server
    assert key.stat().st_mode & 0o777 == 0o600
    assert run("init", "--name", "某人", new_pin="1111")[0] == 2
    code, _, err = run("user", "add", "孙丽", "--role", "duty_officer", "--clearance", "confidential",
                       "--operator", "赵建国", pin="2468", new_pin="1357")  # fmt: skip
    assert code == 2 and "security officer" in err  # clearances are not the administrator's
    code, _, err = run("user", "add", "孙丽", "--role", "duty_officer",
                       "--operator", "赵建国", pin="2468", new_pin="1357")  # fmt: skip
    assert code == 0, err
    run("user", "add", "马保密", "--role", "security_officer",
        "--operator", "赵建国", pin="2468", new_pin="4321")  # fmt: skip
    code, _, err = run(
        "user", "clearance", "孙丽", "confidential", "--operator", "马保密", pin="4321"
    )
    assert code == 0, err
    code, _, err = run("user", "add", "钱审计", "--role", "auditor",
                       "--operator", "赵建国", pin="2468", new_pin="9999")  # fmt: skip
    assert code == 3 and "security officer" in err  # issue 17: not the administrator's
    code, _, err = run("user", "add", "钱审计", "--role", "auditor",
                       "--operator", "马保密", pin="4321", new_pin="9999")  # fmt: skip
    assert code == 0, err
    code, out, _ = run("user", "list", "--format", "csv", "--operator", "赵建国", pin="2468")
    assert code == 0 and "孙丽,duty_officer,confidential,一般,True,True," in out
    assert "scrypt" not in out
    assert run("user", "list", "--operator", "孙丽", pin="1357")[0] == 3  # not an administrator
    code, _, err = run("user", "list", "--operator", "赵建国", pin="0000")
    assert code == 3 and "wrong PIN for 赵建国" in err and not shows_number(err, "0000")
    answers = iter(["8642", "8643"])
    code, _, err = run("user", "passwd", "孙丽", "--operator", "孙丽", pin="1357")
    assert code == 2 and "differ" in err
    code, _, err = run("user", "passwd", "孙丽", "--operator", "孙丽", pin="1357", new_pin="8642")
    assert code == 3 and "at least 6 characters" in err  # issue 17: 秘密 needs 6; 1357 was kept
    assert run("user", "passwd", "孙丽", "--operator", "孙丽", pin="1357", new_pin="864210")[0] == 0
    code, _, err = run(
        "user", "role", "孙丽", "--clearance", "top_secret", "--operator", "赵建国", pin="2468"
    )
    assert code == 3 and "security officer" in err
    assert run("user", "disable", "孙丽", "--operator", "赵建国", pin="2468")[0] == 0
    code, _, err = run("incident", "add", "--summary", "x", "--operator", "孙丽", pin="864210")
    assert code == 3 and "disabled" in err
    code, out, _ = run("audit", "list", "--format", "csv", "--operator", "钱审计", pin="9999")
    assert code == 0 and "account_disabled" in out and "sign_in_refused" in out
    assert run("audit", "list", "--operator", "赵建国", pin="2468")[0] == 3


def test_cli_writes_are_signed_in_and_attributed(run: Run, db: Database, db_arg: str) -> None:
    run("init", "--name", "赵建国", new_pin="2468")
    run(
        "user",
        "add",
        "孙丽",
        "--role",
        "duty_officer",
        "--operator",
        "赵建国",
        pin="2468",
        new_pin="1357",
    )
    code, out, _ = run("incident", "add", "--summary", "停电", "--operator", "孙丽", pin="1357")
    assert code == 0
    # No DUTYDESK_PIN: the PIN is asked on a real terminal (a pty), typed, not echoed.
    code, said = with_terminal(
        ["--db", db_arg, "--now", "2026-11-26T02:31+08:00", "incident", "log",
         out.strip(), "note", "--text", "已核实", "--operator", "孙丽"],
        typed="1357",
    )  # fmt: skip
    assert code == 0, said
    assert "PIN for 孙丽" in said and not shows_number(said, "1357")
    assert run("incident", "add", "--summary", "y", "--operator", "无名氏", pin="1357")[0] == 3
    rows = db.read(
        "SELECT t.actor_name, p.name FROM timeline_entry t JOIN person p ON p.id = t.actor_id"
    )
    assert rows == [("孙丽", "孙丽"), ("孙丽", "孙丽")]


def with_terminal(args: list[str], *, typed: str) -> tuple[int, str]:
    """Run ``dutydesk ARGS`` on a pseudo-terminal, type ``typed`` at the PIN prompt."""
    import os
    import pty

    env = {key: value for key, value in os.environ.items() if key != "DUTYDESK_PIN"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal
        os.execve(sys.executable, [sys.executable, "-m", "dutydesk", *args], env)
    output, sent = b"", False
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        if not sent and b"PIN for" in output:
            os.write(fd, typed.encode() + b"\n")
            sent = True
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")


def test_demo_prints_operators_with_pins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "demo.sqlite3"
    main(["demo", "--db", str(target), "--now", "2026-11-26T02:31+08:00"])
    row = [line for line in capsys.readouterr().out.splitlines() if line.startswith("李晓明 ")]
    assert len(row) == 1 and "1111" in row[0]
    db = Database(f"sqlite:///{target}")
    demo_hash = _stored_hash(db, "李晓明")
    operator = authenticate(db, "李晓明", "1111", NOW, settings=Settings())
    assert Role.ADMIN in operator.roles and operator.clearance is Classification.INTERNAL
    # The demo's PINs are published: their cheap hashes are not upgraded on sign-in.
    assert _stored_hash(db, "李晓明") == demo_hash
    db.close()
