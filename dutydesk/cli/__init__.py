"""The command line: the bare launcher (no typer), the typer app, one module per command group.

This package's ``__init__`` imports nothing: ``dutydesk --db X`` reaches
:mod:`dutydesk.cli.launch` without importing typer.
"""
