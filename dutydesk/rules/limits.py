"""How long a stored field may be (issue 17): one-line fields and texts, configurable.

Nothing stopped a 50 MB paste into a report: stored, it slowed the handover pack from
2.3 to 29 s and the weekly report to 62 s. Every writer (intake, follow-up, edits,
bulletins, JSON import) checks its fields here before anything is written; the limits
come from the settings (``max_line_chars``, ``max_text_chars``).

Lengths are counted in characters (code points), as the officer sees them: a 1 MB paste
is at most about a million characters, well inside the text limit.
"""

from __future__ import annotations

from collections.abc import Mapping

from dutydesk.records import record

LINE_CHARS = 200
"""Default limit of a one-line field: titles, places, names, phone numbers, 'to whom'."""
TEXT_CHARS = 2_000_000
"""Default limit of a text: a report, an entry's text, a bulletin's body (a 1 MB paste
of plain ASCII is 1,048,576 characters)."""

TEXT_FIELDS = frozenset(
    {"summary", "received_text", "text", "body", "reason", "note", "content", "detail"}
)
"""The fields that hold running text; every other field is one line."""


@record
class FieldLimits:
    """The longest value, in characters, of a one-line field and of a text."""

    line: int = LINE_CHARS
    text: int = TEXT_CHARS

    def limit(self, name: str) -> int:
        """The limit of the field called ``name``."""
        return self.text if name in TEXT_FIELDS else self.line

    def too_long(self, fields: Mapping[str, object]) -> tuple[str, int, int] | None:
        """The first field over its limit as (name, length, limit); ``None`` if all fit.

        Only text values are measured; ``None`` and numbers are left to their own checks.
        """
        for name, value in fields.items():
            if isinstance(value, str) and len(value) > self.limit(name):
                return name, len(value), self.limit(name)
        return None


__all__ = ["LINE_CHARS", "TEXT_CHARS", "TEXT_FIELDS", "FieldLimits"]
