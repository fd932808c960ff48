"""The head key: a secret the database does not hold, which signs the chain's head (issue 17).

Anyone who can write the database file can recompute every hash of the chain, so a bare
head proves nothing against that person. The head key, 32 random bytes in a file of mode
0600 beside the database's key file (``<db>.head-key`` for ``<db>.key``), makes a MAC
(HMAC-SHA256 over ``<seq>:<hash>``) that only a holder of the file can compute:

* :func:`dutydesk.services.integrity.chain.append` stores the MAC of every new head in
  ``chain_state.mac`` (migration 0024), so ``verify`` sees a head moved back or recomputed;
* packs and exports print the signed head, ``#57 3f9a1c2b… ✓5e0c47a19b2d3f68`` (the first
  16 hex digits of hash and MAC), to compare on paper;
* each acknowledged handover appends its head to the anchor file ``<db>.anchor`` (0600,
  one line ``<UTC time> <seq>:<hash> <mac> handover=<id>``), which ``verify`` checks is
  still on the chain; losing the newest records, the ``-wal`` or the handover row shows.

The same key makes the keyed digests of text in state facts (:mod:`.state_facts`), so a
fact never carries classified text nor a hash one could brute-force without the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from dutydesk.rules.chain import ChainHead

MAC_SHORT = 16
"""Hex digits of the MAC printed on packs and exports."""

_KEYS: dict[Path, tuple[int, bytes]] = {}


def _stem(key_file: Path) -> Path:
    name = key_file.name
    return key_file.with_name(name[: -len(".key")] if name.endswith(".key") else name)


def head_key_path(key_file: Path) -> Path:
    """``<db>.head-key`` beside the key file ``<db>.key`` (``<name>.head-key`` otherwise)."""
    stem = _stem(key_file)
    return stem.with_name(stem.name + ".head-key")


def anchor_path(key_file: Path) -> Path:
    """``<db>.anchor`` beside the key file: the acknowledged heads, one per line."""
    stem = _stem(key_file)
    return stem.with_name(stem.name + ".anchor")


def key_file_of(db_path: Path | None) -> Path | None:
    """The database's key file (configured or ``<db>.key``), or ``None`` when none is known."""
    from dutydesk.errors import DutyDeskError
    from dutydesk.services.integrity.sealed import key_path

    try:
        return key_path(db_path)
    except DutyDeskError:  # a server database with no key_file setting: nothing to sign with
        return None


def key_path_of(db_path: Path | None) -> Path | None:
    """The head key file of the database at ``db_path``; ``None`` when none is known."""
    key_file = key_file_of(db_path)
    return None if key_file is None else head_key_path(key_file)


def load(path: Path, *, create: bool = False) -> bytes | None:
    """The head key in ``path`` (cached while unchanged); made (0600) when ``create``.

    Returns ``None`` when there is none and none could be made: heads are then unsigned,
    which ``verify`` says.
    """
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        if not create:
            return None
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: read theirs
            return load(path)
        except OSError:
            return None
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return load(path)
    except OSError:
        return None
    cached = _KEYS.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    if len(key) < 16:
        return None
    _KEYS[path] = (stamp, key)
    return key


def for_database(db_path: Path | None, *, create: bool = False) -> bytes | None:
    """The head key of a database, made on first use when ``create``."""
    key_file = key_file_of(db_path)
    return None if key_file is None else load(head_key_path(key_file), create=create)


def mac(key: bytes, head: ChainHead) -> str:
    """HMAC-SHA256 (hex) of ``<seq>:<hash>`` under the head key."""
    return hmac.new(key, str(head).encode("ascii"), hashlib.sha256).hexdigest()


def digest(key: bytes, where: str, value: str) -> str:
    """A keyed digest of a text value for a state fact: never the text, not brute-forceable."""
    message = f"{where}\n{value}".encode()
    # hmac.digest: the one-shot C path, the same bytes as hmac.new(...).digest()
    return hmac.digest(key, message, "sha256").hex()[:24]


def key_id(key: bytes | None) -> str | None:
    """A short public name of the key (8 hex of its SHA-256): which key made a digest."""
    return None if key is None else hashlib.sha256(key).hexdigest()[:8]


def signed_short(head: ChainHead, key: bytes | None) -> str:
    """``#57 3f9a1c2b… ✓5e0c47a19b2d3f68``: the head and its MAC's first 16 hex digits."""
    if key is None or head.seq == 0:
        return head.short
    return f"{head.short} ✓{mac(key, head)[:MAC_SHORT]}"


class Anchor(NamedTuple):
    """One line of the anchor file."""

    line: int
    at: str
    head: ChainHead
    mac: str
    handover_id: int | None


def append_anchor(db_path: Path | None, head: ChainHead, at: datetime, handover_id: int) -> None:
    """Add an acknowledged head to ``<db>.anchor`` (0600), after its commit.

    Best effort: a full disk or a read-only folder must not undo an acknowledgement that
    is already stored; ``verify`` then simply has one anchor fewer.
    """
    key_file = key_file_of(db_path)
    if key_file is None:
        return
    key = load(head_key_path(key_file), create=True)
    signature = mac(key, head) if key is not None else "-"
    moment = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    line = f"{moment} {head} {signature} handover={handover_id}\n"
    with contextlib.suppress(OSError):
        descriptor = os.open(anchor_path(key_file), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(descriptor, "a", encoding="ascii") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


def clear_anchors(db_path: Path | None) -> None:
    """Empty the anchor file: the demo's reset starts a new chain, so old heads are void."""
    key_file = key_file_of(db_path)
    if key_file is not None:
        anchor_path(key_file).unlink(missing_ok=True)


def read_anchors(db_path: Path | None) -> list[Anchor]:
    """Every readable line of the anchor file (none when there is no file)."""
    key_file = key_file_of(db_path)
    if key_file is None:
        return []
    try:
        text = anchor_path(key_file).read_text(encoding="ascii", errors="replace")
    except OSError:
        return []
    anchors = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if len(parts) < 3:
            continue
        try:
            head = ChainHead.parse(parts[1])
        except ValueError:
            continue
        handover = next((p.partition("=")[2] for p in parts[3:] if p.startswith("handover=")), "")
        anchors.append(
            Anchor(number, parts[0], head, parts[2], int(handover) if handover.isdigit() else None)
        )
    return anchors
