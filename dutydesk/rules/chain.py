"""The record's hash chain: canonical encoding and link hashes (pure, no database).

Timeline entries and audit events form ONE chain, ordered by ``chain_seq``. One chain
rather than one per table because (a) a handover pack then prints one head (sequence
number and hash) that people can read out and compare, (b) the order of what was done and
what was audited is itself part of the record, and (c) every append already holds the
one write lock (SQLite ``BEGIN IMMEDIATE``; the ``chain_state`` row elsewhere), so a
second chain would add no concurrency.

Each record's hash is ``SHA-256(prev_hash || canonical(record))`` in hex, where
``canonical`` is compact JSON with sorted keys of the table name, the chain sequence
number and the record's content columns. Times are UTC ISO 8601 with microseconds;
enums their stored value. An encrypted value (``enc:v1:...``) is hashed without its key
wrapping (:func:`hashed_form`), so that ``dutydesk key rotate`` can re-wrap keys without
changing any hash, while a changed ciphertext still breaks the link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from json.encoder import encode_basestring
from typing import Any

from dutydesk.records import record

GENESIS = "0" * 64
"""The ``prev_hash`` of the first link."""

ENVELOPE_PREFIX = "enc:v1:"
"""Encrypted values are ``enc:v1:<key id>:<wrapped data key>:<sealed data>`` (crypto.py)."""

PURGED_PREFIX = "purged:v1:"
"""Issue 13: a purged entry text is ``purged:v1:<its link's hash>``
(``services/incidents/register.purge``); ``dutydesk verify`` accepts it with the chained
``content_purged`` event that names it."""

CHAINED_COLUMNS: dict[str, tuple[str, ...]] = {
    "timeline_entry": (
        "incident_id",
        "seq",
        "kind",
        "occurred_at",
        "recorded_at",
        "actor_id",
        "actor_name",
        "text",
        "report_no",
        "target",
        "due_at",
        "refers_to_id",
    ),
    "audit_event": ("occurred_at", "actor_id", "action", "object_type", "object_id", "detail"),
}
"""What each link's hash covers. Changing this list is a schema change: add a version."""


@record
class ChainHead:
    """The newest link: its sequence number and hash (``seq`` 0 is the empty chain)."""

    seq: int
    hash: str

    def __str__(self) -> str:
        """``<seq>:<hash>``, the form stored with an acknowledged handover."""
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> ChainHead:
        """Read ``<seq>:<hash>`` back.

        Raises:
            ValueError: the text is not in that form.

        """
        seq, _, digest = text.strip().partition(":")
        if len(digest) != 64 or not seq.isdigit():
            raise ValueError(f"not a chain head: {text!r}")
        return cls(int(seq), digest)

    @property
    def short(self) -> str:
        """A form for printing: ``#57 3f9a1c2b…`` (the first 16 hex digits)."""
        return f"#{self.seq} {self.hash[:16]}"


def hashed_form(value: str) -> str:
    """What the chain covers of a text value: encrypted ones lose their key wrapping.

    ``enc:v1:<key id>:<wrapped key>:<sealed>`` becomes ``enc:v1:<sealed>``; the sealed part
    (nonce, ciphertext and tag) is bound to the plaintext, so changing it changes the hash.
    """
    if not value.startswith(ENVELOPE_PREFIX):
        return value
    parts = value[len(ENVELOPE_PREFIX) :].split(":")
    return ENVELOPE_PREFIX + parts[-1]


def plain(value: Any) -> Any:
    """A content value as the canonical form holds it: enums by value, times as UTC text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, str):
        return hashed_form(value)
    return value


compact_json = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
"""``json.dumps`` with sorted keys and no spaces, built once: the canonical form of a link
(and of a state fact's ``detail``). :func:`_fast_text` must give the same text, and falls
back to this for anything else."""

_QUOTE: Callable[[str], str] = encode_basestring
"""One JSON string as this encoder writes it (``ensure_ascii=False``): the C function
``json`` itself calls for every string, so the escapes are the same ones."""


def _null(_value: None) -> str:
    return "null"


_VALUE: dict[type, Callable[[Any], str]] = {str: _QUOTE, int: int.__repr__, type(None): _null}
"""The JSON text of a value by its exact class (``json`` writes an ``int`` by its
``repr``). Other classes (a ``bool``, an enum, a time) take the slow path."""


def compact_template(names: Sequence[str], literals: Mapping[str, str] | None = None) -> str:
    """A ``str.format`` template of :data:`compact_json`'s text of an object with these keys.

    Field ``i`` takes the JSON text of the value of ``names[i]`` (:func:`compact_fill`);
    ``literals`` are keys whose JSON text is fixed. Keys are sorted here, once.
    """
    fields = {name: f"{{{i}}}" for i, name in enumerate(names)}
    for name, text in (literals or {}).items():
        fields[name] = _literal(text)
    pairs = (f"{_literal(_QUOTE(name))}:{fields[name]}" for name in sorted(fields))
    return "{{" + ",".join(pairs) + "}}"


def _literal(text: str) -> str:
    """``text`` as literal text in a ``str.format`` template."""
    return text.replace("{", "{{").replace("}", "}}")


def compact_fill(template: str, values: Sequence[Any]) -> str | None:
    """:data:`compact_json`'s text of the object (:func:`compact_template`) with these values.

    ``None`` when a value is not text, an ``int`` or ``None``: encode that one the slow way.
    """
    try:
        return template.format(*[_VALUE[v.__class__](v) for v in values])
    except KeyError:
        return None


def _template(table: str) -> str:
    """The canonical text of ``table``'s links: its chained columns, then the sequence number."""
    names = (*CHAINED_COLUMNS[table], "_chain_seq")
    return compact_template(names, {"_table": _QUOTE(table)})


_TEMPLATES = {table: _template(table) for table in CHAINED_COLUMNS}

_ENVELOPE_QUOTED = '"' + ENVELOPE_PREFIX
"""An encrypted value's text starts so: a link whose text holds it takes the slow path."""


def _fast_text(table: str, chain_seq: int, values: Sequence[Any]) -> str | None:
    """The canonical text from values in their plain form, or ``None`` for the slow path.

    Fast for what a plain read gives (text, integers, ``None``) with no envelope: one
    template filled, rather than a dict sorted and encoded (issue 16: ``verify`` spends
    most of a link here). The text is :data:`compact_json`'s, byte for byte
    (``tests/test_chain_encoding.py``).
    """
    text = compact_fill(_TEMPLATES[table], [*values, chain_seq])
    # A value holding the prefix (even mid-text) is sent to the exact path, never guessed.
    return None if text is None or _ENVELOPE_QUOTED in text else text


def canonical_values(table: str, chain_seq: int, values: Sequence[Any]) -> bytes:
    """:func:`canonical` of the values of :data:`CHAINED_COLUMNS` ``[table]``, in that order.

    The values may be stored (an envelope, a ``datetime``, an enum) or already plain.
    """
    columns = CHAINED_COLUMNS[table]
    if len(values) != len(columns):
        raise ValueError(f"{table} has {len(columns)} chained columns, not {len(values)}")
    text = _fast_text(table, chain_seq, values)
    if text is None:
        document = {name: plain(value) for name, value in zip(columns, values, strict=True)}
        text = _slow_text(table, chain_seq, document)
    return text.encode()


def _slow_text(table: str, chain_seq: int, document: dict[str, Any]) -> str:
    """The canonical text of a plain document, by :data:`compact_json` itself."""
    text = _fast_text(table, chain_seq, list(document.values()))
    if text is None or list(document) != list(CHAINED_COLUMNS[table]):
        document = {**document, "_table": table, "_chain_seq": chain_seq}
        text = compact_json(document)
    return text


def canonical(table: str, chain_seq: int, content: Mapping[str, Any]) -> bytes:
    """The bytes a link's hash covers (besides the previous hash).

    Args:
        table: ``timeline_entry`` or ``audit_event``.
        chain_seq: the link's place in the chain.
        content: the record's columns; only those of :data:`CHAINED_COLUMNS` are used,
            and each must be present.

    Raises:
        KeyError: a chained column is missing from ``content``.

    """
    return canonical_values(table, chain_seq, [content[name] for name in CHAINED_COLUMNS[table]])


def canonical_document(table: str, chain_seq: int, document: dict[str, Any]) -> bytes:
    """:func:`canonical` of content already in its plain form (:func:`plain` of each value)."""
    return _slow_text(table, chain_seq, document).encode()


def values_hash(prev_hash: str, table: str, chain_seq: int, values: Sequence[Any]) -> str:
    """:func:`link_hash` of the values of :data:`CHAINED_COLUMNS` ``[table]``, in order.

    ``verify`` hashes each stored row this way (``services.integrity.chain_walk``).
    """
    fits = len(values) == len(CHAINED_COLUMNS[table])
    text = _fast_text(table, chain_seq, values) if fits else None
    # Anything the template cannot take (a time, an enum, a wrong count) the exact way.
    data = canonical_values(table, chain_seq, values) if text is None else text.encode()
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + data).hexdigest()


def document_hash(prev_hash: str, table: str, chain_seq: int, document: dict[str, Any]) -> str:
    """:func:`link_hash` of content already in its plain form (see :func:`canonical_document`)."""
    data = canonical_document(table, chain_seq, document)
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + data).hexdigest()


def link_hash(prev_hash: str, table: str, chain_seq: int, content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) over the previous hash and the record's canonical encoding."""
    values = [content[name] for name in CHAINED_COLUMNS[table]]
    return values_hash(prev_hash, table, chain_seq, values)
