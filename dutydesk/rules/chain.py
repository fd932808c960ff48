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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

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


@dataclass(frozen=True)
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


_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
"""``json.dumps`` with these options, built once: a new encoder per call was a fifth of a
link's cost when ``verify`` walks a long chain; the bytes are the same."""


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
    document = {name: plain(content[name]) for name in CHAINED_COLUMNS[table]}
    return canonical_document(table, chain_seq, document)


def canonical_document(table: str, chain_seq: int, document: dict[str, Any]) -> bytes:
    """:func:`canonical` of content already in its plain form (:func:`plain` of each value).

    ``document`` gains the table and sequence number. ``verify`` builds the plain form
    straight from stored text (``services.integrity.chain_walk``), which spares parsing
    every time back into a ``datetime``.
    """
    document["_table"] = table
    document["_chain_seq"] = chain_seq
    return _ENCODE(document).encode()


def document_hash(prev_hash: str, table: str, chain_seq: int, document: dict[str, Any]) -> str:
    """:func:`link_hash` of content already in its plain form (see :func:`canonical_document`)."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_document(table, chain_seq, document))
    return digest.hexdigest()


def link_hash(prev_hash: str, table: str, chain_seq: int, content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) over the previous hash and the record's canonical encoding."""
    document = {name: plain(content[name]) for name in CHAINED_COLUMNS[table]}
    return document_hash(prev_hash, table, chain_seq, document)
