"""One audited read of classified content: the clearance check, the unsealing, the view audit.

Every service that returns incident or bulletin content reads it through a
:class:`ClassifiedRead`, made by :func:`audited_read`::

    with audited_read(db, clearance, object_type="queue", viewer=viewer) as read:
        rows = read.views(found, level=..., shown=..., visible=..., restricted=...)

The three steps then cannot be taken apart or forgotten:

1. **clearance and need-to-know**: :meth:`ClassifiedRead.content` hands out a
   :class:`Content` (the only way to open a sealed value) for an object the reader is
   cleared for and, when it is classified, named in the 知悉范围 of (in person or by
   unit: :mod:`dutydesk.services.integrity.need_to_know`), ``None`` otherwise, so
   content the reader may not see is never even decrypted. A level alone opens no
   classified object; a reader nobody knows (no viewer) is named nowhere;
2. **unseal**: :class:`Content` opens sealed values with the read's key ring
   (:class:`~dutydesk.services.integrity.sealed.Opener`: loaded lazily, a placeholder
   when the key is missing or wrong);
3. **audit**: asking for the content of a classified (秘密, 机密, 绝密) object notes it as
   shown, and leaving the ``with`` block writes one ``classified_viewed`` event naming
   what was shown (serials and levels, never content) if anything was. A read that
   showed nothing classified writes nothing; the same read repeated within
   :data:`~dutydesk.services.integrity.sealed.VIEW_REPEAT_SECONDS` is the same view.

docs/architecture.md §7 states the rule; ``tests/test_reading.py`` runs every public
read of the services as a cleared and an uncleared reader against it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from dutydesk.rules.policy import may_open, may_see
from dutydesk.services.integrity.need_to_know import NamedFor
from dutydesk.services.integrity.sealed import Opener, record_view
from dutydesk.storage.engine import Database
from dutydesk.vocab import Classification, member

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.services.accounts.auth import Operator
    from dutydesk.storage.crypto import KeyRing

Row = TypeVar("Row")
View = TypeVar("View")

SHOWN_IN_DETAIL = 50
"""At most this many objects are named in one audit event's detail; the rest are counted."""


class Content:
    """Opens the sealed values of one object the reader is cleared for."""

    __slots__ = ("_level", "_opener")

    def __init__(self, opener: Opener, level: Classification) -> None:
        self._opener = opener
        self._level = level

    @property
    def level(self) -> Classification:
        """The object's classification (what its values were sealed under)."""
        return self._level

    def __call__(self, value: object, *, record: str, field: str) -> str:
        """The text of ``value`` (sealed or not) stored for ``record``'s ``field``."""
        return self._opener(value, record=record, field=field, classification=self._level)


class ClassifiedRead:
    """One read for one reader; made by :func:`audited_read`, which writes its audit."""

    def __init__(
        self,
        db: Database,
        clearance: Classification | str,
        *,
        keys: KeyRing | None = None,
        viewer: Operator | int | str | None = None,
    ) -> None:
        self.clearance = Classification(clearance)
        self._opener = Opener(db, keys)
        self._named = NamedFor(db, viewer)
        self.shown: dict[str, Classification] = {}
        """Classified objects whose content this read returned: label (a serial) -> level."""
        # An unclassified object opens on the level alone, so its Content is made once per
        # level: a 10,000-incident handover pack asks 16,000 times (issue 16).
        self._plain: dict[str, Content | None] = {}

    def may_see(self, level: Classification | str) -> bool:
        """True when the reader is cleared for ``level`` (nothing is opened or noted).

        The level only: whether a classified object opens also needs the reader named
        in its 知悉范围 (:meth:`may_open`).
        """
        return may_see(self.clearance, level)

    def may_open(self, level: Classification | str, shown: str) -> bool:
        """True when the reader may see the content of ``shown`` (a serial, ``bulletin:N``).

        Cleared for ``level`` and, if it is classified, named for it; nothing is opened
        or noted.
        """
        classification = member(Classification, level)
        if not may_see(self.clearance, classification):
            return False  # not cleared: the need-to-know lists are not even read
        named = classification.is_classified and self._named.covers(shown)
        return may_open(self.clearance, classification, named=named)

    def content(self, level: Classification | str, shown: str) -> Content | None:
        """The way to open an object's content, or ``None`` if the reader is not cleared.

        For a classified ``level`` the object is noted as shown under ``shown`` (its
        serial or name, never its content), so the read is audited.
        """
        if level in self._plain:
            return self._plain[level]
        classification = member(Classification, level)
        if not classification.is_classified:
            found = self.compared(classification, shown)
            self._plain[level] = self._plain[classification.value] = found
            return found
        if not self.may_open(classification, shown):
            return None
        self.shown.setdefault(shown, classification)
        return Content(self._opener, classification)

    def compared(self, level: Classification | str, shown: str) -> Content | None:
        """The way to open an object's content only to compare it, or ``None``.

        For the duplicate check (issue 13): a classified item's sealed place is compared
        only for a reader who may open it, and is never even decrypted for anyone else.
        Nothing is shown, so nothing is noted: a match then shown is read through
        :meth:`content` and audited as usual.
        """
        classification = member(Classification, level)
        if not self.may_open(classification, shown):
            return None
        return Content(self._opener, classification)

    def views(
        self,
        rows: Iterable[Row],
        *,
        level: Callable[[Row], Classification | str],
        shown: Callable[[Row], str],
        visible: Callable[[Row, Content], View],
        restricted: Callable[[Row], View],
    ) -> list[View]:
        """One view per row: ``visible(row, content)`` if cleared, else ``restricted(row)``."""
        result: list[View] = []
        for row in rows:
            content = self.content(level(row), shown(row))
            result.append(restricted(row) if content is None else visible(row, content))
        return result

    def detail(self) -> str:
        """What the audit event says was shown: levels and labels, never content."""
        names = [f"{label} ({level.value})" for label, level in self.shown.items()]
        more = len(names) - SHOWN_IN_DETAIL
        text = ", ".join(names[:SHOWN_IN_DETAIL])
        return f"{text} and {more} more" if more > 0 else text


@contextmanager
def audited_read(
    db: Database,
    clearance: Classification | str,
    *,
    object_type: str,
    object_id: str | int | None = None,
    keys: KeyRing | None = None,
    viewer: Operator | int | str | None = None,
    now: datetime | None = None,
    session: Session | None = None,
) -> Iterator[ClassifiedRead]:
    """A :class:`ClassifiedRead` whose classified content shown is audited on leaving.

    Args:
        db: the store (its key file opens sealed values when ``keys`` is ``None``).
        clearance: the reader's.
        object_type: what the audit event names as read (``queue``, ``incident``, ...).
        object_id: which one; by default the one object shown, or ``first+N`` for more.
        keys: the key ring, else the database's key file.
        viewer: who reads (an operator, a person id or name; ``None`` for nobody known).
        now: the moment of the read (default: the clock).
        session: an open writing session to record the event in, for a read made inside
            a write transaction (a second writer would wait for it on SQLite).

    """
    read = ClassifiedRead(db, clearance, keys=keys, viewer=viewer)
    yield read
    if not read.shown:
        return
    labels = list(read.shown)
    if object_id is None:
        object_id = labels[0] if len(labels) == 1 else f"{labels[0]}+{len(labels) - 1}"
    if session is None:
        record_view(db, viewer, object_type, object_id, read.detail(), now)
        return
    from datetime import UTC

    from dutydesk.services.accounts import audit

    moment = now if now is not None else datetime.now(UTC)
    audit.record(
        session, viewer, "classified_viewed", object_type, object_id, read.detail(), moment
    )


__all__ = ["ClassifiedRead", "Content", "audited_read"]
