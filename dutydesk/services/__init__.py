"""Use cases, one module per area.

Read paths used by the console's first screen use :meth:`dutydesk.store.Database.read`
and return small frozen dataclasses, so that showing the queue never imports SQLModel
(see ``dutydesk.store``). Write paths take an ORM session from ``Database.session``.
"""
