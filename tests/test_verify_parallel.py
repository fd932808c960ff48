"""``verify`` walks a long chain in stretches, side by side (issue 16): the same report.

A 500-incident benchmark record (2,001 links, a state fact per incident) is walked by
three workers, whose stretches are split at links 668 and 1335
(:func:`dutydesk.services.integrity.parallel_walk.stretches`), and in place; the record
is then damaged at and around those seams, and both walks must name the same first bad
link, in the same words, with the same list of problems.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from dutydesk.errors import DatabaseError
from dutydesk.services.integrity.chain_walk import walk
from dutydesk.services.integrity.parallel_walk import failure, stretches
from dutydesk.services.integrity.verify import VerifyReport, verify
from dutydesk.storage.engine import Database, url_for
from tests.bench.build_db import build

SEAMS = (668, 1335)
"""Where three stretches of links 1..2001 meet: each is the first link of a stretch."""


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 500-incident record, built once; each test damages its own copy."""
    path = tmp_path_factory.mktemp("record") / "bench.sqlite3"
    assert build(path, 500, 1.0)["links"] == 2_001
    return path


def _copy(record: Path, tmp_path: Path) -> Path:
    target = tmp_path / "duty.sqlite3"
    shutil.copy(record, target)
    shutil.copy(f"{record}.head-key", f"{target}.head-key")
    return target


def _damage(path: Path, *edits: tuple[str, tuple[object, ...]]) -> None:
    """Edit the file behind dutydesk's back, as an attacker with ``sqlite3`` would."""
    with sqlite3.connect(path) as connection:
        for statement, values in edits:
            connection.execute(statement, values)
    connection.close()


def _both(path: Path) -> tuple[VerifyReport, VerifyReport]:
    """The report of three workers and of one walk in place, on the same file.

    And the quick walk (SQLite makes each link's text) finds what the exact one does.
    """
    db = Database(url_for(str(path)))
    try:
        _quick_is_exact(db)
        return verify(db, workers=3), verify(db, workers=1)
    finally:
        db.close()


def _quick_is_exact(db: Database) -> None:
    found: dict[bool, tuple[object, ...]] = {}
    for quick in (True, False):
        problems: list[str] = []
        with db.snapshot() as query:
            walked = walk(query, problems, {5, 700}, 20, quick=quick)
        found[quick] = (problems, walked.links, walked.last_seq, walked.last_hash)
        found[quick] += (walked.facts, walked.hashes)
    assert found[True] == found[False]


def _same(parallel: VerifyReport, alone: VerifyReport) -> None:
    assert parallel.problems == alone.problems
    assert (parallel.links, parallel.head, parallel.signature) == (
        alone.links,
        alone.head,
        alone.signature,
    )


def test_the_stretches_meet_where_the_tests_damage_the_record() -> None:
    assert stretches(1, 2001, 3) == [(None, SEAMS[0]), SEAMS, (SEAMS[1], None)]


def test_an_intact_record_is_intact_in_stretches(record: Path, tmp_path: Path) -> None:
    parallel, alone = _both(_copy(record, tmp_path))
    _same(parallel, alone)
    assert parallel.ok and parallel.links == 2_001


def _entry_at(path: Path, seq: int) -> tuple[int, str, int]:
    """(id, serial, number) of the timeline entry at link ``seq``."""
    with sqlite3.connect(path) as connection:
        found = connection.execute(
            "SELECT t.id, i.serial, t.seq FROM timeline_entry t JOIN incident i "
            "ON i.id = t.incident_id WHERE t.chain_seq = ?",
            (seq,),
        ).fetchone()
    connection.close()
    assert found is not None, f"link {seq} is not an entry"
    return int(found[0]), str(found[1]), int(found[2])


def test_a_changed_link_in_the_second_stretch_is_the_first_bad_link(
    record: Path, tmp_path: Path
) -> None:
    path = _copy(record, tmp_path)
    entry, serial, number = _entry_at(path, 900)
    _damage(path, ("UPDATE timeline_entry SET text = '改过的' WHERE id = ?", (entry,)))
    parallel, alone = _both(path)
    _same(parallel, alone)
    assert parallel.problems[0] == (
        f"timeline entry {entry} ({serial} seq {number}) was changed after it was written: "
        "its hash does not match"
    )


def test_the_first_link_of_a_stretch_relinked(record: Path, tmp_path: Path) -> None:
    """Only the seam can see it: the link before is in the other worker's stretch."""
    path = _copy(record, tmp_path)
    entry, serial, number = _entry_at(path, SEAMS[0])
    _damage(path, ("UPDATE timeline_entry SET prev_hash = ? WHERE id = ?", ("0" * 64, entry)))
    parallel, alone = _both(path)
    _same(parallel, alone)
    assert parallel.problems[0].startswith(f"timeline entry {entry} ({serial} seq {number})")
    assert "changed after it was written" in parallel.problems[1]


def test_links_deleted_across_a_seam_are_missing_after_the_last_one_kept(
    record: Path, tmp_path: Path
) -> None:
    path = _copy(record, tmp_path)
    low, high = SEAMS[1] - 3, SEAMS[1] + 3
    _damage(
        path,
        ("DELETE FROM timeline_entry WHERE chain_seq BETWEEN ? AND ?", (low, high)),
        ("DELETE FROM audit_event WHERE chain_seq BETWEEN ? AND ?", (low, high)),
    )
    parallel, alone = _both(path)
    _same(parallel, alone)
    assert f"{low}" in parallel.problems[0] and f"{high}" in parallel.problems[0]


def test_more_problems_than_are_listed_are_cut_as_one_walk_cuts_them(
    record: Path, tmp_path: Path
) -> None:
    """Damage in every stretch, 30 links in all: the same first 20 lines, seams included."""
    path = _copy(record, tmp_path)
    damaged = [seq for seam in (1, *SEAMS) for seq in range(seam, seam + 30, 3)]
    _damage(
        path,
        *(
            ("UPDATE timeline_entry SET text = text || '!' WHERE chain_seq = ?", (seq,))
            for seq in damaged
        ),
        *(
            ("UPDATE audit_event SET detail = detail || '!' WHERE chain_seq = ?", (seq,))
            for seq in damaged
        ),
    )
    parallel, alone = _both(path)
    _same(parallel, alone)
    assert len(parallel.problems) == 20


def test_a_link_numbered_past_the_head_is_walked_by_the_last_stretch(
    record: Path, tmp_path: Path
) -> None:
    """The ends of the stretches are open: no link falls outside all of them."""
    path = _copy(record, tmp_path)
    entry, _serial, _number = _entry_at(path, 100)
    _damage(path, ("UPDATE timeline_entry SET chain_seq = 5000 WHERE id = ?", (entry,)))
    parallel, alone = _both(path)
    _same(parallel, alone)
    assert any("5000" in problem for problem in parallel.problems)


def test_rows_changed_deleted_and_added_around_the_facts_in_every_piece(
    record: Path, tmp_path: Path
) -> None:
    """The watched tables are compared in pieces by the same workers: the same lines."""
    path = _copy(record, tmp_path)
    _damage(
        path,
        ("UPDATE incident SET severity = 'I' WHERE id IN (3, 250, 251, 480)", ()),
        ("UPDATE incident SET title = title || '!' WHERE id IN (170, 340)", ()),
        ("DELETE FROM timeline_entry WHERE incident_id IN (100, 400)", ()),
        ("DELETE FROM incident WHERE id IN (100, 400)", ()),
        (_copied_row(path), ()),
    )
    parallel, alone = _both(path)
    _same(parallel, alone)
    said = "\n".join(parallel.problems)
    for serial in _serials(record, 3, 250, 480, 170):
        assert serial in said
    assert "20261126-999" in said  # written around dutydesk
    assert sum("was deleted from its table" in line for line in parallel.problems) == 2


def _copied_row(path: Path) -> str:
    """An incident copied as row 501 with a serial of its own, written around dutydesk."""
    with sqlite3.connect(path) as connection:
        names = [row[1] for row in connection.execute("PRAGMA table_info(incident)")]
    connection.close()
    assert names[:4] == ["id", "serial", "serial_date", "serial_no"], names
    rest = ", ".join(names[4:])
    head = "INSERT INTO incident SELECT 501, '20261126-999', serial_date, 999"
    return f"{head}, {rest} FROM incident WHERE id = 5"


def _serials(path: Path, *ids: int) -> list[str]:
    with sqlite3.connect(path) as connection:
        found = [
            str(connection.execute("SELECT serial FROM incident WHERE id = ?", (i,)).fetchone()[0])
            for i in ids
        ]
    connection.close()
    return found


def test_a_workers_failure_comes_back_as_one_line_without_its_text(tmp_path: Path) -> None:
    """An exception's text could quote a row (a sealed title, a name): only its type goes."""
    path = tmp_path / "duty.sqlite3"
    line = failure(path, ValueError("绝密：某某基地坐标"))
    assert "绝密" not in line and "ValueError" in line and str(path) in line
    assert "\n" not in line
    store = DatabaseError(f"cannot read {path}: database disk image is malformed")
    assert failure(path, store) == str(store)  # the store's own line, as in place


def test_a_file_that_is_not_a_database_fails_the_same_way_in_stretches(tmp_path: Path) -> None:
    path = tmp_path / "duty.sqlite3"
    path.write_bytes(b"not a database at all" * 1000)
    db = Database(url_for(str(path)))
    said = []
    for workers in (3, 1):
        with pytest.raises(DatabaseError) as raised:
            verify(db, workers=workers)
        said.append(str(raised.value))
    db.close()
    assert said[0] == said[1]
    assert "Traceback" not in said[0] and "\n" not in said[0]


_EDITS = {
    "changed": "{table} SET {content} = {content} || '!' WHERE chain_seq = ?",
    "relinked": "{table} SET prev_hash = hash WHERE chain_seq = ?",
    "hash rewritten": "{table} SET hash = "
    "iif(hash LIKE 'f%', 'e', 'f') || substr(hash, 2) WHERE chain_seq = ?",
    "no prev_hash": "{table} SET prev_hash = NULL WHERE chain_seq = ?",
    "renumbered onto the next": "{table} SET chain_seq = chain_seq + 1 WHERE chain_seq = ?",
    "renumbered to a fraction": "{table} SET chain_seq = chain_seq + 0.5 WHERE chain_seq = ?",
}


def _edit_link(path: Path, how: str, seq: int) -> None:
    """Damage the one link at ``seq``, whichever table holds it."""
    changed = 0  # rows of the two tables (a trigger's writes to the search index aside)
    with sqlite3.connect(path) as connection:
        for table, content in (("timeline_entry", "text"), ("audit_event", "detail")):
            if how == "missing":
                sql = f"DELETE FROM {table} WHERE chain_seq = ?"  # noqa: S608
            else:
                sql = "UPDATE " + _EDITS[how].format(table=table, content=content)
            changed += connection.execute(sql, (seq,)).rowcount
    assert changed == 1, (how, seq)
    connection.close()


def _rehash(path: Path, first: int, last: int, prev: str | None = None) -> None:
    """Give links ``first..last`` the hashes their content now gives, each on the one before.

    What an attacker who knows the algorithm does after an edit (``prev``: the first
    link's new ``prev_hash``, else its own): those links are then intact, and only the
    link after them, or the numbers, can show the edit.
    """
    from dutydesk.services.integrity.canonical_sql import canonical_text

    with sqlite3.connect(path) as connection:
        for seq in range(first, last + 1):
            for table in ("timeline_entry", "audit_event"):
                sql = f"SELECT id, prev_hash, {canonical_text(table, '')} FROM {table} WHERE chain_seq = ?"  # noqa: S608
                for row_id, old_prev, text in connection.execute(sql, (seq,)).fetchall():
                    before = prev if prev is not None else old_prev
                    prev = hashlib.sha256(f"{before}\n{text}".encode()).hexdigest()
                    connection.execute(
                        f"UPDATE {table} SET prev_hash = ?, hash = ? WHERE id = ?",  # noqa: S608
                        (before, prev, row_id),
                    )
    connection.close()


def _link_value(path: Path, seq: int, entry: str, event: str) -> str:
    """One value of link ``seq``: ``entry`` if it is a timeline entry, else ``event``."""
    with sqlite3.connect(path) as connection:
        found = connection.execute(
            f"SELECT {entry} FROM timeline_entry WHERE chain_seq = ? "  # noqa: S608
            f"UNION ALL SELECT {event} FROM audit_event WHERE chain_seq = ?",
            (seq, seq),
        ).fetchone()
    connection.close()
    return str(found[0])


def _hash_at(path: Path, seq: int) -> str:
    return _link_value(path, seq, "hash", "hash")


def _entry_before_event(path: Path, low: int) -> int:
    """The first link from ``low`` on that is an entry followed by an event."""
    with sqlite3.connect(path) as connection:
        found = connection.execute(
            "SELECT t.chain_seq FROM timeline_entry t JOIN audit_event a "
            "ON a.chain_seq = t.chain_seq + 1 WHERE t.chain_seq >= ? ORDER BY 1 LIMIT 1",
            (low,),
        ).fetchone()
    connection.close()
    return int(found[0])


@pytest.mark.parametrize(
    ("how", "seq"),
    [
        # the last stretch (links 1335-2001): its last link, and the one before
        ("changed", 2001),
        ("changed", 2000),
        # its chunks of 7: 1335-1341 (1335 taken alone), 1342-1348, 1349-1355, ...
        ("relinked", 1342),  # a chunk's first link
        ("missing", 1348),  # a chunk's last link
        ("missing", 1349),  # the first link of the next chunk
        ("hash rewritten", 1345),  # mid-chunk
        ("no prev_hash", 1700),
        ("changed", 700),  # the middle stretch
        ("relinked", 2),  # the first stretch, its first chunk
        ("renumbered onto the next", 0),  # an entry onto an event's number, see below
        ("renumbered to a fraction", 1348),  # a REAL number, a chunk's last: the next copes
        ("renumbered to a fraction", 1345),
        # an attacker who rehashes: only the next link's prev_hash shows the edit ...
        ("changed and rehashed", 1345),
        ("changed and rehashed", 1348),  # ... which is in the next chunk
        # ... and only the numbers show a link cut out and the rest rehashed
        ("cut out and joined", 1345),
        ("cut out and joined", 1349),
    ],
)
def test_the_chunked_quick_walk_finds_what_the_link_by_link_walk_finds(
    record: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str, seq: int
) -> None:
    """The quick walk takes links a chunk at a time (issue 16): damage at a chunk's edge
    or in its middle must still be found, in the same words as the exact walk finds it.

    Chunks of 7 rather than thousands, so the 667 links of a stretch make about a
    hundred chunks and the edits fall on their first, middle and last links (the
    stretch's first link is the first of its first chunk, taken alone: join() checks it).
    """
    from dutydesk.services.integrity import chain_walk

    monkeypatch.setattr(chain_walk, "_CHUNK", 7)  # the workers are forked: they see it too
    path = _copy(record, tmp_path)
    if how == "renumbered onto the next":
        seq = _entry_before_event(path, 1400)  # two links with one number: a duplicate
    row = _row_at(path, seq)
    if how == "changed and rehashed":
        _edit_link(path, "changed", seq)
        _rehash(path, seq, seq)
        row = _row_at(path, seq + 1)  # the link that no longer follows
    elif how == "cut out and joined":
        before = _hash_at(path, seq - 1)
        _edit_link(path, "missing", seq)
        _rehash(path, seq + 1, 2_001, prev=before)  # to the head: only the gap is left
    else:
        _edit_link(path, how, seq)
    parallel, alone = _both(path)
    _same(parallel, alone)
    # the first problem names the damaged link: by its row, or by its number
    assert row in parallel.problems[0] or str(seq) in parallel.problems[0], parallel.problems


def _row_at(path: Path, seq: int) -> str:
    """``timeline entry <id>`` or ``audit event <id>``: how a problem names link ``seq``."""
    return _link_value(path, seq, "'timeline entry ' || id", "'audit event ' || id")


def test_an_intact_record_in_chunks_of_seven_is_intact(
    record: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every chunk taken whole: the links, the facts and the hashes asked for all kept."""
    from dutydesk.services.integrity import chain_walk

    monkeypatch.setattr(chain_walk, "_CHUNK", 7)
    parallel, alone = _both(_copy(record, tmp_path))
    _same(parallel, alone)
    assert parallel.ok and parallel.links == 2_001


def _compared(path: Path, *, quick: bool) -> list[str]:
    """The incident table compared with its facts, by SQLite's facts or the exact way."""
    from dutydesk.services.integrity import head_key
    from dutydesk.services.integrity.state_check import compare_rows, fact_functions

    db = Database(url_for(str(path)))
    try:
        with db.snapshot() as query:
            facts = walk(query, [], set(), 20, quick=True).facts
        key = head_key.for_database(path)
        with db.snapshot(fact_functions(key) if quick else None) as query:
            return compare_rows(
                query, "incident", facts["incident"], key, baselined=True, quick=quick
            )
    finally:
        db.close()


@pytest.mark.parametrize(
    "change",
    [
        "severity_rank = severity_rank + 0.0",  # a REAL equal to the number: no difference
        "severity_rank = 7.5",  # a REAL that differs
        "is_open = 'yes'",  # text in a flag: the exact way reads it as true
        "is_open = 2",
        "received_at = replace(received_at, ' ', 'T')",  # another form of the same time
        "received_at = received_at || '+01:00'",  # another time
        "serial_date = 20261126 + id",  # a number for a date
        "deaths = 3",  # a digested number
        "deaths = '3'",
        "title = title || '!'",
        "drill_run_id = 7",  # a number in a digested text column: kept as a number
        "drill_run_id = '7'",
    ],
)
def test_sqlites_facts_find_what_the_exact_comparison_finds(
    record: Path, tmp_path: Path, change: str
) -> None:
    """SQLite writes each row's fact for the comparison (issue 16), a shortcut only: a
    value of an unexpected kind sends the row the exact way, which alone decides."""
    path = _copy(record, tmp_path)
    _damage(path, (f"UPDATE incident SET {change} WHERE id IN (2, 250, 499)", ()))  # noqa: S608
    quick, exact = _compared(path, quick=True), _compared(path, quick=False)
    assert quick == exact


def test_a_blob_in_a_text_column_fails_sqlites_facts_as_the_exact_way(
    record: Path, tmp_path: Path
) -> None:
    """``json_object`` refuses a BLOB: the row goes the exact way, which fails as it did."""
    path = _copy(record, tmp_path)
    _damage(path, ("UPDATE incident SET title = CAST(title AS BLOB) WHERE id = 250", ()))
    for quick in (True, False):
        with pytest.raises(TypeError, match="bytes"):
            _compared(path, quick=quick)


def test_sqlites_fact_of_an_intact_row_is_the_stored_one(record: Path, tmp_path: Path) -> None:
    """Else the shortcut would never be taken (every row read again, the exact way)."""
    from dutydesk.services.integrity import head_key
    from dutydesk.services.integrity.state_check import fact_functions, fact_sql

    path = _copy(record, tmp_path)
    key = head_key.for_database(path)
    db = Database(url_for(str(path)))
    try:
        with db.snapshot(fact_functions(key)) as query:
            made = [
                row[0]
                for row in query(
                    f"SELECT {fact_sql('incident', head_key.key_id(key))} FROM incident ORDER BY id",  # noqa: S608
                    None,
                )
            ]
            stored = [
                row[0]
                for row in query(
                    "SELECT detail FROM audit_event WHERE action = 'state' "
                    "AND object_type = 'incident' ORDER BY CAST(object_id AS INTEGER)",
                    None,
                )
            ]
    finally:
        db.close()
    assert len(made) == 500 and made == stored
