"""The duty desk's vocabulary as enums: one concept, one name (see GLOSSARY.md).

Plain Python with no database or UI imports, so that the fast read path of the console
and the rule engine can use it without paying for SQLModel or Textual.
Members are stored in the database by value (lower-case English code names).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

_E = TypeVar("_E", bound=StrEnum)


def member(kind: type[_E], value: str) -> _E:
    """``kind(value)`` by a dictionary look-up, a member given as it is.

    Listings and checks convert many stored values (a queue block of 100 rows: 500),
    and calling an enum costs more than the rest of building a row (issue 16). A
    value that is not a member's raises ``ValueError`` as calling the enum does.
    """
    found = kind._value2member_map_.get(value)
    return found if found is not None else kind(value)  # type: ignore[return-value]


def parse(kind: type[_E], value: _E | str) -> _E | None:
    """``value`` as a member of ``kind`` by its stored code (or the member itself), else None.

    The one parse behind every "not one of" message (intake checks, search filters), so
    that what a value must be and how the refusal lists the choices cannot drift apart.
    """
    try:
        return kind(value)
    except ValueError:
        return None


def allowed(kind: type[StrEnum]) -> str:
    """The stored codes of ``kind``, comma-separated, as refusals list what is allowed."""
    return ", ".join(item.value for item in kind)


class Channel(StrEnum):
    """How a report reached the desk (来源渠道)."""

    PHONE = "phone"
    FAX = "fax"
    LETTER = "letter"
    WALK_IN = "walk_in"
    SMS_WECHAT = "sms_wechat"
    GRASSROOTS = "grassroots"
    DEPARTMENT_FEEDBACK = "department_feedback"
    ONLINE_OPINION = "online_opinion"
    CIPHER = "cipher"


class MatterKind(StrEnum):
    """What kind of matter an item is (事项类型): it decides which clocks run.

    Chosen at intake, defaulted from the channel (``[kind_by_channel]`` in
    ``data/rules.toml``); an officer may change it, and the change is on the timeline.
    """

    EMERGENCY = "emergency"
    """突发事件: 初判, 电话首报, 书面首报, 续报, 终报 (counted from 接报)."""
    REQUEST = "request"
    """群众诉求 (letters, visits, 12345 calls, messages from the public): 登记, 转办/交办,
    反馈, 办结; never an emergency 首报."""
    DOCUMENT = "document"
    """收文 and 密电: 签收, 登记, 呈批, 传阅/承办, 办结 (党政机关公文处理工作条例 §24)."""


class LeaveType(StrEnum):
    """The kind of a leader's absence (外出类型)."""

    OFFICIAL = "official"
    """公务: on official business."""
    PRIVATE = "private"
    """因私: on private business or leave."""
    ABROAD = "abroad"
    """出国（境）: abroad, under its own approval rules."""


class Category(StrEnum):
    """Kind of incident (事件类别)."""

    NATURAL_DISASTER = "natural_disaster"
    ACCIDENT = "accident"
    PUBLIC_HEALTH = "public_health"
    SOCIAL_SECURITY = "social_security"
    PUBLIC_REQUEST = "public_request"
    OTHER = "other"


class Severity(StrEnum):
    """Incident grade (事件级别); I is the most serious."""

    I = "I"  # noqa: E741 - the official grade names are Roman numerals
    II = "II"
    III = "III"
    IV = "IV"
    UNASSESSED = "unassessed"

    @property
    def rank(self) -> int:
        """Sort key: 0 for grade I (most urgent) up to 4 for unassessed."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.I: 0,
    Severity.II: 1,
    Severity.III: 2,
    Severity.IV: 3,
    Severity.UNASSESSED: 4,
}


class Classification(StrEnum):
    """Security classification (密级); the last three are classified (涉密)."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    SECRET = "secret"  # noqa: S105 - a classification level, not a password
    TOP_SECRET = "top_secret"  # noqa: S105 - a classification level, not a password

    @property
    def level(self) -> int:
        """Order of sensitivity, 0 (public) to 4 (top secret)."""
        # A dictionary made once below: an export asks this of every row (issue 16).
        return _LEVEL_ORDER[self]

    @property
    def is_classified(self) -> bool:
        """True for 秘密, 机密 and 绝密."""
        return _LEVEL_ORDER[self] >= 2  # 秘密 and above


_LEVEL_ORDER: dict[Classification, int] = {
    member: index for index, member in enumerate(Classification)
}
""":attr:`Classification.level` of each member: its place in the enum's order."""

CLASSIFICATION_ZH: dict[Classification, str] = {
    Classification.PUBLIC: "公开",
    Classification.INTERNAL: "内部",
    Classification.CONFIDENTIAL: "秘密",
    Classification.SECRET: "机密",
    Classification.TOP_SECRET: "绝密",
}
"""The levels' Chinese names (密级), which officers type as often as the codes."""

PERSONNEL_CATEGORY_ZH: dict[Classification, str] = {
    Classification.CONFIDENTIAL: "一般",
    Classification.SECRET: "重要",
    Classification.TOP_SECRET: "核心",
}
"""涉密人员类别 by clearance: 一般 (秘密), 重要 (机密), 核心 (绝密); none below 秘密."""


class Status(StrEnum):
    """Where an incident stands in the reporting chain."""

    RECEIVED = "received"
    VERIFYING = "verifying"
    REPORTED = "reported"
    FOLLOWING = "following"
    CLOSED = "closed"


class EntryKind(StrEnum):
    """Kinds of follow-up timeline entries (跟踪记录)."""

    RECEIVED = "received"
    VERIFIED = "verified"
    PHONE_REPORT = "phone_report"
    FIRST_REPORT = "first_report"
    CONTINUED_REPORT = "continued_report"
    FINAL_REPORT = "final_report"
    LEADER_INSTRUCTION = "leader_instruction"
    ASSIGNMENT = "assignment"
    SUPERVISION = "supervision"
    FEEDBACK = "feedback"
    NOTE = "note"
    CORRECTION = "correction"
    CLOSED = "closed"
    REOPENED = "reopened"
    FIELD_CHANGE = "field_change"
    REGISTERED = "registered"
    """登记 of a document: its number, copies and issuing body entered in the register."""
    SUBMITTED = "submitted"
    """呈批: a document put before the leader for instructions."""
    CIRCULATED = "circulated"
    """传阅/承办: a document passed round, or handed to whoever handles it."""
    REPORTED_BACK = "reported_back"
    """报结/销号: a leader instruction's feedback reported back to the leader; it closes
    the instruction, whatever happened to the incident meanwhile."""
    RETURNED = "returned"
    """清退: a copy of a classified document returned to its issuing organ (issue 13)."""
    DESTROYED = "destroyed"
    """销毁: a copy of a classified document destroyed, with who did it (issue 13)."""


class Role(StrEnum):
    """What a person may do at the desk."""

    DUTY_LEADER = "duty_leader"
    DUTY_OFFICER = "duty_officer"
    INFORMATION_OFFICER = "information_officer"
    CONFIDENTIAL_OFFICER = "confidential_officer"
    LEADER = "leader"
    ADMIN = "admin"
    AUDITOR = "auditor"
    SECURITY_OFFICER = "security_officer"
    """安全保密管理员: grants clearances and need-to-know (知悉范围), reads no content for it."""


class Position(StrEnum):
    """A seat on a shift; the order is the order the roster shows them in."""

    DUTY_LEADER = "duty_leader"
    DUTY_OFFICER = "duty_officer"
    INFORMATION_OFFICER = "information_officer"
    CONFIDENTIAL_OFFICER = "confidential_officer"


class ShiftKind(StrEnum):
    """Day (08:30-17:30) or night (17:30-08:30 next day) by default."""

    DAY = "day"
    NIGHT = "night"


class BulletinKind(StrEnum):
    """The two information products."""

    EXPRESS = "express"  # 《信息快报》
    DIRECT = "direct"  # 《信息直呈》


class Urgency(StrEnum):
    """A bulletin's 紧急程度 (GB/T 9704-2012 §7.2.3), printed at the top left when set."""

    NONE = "none"
    URGENT = "urgent"  # 加急
    EXTRA_URGENT = "extra_urgent"  # 特急


URGENCY_ZH = {Urgency.URGENT: "加急", Urgency.EXTRA_URGENT: "特急"}
"""The 紧急程度 as documents print it (and as an officer may type it).

Here beside :class:`Urgency`, not in ``rules.documents``: the CLI's option parsing reads
it, and importing the documents' dataclasses cost every command ~5 ms (issue 16).
"""


class BulletinStatus(StrEnum):
    """A bulletin's way from draft to issue."""

    DRAFT = "draft"
    REVIEWED = "reviewed"
    ISSUED = "issued"
    DISCARDED = "discarded"  # dropped before issue: it never takes a number


class Deployment(StrEnum):
    """Issue 13: what kind of computer the desk runs on (``deployment`` in the config).

    On an ordinary workstation (the default) a classified item keeps only its register;
    on an accredited classified network (分级保护) its content may be stored, sealed,
    and no network path is open.
    """

    REGISTER = "register"
    CLASSIFIED_NETWORK = "classified-network"


DEMO_KEY = "demo_loaded_at"
"""The ``meta`` key that marks a database holding the demo (its value: when loaded).

Here, beside the tables' other shared words, so that sign-in reads it without SQLModel
(``storage.models.DEMO_KEY`` is the same).
"""
