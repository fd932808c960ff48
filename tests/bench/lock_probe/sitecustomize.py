"""Time each SQLite write transaction's wait for the lock and its hold (issue 16).

Loaded by any Python started with this folder first on ``PYTHONPATH`` and
``DUTYDESK_LOCK_PROBE=PREFIX`` set (``bench_concurrency.py``'s writers inherit both); at
exit each process writes ``PREFIX.<pid>``: the seconds from entering a writing
``Database.session`` to holding SQLite's write lock (``wait``: the queue and the busy
handler) and from then to the session's end (``hold``). ``python
tests/bench/lock_probe_summary.py PREFIX`` sums them up. A measuring aid, never imported
by dutydesk or the tests; it wraps two engine internals, so it follows their names.
"""

from __future__ import annotations

import atexit
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PREFIX = os.environ.get("DUTYDESK_LOCK_PROBE")

if PREFIX:
    import dutydesk.storage.engine as engine

    marks: dict[str, list[float]] = {"wait": [], "hold": []}
    state: dict[str, float] = {}
    note_head = engine._note_audit_head
    session = engine.Database.session

    def _noted(connection: Any) -> None:
        state["got"] = time.perf_counter()
        marks["wait"].append(state["got"] - state.get("start", state["got"]))
        note_head(connection)

    @contextmanager
    def _timed(self: engine.Database, *, write: bool = True) -> Iterator[Any]:
        state["start"] = time.perf_counter()
        state.pop("got", None)
        with session(self, write=write) as opened:
            yield opened
        if write and "got" in state:
            marks["hold"].append(time.perf_counter() - state["got"])

    engine._note_audit_head = _noted
    engine.Database.session = _timed  # type: ignore[method-assign]

    @atexit.register
    def _dump() -> None:
        with open(f"{PREFIX}.{os.getpid()}", "w", encoding="utf-8") as handle:
            json.dump(marks, handle)
