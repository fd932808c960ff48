"""Encryption building blocks: envelopes, the key file, rotation, tampering, relabelling."""

from __future__ import annotations

import base64
import io
import os
import sys
from pathlib import Path

import pytest

from dutydesk.rules.chain import hashed_form
from dutydesk.services.incidents.followup import NewEntry
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.services.integrity.keys import rotate
from dutydesk.services.integrity.verify import verify
from dutydesk.storage.crypto import (
    DecryptError,
    KeyFileError,
    KeyRing,
    decrypt_field,
    encrypt_field,
    envelope_key_id,
    is_encrypted,
    key_file_for,
)
from dutydesk.storage.engine import Database
from tests.conftest import DEMO_MOMENT
from tests.request_support import request

CANARY = "绝密金丝雀 canary-7731"
WHERE = {"record": "incident:42", "field": "title", "classification": "secret"}


@pytest.fixture
def keys(tmp_path: Path) -> KeyRing:
    return KeyRing.create(tmp_path / "duty.sqlite3.key")


def test_round_trip_and_envelope(keys: KeyRing) -> None:
    sealed = encrypt_field(keys, CANARY, **WHERE)
    assert is_encrypted(sealed) and sealed.startswith("enc:v1:k1:")
    assert CANARY not in sealed and "canary" not in sealed
    assert encrypt_field(keys, CANARY, **WHERE) != sealed  # fresh data key and nonce
    assert decrypt_field(keys, sealed, **WHERE) == CANARY
    assert (
        decrypt_field(
            keys, "公开的标题", record="incident:1", field="title", classification="internal"
        )
        == "公开的标题"
    )
    with pytest.raises(DecryptError, match="stored unencrypted"):
        decrypt_field(keys, "明文", **WHERE)


def test_key_file_is_0600_and_a_readable_one_is_refused(keys: KeyRing) -> None:
    assert keys.path.stat().st_mode & 0o777 == 0o600
    assert KeyRing.load(keys.path).keys == keys.keys
    keys.path.chmod(0o644)
    with pytest.raises(KeyFileError) as refused:
        KeyRing.load(keys.path)
    message = str(refused.value)
    assert "\n" not in message and "mode 0644" in message and f"chmod 600 {keys.path}" in message
    with pytest.raises(KeyFileError, match="exists already"):
        KeyRing.create(keys.path)


def test_commands_refuse_to_start_beside_a_readable_key_file(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dutydesk.cli.app import main

    # <file>.key beside a SQLite file; DUTYDESK_KEY_FILE (the db fixture's) for a server.
    path = key_file_for(db.path, os.environ.get("DUTYDESK_KEY_FILE"))
    KeyRing.create(path).path.chmod(0o640)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", db_arg, "incident", "list"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is open to other users (mode 0640)" in err


def test_wrong_key_fails_clearly(keys: KeyRing, tmp_path: Path) -> None:
    sealed = encrypt_field(keys, CANARY, **WHERE)
    other = KeyRing.create(tmp_path / "other.key")  # also calls its key k1
    with pytest.raises(DecryptError) as wrong:
        decrypt_field(other, sealed, **WHERE)
    assert "is not the key this was encrypted with" in str(wrong.value)
    assert CANARY not in str(wrong.value) and wrong.value.__cause__ is None
    other.keys = {"k9": other.keys["k1"]}
    other.current = "k9"
    with pytest.raises(DecryptError, match=r"encrypted with key k1, which .* does not hold"):
        decrypt_field(other, sealed, **WHERE)


def test_tampered_ciphertext_and_relabelled_classification_fail(keys: KeyRing) -> None:
    sealed = encrypt_field(keys, CANARY, **WHERE)
    head, body = sealed.rsplit(":", 1)
    data = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    data[20] ^= 0x01
    tampered = f"{head}:{base64.urlsafe_b64encode(bytes(data)).decode().rstrip('=')}"
    for value, where in (
        (tampered, WHERE),
        (sealed, {**WHERE, "classification": "confidential"}),  # relabelled down
        (sealed, {**WHERE, "record": "incident:43"}),  # moved to another record
        (sealed, {**WHERE, "field": "summary"}),
    ):
        with pytest.raises(DecryptError, match="was changed after it was written") as failed:
            decrypt_field(keys, value, **where)
        assert CANARY not in str(failed.value)
    with pytest.raises(DecryptError, match="damaged"):
        decrypt_field(keys, "enc:v1:k1:@@", **WHERE)


def test_rotation_rewraps_without_touching_the_chain(db: Database, db_path: Path) -> None:
    keys = KeyRing.create(key_file_for(db_path, None))
    from dutydesk.rules.deadlines import load_rules
    from dutydesk.services.incidents.followup import add_entry
    from dutydesk.services.incidents.incident import create_incident
    from tests.conftest import SHANGHAI

    rules = load_rules()
    with db.session() as session:
        incident = create_incident(
            request(session, now=DEMO_MOMENT, tz=SHANGHAI, rules=rules),
            NewIncident(
                received_at=DEMO_MOMENT,
                channel="cipher",
                category="other",
                severity="II",
                classification="secret",
                title="x",
                summary="x",
            ),
            session=session,
        )
        assert incident.id is not None
        incident.title = encrypt_field(
            keys, CANARY, record=f"incident:{incident.id}", field="title", classification="secret"
        )
        entry = add_entry(
            request(session, now=DEMO_MOMENT, rules=rules),
            incident,
            NewEntry(
                kind="note",
                occurred_at=DEMO_MOMENT,
                text=encrypt_field(
                    keys,
                    CANARY,
                    record=f"timeline_entry:{incident.id}/2",
                    field="text",
                    classification="secret",
                ),
            ),
            session=session,
        )
        before_hash = entry.hash
    old_text = db.read("SELECT text FROM timeline_entry WHERE seq = 2")[0][0]
    done = rotate(db, keys, None, DEMO_MOMENT)
    # title and entry 2 sealed here; summary and the received entry by create_incident
    assert (done.new_key, done.retired, done.rewrapped) == ("k2", ("k1",), 4)
    reloaded = KeyRing.load(keys.path)
    assert set(reloaded.keys) == {"k2"} and keys.path.stat().st_mode & 0o777 == 0o600
    new_text, new_hash = db.read("SELECT text, hash FROM timeline_entry WHERE seq = 2")[0]
    assert envelope_key_id(new_text) == "k2" and hashed_form(new_text) == hashed_form(old_text)
    assert new_hash == before_hash and verify(db).ok, verify(db).problems
    title = db.read("SELECT title FROM incident")[0][0]
    where = {"record": f"incident:{incident.id}", "field": "title", "classification": "secret"}
    assert decrypt_field(reloaded, title, **where) == CANARY
    for part in (db_path, Path(f"{db_path}-wal")):  # a copied database yields no text
        assert not part.exists() or CANARY.encode() not in part.read_bytes()
    # State facts (issue 17) aside: key rotation changes no row's state.
    actions = [
        row[0] for row in db.read("SELECT action FROM audit_event WHERE action NOT LIKE 'state%'")
    ]
    assert actions == ["key_rotated"]
