"""Sub-commands of ``dutydesk`` (typer apps), registered in :mod:`dutydesk.cli.app`.

Like the CLI root, these modules stay light at import time: services, SQLAlchemy and
SQLModel are imported inside the commands that need them, and Textual never.
"""
