"""Build a large dutydesk database for the benchmark: N incidents with timelines.

The schema is the head schema (every migration run on the empty file); rows go in with
plain ``sqlite3.executemany`` in large transactions. The chain is computed here, the way
the app computes it (:func:`dutydesk.rules.chain.link_hash` over the same content, the
state fact of every incident from :func:`state_facts.state` of the row as read back,
the head signed with the head key), so ``dutydesk verify`` passes on the result. Rows,
chain and facts are made in a second process while this one inserts (issue 16: two
cores). The search index triggers are dropped for the load and put back from their
stored text after it; each incident's two search documents are made in Python from its
rows (:mod:`tests.bench.build_search`) and go in beside them, then each index is
optimized once, as :meth:`Database.rebuild_search_index` leaves it. Loading at schema
0001 and
migrating instead took 26 min for 200k (0005 backfilled the chain one UPDATE per row).
Not part of the test run.

    python tests/bench/build_db.py /tmp/bench.sqlite3 --incidents 1000000 --open-fraction 1.0
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sqlite3
import sys
import time
import traceback
from collections.abc import Generator, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from queue import Empty
from typing import Any

from dutydesk.rules.chain import CHAINED_COLUMNS, GENESIS, ChainHead, values_hash
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
from dutydesk.storage.search import _key_sql, sqlite_fill
from dutydesk.vocab import Category, Channel, Classification, Severity

try:
    from tests.bench.build_search import INCIDENT_FIELDS, documents
except ModuleNotFoundError:  # run as a script: only this file's directory is on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.bench.build_search import INCIDENT_FIELDS, documents

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
"""How a time is stored; :func:`_stored` makes the same text without ``strftime``."""


BATCH = 50_000
"""Incidents per transaction."""

CACHE_KB = 1_000_000
"""The load's page cache (KiB): the three tables' indexes stay in memory while rows go in."""

FTS_HASH_BYTES = 256 << 20
"""FTS5's in-memory terms before it writes a segment, for the load only (1 MB by default).

A batch's documents then go to disk as one segment per table, not hundreds that FTS5
merges again and again before the final ``optimize``: search part 19.4 -> 12.0 s CPU at
300k incidents, 63 MB more peak memory. The setting is a row of each table's
``_config``, deleted after the load: the file's index is then configured as the app's.
"""

_FTS_TABLES = ("search_tri", "search_bi")

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
        values = [content[name] for name in CHAINED_COLUMNS[table]]
        self.seq, self.hash = seq, values_hash(prev, table, seq, values)
        return seq, prev, self.hash

    def event(self, moment: datetime, action: str, kind: str, row: str, detail: str) -> None:
        """Chain an audit event (a state fact or the baseline marker)."""
        self.event_id += 1
        stamp = _stored(moment)
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


class _Parts:
    """Wall and CPU seconds of the build's parts, for the figures in tests/bench/README.md."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        """Count the block's wall and CPU time (this process) under ``name``."""
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            spent = self.seconds.setdefault(name, [0.0, 0.0])
            spent[0] += time.perf_counter() - wall
            spent[1] += time.process_time() - cpu

    def report(self) -> dict[str, dict[str, float]]:
        """``{part: {"wall": s, "cpu": s}}``, rounded."""
        return {
            name: {"wall": round(wall, 1), "cpu": round(cpu, 1)}
            for name, (wall, cpu) in self.seconds.items()
        }


_KEYS_SQL = f"SELECT {_key_sql('i')} FROM incident i WHERE i.id BETWEEN ? AND ? ORDER BY i.id"  # noqa: S608 - the app's key SQL over a constant alias
"""The FTS rowid of each incident of a batch, by the app's own SQL over the stored row."""


def _add_documents(
    conn: sqlite3.Connection, documents: list[tuple[str, str]], first: int, last: int
) -> None:
    """Insert the search documents of incidents ``first``..``last`` (in id order).

    Ids follow the received time, so the rowids rise: FTS5 flushes a segment whenever a
    rowid goes backwards (``sqlite_fill`` feeds it in received order for the same reason).
    """
    keys = [key for (key,) in conn.execute(_KEYS_SQL, (first, last))]
    conn.executemany(
        "INSERT INTO search_tri(rowid, doc) VALUES (?, ?)",
        [(key, tri) for key, (tri, _bi) in zip(keys, documents, strict=True)],
    )
    conn.executemany(
        "INSERT INTO search_bi(rowid, grams) VALUES (?, ?)",
        [(key, bi) for key, (_tri, bi) in zip(keys, documents, strict=True)],
    )


_DOC_COLUMNS = {
    "serial": 1,
    "title": 9,
    "summary": 10,
    "classification": 11,
    "channel": 5,
    "category": 6,
    "severity": 7,
    "status": 12,
    "is_open": 13,
}
"""Where ``_INCIDENT_SQL`` puts what the search documents read (the rest is ``''``)."""


def _documents(made: _Batch) -> list[tuple[str, str]]:
    """Each incident's two search documents, from its rows as inserted.

    Made by the loader: in the pipeline it has time to spare, the row maker has none.
    """
    texts: dict[object, list[tuple[str, str]]] = {}
    for entry in made.entries:  # in incident, then seq order; (text, target) at 8 and 10
        texts.setdefault(entry[1], []).append((str(entry[8]), str(entry[10])))
    at = _DOC_COLUMNS
    found = []
    for row in made.incidents:
        fields = dict.fromkeys(INCIDENT_FIELDS, "")
        fields |= {"serial": str(row[at["serial"]]), "title": str(row[at["title"]])}
        fields["summary"] = str(row[at["summary"]])
        filters = {
            name: row[at[name]] for name in ("status", "category", "severity", "channel", "is_open")
        }
        classification = str(row[at["classification"]])
        found.append(documents(list(fields.values()), classification, texts[row[0]], filters))
    return found


def _hash_size(conn: sqlite3.Connection, size: int) -> None:
    """Set :data:`FTS_HASH_BYTES` on both FTS5 tables (``size`` 0: take the row out again)."""
    for table in _FTS_TABLES:
        if size:
            sql = f"INSERT INTO {table}({table}, rank) VALUES ('hashsize', ?)"  # noqa: S608 - constant names
            conn.execute(sql, (size,))
        else:
            conn.execute(f"DELETE FROM {table}_config WHERE k = 'hashsize'")  # noqa: S608 - constant names


def _optimize_search_index(conn: sqlite3.Connection) -> None:
    """The last statements of the app's fill: one b-tree segment per index."""
    for statement in sqlite_fill():
        if "'optimize'" in statement:
            conn.execute(statement)
    _hash_size(conn, 0)


def _stored(moment: datetime) -> str:
    """``moment`` (UTC) as stored, ``FORMAT``'s text: ``isoformat`` is 3x ``strftime``."""
    return moment.isoformat(" ", "microseconds")[:26]


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


def _drop_search_triggers(conn: sqlite3.Connection) -> list[str]:
    """Drop the search index's triggers; their stored ``CREATE TRIGGER`` text, in order.

    The builder writes the documents itself; the triggers are made again from the same
    text after the load, as the indexes are.
    """
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_%' "
        "ORDER BY rowid"
    ).fetchall()
    for name, _sql in rows:
        conn.execute(f'DROP TRIGGER "{name}"')
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


@dataclass
class _Plan:
    """What the row maker needs (picklable: it may run in a process of its own)."""

    incidents: int
    open_fraction: float
    seed: int
    key: bytes | None
    incident_table: str
    """The file's ``CREATE TABLE incident``: rows are read back through it (state facts)."""
    batch: int = BATCH


@dataclass
class _Batch:
    """One transaction's rows, all chained, and the chain's head after them."""

    first: int
    last: int
    incidents: list[tuple[object, ...]]
    entries: list[tuple[object, ...]]
    events: list[tuple[object, ...]]
    head: tuple[int, str, str | None]


def _make_batches(plan: _Plan, parts: _Parts) -> Generator[_Batch, None, None]:
    """Generate every batch: rows, timeline entries, the chain and the state facts.

    The state fact of an incident is made from the row as SQLite gives it back (defaults,
    affinities), so each batch's incidents first go into an in-memory table made from the
    file's own ``CREATE TABLE``: the same values the load's file would return, without
    waiting for the load (issue 16: this half then runs beside the inserts).
    """
    chain = _Chain(plan.key)
    rng = random.Random(plan.seed)
    end = datetime(2026, 11, 26, tzinfo=UTC)
    start = end - timedelta(days=365)
    span = (end - start).total_seconds()
    readback = sqlite3.connect(":memory:", isolation_level=None)
    readback.execute(plan.incident_table)
    chain.event(start, BASELINE, "", "", "new record")  # as the first append of a new record
    count = plan.incidents
    stamps = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(count))
    built = {"entries": 0, "day": {}}
    for first in range(0, count, plan.batch):
        batch = stamps[first : first + plan.batch]
        last = first + len(batch)
        with parts("generate"):
            rows, entries = _batch(rng, chain, batch, first + 1, plan.open_fraction, built)
        with parts("facts"):
            readback.execute("DELETE FROM incident")
            readback.executemany(_INCIDENT_SQL, rows)
            _facts(readback, chain, first + 1, last, end)
        events, chain.events = chain.events, []
        yield _Batch(first + 1, last, rows, entries, events, chain.head_row())
    readback.close()


def _maker(plan: _Plan, queue: Any) -> None:
    """The row maker's process: each batch onto ``queue``, then its parts (or its error)."""
    parts = _Parts()
    try:
        for batch in _make_batches(plan, parts):
            queue.put(batch)
    except BaseException:  # the loader must stop, not wait for a batch that never comes
        queue.put(traceback.format_exc())
        raise
    queue.put(parts)


def _next(queue: Any, maker: Any) -> object:
    """The maker's next item; an error if it died without one (killed, out of memory)."""
    while True:
        try:
            return queue.get(timeout=1)
        except Empty:
            if not maker.is_alive():
                try:  # its last item may still be in the pipe
                    return queue.get(timeout=1)
                except Empty:
                    code = maker.exitcode
                    raise RuntimeError(f"the row maker stopped (exit code {code})") from None


def _batches_beside(plan: _Plan, parts: _Parts) -> Generator[_Batch, None, None]:
    """:func:`_make_batches` run in a second process, two batches ahead of the load.

    The chain is sequential but making rows and inserting them are not: on two cores the
    Python half and the SQLite half overlap. ``spawn``, not ``fork``: the loader holds an
    open SQLite connection and may run inside a test process with threads.
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue(maxsize=2)
    # daemon: a loader that fails leaves no maker behind, blocked on a full queue
    maker = context.Process(target=_maker, args=(plan, queue), name="build_db rows", daemon=True)
    maker.start()
    try:
        while True:
            with parts("wait"):
                item = _next(queue, maker)
            if isinstance(item, _Batch):
                yield item
            elif isinstance(item, _Parts):  # the last item: the maker is done
                for name, (wall, cpu) in item.seconds.items():
                    parts.seconds[f"maker_{name}"] = [wall, cpu]
                break
            else:
                raise RuntimeError(f"the row maker failed:\n{item}")
    finally:
        maker.join(timeout=5)  # at once after its parts; on an error it may wait on put
        if maker.is_alive():
            maker.terminate()
            maker.join()


def build(
    path: Path,
    incidents: int,
    open_fraction: float,
    seed: int = 7,
    *,
    beside: bool | None = None,
    batch: int = BATCH,
) -> dict[str, Any]:
    """Create ``path`` with ``incidents`` incidents, about three entries each, all chained.

    ``beside``: make the rows in a second process while this one inserts (the default
    above one batch); the file is the same either way (``tests/test_build_db.py``).
    ``batch``: incidents per transaction.
    """
    for old in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        old.unlink(missing_ok=True)
    began = time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = children.ru_utime + children.ru_stime  # a test process's earlier children
    parts = _Parts()
    with parts("schema"):
        database = Database(url_for(str(path)))
        database.ensure_schema()
        database.close()
    conn = sqlite3.connect(path, isolation_level=None)
    (table,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'incident'").fetchone()
    key = head_key.for_database(path, create=True)
    plan = _Plan(incidents, open_fraction, seed, key, table, batch)
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    # Bulk load of a new file only (a crash leaves a file to delete, nothing to keep): no
    # journal, no fsync, a large page cache. The console runs with WAL and FULL.
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute(f"PRAGMA cache_size=-{CACHE_KB}")
    indexes = _drop_indexes(conn)
    # No trigram tokenizer (SQLite < 3.34): the migrations made no index, none is filled.
    searched = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_tri'").fetchone()
    triggers = _drop_search_triggers(conn)
    if searched:
        _hash_size(conn, FTS_HASH_BYTES)
    if beside is None:
        beside = incidents > batch
    batches = _batches_beside(plan, parts) if beside else _make_batches(plan, parts)
    entries = links = 0
    with closing(batches):  # closed at once on an error: the maker is stopped
        for made in batches:
            with parts("insert"):
                conn.execute("BEGIN")
                conn.executemany(_INCIDENT_SQL, made.incidents)
                conn.executemany(_ENTRY_SQL, made.entries)
                conn.executemany(_EVENT_SQL, made.events)
                conn.execute(
                    "UPDATE chain_state SET seq = ?, hash = ?, mac = ? WHERE id = 1", made.head
                )
            with parts("search"):
                if searched:
                    _add_documents(conn, _documents(made), made.first, made.last)
            conn.execute("COMMIT")
            entries += len(made.entries)
            links = made.head[0]
    with parts("indexes"):
        for sql in indexes:  # one sorted build per index rather than a random insert per row
            conn.execute(sql)
    with parts("optimize"):
        for sql in triggers:
            conn.execute(sql)
        if searched:
            _optimize_search_index(conn)
    with parts("analyze"):
        conn.execute("ANALYZE")
        conn.execute(f"PRAGMA journal_mode={mode}")
    conn.close()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    maker_cpu = children.ru_utime + children.ru_stime - before
    return {
        "incidents": incidents,
        "entries": entries,
        "links": links,
        "build_seconds": round(time.perf_counter() - began, 1),
        "cpu_seconds": round(time.process_time(), 1),
        "maker_cpu_seconds": round(maker_cpu, 1),
        "parts": parts.report(),
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
        day = _stored(received + timedelta(hours=8))[:10]
        number = per_day[day] = per_day.get(day, 0) + 1
        severity = rng.choice(severities)
        is_open = rng.random() < open_fraction
        due = received + timedelta(minutes=rng.randint(10, 4000)) if is_open else None
        title = f"{rng.choice(PLACES)}{rng.choice(TITLES)}"
        stamp = _stored(received)
        classification = Classification.SECRET if index % 997 == 0 else Classification.INTERNAL
        serial = f"{day[:4]}{day[5:7]}{day[8:]}-{number:03d}"
        summary = f"据报，{title}，情况正在核实。"
        channel, category = rng.choice(channels).value, rng.choice(categories).value
        status = "following" if is_open else "closed"
        rows.append(
            (
                index,
                serial,
                day,
                number,
                stamp,
                channel,
                category,
                severity.value,
                severity.rank,
                title,
                summary,
                classification.value,
                status,
                1 if is_open else 0,
                _stored(due) if due else None,
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
            occurred = _stored(received + timedelta(minutes=minutes))
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
    parser.add_argument(
        "--in-process", action="store_true", help="make the rows in this process, not beside"
    )
    args = parser.parse_args()
    print(build(args.path, args.incidents, args.open_fraction, beside=not args.in_process))


if __name__ == "__main__":
    main()
