"""Moving a test's database along its Alembic history, on either store.

Migration tests step a database down and up again on the connection the test already
holds (``config.attributes["connection"]``, which ``dutydesk.storage.migrations``'s
``env.py`` uses instead of opening its own), so a PostgreSQL scratch database and a
SQLite file are moved the same way.
"""

from __future__ import annotations

from typing import Literal

from dutydesk.storage.engine import Database


def migrate(db: Database, step: Literal["upgrade", "downgrade"], revision: str) -> None:
    """Run ``alembic upgrade|downgrade revision`` on ``db`` in one transaction."""
    from alembic import command

    from dutydesk.storage.migrations import alembic_config

    config = alembic_config(db.url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, step)(config, revision)
