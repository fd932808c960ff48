"""The benchmark builder writes what the app would have written (issue 16).

``tests/bench/build_db.py`` loads rows with plain SQL, computes the hash chain, the state
facts and (since build16b) the search documents in Python. Its file must pass
``verify``, have the head schema's exact SQL, and hold the search index the app's own
rebuild makes from the same rows: every term of every document, in both FTS5 tables.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from dutydesk.services.integrity.verify import verify
from dutydesk.storage.engine import Database, url_for
from dutydesk.storage.search import sqlite_has_trigram
from tests.bench.build_db import build
from tests.bench.build_search import grams

INCIDENTS = 1_000
"""Enough for one classified incident (every 997th): indexed by its serial only."""


BATCH = 400
"""Three transactions of 400, 400 and 200 incidents."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1,000-incident benchmark file, built once, its rows made in a second process."""
    path = tmp_path_factory.mktemp("built") / "bench.sqlite3"
    assert build(path, INCIDENTS, 0.5, beside=True, batch=BATCH)["links"] == 4 * INCIDENTS + 1
    return path


def _rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the loaded tables and the chain's head."""
    tables = ("incident", "timeline_entry", "audit_event", "chain_state")
    with sqlite3.connect(path) as connection:
        found = {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()  # noqa: S608 - constant names
            for table in tables
        }
    connection.close()
    return found


def _schema(path: Path) -> set[tuple[str, str, str, tuple[str, ...]]]:
    """Every schema object but ANALYZE's statistics: (type, name, table, SQL lines).

    The lines sorted: two migrations of the same empty file may list a table's foreign
    keys in either order (both ways seen at e79c01d), which is not the builder's doing.
    """
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_stat%'"
        ).fetchall()
    connection.close()
    return {
        (kind, name, table, tuple(sorted(re.split(r",?\s*\n", sql))))
        for kind, name, table, sql in rows
    }


def _index_content(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every (term, document, column, offset) of the trigram and the gram table; settings."""
    with sqlite3.connect(path) as connection:
        found: dict[str, list[tuple[object, ...]]] = {}
        for table in ("search_tri", "search_bi"):
            connection.execute(
                f"CREATE VIRTUAL TABLE temp.{table}_v USING fts5vocab(main, {table}, instance)"
            )
            found[table] = connection.execute(
                f"SELECT term, doc, col, offset FROM temp.{table}_v ORDER BY 1, 2, 3, 4"  # noqa: S608 - one of two constant names
            ).fetchall()
            # and the same settings: the builder's own (a larger hash) were taken out
            found[f"{table}_config"] = connection.execute(
                f"SELECT k, v FROM {table}_config ORDER BY k"  # noqa: S608 - one of two constant names
            ).fetchall()
    connection.close()
    return found


def test_the_built_file_passes_verify(built: Path) -> None:
    db = Database(url_for(str(built)))
    try:
        report = verify(db, workers=1)
    finally:
        db.close()
    assert report.ok, report.problems
    assert report.links == 4 * INCIDENTS + 1


def test_the_built_file_has_the_head_schema(built: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    db = Database(url_for(str(empty)))
    try:
        db.ensure_schema()
    finally:
        db.close()
    assert _schema(built) == _schema(empty)


def test_the_built_search_index_is_the_apps_rebuild(built: Path, tmp_path: Path) -> None:
    with sqlite3.connect(":memory:") as probe:
        if not sqlite_has_trigram(probe):
            pytest.skip("this SQLite has no trigram tokenizer: no search index")
    probe.close()
    rebuilt = tmp_path / "rebuilt.sqlite3"
    shutil.copy(built, rebuilt)
    db = Database(url_for(str(rebuilt)))
    try:
        db.rebuild_search_index()
    finally:
        db.close()
    ours, apps = _index_content(built), _index_content(rebuilt)
    assert len(ours["search_tri"]) > 100 * INCIDENTS  # not two empty indexes
    assert ours == apps


def test_rows_made_beside_are_the_rows_made_in_process(built: Path, tmp_path: Path) -> None:
    alone = tmp_path / "alone.sqlite3"
    shutil.copy(f"{built}.head-key", f"{alone}.head-key")  # the same key: the same facts, MAC
    build(alone, INCIDENTS, 0.5, beside=False, batch=BATCH)
    assert _rows(built) == _rows(alone)
    assert _index_content(built) == _index_content(alone)


def test_grams_are_the_sql_grams_across_a_chunk_seam() -> None:
    text = "值" * 999 + "班员ab"  # a seam of GRAM_CHUNK inside a 1,003-character text
    with sqlite3.connect(":memory:") as connection:
        connection.execute("CREATE TABLE search_seq (n INTEGER PRIMARY KEY)")
        connection.executemany("INSERT INTO search_seq VALUES (?)", [(n,) for n in range(1, 1001)])
        from dutydesk.storage.search import _grams

        (sql,) = connection.execute(f"SELECT {_grams(':t')}", {"t": text}).fetchone()
    connection.close()
    assert grams(text) == sql
    assert grams("") == ""


def test_a_row_maker_that_fails_stops_the_load_with_its_error() -> None:
    from tests.bench.build_db import _batches_beside, _Parts, _Plan

    plan = _Plan(10, 1.0, 7, None, "CREATE TABLE incident (")  # not SQL: the maker fails
    with pytest.raises(RuntimeError, match=r"the row maker failed:(.|\n)*incomplete input"):
        next(_batches_beside(plan, _Parts()))
