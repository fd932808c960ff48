"""The console's one gate on writing the desk's record (issue 17: roles gate writes too).

An auditor, administrator or security officer who signs in reads the console as their
clearance and need-to-know allow, but writes nothing to the record: every form refuses
to open (:class:`~dutydesk.tui.base.form.FormScreen`) and every key that writes without a
form (sign-off, issue, acknowledge, the drill's fire and stop) calls :func:`refused` first.
The services' own checks stay; this says why in a toast instead of a failed save.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dutydesk.i18n import t
from dutydesk.tui.text import safe

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from dutydesk.tui.context import Context


def refused(node: DOMNode, context: Context) -> bool:
    """True (and a toast saying why) when ``context``'s operator may not write the record."""
    if context.may_write:
        return False
    text = safe(t("access.read_only", name=context.operator)).plain
    node.app.notify(text, severity="warning", markup=False)
    return True
