"""Need-to-know: who may see what (不该看的不看)."""

from __future__ import annotations

from dutydesk.vocab import Classification


def may_see(clearance: Classification | str, classification: Classification | str) -> bool:
    """True when a person cleared to ``clearance`` may see content at ``classification``."""
    return Classification(clearance).level >= Classification(classification).level
