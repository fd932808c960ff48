"""When the console lets Python's cycle collector run, and over what (issue 16).

A desk at 1M incidents holds a large, long-lived heap: the imported modules (SQLModel,
SQLAlchemy, Textual, Rich), the widgets of the main screen, the queue's cached blocks.
CPython's full (generation 2) collection walks every tracked object of that heap. At
the default thresholds one ran every 1-2 s of a held key or of saving: 50-75 ms in the
held keys and 250-550 ms each during saves at 1M (load 7; e79c01d, tests/bench/README.md),
each finding the 25-35k objects a closed form's widgets left as cycles (Textual's DOM
nodes, styles, caches: about 370 nodes a form) among a heap that is not garbage.

So, once the desk is up:

* the objects alive then are collected once and frozen (``gc.freeze``: moved to the
  permanent generation, which no collection walks), and again when lazy imports have
  grown the heap (the module count grew: the intake form and the ORM at the first save);
* the youngest generation's threshold is ten times the default, so a held key meets
  a collection of any generation ten times less often (about 4 in 60 keys, not 128);
* the garbage those fewer collections leave waiting (forms closed) is collected when
  the desk is quiet: at its once-a-second tick, if no collection ran in the last second
  (the process allocated less than a threshold's worth: nobody is holding a key or
  saving) and one has run since the last full one.

When the desk goes away (sign-out, quit) everything is unfrozen and the thresholds put
back, so that the signed-out desk's widgets, kept alive only by their own reference
cycles, are collected (``sweep`` at sign-out does it at once). The freeze and the
thresholds are process-wide: with two desks in one process (tests), either one's going
away unfreezes both, which only costs the other the longer collections.
"""

from __future__ import annotations

import gc
import sys
import time

YOUNG_THRESHOLD = 7000
"""Allocations between collections of the youngest generation while a desk is settled."""

QUIET_SECONDS = 1.0
"""No collection for this long: the desk is quiet, its waiting garbage can go."""

_settled_modules = 0
"""``len(sys.modules)`` at the last settle; 0 while nothing is frozen by a desk."""

_default_thresholds: tuple[int, int, int] | None = None
"""``gc.get_threshold()`` before the first settle, put back at release."""

_last_collection = 0.0
"""``time.monotonic()`` when the last collection (any generation) finished."""

settles = 0
"""Times the desk's heap was collected and frozen (tests count them, never time them)."""

quiet_collections = 0
"""Full collections made at a quiet tick (tests count them)."""


def _collected(phase: str, info: dict[str, int]) -> None:
    """``gc.callbacks``: remember when the collector last ran (one clock read)."""
    global _last_collection
    if phase == "stop":
        _last_collection = time.monotonic()


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
    if _collected not in gc.callbacks:
        gc.callbacks.append(_collected)
    _settled_modules = len(sys.modules)
    settles += 1


def tick(covered: bool = False) -> str:
    """The desk's once-a-second look: settle, collect while quiet, or nothing.

    Returns ``"settled"``, ``"collected"`` or ``""``. Cheap when nothing is to be done
    (one length compared, the collector's counts read). The first call settles the
    desk as it came up (its first rows read and drawn, the watcher started); a later
    lazy import brings thousands of long-lived objects, frozen at the next tick.
    ``covered``: a form or a question is open over the desk; it is not settled then,
    as the form's widgets, frozen, would outlive it until the desk goes away.
    """
    global quiet_collections
    if not covered and (not _settled_modules or len(sys.modules) > _settled_modules):
        settle()
        return "settled"
    _, young_runs, middle_runs = gc.get_count()
    waiting = young_runs or middle_runs  # collections since the last full one
    if waiting and time.monotonic() - _last_collection >= QUIET_SECONDS:
        gc.collect()
        quiet_collections += 1
        return "collected"
    return ""


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
    if _collected in gc.callbacks:
        gc.callbacks.remove(_collected)


def sweep() -> None:
    """Release, and collect now (sign-out: the outgoing desk's screens are freed at once)."""
    release()
    gc.collect()
