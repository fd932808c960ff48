"""Widgets of the console: status line, incident queue, timeline and roster panes."""
