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
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
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
def accounts(run: Run, store_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database with one administrator, 赵建国 (PIN 246810), signed in by the variables.

    He is a duty officer too: the three separated roles alone write no record (issue 17).
    On the pass's store (``store_url``): what ``--db`` takes; its key file is
    ``<db_path>.key`` on both stores.
    """
    path = store_url
    monkeypatch.setenv("DUTYDESK_NEW_PIN", "246810")
    made = run("--db", str(path), "init", "--name", "赵建国")
    assert made.code == 0, made.err
    monkeypatch.setenv("DUTYDESK_OPERATOR", "赵建国")
    monkeypatch.setenv("DUTYDESK_PIN", "246810")
    made = run("--db", str(path), "user", "role", "赵建国", "--add", "duty_officer")
    assert made.code == 0, made.err
    return path


# -- 14: every error text goes through the sanitiser --------------------------------------


def test_a_json_key_with_terminal_escapes_is_shown_inert(run: Run, accounts: str) -> None:
    key = f"summ{OSC52}ary{CLEAR}"
    said = run("--db", accounts, "incident", "add", "--json", "-",
               stdin=json.dumps({key: "市民来电反映停电"}))  # fmt: skip
    assert said.code == 2
    line = said.line
    assert "\x1b" not in line and "\x07" not in line, repr(line)
    assert not unsafe_in(line)
    assert "unknown field" in line and "summ" in line


def test_an_unknown_operator_name_with_escapes_is_shown_inert(run: Run, accounts: str) -> None:
    said = run("--db", accounts, "incident", "list", "--operator", f"李{OSC52}四{CLEAR}")
    assert said.code == 3
    line = said.line
    assert not unsafe_in(line), repr(line)
    assert "李" in line and "四" in line


# -- 18: account names that show nothing --------------------------------------------------

INVISIBLE_NAMES = [
    "\u200b\u200b",  # zero-width spaces
    f"{OSC52}{CLEAR}",  # escape sequences only
    "\u202e\u2066\u2069",  # bidi controls
    "\u3164\u3164",  # Hangul fillers: letters that draw as nothing
    "\u3000 \u00a0",  # blanks of every width
    "\ufeff\u00ad\ufffe",  # BOM, soft hyphen, a noncharacter
]


@pytest.mark.parametrize("name", INVISIBLE_NAMES, ids=ascii)
def test_init_refuses_a_name_that_shows_nothing_and_creates_nothing(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv("DUTYDESK_NEW_PIN", "246810")
    path = tmp_path / "duty.sqlite3"
    said = run("--db", str(path), "init", "--name", name)
    assert said.code == 2
    assert "shows nothing" in said.line and not unsafe_in(said.line)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", INVISIBLE_NAMES, ids=ascii)
def test_user_add_refuses_a_name_that_shows_nothing(
    run: Run, accounts: str, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv("DUTYDESK_NEW_PIN", "135790")
    said = run("--db", accounts, "user", "add", name, "--role", "duty_officer")
    assert said.code == 2
    assert "shows nothing" in said.line and not unsafe_in(said.line)
    listed = run("--db", accounts, "user", "list", "--format", "json")
    assert [user["name"] for user in json.loads(listed.out)] == ["赵建国"]


def test_the_service_refuses_it_for_any_face(accounts: str) -> None:
    """The console and the CLI create accounts through one service, which checks too."""
    from datetime import UTC, datetime

    from dutydesk.services.accounts.auth import authenticate
    from dutydesk.services.accounts.users import AccountError, NewAccount, add_user
    from dutydesk.storage.engine import Database, url_for
    from dutydesk.vocab import Role

    db = Database(url_for(accounts))
    try:
        now = datetime(2026, 11, 26, tzinfo=UTC)
        admin = authenticate(db, "赵建国", "246810", now)
        with pytest.raises(AccountError, match="shows nothing"):
            add_user(db, admin, NewAccount("\u200b", "135790", [Role.DUTY_OFFICER]), now)
        add_user(db, admin, NewAccount("孙丽", "135790", [Role.DUTY_OFFICER]), now)  # a name
        assert {row[0] for row in db.read("SELECT name FROM person")} == {"赵建国", "孙丽"}
    finally:
        db.close()


# -- 15: bad bytes, deep JSON, a full disk, an unreadable key file -------------------------


def test_bad_utf8_on_stdin_is_one_line_and_writes_nothing(accounts: str) -> None:
    env = {"DUTYDESK_OPERATOR": "赵建国", "DUTYDESK_PIN": "246810"}
    for raw in (
        b'{"summary": "\xff\xfe\xe5\x81\x9c\xe7\x94\xb5"}',  # bytes that are not UTF-8
        b'{"summary": "\xed\xa0\x80"}',  # an encoded surrogate (CESU-8)
        b'{"summary": "\\ud800 \\u505c\\u7535"}',  # valid JSON, a lone surrogate
    ):
        result = child("--db", accounts, "incident", "add", "--json", "-",
                       stdin=raw, env=env)  # fmt: skip
        assert result.returncode == 2, result.stderr
        line = one_line(result)
        assert "not UTF-8" in line and "save it as UTF-8" in line, line
    listed = child("--db", accounts, "incident", "list", "--format", "json", env=env)
    assert json.loads(listed.stdout) == []


def test_bad_bytes_in_an_option_are_one_line(accounts: str) -> None:
    env = {"DUTYDESK_OPERATOR": "赵建国", "DUTYDESK_PIN": "246810"}
    result = subprocess.run(
        [PYTHON.encode(), b"-m", b"dutydesk", b"--db", accounts.encode(), b"incident", b"add",
         b"--summary", b"\xff\xfe\xe5\x81\x9c"],
        capture_output=True, env={**os.environ, **env}, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "not UTF-8" in one_line(result)


@pytest.mark.parametrize("levels", [200, 990, 5000])
def test_deeply_nested_json_is_one_line(run: Run, accounts: str, levels: int) -> None:
    for text in (
        "[" * levels + "]" * levels,
        '{"summary": ' + "[" * levels + "]" * levels + "}",
        '{"summary": ' + '{"a": ' * levels + "1" + "}" * levels + "}",
    ):
        said = run("--db", accounts, "incident", "add", "--json", "-", stdin=text)
        assert said.code == 2
        assert "nested too deeply" in said.line, said.line


# A full disk, for real: a small tmpfs mounted for the test (root only), filled up.


class Disk:
    """A 4 MiB tmpfs at ``path``; :meth:`fill` fills it to the last byte."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fill(self) -> Path:
        with open(self.path / "filler", "ab", buffering=0) as handle:
            try:
                while handle.write(b"\0" * 4096):
                    pass
            except OSError:
                pass
        assert os.statvfs(self.path).f_bavail == 0
        return self.path


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    """A small tmpfs of its own for the test, unmounted at the end."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root (RLIMIT_FSIZE covers -o)")
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if mount is None or umount is None:
        pytest.skip("no mount and umount commands here")
    place = tmp_path / "disk"
    place.mkdir()
    mounted = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(place)],
        capture_output=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield Disk(place)
    subprocess.run([umount, "-l", str(place)], check=False)


def test_o_on_a_full_disk_leaves_no_file(run: Run, db_arg: str, disk: Disk) -> None:
    full = disk.fill()
    for fmt in ("txt", "docx"):
        target = full / f"pack.{fmt}"
        said = run("--db", db_arg, "handover", "--preview", "--format", fmt,
                   "-o", str(target))  # fmt: skip
        assert said.code == 2
        assert "disk is full" in said.line and str(target) in said.line, said.line
    said = run("--db", db_arg, "export", "daily", "--format", "xlsx",
               "-o", str(full / "daily.xlsx"))  # fmt: skip
    assert said.code == 2 and "disk is full" in said.line
    assert sorted(path.name for path in full.iterdir()) == ["filler"]  # no 0-byte file


def test_a_failed_o_keeps_the_earlier_file(run: Run, db_arg: str, tmp_path: Path) -> None:
    """Writing goes to a temporary file renamed at the end: a refusal changes nothing."""
    target = tmp_path / "pack.txt"
    done = run("--db", db_arg, "handover", "--preview", "-o", str(target))
    assert done.code == 0, done.err
    before = target.read_bytes()
    assert before
    bad = run("--db", db_arg, "handover", "--preview", "-o",
              str(tmp_path / "no-such-dir" / "pack.txt"))  # fmt: skip
    assert bad.code == 2 and "no-such-dir" in bad.line
    assert target.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir() if "pack" in path.name) == ["pack.txt"]


def test_o_over_the_file_size_limit_leaves_no_file(db_arg: str, tmp_path: Path) -> None:
    """RLIMIT_FSIZE: the kernel refuses the write (EFBIG), as a quota would; any user."""
    import resource

    target = tmp_path / "pack.docx"

    def limit() -> None:
        # Room for SQLite's 32 KiB shared-memory file (on SQLite; the test runs on the
        # pass's store), not for the 43 KB document.
        resource.setrlimit(resource.RLIMIT_FSIZE, (36 << 10, 36 << 10))

    result = subprocess.run(
        [PYTHON, "-m", "dutydesk", "--now", NOW, "--db", db_arg, "handover",
         "--preview", "--format", "docx", "-o", str(target)],
        capture_output=True, preexec_fn=limit, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    line = one_line(result)
    assert "size limit" in line and str(target) in line, line
    assert not target.exists()
    assert [path.name for path in tmp_path.iterdir() if "pack" in path.name] == []


def test_stdout_on_a_full_disk_is_one_line(db_arg: str, disk: Disk) -> None:
    with open(disk.fill() / "out.csv", "wb") as out:
        result = subprocess.run(
            [PYTHON, "-m", "dutydesk", "--now", NOW, "--db", db_arg, "export",
             "daily", "--format", "csv"],
            stdout=out, stderr=subprocess.PIPE, timeout=120, check=False,
        )  # fmt: skip
    assert result.returncode == 2
    err = result.stderr.decode()
    assert err.strip().splitlines() == [
        "dutydesk: error: cannot write the output: the disk is "
        "full; nothing was kept; free some space and run again"
    ]


def test_a_write_on_a_full_disk_is_one_line_and_loses_nothing(
    sqlite_template: Path, disk: Disk
) -> None:
    """Each command a process of its own, as at the desk (SQLite removes its -wal at exit)."""
    from tests.templates import copy_database

    path = copy_database(sqlite_template, disk.path / "d.sqlite3")
    env = {"DUTYDESK_OPERATOR": "李四"}
    first = child("--db", str(path), "incident", "add", "--summary", "市民来电反映停电", env=env)
    assert first.returncode == 0, first.stderr.decode()
    disk.fill()
    for _ in range(2):
        said = child("--db", str(path), "incident", "add", "--summary", "市民来电反映停水", env=env)
        assert said.returncode == 2
        line = one_line(said)
        assert f"the disk holding {path} is full" in line and "nothing was written" in line, line
    os.unlink(disk.path / "filler")
    listed = child("--db", str(path), "incident", "list", "--format", "json", env=env)
    assert [item["summary"] for item in json.loads(listed.stdout)] == ["市民来电反映停电"]


def test_init_on_a_full_disk_leaves_no_file(
    run: Run, disk: Disk, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = disk.fill()
    monkeypatch.setenv("DUTYDESK_NEW_PIN", "246810")
    said = run("--db", str(full / "duty.sqlite3"), "init", "--name", "赵建国")
    assert said.code == 2
    assert "is full" in said.line and "free some space" in said.line, said.line
    assert sorted(path.name for path in full.iterdir()) == ["filler"]


def test_an_unreadable_key_file_is_one_line(accounts: str) -> None:
    """The key file belongs to another user (0600): permission denied, for real.

    As root, the child runs without the capabilities that let root read any file
    (``setpriv`` drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH) and the key file is
    given to ``nobody``; otherwise it is enough to make it unreadable (mode 0).
    """
    key = Path(os.environ.get("DUTYDESK_KEY_FILE") or f"{accounts}.key")
    assert key.is_file()
    env = {"DUTYDESK_OPERATOR": "赵建国", "DUTYDESK_PIN": "246810"}
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("as root this needs setpriv to drop CAP_DAC_OVERRIDE")
        os.chown(key, 65534, 65534)
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]
    else:
        key.chmod(0)
    result = subprocess.run(
        [*prefix, PYTHON, "-m", "dutydesk", "--now", NOW, "--db", accounts, "key", "rotate"],
        capture_output=True, env={**os.environ, **env}, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    line = one_line(result)
    assert f"cannot read key file {key}" in line and "Permission denied" in line, line
    assert "run dutydesk as the user who owns it" in line
