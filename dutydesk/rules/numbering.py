"""Numbering: incident serials (and, later, bulletin issue numbers)."""

from __future__ import annotations

from datetime import date


def format_serial(day: date, number: int) -> str:
    """The serial of the ``number``-th incident of the local ``day``: ``YYYYMMDD-NNN``.

    Three digits at least; a day with a thousand incidents simply gets four.
    """
    return f"{day:%Y%m%d}-{number:03d}"
