"""The e2e harness reads every screen a console can draw, half-overwritten wide ones too."""

from __future__ import annotations

import pyte

from tests.e2e.terminal import screen_text


def test_a_narrow_character_over_half_a_wide_one_reads_as_text() -> None:
    # What Textual does when a dialog closes over Chinese text: it repaints a cell that
    # held the first half of a wide character with a narrow one, leaving the stub.
    screen = pyte.Screen(10, 2)
    stream = pyte.Stream(screen)
    stream.feed("值班室")
    stream.feed("\x1b[1;1Ha")
    assert screen_text(screen).splitlines()[0] == "a 班室"
