"""classified content out of the search index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 09:00:00

Classified titles, summaries and timeline texts are now sealed at rest
(``dutydesk.services.integrity.sealed``), so the index must not keep them in clear either: the
FTS5 triggers of ``dutydesk.storage.search`` now index a classified incident by its serial
only. The index is dropped and reinstalled from the tables, which also purges classified
content indexed before. Cleared readers, too, find classified incidents by serial only
(content search of sealed text would need a decrypting index).

Rows already stored in clear are sealed by ``dutydesk key encrypt-existing`` (it needs
the key file, which a migration does not have).
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _reinstall() -> None:
    from dutydesk.storage.search import SQLITE_DROP, install_sqlite, sqlite_has_trigram

    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    raw = bind.connection.dbapi_connection
    if raw is None or not sqlite_has_trigram(raw):  # type: ignore[arg-type]
        return
    for statement in SQLITE_DROP:
        bind.exec_driver_sql(statement)
    install_sqlite(bind.exec_driver_sql)


def upgrade() -> None:
    _reinstall()


def downgrade() -> None:
    # The older triggers would index sealed envelopes; the serial-only index is kept.
    pass
