"""Delivering a bulletin's short version: outbox files, and a WeCom group-robot webhook.

* **Outbox**: ``<outbox>/<year>-<kind>-<NNN>.sms.txt`` holds the SMS segments, one per
  line, for the SMS gateway or the officer's phone; ``.wechat.txt`` holds the whole text.
  Written atomically (temporary file, then rename), so a reader never sees half a file.
* **Webhook** (optional): each message is POSTed as ``{"msgtype": "text", "text":
  {"content": ...}}``, the JSON a WeCom (企业微信) group robot takes, with ``urllib``.
  Every message is first stored as a ``bulletin_delivery`` row (``pending``) and
  committed; the POST happens outside any transaction (a slow server never holds the
  write lock); the row becomes ``sent`` or ``failed`` with the error. ``failed`` and
  ``pending`` rows are sent again by :func:`retry_deliveries`: nothing is lost.

Only issued bulletins are delivered; classified ones never reach here
(:func:`dutydesk.services.bulletins.short_version.short_version` refuses them).

A 《信息直呈》 goes to the leader it names, never to a group robot: its outbox gets a
``.to.txt`` beside the segments (the leader's name and number, tab-separated, for the
gateway or the officer's phone), and the webhook is left out, saying so in one line.
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dutydesk.i18n import t
from dutydesk.rules.sms import SmsStyle, split_segments
from dutydesk.services.bulletins.read import BulletinError
from dutydesk.services.bulletins.short_version import ShortVersion, short_version
from dutydesk.services.retry import write_with_retry
from dutydesk.storage.engine import Database
from dutydesk.storage.private import make_private_dirs
from dutydesk.vocab import BulletinKind, BulletinStatus

if TYPE_CHECKING:
    from sqlmodel import Session

WECHAT_UNITS = 600
"""A WeCom text message takes 2,048 bytes; 600 UTF-16 units stay under that in UTF-8."""


@dataclass(frozen=True)
class DeliveryReport:
    """What a delivery did."""

    files: tuple[Path, ...] = ()
    """The outbox files written (and a 《信息直呈》's ``.to.txt``)."""
    sent: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()
    note: str | None = None
    """The short version's note (classified items left out), if any."""


def _write_atomic(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_outbox(outbox: Path, stem: str, version: ShortVersion) -> tuple[Path, Path]:
    """Write the SMS segments and the WeChat text of ``version`` into ``outbox``."""
    make_private_dirs(outbox)  # 0700; the files in it are 0600 (mkstemp)
    sms, wechat = outbox / f"{stem}.sms.txt", outbox / f"{stem}.wechat.txt"
    _write_atomic(sms, "".join(segment + "\n" for segment in version.segments))
    _write_atomic(wechat, version.full + "\n")
    return sms, wechat


def wecom_payloads(text: str) -> list[str]:
    """The JSON bodies for a WeCom group robot, split only if one would be too long."""
    return [
        json.dumps({"msgtype": "text", "text": {"content": part}}, ensure_ascii=False)
        for part in split_segments(text, WECHAT_UNITS)
    ]


def post(url: str, payload: str, timeout: float = 10.0) -> None:
    """POST ``payload`` (JSON) to ``url``.

    Raises:
        BulletinError: not an http(s) URL, a network error, a non-2xx status, or a
            WeCom reply with a non-zero ``errcode``.

    """
    if not url.startswith(("http://", "https://")):
        raise BulletinError(t("delivery.bad_url"))
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above: http(s) only
        url,
        data=payload.encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the scheme is checked above: http(s) only
            body = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise BulletinError(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise BulletinError(f"{type(exc).__name__}: {reason}") from None
    try:
        reply = json.loads(body or b"{}")
    except ValueError:
        return  # a 2xx with no JSON: accepted
    if isinstance(reply, dict) and reply.get("errcode", 0) != 0:
        raise BulletinError(f"errcode {reply.get('errcode')}: {reply.get('errmsg', '')}")


def deliver(
    db: Database,
    bulletin_id: int,
    *,
    outbox: Path,
    webhook_url: str | None,
    actor: str,
    now: datetime,
    timeout: float = 10.0,
    offline: bool = False,
    style: SmsStyle | None = None,
    tz: ZoneInfo | None = None,
) -> DeliveryReport:
    """Write an issued bulletin's short version to the outbox and, if given, the webhook.

    ``offline``: the desk is on an accredited classified network (issue 13), where every
    network path is off: a webhook is refused before anything is written, and the
    outbox file is the one way out. ``style`` and ``tz``: as for :func:`short_version`.

    Raises:
        BulletinError: the bulletin is not issued, its short version is refused, or a
            webhook is given ``offline``.

    """
    from dutydesk.storage.models import BulletinDelivery

    if offline and webhook_url:
        raise BulletinError(t("accredited.webhook_refused"))

    rows = db.read(
        "SELECT status, kind, year, issue_no FROM bulletin WHERE id = :id", {"id": bulletin_id}
    )
    if rows and BulletinStatus(rows[0][0]) is not BulletinStatus.ISSUED:
        raise BulletinError(t("delivery.not_issued", id=bulletin_id))
    # Refuses classified bulletins, or NotFound.
    version = short_version(db, bulletin_id, style=style, tz=tz)
    _, kind, year, number = rows[0]
    direct = version.kind is BulletinKind.DIRECT
    if direct and not version.to_name:
        raise BulletinError(t("bulletin.direct.unnamed", id=bulletin_id))
    stem = f"{year}-{kind}-{int(number):03d}"
    files: tuple[Path, ...] = write_outbox(outbox, stem, version)
    if direct:
        to = outbox / f"{stem}.to.txt"
        _write_atomic(to, f"{version.to_name}\t{version.to_phone}\n")
        files = (*files, to)
        # One person, not a group: the robot never gets it, whatever is configured.
        said = t("bulletin.direct.to_leader", name=version.to_name)
        note = "\n".join(line for line in (version.note, said) if line)
        return DeliveryReport(files=files, note=note)
    if not webhook_url:
        return DeliveryReport(files=files, note=version.note)

    def queue(session: Session) -> list[int]:
        records = [
            BulletinDelivery(
                bulletin_id=bulletin_id, target=webhook_url, payload=body, created_at=now
            )
            for body in wecom_payloads(version.full)
        ]
        session.add_all(records)
        session.flush()
        from dutydesk.services.accounts.audit import record

        record(
            session=session,
            actor=actor,
            action="bulletin.deliver",
            object_type="bulletin",
            object_id=bulletin_id,
            detail=f"{len(records)} webhook message(s) queued",
            now=now,
        )
        return [int(item.id) for item in records if item.id is not None]

    ids = write_with_retry(db, queue)
    report = _send(db, ids, now=now, timeout=timeout)
    return DeliveryReport(files, report.sent, report.failed, report.errors, version.note)


def retry_deliveries(
    db: Database, *, now: datetime, timeout: float = 10.0, offline: bool = False
) -> DeliveryReport:
    """Send again every webhook message not yet sent (``pending`` or ``failed``).

    Raises:
        BulletinError: ``offline`` (an accredited classified network, issue 13): messages
            queued before are kept, never sent from here.

    """
    if offline:
        raise BulletinError(t("accredited.retry_refused"))
    rows = db.read("SELECT id FROM bulletin_delivery WHERE state != 'sent' ORDER BY id")
    return _send(db, [int(row[0]) for row in rows], now=now, timeout=timeout)


def _send(db: Database, ids: list[int], *, now: datetime, timeout: float) -> DeliveryReport:
    from dutydesk.storage.models import BulletinDelivery

    sent, errors = 0, []
    for delivery_id in ids:
        target, payload = db.read(
            "SELECT target, payload FROM bulletin_delivery WHERE id = :id", {"id": delivery_id}
        )[0]
        error = ""
        try:
            post(str(target), str(payload), timeout)
        except BulletinError as exc:
            error = str(exc)

        def mark(session: Session, delivery_id: int = delivery_id, error: str = error) -> None:
            row = session.get(BulletinDelivery, delivery_id)
            assert row is not None
            row.attempts += 1
            row.last_attempt_at = now
            row.state = "failed" if error else "sent"
            row.last_error = error
            row.sent_at = None if error else now

        write_with_retry(db, mark)
        if error:
            errors.append(t("delivery.failed", id=delivery_id, error=error))
        else:
            sent += 1
    return DeliveryReport(sent=sent, failed=len(errors), errors=tuple(errors))
