"""Need-to-know: who may see what (不该看的不看)."""

from __future__ import annotations

from dutydesk.vocab import Classification, member


def may_see(clearance: Classification | str, classification: Classification | str) -> bool:
    """True when a person cleared to ``clearance`` may see content at ``classification``."""
    return _level(clearance) >= _level(classification)


def _level(value: Classification | str) -> int:
    return member(Classification, value).level


def may_open(
    clearance: Classification | str, classification: Classification | str, *, named: bool
) -> bool:
    """True when a reader may see an item's content (level and need-to-know).

    Cleared for its level and, for a classified (秘密, 机密, 绝密) item, named in its
    知悉范围 (in person or by unit). A level alone no longer opens a classified
    item (不该知悉的不知悉).
    """
    level = member(Classification, classification)
    return may_see(clearance, level) and (named or not level.is_classified)
