"""A report element refused by its parser, said in the reader's language.

Kept apart from :mod:`.records` (which loads SQLModel) so that the command line's
parsing says the same words without loading the ORM.
"""

from __future__ import annotations

from dutydesk.i18n import field_caption, t
from dutydesk.rules.facts import FactError


def fact_refusal(error: FactError) -> str:
    """A report element its parser refused (事发时间, casualties...), in the reader's language."""
    value = repr(error.value)
    field = field_caption(error.field)
    if error.problem == "not_a_number":
        return t("error.fact.not_a_number", field=field, value=value)
    if error.problem == "negative":
        return t("error.fact.negative", field=field)
    if error.problem == "not_a_flag":
        return t("error.fact.not_a_flag", field=field, value=value)
    if error.problem == "zero":
        return t("error.fact.zero", field=field)
    if error.problem == "not_a_moment":
        return t("error.fact.not_a_moment", field=field, value=value)
    return t("error.fact.no_zone", field=field)
