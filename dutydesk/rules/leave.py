"""How a leader's absence is worded (领导干部外出报备), as the seed's office words it.

A deputy's work is looked after by a colleague: "外出期间，其分管工作由XX同志负责". Only the
top post (the 书记 of the committee, the 市长 of the government) is "主持工作" by the
colleague left in charge. "代理" is never written: it is a formal appointment, which an
absence is not.
"""

from __future__ import annotations

from dutydesk.vocab import LeaveType

LEAVE_TYPE_ZH: dict[LeaveType, str] = {
    LeaveType.OFFICIAL: "公务",
    LeaveType.PRIVATE: "因私",
    LeaveType.ABROAD: "出国（境）",
}
"""The types as a report prints them."""

_TOP_POSTS = ("书记", "市长", "县长", "区长", "主任", "局长")


def is_top_post(title: str) -> bool:
    """True for the head of the body (市委书记, 市长), not a deputy (副书记, 副市长, 秘书长)."""
    title = title.strip()
    if not title or "副" in title or "秘书长" in title:
        return False
    return title.endswith(_TOP_POSTS)


def in_charge(leader_title: str, acting: str) -> str:
    """The sentence saying who looks after the leader's work while away."""
    if is_top_post(leader_title):
        return f"外出期间，由{acting}同志主持工作。"
    return f"外出期间，其分管工作由{acting}同志负责。"


__all__ = ["LEAVE_TYPE_ZH", "in_charge", "is_top_post"]
