"""Use cases, one module per area.

Read paths used by the console's first screen use :meth:`dutydesk.storage.engine.Database.read`
and return small frozen dataclasses, so that showing the queue never imports SQLModel
(see ``dutydesk.storage.engine``). Write paths take an ORM session from ``Database.session``.
"""

from dutydesk.storage.engine import SESSION_SETUP


def _chain_hooks() -> None:
    """Install the chain's session hooks (state facts) before a session's first flush.

    Imported here, on the first session, rather than by each write path: a path whose
    modules load lazily (the CLI's per-command imports) would otherwise flush a watched
    row before the hook exists, and that row would never get its fact on the chain.
    """
    import dutydesk.services.integrity.chain  # noqa: F401 - registers the hooks


SESSION_SETUP.append(_chain_hooks)
