"""Classified text at rest: sealed on every write, opened on a read only after clearance.

The building blocks are :mod:`dutydesk.storage.crypto`; this module is how services use them:

* writers call :func:`seal` (a no-op for unclassified content) with the ring from
  :func:`write_ring`, which falls back to the key file beside the session's database
  (created with mode 0600 on first use), so a caller that does not pass ``keys`` still
  never writes classified text in plaintext;
* readers never use this module directly: they read through
  :func:`dutydesk.services.integrity.reading.audited_read`, which checks the clearance,
  then opens with one :class:`Opener` per read, then audits. The opener loads the key
  ring lazily, at the first envelope it meets, so a queue with nothing classified for
  this viewer never imports ``cryptography`` nor touches the key file. A missing or
  wrong key gives a placeholder, never the envelope and never a crash;
* :func:`record_view` writes the "classified content was viewed" audit event (called
  by :mod:`~dutydesk.services.integrity.reading` only).

Record names are stable: ``incident:<id>`` (title, summary) and
``timeline_entry:<incident id>/<seq>`` (text). Timeline entries are sealed at the
incident's classification when written and are on the hash chain, so they can never be
re-sealed: :mod:`dutydesk.services.incidents.edits` refuses relabelling an incident that has
sealed entries.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dutydesk.i18n import t
from dutydesk.storage.crypto import (
    DecryptError,
    KeyFileError,
    KeyRing,
    decrypt_field,
    encrypt_field,
    is_encrypted,
    key_file_for,
)
from dutydesk.storage.engine import Database, sqlite_path_from_url
from dutydesk.vocab import Classification

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.services.accounts.auth import Operator

VIEW_REPEAT_SECONDS = 300.0
"""How long a repeated read of the same object by the same viewer counts as one view."""

_VIEWS: dict[tuple[str, str, str, str], float] = {}

_RINGS: dict[Path, tuple[int, KeyRing]] = {}
"""Loaded key files by path, with the file's mtime: a rotation elsewhere reloads it."""


DETAIL_FIELDS = (
    "location",
    "reporter_name",
    "reporter_unit",
    "reporter_phone",
    "assigned_leader",
    "assigned_department",
)
"""Issue 13: an incident's columns sealed on an accredited network besides its title and
summary (record :func:`incident_record`), with each timeline entry's ``target`` (record
:func:`entry_record`). In register mode a classified item holds none of them but the 'to
whom' of its copy movements, which is its register and stays in clear."""

SEALED_FIELDS = ("title", "summary", *DETAIL_FIELDS)
"""Every incident column a classified item keeps sealed on an accredited network."""


def is_classified(level: Classification | str) -> bool:
    """True for 秘密, 机密 and 绝密: content stored sealed."""
    return Classification(level).is_classified


def incident_record(incident_id: int) -> str:
    """The record name sealing an incident's title and summary."""
    return f"incident:{incident_id}"


def entry_record(incident_id: int, seq: int) -> str:
    """The record name sealing a timeline entry's text."""
    return f"timeline_entry:{incident_id}/{seq}"


def _configured_key_file() -> str | None:
    """``key_file`` from the environment or config file (read only when a ring is needed)."""
    named = os.environ.get("DUTYDESK_KEY_FILE")
    if named:
        return named
    from dutydesk.config import load_settings

    try:
        return load_settings().key_file
    except Exception:  # a broken config file is reported by the command, not here
        return None


def key_path(db_path: Path | None, configured: str | None = None) -> Path:
    """Where the key file of a database is (see :func:`dutydesk.storage.crypto.key_file_for`).

    Raises:
        KeyFileError: a server database with no ``key_file`` setting.

    """
    return key_file_for(db_path, configured or _configured_key_file())


def ring_at(path: Path, *, create: bool = False) -> KeyRing:
    """The key ring in ``path`` (cached while the file is unchanged).

    Raises:
        KeyFileError: missing (and not ``create``), readable by others, or not a key file.

    """
    if create and not path.exists():
        ring = KeyRing.create(path)
        _RINGS[path] = (path.stat().st_mtime_ns, ring)
        return ring
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        raise KeyFileError(t("error.key.missing", path=path)) from None
    cached = _RINGS.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    ring = KeyRing.load(path)
    _RINGS[path] = (stamp, ring)
    return ring


def ring_for(db: Database, *, configured: str | None = None, create: bool = False) -> KeyRing:
    """The key ring of ``db`` (its ``<file>.key`` unless ``key_file`` is configured).

    Raises:
        KeyFileError: see :func:`ring_at`.

    """
    return ring_at(key_path(db.path, configured), create=create)


def write_ring(session: Session, keys: KeyRing | None) -> KeyRing:
    """``keys``, or the key file beside the session's database, created if there is none.

    Raises:
        KeyFileError: no key file can be found or made (a server database without
            ``key_file``), or it is unsafe.

    """
    if keys is None:
        url = session.get_bind().engine.url.render_as_string(hide_password=True)
        path = key_path(sqlite_path_from_url(url))
        if not path.exists() and holds_sealed(session):
            # A new key would seal new text under a key the old text does not share: make
            # the loss visible instead (restore the key file from its backup).
            raise KeyFileError(t("error.key.lost", path=path))
        keys = ring_at(path, create=True)
    claim(session, keys)
    return keys


KEY_FINGERPRINT = "key_fingerprint"
"""The ``Meta`` key recording which key file this database's sealed text belongs to: the
:meth:`~dutydesk.storage.crypto.KeyRing.fingerprint` of the key it was last sealed with."""


def claim(session: Session, keys: KeyRing) -> None:
    """Refuse ``keys`` unless it is this database's key file; record it on first use.

    Issue 17: another key file (a colleague's, a test one, an old copy from before a
    rotation) used to seal new text that the right key file could not open afterwards,
    and ``key rotate`` then failed. The database records the fingerprint of its key; a
    ring that does not hold that key is refused before anything is sealed (the caller's
    transaction rolls back). A database from before this check records the ring at its
    first use, but only if the ring opens a value already sealed there. When the ring
    holds the recorded key but seals with a newer one (a rotation stopped after writing
    the key file), the record follows to the newer key: the file holds both.

    Raises:
        KeyFileError: the ring is not the one this database's sealed text belongs to.

    """
    from dutydesk.storage.models import Meta

    row = session.get(Meta, KEY_FINGERPRINT)
    if row is not None and keys.holds(row.value):
        if row.value != keys.fingerprint():
            row.value = keys.fingerprint()
            session.add(row)
        return
    if row is not None or not _opens_one(session, keys):
        raise KeyFileError(t("error.key.other_file", path=keys.path))
    session.add(Meta(key=KEY_FINGERPRINT, value=keys.fingerprint()))
    session.flush()


def _opens_one(session: Session, keys: KeyRing) -> bool:
    """True when no value is sealed yet, or ``keys`` unwraps the first one found."""
    from dutydesk.storage.crypto import opens_data_key

    found = _first_sealed(session)
    return found is None or opens_data_key(keys, found)


def holds_sealed(session: Session) -> bool:
    """True when a column of :data:`dutydesk.storage.crypto.ENCRYPTED_COLUMNS` holds an envelope."""
    return _first_sealed(session) is not None


def _first_sealed(session: Session) -> str | None:
    """The first envelope found in any column of ``ENCRYPTED_COLUMNS``, else ``None``."""
    from sqlalchemy import text

    from dutydesk.rules.chain import ENVELOPE_PREFIX
    from dutydesk.storage.crypto import ENCRYPTED_COLUMNS

    for table, columns in ENCRYPTED_COLUMNS.items():
        for column in columns:
            found = session.execute(
                text(f"SELECT {column} FROM {table} WHERE {column} LIKE :prefix LIMIT 1"),  # noqa: S608 - table/column from ENCRYPTED_COLUMNS; values bound
                {"prefix": ENVELOPE_PREFIX + "%"},
            ).first()
            if found is not None:
                return str(found[0])
    return None


def seal(
    keys: KeyRing | None,
    session: Session,
    text: str,
    *,
    record: str,
    field: str,
    classification: Classification | str,
) -> str:
    """``text`` as stored: sealed when ``classification`` is classified, else as given.

    An empty text is stored empty: there is nothing to hide, and a register-mode item's
    entries (issue 13) then need no key file at all.
    """
    if not text or not is_classified(classification) or is_encrypted(text):
        return text
    return encrypt_field(
        write_ring(session, keys),
        text,
        record=record,
        field=field,
        classification=Classification(classification).value,
    )


def unseal(
    keys: KeyRing | None,
    session: Session,
    value: str,
    *,
    record: str,
    field: str,
    classification: Classification | str,
) -> str:
    """A stored value back as text, for a writer that must compare or re-seal it.

    Raises:
        DecryptError: wrong key, or the value or its classification changed.
        KeyFileError: no usable key file.

    """
    if not is_encrypted(value):
        return value
    return decrypt_field(
        write_ring(session, keys),
        value,
        record=record,
        field=field,
        classification=Classification(classification).value,
    )


class Opener:
    """Opens sealed values for one read; call it only after the clearance check."""

    def __init__(self, db: Database, keys: KeyRing | None) -> None:
        self._db = db
        self._keys = keys
        self._tried = keys is not None
        self.opened = 0
        """How many sealed values were returned as text (for the view audit)."""

    def _ring(self) -> KeyRing | None:
        if not self._tried:
            self._tried = True
            try:
                self._keys = ring_for(self._db)
            except KeyFileError:
                self._keys = None
        return self._keys

    def __call__(
        self, value: object, *, record: str, field: str, classification: Classification | str
    ) -> str:
        """The text of ``value``; a placeholder if it cannot be decrypted."""
        text = "" if value is None else str(value)
        if not is_encrypted(text):
            return text
        ring = self._ring()
        if ring is None:
            return t("crypto.key_missing")
        plain = opened_at_or_below(ring, text, record, field, Classification(classification))
        if plain is None:
            return t("crypto.unreadable")
        self.opened += 1
        return plain


def opened_at_or_below(
    ring: KeyRing, text: str, record: str, field: str, label: Classification
) -> str | None:
    """``text`` decrypted under ``label`` or, failing that, a lower classified level.

    Timeline entries are on the hash chain, so an incident raised from 秘密 to 机密 keeps
    its earlier entries sealed at 秘密. Trying lower levels opens those for a reader the
    label already admits (cleared for 机密, so for 秘密 too); trying higher ones would
    let a lowered label open text sealed above it, so they are never tried. ``None``
    when nothing opens it (wrong key, tampered, or the label was lowered).
    """
    levels = [label, *sorted(
        (level for level in Classification if level.is_classified and level.level < label.level),
        key=lambda level: -level.level,
    )]  # fmt: skip
    for level in levels:
        try:
            return decrypt_field(ring, text, record=record, field=field, classification=level.value)
        except DecryptError:
            continue
    return None


def record_view(
    db: Database,
    viewer: Operator | int | str | None,
    object_type: str,
    object_id: str | int,
    detail: str,
    now: datetime | None = None,
) -> None:
    """One audit event: ``viewer`` saw classified content of ``object_type`` ``object_id``.

    ``detail`` names what was shown (e.g. the classification), never the content. The
    same viewer reading the same object again within :data:`VIEW_REPEAT_SECONDS` in this
    process is the same view: a pane re-read after a change elsewhere must not write an
    event, which would itself be a change and make every console read again, forever.
    """
    from dutydesk.services.accounts import audit

    who = getattr(viewer, "id", None) or getattr(viewer, "name", None) or viewer
    key = (db.describe(), str(who), object_type, str(object_id))
    seen = time.monotonic()
    last = _VIEWS.get(key)
    if last is not None and seen - last < VIEW_REPEAT_SECONDS:
        return
    _VIEWS[key] = seen
    moment = now if now is not None else datetime.now(UTC)
    with db.session() as session:
        audit.record(session, viewer, "classified_viewed", object_type, object_id, detail, moment)


__all__ = [
    "DETAIL_FIELDS",
    "KEY_FINGERPRINT",
    "SEALED_FIELDS",
    "Opener",
    "claim",
    "entry_record",
    "holds_sealed",
    "incident_record",
    "is_classified",
    "key_path",
    "record_view",
    "ring_at",
    "ring_for",
    "seal",
    "unseal",
    "write_ring",
]
