"""The chain's fast canonical encoder writes ``json.dumps``'s bytes, whatever the text (issue 16).

``rules.chain`` fills a per-table template instead of sorting and encoding a dict per
link; every hash the app ever wrote was made the ``json.dumps`` way, so a single byte of
difference would report an intact record as changed (or a changed one as intact). The
reference below is that definition, written out again here on purpose.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dutydesk.rules.chain import (
    CHAINED_COLUMNS,
    GENESIS,
    canonical,
    canonical_document,
    compact_fill,
    compact_template,
    document_hash,
    link_hash,
    plain,
    values_hash,
)
from dutydesk.services.integrity.state_facts import encode
from dutydesk.vocab import EntryKind
from tests.hostile import SHORT

ENTRY, EVENT = "timeline_entry", "audit_event"


def reference(table: str, seq: int, content: dict[str, Any]) -> bytes:
    """The canonical form as defined: compact sorted JSON, not ASCII-escaped."""
    document = {name: plain(content[name]) for name in CHAINED_COLUMNS[table]}
    document["_table"] = table
    document["_chain_seq"] = seq
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode()


def reference_hash(prev: str, table: str, seq: int, content: dict[str, Any]) -> str:
    digest = hashlib.sha256(prev.encode("ascii"))
    digest.update(b"\n")
    digest.update(reference(table, seq, content))
    return digest.hexdigest()


HOSTILE = [
    *SHORT.values(),
    "",
    '"',
    "\\",
    '\\"',
    "{0}",
    "{}",
    "{{}}",
    "%s",
    "\x00\x01\x1f\x7f\x80\x9f",
    "\n\r\t\b\f",
    "\u2028\u2029",
    "😀 \U0010ffff",
    "enc:v1:k1:wrapped:sealed",
    "enc:v1:",
    'note "enc:v1:k:w:s"',
    "purged:v1:" + "0" * 64,
    "燃气泄漏：幸福路12号",
]

VALUES: list[Any] = [
    None,
    0,
    -1,
    2**70,
    True,
    False,
    1.5,
    EntryKind.NOTE,
    datetime(2026, 11, 26, 8, 0, tzinfo=UTC),
    datetime(2026, 11, 26, 8, 0, 0, 123456),
    datetime(2026, 11, 26, 16, 0, tzinfo=timezone(timedelta(hours=8))),
    "2026-11-26 08:00:00.000000",
]


def entry(**changes: Any) -> dict[str, Any]:
    content: dict[str, Any] = {
        "incident_id": 7,
        "seq": 3,
        "kind": "note",
        "occurred_at": "2026-11-26T08:00:00.000000Z",
        "recorded_at": "2026-11-26T08:00:01.000000Z",
        "actor_id": None,
        "actor_name": "值班员",
        "text": "情况正在核实",
        "report_no": None,
        "target": "",
        "due_at": None,
        "refers_to_id": None,
    }
    content.update(changes)
    return content


@pytest.mark.parametrize("value", HOSTILE + VALUES)
@pytest.mark.parametrize("column", ["text", "actor_name", "kind", "actor_id", "occurred_at"])
def test_every_value_in_every_kind_of_column(column: str, value: Any) -> None:
    content = entry(**{column: value})
    assert canonical(ENTRY, 42, content) == reference(ENTRY, 42, content)
    assert link_hash(GENESIS, ENTRY, 42, content) == reference_hash(GENESIS, ENTRY, 42, content)
    values = [content[name] for name in CHAINED_COLUMNS[ENTRY]]
    assert values_hash("ab" * 32, ENTRY, 42, values) == reference_hash(
        "ab" * 32, ENTRY, 42, content
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_audit_events_and_plain_documents(value: str) -> None:
    content = {
        "occurred_at": datetime(2026, 11, 26, tzinfo=UTC),
        "actor_id": 3,
        "action": value,
        "object_type": "incident",
        "object_id": value,
        "detail": value,
    }
    assert canonical(EVENT, 9, content) == reference(EVENT, 9, content)
    document = {name: plain(content[name]) for name in CHAINED_COLUMNS[EVENT]}
    assert canonical_document(EVENT, 9, document) == reference(EVENT, 9, content)
    shuffled = dict(reversed(document.items()))  # any key order: the same bytes
    assert document_hash(GENESIS, EVENT, 9, shuffled) == reference_hash(GENESIS, EVENT, 9, content)


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(st.text(), min_size=3, max_size=3),
    number=st.one_of(st.none(), st.integers()),
    seq=st.integers(min_value=1),
)
def test_any_text(texts: list[str], number: int | None, seq: int) -> None:
    content = entry(text=texts[0], actor_name=texts[1], target=texts[2], report_no=number)
    try:
        expected: bytes | type[Exception] = reference(ENTRY, seq, content)
    except UnicodeEncodeError:  # a lone surrogate: no bytes either way
        expected = UnicodeEncodeError
    if expected is UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            canonical(ENTRY, seq, content)
    else:
        assert canonical(ENTRY, seq, content) == expected


def test_a_missing_column_is_still_refused() -> None:
    content = entry()
    del content["text"]
    with pytest.raises(KeyError):
        canonical(ENTRY, 1, content)
    with pytest.raises(ValueError, match="chained columns"):
        values_hash(GENESIS, ENTRY, 1, [1, 2])


@pytest.mark.parametrize("value", [*HOSTILE, None, 0, -5, 2**70, True, 1.5, "x" * 1000])
def test_a_state_fact_template_writes_what_encode_writes(value: Any) -> None:
    """``verify`` compares a row's fact as text (state_check): the same text as ``encode``."""
    names = ["serial", "title", "deaths", "_key", "a{b}", "Z"]
    document = dict.fromkeys(names, value)
    document["serial"] = "20261126-001"
    expected = encode(document)
    filled = compact_fill(compact_template(names), list(document.values()))
    assert filled in (None, expected)  # None: the caller encodes that one with ``encode``
    if value is None or value.__class__ in (str, int):
        assert filled == expected
