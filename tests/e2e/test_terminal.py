"""The e2e harness reads every screen a console can draw, half-overwritten wide ones too."""

from __future__ import annotations

import pyte

from tests.e2e.terminal import screen_look, screen_text


def test_a_narrow_character_over_half_a_wide_one_reads_as_text() -> None:
    # What Textual does when a dialog closes over Chinese text: it repaints a cell that
    # held the first half of a wide character with a narrow one, leaving the stub.
    screen = pyte.Screen(10, 2)
    stream = pyte.Stream(screen)
    stream.feed("值班室")
    stream.feed("\x1b[1;1Ha")
    assert screen_text(screen).splitlines()[0] == "a 班室"


def test_a_focus_that_only_changes_colour_is_seen() -> None:
    # A focused field is drawn in a lighter background, with the same characters: the
    # text of the screen cannot tell it moved, what the driver waits on can.
    screen = pyte.Screen(20, 3)
    stream = pyte.Stream(screen)
    stream.feed("\x1b[2;1H\x1b[48;5;236mName \x1b[48;5;240mText \x1b[0m\x1b[1;1H")
    before_text, before = screen_text(screen), screen_look(screen)
    stream.feed("\x1b[2;1H\x1b[48;5;240mName \x1b[48;5;236mText \x1b[0m\x1b[1;1H")
    assert screen_text(screen) == before_text
    after = screen_look(screen)
    assert after != before
    stream.feed("\x1b[1;1H02:31:07\x1b[1;1H")  # the header's clock ticks: not a change
    assert screen_look(screen) == after
