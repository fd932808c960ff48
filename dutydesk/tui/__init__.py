"""The Textual console (docs/architecture.md §5). The only package that imports Textual.

The CLI imports :func:`dutydesk.tui.app.run_console` lazily, inside the command that opens
the console, so that ``dutydesk export`` and friends never pay for Textual's import.
"""
