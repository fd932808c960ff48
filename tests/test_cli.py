"""The command line: bad databases, import weight, the demo command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dutydesk.storage.engine import Database, url_for

PYTHON = sys.executable


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m dutydesk`` in a child process, as a user's shell would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [PYTHON, "-m", "dutydesk", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _assert_one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("dutydesk: error:")
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_import_of_the_cli_does_not_load_textual_or_sqlalchemy() -> None:
    # textual_serve and its web server (aiohttp) too: only `dutydesk serve` loads them.
    code = (
        "import sys, dutydesk.cli.app; print(sorted(m for m in "
        "('textual', 'sqlalchemy', 'sqlmodel', 'pydantic', 'textual_serve', 'aiohttp') "
        "if m in sys.modules))"
    )
    result = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_launcher_and_the_drill_watch_do_not_load_pydantic() -> None:
    # pydantic reads the demo and drill files only. The console looks for a running drill
    # as its main screen opens (services.drills, in a worker): measuring must not pay for it.
    code = (
        "import sys, dutydesk.cli.launch, dutydesk.services.drills; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')))"
    )
    result = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("dutydesk ")


def test_version_has_one_source() -> None:
    """``--version``, ``dutydesk.__version__`` and the installed metadata agree.

    pyproject reads the version from ``dutydesk/__init__.py`` (``dynamic``), so a release
    bumps one line; the metadata is what ``pip show dutydesk`` reports.
    """
    from importlib.metadata import version

    import dutydesk

    result = run("--version")
    # The first line is the version; the second (issue 13) names the deployment.
    assert result.stdout.splitlines()[0] == f"dutydesk {dutydesk.__version__}"
    assert version("dutydesk") == dutydesk.__version__


def test_import_of_the_package_loads_nothing_else() -> None:
    """``import dutydesk`` (done to read ``__version__``) costs no framework or ORM."""
    code = (
        "import sys, dutydesk; print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'typer', 'click', 'sqlalchemy', 'sqlmodel', 'rich')))"
    )
    result = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_db_that_is_a_directory(tmp_path: Path) -> None:
    _assert_one_line_error(run("--db", str(tmp_path)), "is a directory")


def test_db_that_is_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("值班记录，不是数据库\n")
    _assert_one_line_error(run("--db", str(bad)), "is not a SQLite database")
    assert bad.read_text() == "值班记录，不是数据库\n"  # and nothing was written to it


def test_db_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    _assert_one_line_error(run("--db", str(blocker / "duty.sqlite3")), "not a directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file regardless of its mode")
def test_db_that_cannot_be_read(tmp_path: Path) -> None:
    locked = tmp_path / "locked.sqlite3"
    locked.write_bytes(b"")
    locked.chmod(0)
    _assert_one_line_error(run("--db", str(locked)), "cannot")


def test_database_url_variable_is_used(tmp_path: Path) -> None:
    _assert_one_line_error(run(env={"DUTYDESK_DATABASE_URL": str(tmp_path)}), "is a directory")


def test_bad_config_file_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("timezone = 'Nowhere/Land'\n")
    _assert_one_line_error(
        run("--db", str(tmp_path / "x.sqlite3"), env={"DUTYDESK_CONFIG": str(config)}),
        "unknown zone",
    )


def test_bad_now_and_lang_are_one_line(tmp_path: Path) -> None:
    _assert_one_line_error(run("--now", "yesterday", "--db", str(tmp_path / "x.sqlite3")), "--now")
    _assert_one_line_error(run("--lang", "fr", "--db", str(tmp_path / "x.sqlite3")), "--lang")


def test_unknown_command_is_a_usage_error() -> None:
    result = run("frobnicate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_demo_loads_once_and_says_where(store_url: str) -> None:
    target = store_url  # a new file, or an empty server database: on the pass's store
    first = run("demo", "--db", target, "--now", "2026-11-26T02:31+08:00")
    assert first.returncode == 0, first.stderr
    # The file's path, or the server database's name (a URL may carry a password).
    assert (target.rsplit("/", 1)[-1] if "://" in target else target) in first.stderr
    database = Database(url_for(target))
    counts = database.read(
        "SELECT (SELECT count(*) FROM incident), (SELECT count(*) FROM timeline_entry), (SELECT count(*) FROM person)"
    )[0]
    assert counts[0] >= 25
    second = run("demo", "--db", target, "--now", "2026-11-26T02:31+08:00")
    assert second.returncode == 0, second.stderr
    assert "already" in second.stderr
    again = database.read(
        "SELECT (SELECT count(*) FROM incident), (SELECT count(*) FROM timeline_entry), (SELECT count(*) FROM person)"
    )[0]
    assert again == counts
    database.close()


def _row(output: str, name: str) -> list[str]:
    """The table row of ``name`` in ``output``, split into its cells (two spaces apart)."""
    (line,) = [line for line in output.splitlines() if line.startswith(name + " ")]
    return [cell.strip() for cell in line.split("  ") if cell.strip()]


def test_demo_lists_each_operator_with_role_clearance_pin_and_duty(store_url: str) -> None:
    # Issue 10: `dutydesk demo` printed names and PINs only ("李晓明 1111, ..."), so nobody
    # could tell who is the duty leader, who is cleared for 机密, or who is on duty now.
    result = run("demo", "--db", store_url, "--now", "2026-11-26T02:31+08:00")
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0]
    for title in ("Name", "Roles", "Clearance", "PIN", "On duty now"):
        assert title in header
    assert _row(result.stdout, "李晓明") == [
        "李晓明",
        "duty officer, administrator",
        "internal",  # 三员分立 (issue 13): the administrator holds no clearance
        "1111",
    ]
    assert _row(result.stdout, "孙丽") == [
        "孙丽",
        "duty leader",
        "机密 secret",
        "333333",
        "Duty leader",
    ]
    assert _row(result.stdout, "黄雨婷")[-2:] == ["4444", "Duty officer"]
    assert _row(result.stdout, "韩冬")[1:4] == ["confidential officer", "绝密 top secret", "666666"]
    names = [line.split()[0] for line in result.stdout.splitlines()[1:]]
    assert {"王立新", "张振华", "孙丽", "赵静", "许文博"} <= set(names)
    # Defect 7: the moment "on duty now" refers to carries its offset ("CST" is also a US zone).
    assert "on duty as of 2026-11-26 02:31 +08:00" in result.stderr, result.stderr


def test_demo_lists_operators_in_chinese(store_url: str) -> None:
    result = run("demo", "--db", store_url, "--now", "2026-11-26T02:31+08:00", "--lang", "zh_CN")
    assert result.returncode == 0, result.stderr
    assert "PIN码" in result.stdout.splitlines()[0]
    assert _row(result.stdout, "孙丽") == ["孙丽", "带班领导", "机密", "333333", "带班领导"]
    assert _row(result.stdout, "李晓明")[1] == "值班员、系统管理员"
    assert "演示数据" in result.stderr


def test_demo_default_target_is_beside_the_real_log(tmp_path: Path) -> None:
    data_home = tmp_path / "xdg"
    result = run("demo", "--now", "2026-11-26T02:31+08:00", env={"XDG_DATA_HOME": str(data_home)})
    assert result.returncode == 0, result.stderr
    assert (data_home / "dutydesk" / "demo.sqlite3").is_file()
    assert not (data_home / "dutydesk" / "dutydesk.sqlite3").exists()


def test_the_console_starts_without_the_orm(tmp_path: Path) -> None:
    # The first frame must not pay for SQLModel/SQLAlchemy (~0.5 s to import here) or the
    # crypto library: the console's first reads use the store's plain sqlite3 path, and
    # forms load their services when they are opened.
    db = tmp_path / "duty.sqlite3"
    Database(url_for(str(db))).ensure_schema()  # migrated first: Alembic is for first runs
    code = (
        "import sys; from dutydesk.config import load_settings; "
        "from dutydesk.cli.runtime import database_for, prepare_console; "
        f"s = load_settings(); prepare_console(s, database_for(s, {str(db)!r})); "
        "import dutydesk.tui.app; "
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'cryptography', 'alembic', "
        "'pydantic') if m in sys.modules))"
    )
    result = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
