"""Click's usage errors said in the interface language, in one line.

Click words its own refusals (an unknown option, a missing argument, a value not among
the choices, an unknown command) in English, from its own gettext domain, which ships
no Chinese. A Chinese desk gets them from our catalogue instead (``cli.usage.*``),
built from the exception's parts, with the help command to run; English keeps click's
own text, which is what its users know.

The exceptions are read by their parts and class names, not imported: typer ships its
own copy of click (``typer._click``) in some releases and uses the installed one in
others, so a class check against either would miss the other.
"""

from __future__ import annotations

import re
from typing import Any

from dutydesk.i18n import current_language, t

_NOT_ONE_OF = re.compile(r"'(?P<value>[^']*)' is not one of (?P<allowed>'.*')")
_QUOTED = re.compile(r"'([^']*)'")
_NO_COMMAND = re.compile(r"No such command '(?P<name>[^']*)'\.?(?: Did you mean (?P<near>.*)\?)?")


def _param_name(param: Any) -> str:
    opts = [str(opt) for opt in getattr(param, "opts", None) or () if str(opt).startswith("-")]
    if opts:
        return max(opts, key=len)  # --date rather than -d
    return str(getattr(param, "name", "") or "").upper()


def _kinds_of(value: object) -> set[str]:
    return {cls.__name__ for cls in type(value).__mro__}


def usage_line(error: BaseException) -> str | None:
    """One line for a click usage ``error`` in Chinese, or ``None`` where its words stay."""
    kinds = _kinds_of(error)
    if current_language() != "zh_CN" or "UsageError" not in kinds:
        return None
    ctx = getattr(error, "ctx", None)
    where = str(getattr(ctx, "command_path", "") or "dutydesk")
    message = str(error.format_message()) if hasattr(error, "format_message") else str(error)
    param = getattr(error, "param", None)
    if "NoSuchOption" in kinds:
        said = t("cli.usage.no_option", option=getattr(error, "option_name", ""))
        near = "、".join(getattr(error, "possibilities", None) or ())
        if near:
            said += t("cli.usage.did_you_mean", names=near)
    elif "BadOptionUsage" in kinds and getattr(error, "option_name", None):
        said = t("cli.usage.needs_value", option=getattr(error, "option_name", ""))
    elif "MissingParameter" in kinds:
        kind = "option" if "Option" in _kinds_of(param) else "argument"
        said = t(f"cli.usage.missing_{kind}", name=_param_name(param))
    elif "BadParameter" in kinds:
        found = _NOT_ONE_OF.search(message)
        if not found:
            return None  # our own checks already speak the interface language
        allowed = "、".join(_QUOTED.findall(found["allowed"]))
        said = t(
            "cli.error.not_one_of", field=_param_name(param), value=found["value"], allowed=allowed
        )
    else:
        found = _NO_COMMAND.search(message)
        said = t("cli.usage.no_command", name=found["name"]) if found else t("cli.usage.other")
        if found and found["near"]:
            said += t("cli.usage.did_you_mean", names="、".join(_QUOTED.findall(found["near"])))
    return t("cli.error.line", message=f"{said}；{t('cli.usage.help', command=where)}")


__all__ = ["usage_line"]
