"""``dutydesk verify`` on PostgreSQL: the server's own index check (amcheck), in words.

Issue 15: on a server database ``verify`` runs ``amcheck``'s ``bt_index_check`` on every
B-tree index of dutydesk's schema as well as the hash chain, and says how many it
checked; where the extension cannot be created (no superuser), it says so in one line and
checks the chain all the same. Nothing is corrupted here: the tests check the report.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from dutydesk.cli.app import main
from dutydesk.services.integrity.verify import verify
from dutydesk.storage.engine import Database
from tests.pg_support import PgServer, scratch_database

pytestmark = pytest.mark.xdist_group("postgresql")

_BTREES = """
SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.amname = 'btree' AND n.nspname = 'public'
"""


def _run(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(["--db", url, "--now", "2026-11-26T02:31+08:00", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_verify_checks_every_btree_index_with_amcheck(pg_db: Database) -> None:
    indexes = int(pg_db.read(_BTREES)[0][0])
    assert indexes > 10  # primary keys, unique constraints and dutydesk's own indexes
    report = verify(pg_db)
    assert report.ok, report.problems
    assert report.server_check == (
        f"PostgreSQL amcheck: {indexes} B-tree indexes checked, 0 damaged."
    )
    assert pg_db.read("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'")


def test_verify_command_prints_the_amcheck_line_and_no_sqlite_check(
    pg_db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, out, err = _run(capsys, pg_db.url, "verify")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("PostgreSQL amcheck: ") and lines[0].endswith(", 0 damaged.")
    # A new database's one link is its state baseline (issue 17: facts on the chain).
    assert re.fullmatch(r"Record intact: 1 links, head #1 [0-9a-f]{16}\.", lines[1]), lines[1]
    assert "database check ok" not in out  # SQLite's integrity_check did not run here


@pytest.fixture
def desk_role_db(pg_server: PgServer, pg_template: str) -> Iterator[str]:
    """A migrated database reached as ``desk``, a role that may read but is no superuser."""
    if not pg_server.own:
        pytest.skip("needs the tests' own server, to create a role")
    role = f"desk_{make_url(pg_server.url).port}"
    pg_server.admin(f"DROP ROLE IF EXISTS {role}")
    pg_server.admin(f"CREATE ROLE {role} LOGIN NOSUPERUSER")
    try:
        with scratch_database(pg_server, pg_template) as url:
            admin = Database(url)
            try:
                with admin.engine.begin() as conn:
                    conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
            finally:
                admin.close()
            yield make_url(url).set(username=role).render_as_string(hide_password=False)
    finally:
        pg_server.admin(f"DROP ROLE IF EXISTS {role}")  # its grants went with the database


def test_verify_says_in_one_line_when_amcheck_cannot_be_had(
    desk_role_db: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setenv("DUTYDESK_KEY_FILE", str(tmp_path / "duty.key"))
    code, out, err = _run(capsys, desk_role_db, "verify")
    assert code == 0, err  # a check that could not run is no damage: the chain is intact
    assert "Traceback" not in out + err
    first, second = out.splitlines()[:2]
    assert first == (
        "PostgreSQL amcheck not run (the chain was checked all the same): "
        'permission denied to create extension "amcheck"'
    )
    assert second == "Record intact: 0 links, head #0 0000000000000000."
