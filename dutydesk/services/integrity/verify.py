"""``dutydesk verify`` and ``dutydesk backup``: is the record whole, and a safe copy of it.

:func:`verify` checks, in order: SQLite's own ``PRAGMA integrity_check`` (on PostgreSQL,
``amcheck`` on every B-tree index, :mod:`.pg_checks`, when it can be had); every link of
the hash chain (timeline entries and audit events, :mod:`dutydesk.rules.chain`) for a
changed record, a missing one, a re-linked one, or one written around the chain; the
stored head against the last record (the newest records deleted); and the head stored
with the last acknowledged handover (the newest records deleted *and* the head row
rewritten to match). Problems are sentences naming the record, first one first.

Reads are plain SQL (no ORM objects), and the chain is streamed link by link
(:mod:`.chain_walk`), so memory stays flat however long the record is. A long chain in a
SQLite file is walked in stretches by worker processes, one per core, while SQLite
checks the file, and the same workers then compare the watched tables
(:mod:`.parallel_walk`): the report is the one a single walk gives.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dutydesk.errors import DatabaseError, DutyDeskError
from dutydesk.i18n import t
from dutydesk.rules.chain import GENESIS, ChainHead
from dutydesk.services.integrity import canonical_sql, chain_walk, head_key, parallel_walk
from dutydesk.services.integrity.chain import chain_head
from dutydesk.services.integrity.state_check import compare
from dutydesk.services.integrity.state_facts import BASELINE, DELETED, STATE
from dutydesk.storage.engine import Database, as_utc, disk_full, disk_full_error
from dutydesk.storage.private import create_private_file

if TYPE_CHECKING:
    from dutydesk.storage.crypto import KeyRing

_TIMES = {"occurred_at", "recorded_at", "due_at"}
MAX_PROBLEMS = 20
"""Stop listing after this many: the first one is what matters."""


@dataclass
class VerifyReport:
    """What :func:`verify` found."""

    integrity: str
    """``ok``, or SQLite's first complaint."""
    links: int
    """Records on the chain."""
    head: ChainHead
    """The stored head."""
    acknowledged: ChainHead | None
    """The head stored with the last acknowledged handover, if any."""
    problems: list[str] = field(default_factory=list)
    server_check: str | None = None
    """PostgreSQL: what ``amcheck`` checked, or why it could not run (one line)."""
    sealed_checked: int | None = None
    """Sealed values opened with the key file; ``None`` when no key file was given."""
    signature: str = ""
    """The head's signature state in one line (issue 17): signed, not yet, no key here."""
    signed: str = ""
    """The head as packs print it, with its MAC's first 16 hex digits when signed."""
    anchors: int = 0
    """Acknowledged heads in the anchor file, each checked to be on the chain."""
    baseline: int | None = None
    """Rows given their first state fact by this run (the first verify after upgrade)."""
    repaired: list[str] = field(default_factory=list)
    """Derived values found wrong and set right by this run, in words (the open count):
    not the record, so not problems."""

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def _acknowledged(db: Database) -> tuple[ChainHead, str] | None:
    rows = db.read(
        "SELECT chain_head, acknowledged_at, acknowledged_by FROM handover "
        "WHERE acknowledged_at IS NOT NULL AND chain_head IS NOT NULL "
        "ORDER BY acknowledged_at DESC, id DESC LIMIT 1"
    )
    if not rows:
        return None
    try:
        head = ChainHead.parse(str(rows[0][0]))
    except ValueError:
        return None
    moment = as_utc(rows[0][1])
    when = moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "?"
    return head, t("verify.handover", when=when, by=rows[0][2])


def orphaned_wal_holders(path: Path, proc: Path = Path("/proc")) -> list[int]:
    """Processes that hold this database's ``-wal`` or ``-shm`` open after it was unlinked.

    Such a process lost its SQLite locks (issue 10: a plain ``open()``/``close()`` of the
    database file does that on POSIX); another process then checkpointed and deleted the
    journal, and everything the first one saves since is invisible to others and lost when
    it stops. Linux shows it in ``/proc/<pid>/fd`` as a link to ``<file> (deleted)``;
    elsewhere, or for processes of other users, this finds nothing.
    """
    absolute = str(path.absolute())
    gone = {f"{absolute}-wal (deleted)", f"{absolute}-shm (deleted)"}
    holders: set[int] = set()
    try:
        pids = [entry for entry in proc.iterdir() if entry.name.isdigit()]
    except OSError:
        return []
    for entry in pids:
        try:
            targets = {os.readlink(fd) for fd in (entry / "fd").iterdir()}
        except OSError:
            continue  # the process ended, or it is not ours to look at
        if targets & gone:
            holders.add(int(entry.name))
    return sorted(holders)


def _check_sealed(db: Database, keys: KeyRing | None, report: VerifyReport) -> None:
    """Every sealed value must open with the key file (:mod:`.sealed_check`), if given."""
    if keys is None:
        return
    from dutydesk.services.integrity.sealed_check import unopened

    sealed = unopened(db, keys, MAX_PROBLEMS)
    report.sealed_checked = sealed.checked
    report.problems.extend(sealed.problems)


def _check_file_and_chain(
    db: Database,
    acknowledged: tuple[ChainHead, str] | None,
    wanted: set[int],
    walking: parallel_walk.Walking | None,
) -> tuple[VerifyReport, chain_walk.Walk]:
    """The file's own check (the workers walk meanwhile, if any), then the chain's problems."""
    integrity = "ok"
    orphaned: list[int] = []
    if db.is_sqlite:
        rows = db.read("PRAGMA integrity_check")
        integrity = str(rows[0][0]) if rows else "no answer"
        if db.path is not None:
            orphaned = orphaned_wal_holders(db.path)
    head = chain_head(db)
    report = VerifyReport(integrity, 0, head, acknowledged[0] if acknowledged else None)
    problems = report.problems
    if integrity != "ok":
        problems.append(t("verify.integrity", detail=integrity))
    problems.extend(t("verify.orphaned_wal", pid=pid) for pid in orphaned)
    if db.url.startswith("postgresql"):
        from dutydesk.services.integrity.pg_checks import amcheck

        server = amcheck(db)
        report.server_check = server.summary
        problems.extend(server.problems)
    with db.snapshot() as query:
        chain_walk.unchained(query, problems)
        if walking is None:
            quick = canonical_sql.available(db)
            return report, chain_walk.walk(query, problems, wanted, MAX_PROBLEMS, quick=quick)
    return report, walking.join(problems)


def verify(
    db: Database, keys: KeyRing | None = None, *, workers: int | None = None
) -> VerifyReport:
    """Check the database (file or server) and the whole hash chain; see the module docstring.

    With ``keys`` (the database's key file), every sealed value must open with it too
    (:mod:`.sealed_check`); without, :attr:`VerifyReport.sealed_checked` stays ``None``
    and the caller says they were not checked. A long chain in a SQLite file is walked
    in stretches by worker processes while SQLite checks the file (:mod:`.parallel_walk`;
    ``workers`` fixes how many, 1 walks in place); the report is the same either way.
    """
    acknowledged = _acknowledged(db)
    anchors = head_key.read_anchors(db.path)
    wanted = {anchor.head.seq for anchor in anchors}
    if acknowledged is not None:
        wanted.add(acknowledged[0].seq)
    walking = parallel_walk.start(db, wanted, MAX_PROBLEMS, workers)
    try:
        report, walked = _check_file_and_chain(db, acknowledged, wanted, walking)
        head, problems = report.head, report.problems
        report.links = walked.links
        baselined = bool(
            db.read("SELECT 1 FROM audit_event WHERE action = :a LIMIT 1", {"a": BASELINE})
        )
        key = head_key.for_database(db.path)
        pieces = walking.pieces if walking is not None else None
        problems.extend(compare(db, walked.facts, key, baselined=baselined, pieces=pieces))
    finally:
        if walking is not None:
            walking.close()
    last_head = ChainHead(walked.last_seq, walked.last_hash)
    if head.seq > last_head.seq:
        problems.append(t("verify.newest_gone", head=head.seq, last=last_head.seq))
    elif head != last_head:
        problems.append(t("verify.head_mismatch", head=head.short, last=last_head.short))
    if acknowledged is not None:
        ack, where = acknowledged
        if ack.seq > last_head.seq:
            problems.append(
                t("verify.after_handover", where=where, ack=ack.seq, last=last_head.seq)
            )
        elif ack.seq and walked.hashes.get(ack.seq) != ack.hash:
            problems.append(t("verify.handover_differs", where=where, ack=ack.seq))
    _check_sealed(db, keys, report)
    _check_signature(db, report, key, anchors, walked.hashes)
    _check_open_count(db, report)
    del problems[MAX_PROBLEMS:]
    return report


_OPEN_CHECK = (
    "SELECT (SELECT open_count FROM open_count WHERE id = 1), "
    "(SELECT count(*) FROM incident WHERE is_open = TRUE)"
)
"""The store's open counter (migration 0026) and a count of the rows, in one snapshot."""


def _check_open_count(db: Database, report: VerifyReport) -> None:
    """The open counter must equal a count of the open rows; a wrong one is set right.

    The counter is kept by triggers, so it goes wrong only when rows were written with
    them off (a bulk load, a data-only restore with ``--disable-triggers``). It is not
    part of the record, only the queue's height and the status line's number: set it
    right and say so (:attr:`VerifyReport.repaired`), or, where it cannot be written,
    report it as a problem.
    """
    from sqlalchemy.exc import SQLAlchemyError

    stored, counted = db.read(_OPEN_CHECK)[0]
    if stored == counted:
        return
    try:
        reset_open_count(db)
    except (DutyDeskError, SQLAlchemyError) as exc:  # a read-only copy: say it, change nothing
        why = str(exc) if isinstance(exc, DutyDeskError) else type(exc).__name__
        report.problems.append(t("verify.open_count_kept", stored=stored, counted=counted, why=why))
        return
    report.repaired.append(t("verify.open_count", stored=stored, counted=counted))


def reset_open_count(db: Database) -> None:
    """Set the store's open counter to a count of the open incidents (one write).

    On PostgreSQL the counter row is locked before the count is read: a writer that
    opened or closed an incident earlier holds that lock until it commits (its trigger
    updated the row), so the count, a later statement, sees its row; one that comes
    after waits for this commit, then adds its own change. SQLite: one writer at a time.
    """
    from sqlalchemy import text

    with db.session() as session:
        if not db.is_sqlite:
            session.execute(text("SELECT open_count FROM open_count WHERE id = 1 FOR UPDATE"))
        session.execute(
            text(
                "UPDATE open_count SET open_count = "
                "(SELECT count(*) FROM incident WHERE is_open = TRUE) WHERE id = 1"
            )
        )


def _check_signature(
    db: Database,
    report: VerifyReport,
    key: bytes | None,
    anchors: list[head_key.Anchor],
    hashes: dict[int, str | None],
) -> None:
    """The head's MAC, and every anchored head still on the chain (issue 17, item 8)."""
    head, problems = report.head, report.problems
    report.signed = head_key.signed_short(head, key)
    report.anchors = len(anchors)
    rows = db.read("SELECT mac FROM chain_state WHERE id = 1")
    stored = str(rows[0][0]) if rows and rows[0][0] else None
    if key is None:
        report.signature = t("verify.unsigned_no_key")
    elif head.seq == 0:
        report.signature = t("verify.signed_empty")
    elif stored is None and not anchors:
        report.signature = t("verify.unsigned_yet")
    elif stored != head_key.mac(key, head):
        problems.append(t("verify.bad_signature", head=head.short))
    else:
        report.signature = t("verify.signed_ok", head=report.signed)
    for anchor in anchors:
        where = t("verify.anchor", line=anchor.line, at=anchor.at)
        if hashes.get(anchor.head.seq) != anchor.head.hash:
            problems.append(t("verify.anchor_gone", where=where, head=anchor.head.short))
        elif anchor.handover_id is not None:
            _check_anchored_handover(db, anchor, where, problems)


def _check_anchored_handover(
    db: Database, anchor: head_key.Anchor, where: str, problems: list[str]
) -> None:
    rows = db.read(
        "SELECT acknowledged_at, chain_head FROM handover WHERE id = :id",
        {"id": anchor.handover_id},
    )
    if not rows:
        problems.append(t("verify.anchor_handover_gone", where=where, id=anchor.handover_id))
    elif rows[0][0] is None or str(rows[0][1] or "") != str(anchor.head):
        problems.append(t("verify.anchor_unacknowledged", where=where, id=anchor.handover_id))


def baseline_if_needed(db: Database) -> int | None:
    """Give every row written before state facts its first fact; once per database.

    The first ``verify`` after the upgrade does it (a migration cannot: the digests need
    the head key, which is not in the database). Returns how many rows were recorded,
    ``None`` when the chain has its baseline already.
    """
    done = db.read("SELECT 1 FROM audit_event WHERE action = :a LIMIT 1", {"a": BASELINE})
    if done:
        return None
    from dutydesk.services.integrity.state_facts import baseline

    known = {
        (str(r[0]), str(r[1]))
        for r in db.read(
            "SELECT object_type, object_id FROM audit_event WHERE action IN (:s, :d)",
            {"s": STATE, "d": DELETED},
        )
    }
    return baseline(db, known)


_HEAD_TEXT = re.compile(r"#?\s*(\d+)[:\s]+([0-9a-f]{16,64})(?:…?[:\s]+✓?([0-9a-f]{8,64}))?…?")


def check_head(db: Database, text: str) -> tuple[bool, str]:
    """Whether a head copied from paper or another machine is on the chain (``--head``).

    ``SEQ:HASH`` or ``SEQ:HASH:MAC``, either in full or as packs print them (the first 16
    hex digits of each, ``#57 3f9a1c2b… ✓5e0c47a1…`` is read too). Only that link is
    looked at: ``verify`` without ``--head`` checks the links before it.

    Raises:
        ValueError: the text is not a head.

    """
    found = _HEAD_TEXT.fullmatch(text.strip().lower())
    if found is None:
        raise ValueError(t("verify.head_unreadable"))
    seq, prefix, signature = int(found[1]), found[2], found[3] or ""
    shown = f"#{seq} {prefix[:16]}"
    rows = db.read(
        "SELECT hash FROM timeline_entry WHERE chain_seq = :s "
        "UNION ALL SELECT hash FROM audit_event WHERE chain_seq = :s",
        {"s": seq},
    )
    last = chain_head(db).seq
    if not rows:
        return False, t("verify.head_missing", head=shown, last=last)
    stored = str(rows[0][0])
    if not stored.startswith(prefix):
        return False, t("verify.head_differs", head=shown)
    key = head_key.for_database(db.path)
    if (
        signature
        and key is not None
        and not head_key.mac(key, ChainHead(seq, stored)).startswith(signature)
    ):
        return False, t("verify.head_bad_mac", head=shown)
    return True, t("verify.head_found", head=shown, last=last)


def backup(db: Database, target: Path) -> ChainHead:
    """Copy the database to ``target`` while consoles run; its chain head.

    PostgreSQL: ``pg_dump`` in its custom format (:mod:`.pg_backup`). SQLite: the
    online backup API, as follows.

    The copy is made in one step of the backup API, from one read snapshot (WAL lets
    writers go on meanwhile), into ``<target>.partial``, checked with
    ``PRAGMA integrity_check``, then renamed, so ``target`` is never a half copy.
    The key file is not copied: keep it apart from the database copies.

    Returns:
        The chain head of the copy, to note beside it.

    Raises:
        DatabaseError: not SQLite, the target exists or is the database, or the copy
            fails its check.

    """
    target = target.expanduser().absolute()
    if db.url.startswith("postgresql"):
        from dutydesk.services.integrity.pg_backup import pg_backup

        return pg_backup(db, target)
    if db.path is None:
        raise DatabaseError(t("backup.not_sqlite"))
    if target.exists():
        raise DatabaseError(t("backup.exists", target=target))
    if not target.parent.is_dir():
        raise DatabaseError(t("backup.no_dir", target=target))
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    create_private_file(partial)  # a copy of the record: 0600, as the database is
    source = sqlite3.connect(db.path, timeout=10)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # pages=-1: everything in one step, from one snapshot
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        row = copy.execute("SELECT seq, hash FROM chain_state WHERE id = 1").fetchone()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        if disk_full(exc, partial):
            raise disk_full_error(target) from None
        raise DatabaseError(t("backup.failed", detail=str(exc))) from None
    finally:
        copy.close()
        source.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise DatabaseError(t("backup.failed", detail=str(check)))
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    return ChainHead(int(row[0]), str(row[1])) if row else ChainHead(0, GENESIS)
