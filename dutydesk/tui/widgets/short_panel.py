"""The short version panel (短信版/微信版) of the bulletin screen.

Shows the editable text of the SMS/WeChat version and, under it, the whole message
(header, text, sign-off) cut into numbered SMS segments ``(1/3)`` as the office's
gateway takes them, recomputed as the officer types (pure ``ShortVersion.split``, no
database). For a bulletin
whose items are all classified the text area is hidden and the refusal is shown
instead; when classified items were left out, the note saying so stays visible.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static, TextArea

from dutydesk.i18n import t
from dutydesk.rules.sanitize import clean
from dutydesk.services.bulletins.short_version import ShortVersion
from dutydesk.tui.text import safe, safe_block
from dutydesk.tui.widgets.form import SafeTextArea


def one_paragraph(text: str) -> str:
    """The text as the service stores it: sanitised, line breaks dropped."""
    return "".join(clean(text, multiline=True).split("\n")).strip()


class ShortPanel(Vertical):
    """Editable short version, its SMS segments, and the refusal or partial note."""

    version: ShortVersion | None = None
    """The short version last read or stored (``None`` when refused or not drafted)."""
    refusal: str | None = None
    """Why there is no short version (all items classified), if that is the case."""

    def compose(self) -> ComposeResult:
        """The text area, the note line, the segments."""
        yield SafeTextArea(id="short-text", compact=True, soft_wrap=True, tab_behavior="focus")
        yield Static(Content(""), id="short-note")
        yield Static(Content(""), id="short-segments")

    def on_mount(self) -> None:
        """Nothing to show before the draft exists."""
        self.border_title = t("desk.bulletin.short")
        self.area.display = False

    @property
    def area(self) -> TextArea:
        """The editable text."""
        return self.query_one("#short-text", TextArea)

    @property
    def typed(self) -> str | None:
        """The edited text if it differs from the stored version, else ``None``."""
        if self.version is None or self.refusal is not None:
            return None
        text = self.area.text
        return text if one_paragraph(text) != self.version.text else None

    def show_version(self, version: ShortVersion | None, refusal: str | None) -> None:
        """Show a version read from the store (replacing the text area's content)."""
        self.version, self.refusal = version, refusal
        note = self.query_one("#short-note", Static)
        if refusal is not None:
            self.area.display = False
            note.update(safe_block(refusal, "bold $text-warning"))
            self.query_one("#short-segments", Static).update(Content(""))
            return
        if version is None:
            return
        self.area.display = True
        self.area.load_text(version.text)
        note.update(safe_block(version.note or "", "italic $text-warning"))
        self._segments()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Recount the segments as the officer types."""
        event.stop()
        self._segments()

    def _segments(self) -> None:
        if self.version is None:
            return
        segments = self.version.split(self.area.text)
        lines = [Content.styled(self.version.count_line(self.area.text), "bold")]
        lines += [safe(segment) for segment in segments]
        self.query_one("#short-segments", Static).update(Content("\n").join(lines))

    @property
    def text(self) -> str:
        """Everything the panel shows (for tests)."""
        parts = [str(self.query_one(f"#short-{name}", Static).content) for name in ("note",)]
        parts.append(str(self.query_one("#short-segments", Static).content))
        if self.area.display:
            parts.insert(0, self.area.text)
        return "\n".join(parts)
