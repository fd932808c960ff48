"""One bulletin in the format asked for: the choice the console and the CLI share.

Both print a bulletin as a Word file, Markdown or plain text with the same masthead,
marking and 版记 arguments; choosing the renderer here keeps the two from drifting. The
DOCX renderer is imported only when a Word file is asked for (python-docx is heavy).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dutydesk.rules.documents import BulletinView, Distribution
from dutydesk.rules.marking import Marking


def render_bulletin(
    view: BulletinView,
    fmt: str,
    *,
    unit: str,
    tz: ZoneInfo,
    now: datetime,
    marking: Marking | None,
    distribution: Distribution | None,
) -> str | bytes:
    """``view`` as ``fmt`` (``docx`` bytes, ``md`` or ``txt`` text)."""
    if fmt == "docx":
        from dutydesk.reports.bulletin_docx import render_docx

        return render_docx(
            view, unit=unit, tz=tz, now=now, marking=marking, distribution=distribution
        )
    from dutydesk.reports.bulletin_text import render_md, render_txt

    render = render_md if fmt == "md" else render_txt
    return render(view, unit=unit, tz=tz, now=now, marking=marking, distribution=distribution)
