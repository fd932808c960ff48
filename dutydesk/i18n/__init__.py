"""Message catalogs for the interface: English (``en``) and Simplified Chinese (``zh_CN``).

Every interface string is looked up here by a stable key such as ``"pane.queue"``; the
catalogs are TOML files beside this module, flat tables of key = text. A test checks
that both catalogs have the same keys and that every key the code uses exists.

Translation happens at display time (:func:`t` reads the current language), so one
process can draw the console in both languages, as the snapshot tests do.
"""

from __future__ import annotations

import json
import os
import re
from enum import Enum
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "zh_CN")
"""Supported interface languages, in the order they are offered."""

_CATALOG_DIR = Path(__file__).parent
_current = "en"


@cache
def catalog(language: str) -> dict[str, str]:
    """Return the flat message table of ``language`` (``en`` or ``zh_CN``)."""
    text = (_CATALOG_DIR / f"{language}.toml").read_text(encoding="utf-8")
    return quick_catalog(text) or toml_catalog(text)


_TABLE = re.compile(r"\[([A-Za-z0-9_.-]+)\]")
_KEY = re.compile(r"[A-Za-z0-9_-]+")


def quick_catalog(text: str) -> dict[str, str] | None:
    """The flat table of a catalog written in the plain shape the catalogs keep, or ``None``.

    ``tomllib`` takes 60-110 ms for a catalog here, paid by every console start and every
    CLI command that says anything (as much as importing typer). The catalogs are only
    comments, ``[table]`` headers and ``key = "text"`` (or ``'text'``) lines, which this reads
    line by line, a basic string's escapes decoded by ``json`` (the same as TOML's but for
    ``\\U`` and ``\\e``, which raise here). A line of any other shape gives ``None`` and
    :func:`toml_catalog` reads the file; ``tests/test_config_i18n.py`` checks that both read
    each shipped catalog alike.
    """
    flat: dict[str, str] = {}
    prefix = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] == "#":
            continue
        if line[0] == "[":
            table = _TABLE.fullmatch(line)
            if table is None:
                return None
            prefix = table[1] + "."
            continue
        key, equals, value = line.partition(" = ")
        if not equals or _KEY.fullmatch(key) is None:
            return None
        text_of = _string(value)
        if text_of is None:
            return None
        flat[prefix + key] = text_of
    return flat


def _string(value: str) -> str | None:
    """The text of one TOML string (``"basic"`` or ``'literal'``), ``None`` if not one."""
    if len(value) < 2 or value[0] != value[-1] or value[0] not in "\"'":
        return None
    inner = value[1:-1]
    if value[0] == "'":
        return None if "'" in inner else inner
    # Nothing to decode: most. Three tests, not any() over a generator: this runs for each
    # of ~1,700 lines, and the generator was a third of every command's catalog read.
    if '"' not in inner and "\\" not in inner and "\t" not in inner:
        return inner
    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    return decoded if isinstance(decoded, str) else None


def toml_catalog(text: str) -> dict[str, str]:
    """The flat table of a catalog read by ``tomllib`` (any TOML, slower)."""
    import tomllib  # only here: the shipped catalogs never need it (issue 16)

    data = tomllib.loads(text)
    flat: dict[str, str] = {}

    def walk(prefix: str, table: dict[str, object]) -> None:
        for key, value in table.items():
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(name, value)
            else:
                flat[name] = str(value)

    walk("", data)
    return flat


def normalise_language(value: str | None) -> str | None:
    """Map a locale-ish value (``zh_CN.UTF-8``, ``zh``, ``en_GB``) to a supported language."""
    if not value:
        return None
    lowered = value.strip().lower().replace("-", "_")
    if lowered.startswith("zh"):
        return "zh_CN"
    if lowered.startswith("en") or lowered in {"c", "posix"}:
        return "en"
    return None


def resolve_language(configured: str | None = None) -> str:
    """Pick the interface language.

    Order: ``DUTYDESK_LANG``, then the config file's ``language``, then ``LANG``
    (any ``zh_*`` gives Chinese), else English.
    """
    for candidate in (os.environ.get("DUTYDESK_LANG"), configured, os.environ.get("LANG")):
        language = normalise_language(candidate)
        if language:
            return language
    return "en"


def set_language(language: str) -> None:
    """Make ``language`` the language :func:`t` answers in."""
    global _current
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language: {language!r}")
    _current = language


def current_language() -> str:
    """The language :func:`t` answers in now."""
    return _current


def t(key: str, /, **values: object) -> str:
    """Translate ``key`` into the current language, formatting ``{name}`` fields.

    A missing key falls back to English, then to the key itself, so a gap in a catalog
    shows up as a visible key rather than a crash in front of a duty officer.
    """
    text = catalog(_current).get(key) or catalog("en").get(key) or key
    return text.format(**values) if values else text


_CAPTION_OF = {"occurred_at": "happened_at", "report_every": "report_every_minutes"}
"""Field identifiers whose caption key differs: an incident's ``occurred_at`` is 事发时间
(``field.occurred_at`` is a timeline entry's own time)."""


def field_caption(name: str) -> str:
    """How a message names the field ``name``: the identifier in English, the caption in Chinese.

    English messages keep the stable identifier (``occurred_at``), which scripts and
    tests match; Chinese ones say the form's caption (事发时间) from ``field.*``. A name
    with no caption is shown as is.
    """
    if _current == "en":
        return name
    return catalog(_current).get(f"field.{_CAPTION_OF.get(name, name)}", name)


def code_name(member: Enum) -> str:
    """How a message names a value typed as a code: the code in English, the label in Chinese.

    English messages keep what a script types (``duty_officer``); Chinese ones say 值班员.
    """
    return str(member.value) if _current == "en" else label(member)


def label(member: Enum) -> str:
    """The display name of an enum member, e.g. ``Channel.PHONE`` -> ``电话``."""
    return t(f"{type(member).__name__.lower()}.{member.value}")


def short_label(member: Enum) -> str:
    """A name of at most 8 cells for narrow columns, falling back to :func:`label`."""
    key = f"short.{type(member).__name__.lower()}.{member.value}"
    text = catalog(_current).get(key) or catalog("en").get(key)
    return text if text else label(member)
