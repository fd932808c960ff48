"""Encryption of classified text at rest: a key file and AES-256-GCM field envelopes.

A stored value is ``enc:v1:<key id>:<wrapped data key>:<sealed>`` (base64url parts):

* ``sealed`` = nonce (12 bytes) + AES-GCM(data key) of the UTF-8 text, with associated
  data ``<record>:<field>:<classification>`` (e.g. ``incident:42:title:secret``), so a
  value moved to another record or field, or a record relabelled to a lower
  classification, no longer decrypts;
* ``wrapped data key`` = nonce + AES-GCM(key ``<key id>`` of the key file) of a random
  256-bit data key used for this one value.

Two layers so that ``dutydesk key rotate`` re-wraps the small data keys under a new key
without touching ``sealed``, which the hash chain covers (``rules.chain.hashed_form``):
rotation changes no link of the record's chain.

The key file is JSON, created with mode 0600 beside the database (``<db>.key``) unless
``key_file`` is configured; a key file that group or others may read is refused. Error
messages name the record and field, never the text or a key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from dutydesk.i18n import t
from dutydesk.rules.chain import ENVELOPE_PREFIX
from dutydesk.storage.key_file import CryptoError as CryptoError
from dutydesk.storage.key_file import KeyFileError as KeyFileError
from dutydesk.storage.key_file import check_key_file as check_key_file
from dutydesk.storage.key_file import key_file_for as key_file_for

KEY_FILE_FORMAT = "dutydesk-keys/1"
_NONCE = 12
_WRAP_AAD = b"dutydesk-data-key:"
_FINGERPRINT_LABEL = b"dutydesk-key-fingerprint:"

ENCRYPTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "incident": (
        "title",
        "summary",
        # Issue 13: sealed too on an accredited network (services.integrity.sealed).
        "location",
        "reporter_name",
        "reporter_unit",
        "reporter_phone",
        "assigned_leader",
        "assigned_department",
    ),
    "timeline_entry": ("text", "target"),
    "bulletin": ("title", "body"),
    # Issue 17: sealed since issue 13 but left out here, so `key rotate` retired the key
    # their data keys were wrapped with and they no longer opened.
    "handover": ("snapshot",),
    "leave_registration": ("destination", "reason", "contact_phone"),
}
"""Where classified text is stored encrypted; ``key rotate`` re-wraps these and
``verify`` opens them (:mod:`dutydesk.services.integrity.sealed_check`)."""


class DecryptError(CryptoError):
    """A value does not decrypt: wrong key, or the value or its classification changed."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class KeyRing:
    """The keys of one key file; ``current`` encrypts, every key may decrypt."""

    path: Path
    current: str
    keys: dict[str, bytes] = field(repr=False)

    @classmethod
    def create(cls, path: Path) -> KeyRing:
        """Write a new key file with one fresh 256-bit key, mode 0600, never overwriting.

        Raises:
            KeyFileError: the file exists already or cannot be created.

        """
        ring = cls(path, "k1", {"k1": secrets.token_bytes(32)})
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise KeyFileError(t("error.key.exists", path=path)) from None
        except OSError as exc:
            raise KeyFileError(t("error.key.create", path=path, detail=exc.strerror)) from None
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(ring._dump())
        return ring

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        """Read a key file after checking nobody else may read it.

        Raises:
            KeyFileError: missing, readable by others, unreadable by this user, or not a
                dutydesk key file.

        """
        if not path.is_file():
            raise KeyFileError(t("error.key.missing", path=path))
        check_key_file(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:  # another user's key file (0600), or an unreadable disk
            raise KeyFileError(
                t("error.key.unreadable", path=path, detail=exc.strerror or exc)
            ) from None
        except UnicodeError:
            raise KeyFileError(t("error.key.not_a_key_file", path=path)) from None
        try:
            raw = json.loads(text)
            if raw.get("format") != KEY_FILE_FORMAT:
                raise ValueError("format")
            keys = {str(kid): _unb64(str(value)) for kid, value in raw["keys"].items()}
            current = str(raw["current"])
            if current not in keys or any(len(key) != 32 for key in keys.values()):
                raise ValueError("keys")
        except (ValueError, KeyError, TypeError, AttributeError):
            raise KeyFileError(t("error.key.not_a_key_file", path=path)) from None
        return cls(path, current, keys)

    @classmethod
    def open_or_create(cls, path: Path) -> KeyRing:
        """The key file at ``path``, created first if there is none."""
        return cls.load(path) if path.exists() else cls.create(path)

    def _dump(self) -> str:
        keys = {kid: _b64(key) for kid, key in self.keys.items()}
        document = {"format": KEY_FILE_FORMAT, "current": self.current, "keys": keys}
        return json.dumps(document, indent=1) + "\n"

    def save(self) -> None:
        """Replace the key file atomically (temporary file with mode 0600, then rename)."""
        temporary = self.path.with_name(self.path.name + ".new")
        temporary.unlink(missing_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(self._dump())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    def fingerprint(self, kid: str | None = None) -> str:
        """``<key id>:<fingerprint>`` of key ``kid`` (the current one by default).

        The fingerprint is the first 16 bytes of SHA-256 over a fixed label and the key,
        in hex: it names the key without revealing it, and the database records it
        (:func:`dutydesk.services.integrity.sealed.claim`) so a different key file is
        refused before it seals anything.
        """
        name = kid or self.current
        digest = hashlib.sha256(_FINGERPRINT_LABEL + self.keys[name]).hexdigest()[:32]
        return f"{name}:{digest}"

    def holds(self, fingerprint: str) -> bool:
        """True when this ring holds the key named by ``fingerprint`` (see above)."""
        kid = fingerprint.partition(":")[0]
        return kid in self.keys and self.fingerprint(kid) == fingerprint

    def add_key(self) -> str:
        """Add a fresh key and make it current; returns its id (save to keep it)."""
        number = 1 + max((int(kid[1:]) for kid in self.keys if kid[1:].isdigit()), default=0)
        kid = f"k{number}"
        self.keys[kid] = secrets.token_bytes(32)
        self.current = kid
        return kid


def _context(record: str, field_name: str, classification: str) -> bytes:
    return f"{record}:{field_name}:{classification}".encode()


def is_encrypted(value: str) -> bool:
    """True for an ``enc:v1:`` envelope."""
    return value.startswith(ENVELOPE_PREFIX)


def envelope_key_id(value: str) -> str:
    """The id of the key that wraps an envelope's data key."""
    return value[len(ENVELOPE_PREFIX) :].split(":")[0]


def encrypt_field(
    keys: KeyRing, plaintext: str, *, record: str, field: str, classification: str
) -> str:
    """Seal ``plaintext`` for one field of one record at one classification.

    Args:
        keys: the key ring; its current key wraps the new data key.
        plaintext: the text to protect.
        record: the record's stable name, e.g. ``incident:42`` or ``timeline_entry:42/3``.
        field: the column, e.g. ``title``.
        classification: the record's classification value, e.g. ``secret``.

    """
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    data_key = AESGCM.generate_key(bit_length=256)
    nonce, wrap_nonce = secrets.token_bytes(_NONCE), secrets.token_bytes(_NONCE)
    aad = _context(record, field, str(classification))
    sealed = nonce + AESGCM(data_key).encrypt(nonce, plaintext.encode("utf-8"), aad)
    wrap_aad = _WRAP_AAD + keys.current.encode()
    wrapped = wrap_nonce + AESGCM(keys.keys[keys.current]).encrypt(wrap_nonce, data_key, wrap_aad)
    return f"{ENVELOPE_PREFIX}{keys.current}:{_b64(wrapped)}:{_b64(sealed)}"


def _parts(value: str, where: str) -> tuple[str, bytes, bytes]:
    parts = value[len(ENVELOPE_PREFIX) :].split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        return parts[0], _unb64(parts[1]), _unb64(parts[2])
    except ValueError:
        raise DecryptError(t("error.decrypt.damaged", where=where)) from None


def _unwrap(keys: KeyRing, kid: str, wrapped: bytes, where: str) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = keys.keys.get(kid)
    if key is None:
        raise DecryptError(t("error.decrypt.no_key", where=where, kid=kid, path=keys.path))
    try:
        return AESGCM(key).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], _WRAP_AAD + kid.encode())
    except (InvalidTag, ValueError):
        raise DecryptError(
            t("error.decrypt.wrong_key", where=where, kid=kid, path=keys.path)
        ) from None


def opens_data_key(keys: KeyRing, value: str) -> bool:
    """True when ``keys`` unwraps the data key of envelope ``value`` (its text unread)."""
    try:
        kid, wrapped, _ = _parts(value, "")
        _unwrap(keys, kid, wrapped, "")
    except DecryptError:
        return False
    return True


def decrypt_field(
    keys: KeyRing, value: str, *, record: str, field: str, classification: str
) -> str:
    """Open an envelope made by :func:`encrypt_field` for the same record, field, label.

    A plain (unencrypted) value is returned as it is only when ``classification`` is not
    classified; plain text where a classified value should be sealed is refused.

    Raises:
        DecryptError: wrong or missing key, a changed value, or a changed classification.

    """
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    where = f"{record} {field}"
    if not is_encrypted(value):
        if str(classification) in {"confidential", "secret", "top_secret"}:
            raise DecryptError(t("error.decrypt.plain", where=where))
        return value
    kid, wrapped, sealed = _parts(value, where)
    data_key = _unwrap(keys, kid, wrapped, where)
    try:
        aad = _context(record, field, str(classification))
        plain = AESGCM(data_key).decrypt(sealed[:_NONCE], sealed[_NONCE:], aad)
    except (InvalidTag, ValueError):
        raise DecryptError(t("error.decrypt.changed", where=where)) from None
    return plain.decode("utf-8")


def rewrap(keys: KeyRing, value: str, *, where: str) -> str:
    """The same envelope with its data key wrapped by the current key (key rotation).

    ``sealed`` is kept byte for byte, so the hash chain's view of the value is unchanged.

    Raises:
        DecryptError: the data key cannot be unwrapped.

    """
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    kid, wrapped, _ = _parts(value, where)
    if kid == keys.current:
        return value
    data_key = _unwrap(keys, kid, wrapped, where)
    nonce = secrets.token_bytes(_NONCE)
    aad = _WRAP_AAD + keys.current.encode()
    new = nonce + AESGCM(keys.keys[keys.current]).encrypt(nonce, data_key, aad)
    sealed = value.rsplit(":", 1)[1]
    return f"{ENVELOPE_PREFIX}{keys.current}:{_b64(new)}:{sealed}"
