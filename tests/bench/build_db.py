"""Build a large dutydesk database for the benchmark: N incidents with timelines.

The schema is the head schema (every migration run on the empty file); rows go in with
plain ``sqlite3.executemany`` in large transactions. The chain is computed here, the way
the app computes it (:func:`dutydesk.rules.chain.link_hash` over the same content, the
state fact of every incident from :func:`state_facts.state` of the row as read back,
the head signed with the head key), so ``dutydesk verify`` passes on the result. The
search index triggers are dropped for the load and the index is filled once at the end
(as :meth:`Database.rebuild_search_index` does, on the load's connection). Loading at
schema 0001 and migrating instead took 26 min for 200k (0005 backfilled the chain one
UPDATE per row). Not part of the test run.

    python tests/bench/build_db.py /tmp/bench.sqlite3 --incidents 1000000 --open-fraction 1.0
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dutydesk.rules.chain import GENESIS, ChainHead, document_hash
from dutydesk.services.integrity import head_key
from dutydesk.services.integrity.state_check import normal_row
from dutydesk.services.integrity.state_facts import (
    BASELINE,
    KEY_FIELD,
    STATE,
    WATCHED,
    columns,
    encode,
    key_of,
    kind_of,
)
from dutydesk.storage.engine import Database, url_for
from dutydesk.storage.search import SQLITE_DROP, install_sqlite, sqlite_has_trigram
from dutydesk.vocab import Category, Channel, Classification, Severity

TITLES = [
    "燃气泄漏",
    "交通事故",
    "群众来访反映欠薪",
    "供暖不热",
    "停水",
    "山体滑坡",
    "食物中毒",
    "网络舆情：噪音扰民",
    "火灾",
    "停电",
    "道路塌陷",
    "化工厂异味",
]
PLACES = ["幸福路12号", "临川区城关镇", "东湖县", "高新区", "南城街道", "北山乡"]
FORMAT = "%Y-%m-%d %H:%M:%S.%f"


BATCH = 50_000
"""Incidents per transaction."""

CACHE_KB = 1_000_000
"""The load's page cache (KiB): the three tables' indexes stay in memory while rows go in."""

_EVENT_SQL = (
    "INSERT INTO audit_event (id, occurred_at, actor_id, action, object_type, object_id, "
    "detail, chain_seq, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)"
)
_ENTRY_SQL = (
    "INSERT INTO timeline_entry (id, incident_id, seq, kind, occurred_at, recorded_at, "
    "actor_id, actor_name, text, report_no, target, due_at, refers_to_id, chain_seq, "
    "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_INCIDENT_SQL = (
    "INSERT INTO incident (id, serial, serial_date, serial_no, received_at, channel, "
    "category, severity, severity_rank, title, summary, classification, status, is_open, "
    "due_at, due_step, created_at, updated_at, reporter_name, reporter_unit, "
    "reporter_phone, location, assigned_leader, assigned_department, version) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'','','','','','',1)"
)


class _Chain:
    """The chain as the app appends to it (services.integrity.chain.append), in memory."""

    def __init__(self, key: bytes | None) -> None:
        self.key = key
        self.seq, self.hash = 0, GENESIS
        self.event_id = 0
        self.events: list[tuple[object, ...]] = []

    def link(self, table: str, content: dict[str, Any]) -> tuple[int, str, str]:
        """The next (chain_seq, prev_hash, hash) for a record with ``content``.

        ``content`` is already in its plain form (times as canonical text): the hash is
        :func:`~dutydesk.rules.chain.link_hash`'s without a ``datetime`` per time.
        """
        seq, prev = self.seq + 1, self.hash
        self.seq, self.hash = seq, document_hash(prev, table, seq, content)
        return seq, prev, self.hash

    def event(self, moment: datetime, action: str, kind: str, row: str, detail: str) -> None:
        """Chain an audit event (a state fact or the baseline marker)."""
        self.event_id += 1
        stamp = moment.strftime(FORMAT)
        content = {
            "occurred_at": _plain_time(stamp),
            "actor_id": None,
            "action": action,
            "object_type": kind,
            "object_id": row,
            "detail": detail,
        }
        seq, prev, digest = self.link("audit_event", content)
        self.events.append(
            (self.event_id, stamp, None, action, kind, row, detail, seq, prev, digest)
        )

    def head_row(self) -> tuple[int, str, str | None]:
        """``chain_state``'s values: seq, hash, and the head's MAC under the head key."""
        head = ChainHead(self.seq, self.hash)
        return self.seq, self.hash, head_key.mac(self.key, head) if self.key else None


def _fill_search_index(conn: sqlite3.Connection) -> None:
    """:func:`dutydesk.storage.search.rebuild` on the load's own connection.

    Without a journal: through the store's connection (WAL, ``synchronous=FULL``) the
    fill wrote the whole index to the WAL first (about 1 GB at 1M incidents), then again.
    """
    if not sqlite_has_trigram(conn):
        return
    conn.execute("BEGIN")
    for statement in SQLITE_DROP:
        conn.execute(statement)
    install_sqlite(conn.execute)
    conn.execute("COMMIT")


def _plain_time(stamp: str) -> str:
    """A stored time (``FORMAT``) as the chain's canonical text (``rules.chain.plain``)."""
    return f"{stamp[:10]}T{stamp[11:]}Z"


def _drop_indexes(conn: sqlite3.Connection) -> list[str]:
    """Drop the loaded tables' explicit indexes; their ``CREATE INDEX`` statements, as stored.

    Made again from the same text after the load, so ``sqlite_master`` holds the head
    schema's exact SQL (unique constraints' own indexes stay: they cannot be dropped).
    """
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('incident', 'timeline_entry', 'audit_event') ORDER BY name"
    ).fetchall()
    for name, _sql in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in rows]


def _facts(conn: sqlite3.Connection, chain: _Chain, first: int, last: int, now: datetime) -> None:
    """Chain the state fact of incidents ``first``..``last``, from the rows as stored."""
    names = [c.name for c in columns(WATCHED["incident"])]
    kinds = [(name, kind_of("incident", name)) for name in names]
    key_id = head_key.key_id(chain.key)
    sql = f"SELECT {', '.join(names)} FROM incident WHERE id BETWEEN ? AND ? ORDER BY id"  # noqa: S608
    for values in conn.execute(sql, (first, last)):
        raw = dict(zip(names, values, strict=True))
        # state_facts.state of the row, by verify's fast path of the same values
        document = normal_row("incident", raw, kinds, chain.key)
        document[KEY_FIELD] = key_id
        chain.event(now, STATE, "incident", key_of(WATCHED["incident"], raw), encode(document))


def build(path: Path, incidents: int, open_fraction: float, seed: int = 7) -> dict[str, Any]:
    """Create ``path`` with ``incidents`` incidents, about three entries each, all chained."""
    for old in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        old.unlink(missing_ok=True)
    began = time.perf_counter()
    database = Database(url_for(str(path)))
    database.ensure_schema()
    database.close()
    chain = _Chain(head_key.for_database(path, create=True))
    rng = random.Random(seed)
    end = datetime(2026, 11, 26, tzinfo=UTC)
    start = end - timedelta(days=365)
    span = (end - start).total_seconds()
    conn = sqlite3.connect(path, isolation_level=None)
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    # Bulk load of a new file only (a crash leaves a file to delete, nothing to keep): no
    # journal, no fsync, a large page cache. The console runs with WAL and FULL.
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute(f"PRAGMA cache_size=-{CACHE_KB}")
    indexes = _drop_indexes(conn)
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_%'"
    ).fetchall()
    for name, _sql in triggers:  # the index is filled once at the end instead
        conn.execute(f'DROP TRIGGER "{name}"')
    chain.event(start, BASELINE, "", "", "new record")  # as the first append of a new record
    stamps = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(incidents))
    built = {"entries": 0, "day": {}}
    for first in range(0, incidents, BATCH):
        batch = stamps[first : first + BATCH]
        rows, entries = _batch(rng, chain, batch, first + 1, open_fraction, built)
        conn.execute("BEGIN")
        conn.executemany(_INCIDENT_SQL, rows)
        conn.executemany(_ENTRY_SQL, entries)
        _facts(conn, chain, first + 1, first + len(batch), end)
        conn.executemany(_EVENT_SQL, chain.events)
        chain.events.clear()
        conn.execute(
            "UPDATE chain_state SET seq = ?, hash = ?, mac = ? WHERE id = 1", chain.head_row()
        )
        conn.execute("COMMIT")
    for sql in indexes:  # one sorted build per index rather than a random insert per row
        conn.execute(sql)
    loaded = time.perf_counter()
    _fill_search_index(conn)
    conn.execute("ANALYZE")
    conn.execute(f"PRAGMA journal_mode={mode}")
    conn.close()
    return {
        "incidents": incidents,
        "entries": built["entries"],
        "links": chain.seq,
        "build_seconds": round(time.perf_counter() - began, 1),
        "index_seconds": round(time.perf_counter() - loaded, 1),
    }


def _batch(
    rng: random.Random,
    chain: _Chain,
    stamps: list[datetime],
    first_id: int,
    open_fraction: float,
    built: dict[str, Any],
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The incident rows and chained timeline entries of one batch."""
    severities, channels, categories = list(Severity), list(Channel), list(Category)
    rows: list[tuple[object, ...]] = []
    entries: list[tuple[object, ...]] = []
    per_day: dict[str, int] = built["day"]
    for index, received in enumerate(stamps, start=first_id):
        day = (received + timedelta(hours=8)).strftime("%Y%m%d")
        number = per_day[day] = per_day.get(day, 0) + 1
        severity = rng.choice(severities)
        is_open = rng.random() < open_fraction
        due = received + timedelta(minutes=rng.randint(10, 4000)) if is_open else None
        title = f"{rng.choice(PLACES)}{rng.choice(TITLES)}"
        stamp = received.strftime(FORMAT)
        classification = Classification.SECRET if index % 997 == 0 else Classification.INTERNAL
        rows.append(
            (
                index,
                f"{day}-{number:03d}",
                f"{day[:4]}-{day[4:6]}-{day[6:]}",
                number,
                stamp,
                rng.choice(channels).value,
                rng.choice(categories).value,
                severity.value,
                severity.rank,
                title,
                f"据报，{title}，情况正在核实。",
                classification.value,
                "following" if is_open else "closed",
                1 if is_open else 0,
                due.strftime(FORMAT) if due else None,
                "continued_report" if is_open else None,
                stamp,
                stamp,
            )
        )
        recorded = _plain_time(stamp)
        for seq, (kind, minutes) in enumerate(
            (("received", 0), ("phone_report", 12), ("first_report", 45)), 1
        ):
            built["entries"] += 1
            occurred = (received + timedelta(minutes=minutes)).strftime(FORMAT)
            content: dict[str, Any] = {
                "incident_id": index,
                "seq": seq,
                "kind": kind,
                "occurred_at": _plain_time(occurred),
                "recorded_at": recorded,
                "actor_id": None,
                "actor_name": "值班员",
                "text": f"{title}：{kind}",
                "report_no": None,
                "target": "",
                "due_at": None,
                "refers_to_id": None,
            }
            link = chain.link("timeline_entry", content)
            entries.append(
                (
                    built["entries"],
                    index,
                    seq,
                    kind,
                    occurred,
                    stamp,
                    None,
                    "值班员",
                    content["text"],
                    None,
                    "",
                    None,
                    None,
                    *link,
                )
            )
    return rows, entries


def main() -> None:
    """Command-line entry: build the database and print what was built."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--open-fraction", type=float, default=1.0)
    args = parser.parse_args()
    print(build(args.path, args.incidents, args.open_fraction))


if __name__ == "__main__":
    main()
