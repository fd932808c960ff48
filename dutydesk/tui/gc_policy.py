"""When the console lets Python's cycle collector look at its long-lived objects (issue 16).

A desk at 1M incidents holds a large, long-lived heap: the imported modules (SQLModel,
SQLAlchemy, Textual, Rich), the widgets of the main screen, the queue's cached blocks.
CPython's full (generation 2) collection walks every tracked object of that heap, and
one landed in a held key every few seconds: 20-42 ms on the event loop's thread, then
80-150 ms once the intake form and the ORM were loaded (tests/bench/README.md). The
heap is not garbage; walking it again and again finds nothing.

So once the desk is up, the objects that exist then are collected once and frozen
(``gc.freeze``: moved to the permanent generation, which no collection walks), and
again whenever lazy imports have grown the heap (a module count that grew), at a
quiet moment of the desk's own once-a-second tick. What is made afterwards is
collected as before. When the desk goes away (sign-out, quit) everything is unfrozen
so that the signed-out desk's widgets, kept alive only by their own reference
cycles, are collected (``sweep`` at sign-out does it at once).

With the long-lived heap frozen, CPython's rule for a full collection (a quarter more
objects than the last one kept) is met after every tenth middle one; at the default
700-allocation threshold that was one full collection in every second or two of a held
key or a save, each freeing the cycles a closed form or a reload left (25-35k objects,
30-140 ms at 1M under load). So while a desk is settled the youngest generation's
threshold is ten times the default: ten times fewer collections of every generation,
the same garbage freed in fewer, larger batches.

The freeze and the threshold are process-wide: with two desks in one process (tests), either one's
going away unfreezes both, which only costs the other the longer collections.
"""

from __future__ import annotations

import gc
import sys

_settled_modules = 0
"""``len(sys.modules)`` at the last settle; 0 while nothing is frozen by a desk."""

YOUNG_THRESHOLD = 7000
"""Allocations between collections of the youngest generation while a desk is settled."""

_default_thresholds: tuple[int, int, int] | None = None
"""``gc.get_threshold()`` before the first settle, put back at release."""

settles = 0
"""Times the desk's heap was collected and frozen (tests count them, never time them)."""


def settle() -> None:
    """Collect once, then freeze every object alive now (the desk is up)."""
    global _settled_modules, settles, _default_thresholds
    # Collected first: garbage frozen would never be freed (a cycle the PIN check or
    # the first reads left behind).
    gc.collect()
    gc.freeze()
    if _default_thresholds is None:
        _default_thresholds = gc.get_threshold()
        _, middle, oldest = _default_thresholds
        gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
    _settled_modules = len(sys.modules)
    settles += 1


def tick() -> bool:
    """Settle if nothing is frozen yet or modules were imported since; True if it did.

    The desk calls it once a second: cheap when nothing changed (one length compared).
    The first call settles the desk as it came up (its first rows read and drawn, the
    watcher started); a later lazy import (the intake form and the ORM at the first
    save, a report's writer) brings thousands of long-lived objects, frozen at the
    next tick so that later collections skip them.
    """
    if _settled_modules and len(sys.modules) <= _settled_modules:
        return False
    settle()
    return True


def release() -> None:
    """The desk is going away: unfreeze, so its objects can be collected again."""
    global _settled_modules, _default_thresholds
    if _settled_modules == 0:
        return
    _settled_modules = 0
    gc.unfreeze()
    if _default_thresholds is not None:
        gc.set_threshold(*_default_thresholds)
        _default_thresholds = None


def sweep() -> None:
    """Release, and collect now (sign-out: the outgoing desk's screens are freed at once)."""
    release()
    gc.collect()
