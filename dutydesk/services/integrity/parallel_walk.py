"""``verify``'s chain walk in stretches, side by side in worker processes (issue 16).

Every link is checked against the stored hash of the link before it, so a stretch of
the chain (a range of ``chain_seq``) can be checked on its own: each worker process
walks one stretch from its own read of the SQLite file (:func:`.chain_walk.walk_part`)
and :func:`.chain_walk.join` checks where the stretches meet (a stretch's first link
against the last link of the one before) and puts the problems in the order one walk
would have found them. The messages, the first bad link named and the exit code are
the same as one walk's (``tests/test_verify_parallel.py``); the bytes hashed are too
(the same :func:`.chain_walk.walk_part`).

Only a SQLite file with a long chain on a machine with two or more cores is walked so
(:func:`workers_for`); the parent meanwhile runs SQLite's ``integrity_check``, which
needs no Python. A worker never sends an exception back (its traceback could quote a
row): it sends one line, the store's own error or the exception's type, and the parent
raises :class:`~dutydesk.errors.DatabaseError` with it.
"""

from __future__ import annotations

import bisect
import multiprocessing
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from dutydesk.errors import DatabaseError, DutyDeskError
from dutydesk.i18n import t
from dutydesk.services.integrity import canonical_sql
from dutydesk.services.integrity.chain_walk import Part, Walk, join, purge_events, walk_part
from dutydesk.services.integrity.row_facts import RowFacts

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult, Pool

    from dutydesk.storage.engine import Database

PARALLEL_FROM = 100_000
"""Links from which the chain is walked in stretches. Below it one walk takes a few
seconds at most, and starting the workers would be a noticeable part of that."""

MAX_WORKERS = 4
"""At most this many worker processes: reading the file is shared anyway."""

Stretch = tuple[int | None, int | None]
_T = TypeVar("_T")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def workers_for(db: Database, links: int) -> int:
    """How many worker processes walk a chain of about ``links`` links (1: walk in place).

    More than one only for a SQLite file (each worker opens it; a server or an
    in-memory database is walked in place), a chain of :data:`PARALLEL_FROM` links or
    more, and a machine with more than one core to give them, where ``fork`` exists
    (the workers start from the parent's loaded modules, not from a fresh import).
    """
    if not (db.is_sqlite and db.path is not None and links >= PARALLEL_FROM):
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(_cores(), MAX_WORKERS))


def stretches(low: int, high: int, count: int) -> list[Stretch]:
    """``count`` ranges of ``chain_seq`` splitting ``low..high`` evenly; the ends open.

    The first stretch has no lower bound and the last no upper one, so a link whose
    number is out of every expected range (zero, negative, far past the head) is still
    walked, by the stretch at that end.
    """
    size = high - low + 1
    bounds = [low + size * i // count for i in range(1, count)]
    ends: list[int | None] = [None, *bounds, None]
    return [(ends[i], ends[i + 1]) for i in range(count)]


def seq_bounds(db: Database) -> tuple[int, int] | None:
    """The lowest and highest ``chain_seq`` of both chained tables (``None``: no links).

    Four reads of the unique ``chain_seq`` indexes, one end each: no scan.
    """
    rows = db.read(
        "SELECT (SELECT min(chain_seq) FROM timeline_entry), "
        "(SELECT max(chain_seq) FROM timeline_entry), "
        "(SELECT min(chain_seq) FROM audit_event), "
        "(SELECT max(chain_seq) FROM audit_event)"
    )
    values = [int(v) for v in rows[0] if v is not None] if rows else []
    return (min(values), max(values)) if values else None


@dataclass(frozen=True)
class _Task:
    path: Path
    purges: set[tuple[str, int]]
    wanted: set[int]
    limit: int
    stretch: Stretch
    quick: bool


def failure(path: Path, exc: Exception) -> str:
    """A worker's failure as the one line the parent raises (never its traceback).

    The store's own error as the walk in place would raise it (it names the file and
    what SQLite said, no row); anything else by its type only, since its text could
    quote a row.
    """
    if isinstance(exc, DutyDeskError):
        return str(exc)
    return t("error.db.cannot_read", where=str(path), detail=type(exc).__name__)


def _walk_stretch(task: _Task) -> tuple[Part | None, str]:
    """In a worker: one stretch walked from its own read of the file, or one line why not."""
    from dutydesk.storage.engine import Database, sqlite_url

    try:
        db = Database(sqlite_url(task.path))
        with db.snapshot() as query:
            part = walk_part(
                query, task.purges, task.wanted, task.limit, task.stretch, quick=task.quick
            )
            return part, ""
    except Exception as exc:  # any failure goes back as one line, see failure()
        return None, failure(task.path, exc)


@dataclass(frozen=True)
class _Piece:
    path: Path
    table: str
    held: RowFacts
    key: bytes | None
    baselined: bool
    rowids: Stretch
    quick: bool


def _by_range(held: RowFacts, ranges: list[Stretch]) -> tuple[list[RowFacts], list[str]]:
    """``held`` split by the ``rowid`` range its key falls in; the keys that are no number."""
    lows = [low for low, _high in ranges[1:] if low is not None]
    given = [RowFacts() for _ in ranges]
    nowhere: list[str] = []
    for row, seq in held.items():
        try:
            number = int(row)
        except ValueError:
            nowhere.append(row)  # no row has such a key: gone, as the parent finds
            continue
        given[bisect.bisect_right(lows, number)][row] = seq
    return given, nowhere


def _compare_piece(task: _Piece) -> tuple[list[str] | None, list[str] | str]:
    """In a worker: (facts no row took, problems) of one piece, or one line why not."""
    from dutydesk.services.integrity.state_check import compare_rows, fact_functions
    from dutydesk.storage.engine import Database, sqlite_url

    held = task.held
    try:
        db = Database(sqlite_url(task.path))
        with db.snapshot(fact_functions(task.key) if task.quick else None) as query:
            lines = compare_rows(
                query,
                task.table,
                held,
                task.key,
                baselined=task.baselined,
                rowids=task.rowids,
                quick=task.quick,
            )
    except Exception as exc:  # any failure goes back as one line, see failure()
        return None, failure(task.path, exc)
    return list(held), lines


class Walking:
    """Worker processes walking the chain, then comparing the watched tables; :meth:`close`.

    :meth:`join` waits for the walk and checks the seams; :meth:`pieces` then has the
    same workers compare each watched table with its facts (:func:`.state_check.compare`).
    """

    def __init__(self, db: Database, wanted: set[int], limit: int, workers: int) -> None:
        """Start ``workers`` processes, each walking one stretch (see the module docstring)."""
        assert db.path is not None
        self._db = db
        self._limit = limit
        self._workers = workers
        bounds = seq_bounds(db) or (1, 1)
        with db.snapshot() as query:
            purges = purge_events(query)
        quick = self._quick = canonical_sql.available(db)
        tasks = [
            _Task(db.path, purges, wanted, limit, stretch, quick)
            for stretch in stretches(*bounds, workers)
        ]
        # fork: the workers start from the modules loaded here; none of them uses a
        # connection of this process (each opens the file itself).
        context = multiprocessing.get_context("fork")
        self._pool: Pool = context.Pool(workers)
        self._pending: AsyncResult[list[tuple[Part | None, str]]] = self._pool.map_async(
            _walk_stretch, tasks, chunksize=1
        )

    def join(self, problems: list[str]) -> Walk:
        """The whole walk (:func:`.chain_walk.join`).

        Raises:
            DatabaseError: a worker could not read its stretch.

        """
        parts = [self._unless_failed(part, why) for part, why in self._pending.get()]
        return join(parts, problems, self._limit)

    def pieces(
        self, table: str, held: RowFacts, key: bytes | None, baselined: bool
    ) -> tuple[set[str], list[str]]:
        """A table's rows compared with their facts by the workers, a piece each.

        :data:`.state_check.Pieces`: the rows of ``held`` no piece found, and the
        problems in table order (the pieces are ranges of SQLite's ``rowid``, in the
        order a scan reads them). A table whose key is its ``rowid`` sends each piece
        only the facts of its range; any other sends every piece all of them.

        Raises:
            DatabaseError: a worker could not read its piece.

        """
        rows = self._db.read(f"SELECT min(rowid), max(rowid) FROM {table}")  # noqa: S608 - a WATCHED table
        if not rows or rows[0][0] is None:
            return set(held), []
        assert self._db.path is not None
        ranges = stretches(int(rows[0][0]), int(rows[0][1]), self._workers)
        split = _by_range(held, ranges) if self._keyed_by_rowid(table) else None
        givens = split[0] if split else [held] * len(ranges)
        tasks = [
            _Piece(self._db.path, table, given, key, baselined, rowids, self._quick)
            for given, rowids in zip(givens, ranges, strict=True)
        ]
        lines: list[str] = []
        remains: list[set[str]] = []
        for remaining, said in self._pool.map(_compare_piece, tasks, chunksize=1):
            remains.append(set(self._unless_failed(remaining, said)))
            lines.extend(said)
        if split:  # each fact went to one piece at most
            return set(split[1]).union(*remains), lines
        return set.intersection(*remains), lines

    def _keyed_by_rowid(self, table: str) -> bool:
        """The table's key (:func:`.state_facts.key_of`) is its ``rowid``: ``id INTEGER``."""
        from dutydesk.services.integrity.state_facts import WATCHED

        model = WATCHED[table]
        keys = [c.name for c in model.__table__.primary_key.columns]  # type: ignore[attr-defined]
        info = self._db.read(f"PRAGMA table_info({table})")  # a WATCHED table
        primary = [(str(row[1]), str(row[2]).upper()) for row in info if row[5]]
        return len(keys) == 1 and primary == [(keys[0], "INTEGER")]

    @staticmethod
    def _unless_failed(result: _T | None, why: object) -> _T:
        if result is None:
            raise DatabaseError(str(why))  # the worker's one line (:func:`failure`)
        return result

    def close(self) -> None:
        """Stop the workers (done, or the caller failed meanwhile)."""
        self._pool.terminate()
        self._pool.join()


def start(db: Database, wanted: set[int], limit: int, workers: int | None = None) -> Walking | None:
    """A :class:`Walking` when the chain is walked in stretches, else ``None``.

    ``workers`` fixes how many (tests and benchmarks); by default :func:`workers_for`
    decides from the chain's length. 1 (or a store the workers cannot open) walks in place.
    """
    if not (db.is_sqlite and db.path is not None):
        return None
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    if workers is None:
        bounds = seq_bounds(db)
        workers = workers_for(db, bounds[1] - bounds[0] + 1 if bounds else 0)
    return Walking(db, wanted, limit, workers) if workers > 1 else None
