"""Use cases, one module per area.

Read paths used by the console's first screen use :meth:`dutydesk.storage.engine.Database.read`
and return small frozen dataclasses, so that showing the queue never imports SQLModel
(see ``dutydesk.storage.engine``). Write paths take an ORM session from ``Database.session``.
"""
