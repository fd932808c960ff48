"""Alembic migrations: the only way dutydesk's schema is created or changed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config

    from dutydesk.storage.engine import Database

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config(url: str) -> Config:
    """An Alembic ``Config`` pointing at this package's scripts and ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def known_revisions() -> set[str]:
    """Every revision id this version of dutydesk knows."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {rev.revision for rev in script.walk_revisions()}


def head_revision() -> str:
    """The newest revision id."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def upgrade(db: Database, revision: str = "head") -> None:
    """Migrate ``db`` to ``revision`` using the database's own engine (and pragmas)."""
    from alembic import command

    config = alembic_config(db.url)
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            _require_pg_trgm(db, connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _require_pg_trgm(db: Database, connection: Any) -> None:
    """Stop before migrating when the server lacks pg_trgm (migration 0021 needs it).

    Said in one line before anything runs; the migration itself would stop too, but
    with a bare error half-way through a schema upgrade.
    """
    found = connection.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    ).first()
    if found is None:
        from dutydesk.errors import DatabaseError
        from dutydesk.i18n import t

        raise DatabaseError(t("error.db.no_pg_trgm", where=db.describe()))
