"""The office's deadline rules, their refusals said in the reader's language.

:func:`dutydesk.rules.deadlines.office_rules` reads ``data/rules.toml``, the config
file's ``[rules]`` and the office's holidays file; being a rule, it speaks no language
of its own and refuses with English words and their parts (``RulesError``,
``HolidayFileError``). Both faces read the rules through :func:`office_rules` here, so a
Chinese desk reads "节假日安排文件……不是有效日期", not the rule's English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dutydesk.errors import ConfigError
from dutydesk.i18n import code_name, current_language, t
from dutydesk.vocab import Severity

if TYPE_CHECKING:
    from dutydesk.rules.deadlines import DeadlineRules, RulesError
    from dutydesk.rules.workdays import HolidayFileError

_TOML_AT = r"\(at line (\d+), column (\d+)\)"  # compiled at first use: a refusal's only


def toml_detail(detail: object) -> str:
    """Why a file is not TOML: the parser's words in English, where it stopped in Chinese.

    ``tomllib`` explains itself in English only ("Invalid value (at line 2, column 9)");
    a Chinese reader is told the line and column to look at.
    """
    text = str(detail)
    found = re.search(_TOML_AT, text)
    if current_language() == "en" or found is None:
        return text
    return t("error.toml.position", line=found[1], column=found[2])


def rules_refusal(error: RulesError) -> str:
    """Unusable deadline rules (the config's ``[rules]`` on ``rules.toml``), in words."""
    problem = error.problem
    values: Mapping[str, Any] = problem.values
    if problem.key == "no_unit":
        return t("error.rules.no_unit", name=repr(values["name"]))
    if problem.key == "kind":
        return t("error.rules.kind", detail=values["detail"])
    if problem.key == "not_positive":
        return t("error.rules.not_positive", setting=values["setting"])
    if problem.key == "order":
        serious: Severity = values["serious"]
        lesser: Severity = values["lesser"]
        return t(
            "error.rules.order",
            table=values["table"],
            serious=code_name(serious),
            lesser=code_name(lesser),
        )
    return t("error.rules.clock", value=values["value"])


def holidays_refusal(error: HolidayFileError) -> str:
    """The office's holidays file refused (a year's table, a date), in words."""
    path, values = error.path, error.values
    if error.problem == "unreadable":
        return t("error.holidays.unreadable", path=path, detail=toml_detail(values["detail"]))
    if error.problem == "not_a_year":
        return t("error.holidays.not_a_year", path=path, value=values["value"])
    if error.problem == "unknown_keys":
        return t("error.holidays.unknown_keys", path=path, **values)
    if error.problem == "both":
        return t("error.holidays.both", path=path, day=values["day"])
    if error.problem == "not_a_list":
        return t("error.holidays.not_a_list", path=path, **values)
    if error.problem == "not_a_date":
        return t("error.holidays.not_a_date", path=path, **values)
    return t("error.holidays.wrong_year", path=path, **values)


def rules_cache() -> Path:
    """Where the parsed ``rules.toml`` is kept between commands: the user's cache folder.

    ``~/.cache/dutydesk/rules.json`` on Linux (``$XDG_CACHE_HOME`` when absolute), where
    a user or a clean-up tool expects files that may be deleted; a copy left by an older
    version in the data folder (``cache/rules.json``) is no longer read.
    """
    from dutydesk.config import cache_dir

    return cache_dir() / "rules.json"


def office_rules(
    overrides: Mapping[str, Any],
    zone: ZoneInfo,
    holidays_file: Path | None,
    day_start: time | None = None,
) -> DeadlineRules:
    """The rules a desk runs on (see :func:`dutydesk.rules.deadlines.office_rules`).

    Raises:
        ConfigError: unusable rules or a bad holidays file, in one line in the
            interface language.

    """
    from dutydesk.rules import deadlines
    from dutydesk.rules.workdays import HolidayFileError

    try:
        return deadlines.office_rules(
            overrides, zone, holidays_file, day_start, cache=rules_cache()
        )
    except deadlines.RulesError as error:
        raise ConfigError(rules_refusal(error)) from None
    except HolidayFileError as error:
        raise ConfigError(holidays_refusal(error)) from None


__all__ = ["holidays_refusal", "office_rules", "rules_cache", "rules_refusal", "toml_detail"]
