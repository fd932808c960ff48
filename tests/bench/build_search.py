"""The search index documents of ``build_db.py``'s incidents, made in Python (issue 16).

The app fills its index with SQL (:func:`dutydesk.storage.search.sqlite_fill`): the gram
document is a join of every text with a number table per character, 70% of the fill's
CPU at 50k incidents. The builder knows each text as it generates it, so it makes the
same two documents here and inserts them beside the rows. They follow the SQL of
``storage/search.py`` (``_doc``, ``_doc_grams``, ``_grams``) for what the builder writes:
every text present (no NULL), entries in ``seq`` order. The FTS rowid is not made here:
it comes from the app's own ``_key_sql`` over the stored row (SQLite rounds a time's
fraction to milliseconds). ``tests/test_build_db.py`` checks that the index so made
holds exactly the terms and documents of the app's own rebuild.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from dutydesk.storage.search import CLASSIFIED_LEVELS, INDEX_CAP, filter_token

INCIDENT_FIELDS = ("serial", "title", "summary", "location", "reporter_name", "reporter_unit")
"""The incident's indexed fields, in the order ``_incident_text`` joins them."""


def grams(text: str) -> str:
    """``_grams``: the space-separated 2-character grams of ``text``, the last one single.

    The SQL cuts the text into chunks of ``GRAM_CHUNK`` + 1 characters first, only to stay
    linear in SQLite; the grams are the same as one pass over the text.
    """
    return " ".join([text[i : i + 2] for i in range(len(text))])


@functools.lru_cache(maxsize=4096)
def _entry_grams(text: str) -> str:
    """:func:`grams` of an entry's part: the builder's entry texts repeat (216 of them)."""
    return grams(text)


def documents(
    fields: Sequence[str],
    classification: str,
    entries: Sequence[tuple[str, str]],
    filters: Mapping[str, object],
) -> tuple[str, str]:
    """The trigram and the gram document of one incident.

    Args:
        fields: the values of :data:`INCIDENT_FIELDS`, in that order.
        classification: the incident's level; a classified one is indexed by serial only.
        entries: (text, target) of its timeline entries, in ``seq`` order.
        filters: status, category, severity, channel and is_open, as stored.

    """
    classified = classification in CLASSIFIED_LEVELS
    text = fields[0] if classified else "\n".join(field[:INDEX_CAP] for field in fields)
    parts = [] if classified else [f"\n{t[:INDEX_CAP]}\n{g[:INDEX_CAP]}" for t, g in entries]
    tokens = " ".join(filter_token(column, value) for column, value in filters.items())
    gram_doc = f"{grams(text)} {' '.join(_entry_grams(part) for part in parts)} {tokens}"
    return text + "".join(parts), gram_doc
