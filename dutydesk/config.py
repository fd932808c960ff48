"""Settings: a TOML file in the user config directory plus ``DUTYDESK_*`` variables.

Precedence, highest first: command-line options (applied by the caller), ``DUTYDESK_*``
environment variables, the config file, built-in defaults.

The file is ``<user config dir>/dutydesk/config.toml`` (``DUTYDESK_CONFIG`` names another)::

    language = "zh_CN"            # or "en"; DUTYDESK_LANG overrides
    timezone = "Asia/Shanghai"    # DUTYDESK_TIMEZONE
    database_url = "sqlite:////srv/duty/duty.sqlite3"   # DUTYDESK_DATABASE_URL
    handover_time = "08:30"       # DUTYDESK_HANDOVER_TIME
    day_shift_start = "08:30"     # DUTYDESK_DAY_SHIFT_START
    night_shift_start = "17:30"   # DUTYDESK_NIGHT_SHIFT_START
    bell = true                   # DUTYDESK_BELL
    issuing_unit = "中共临川市委办公室"  # bulletins' masthead; DUTYDESK_ISSUING_UNIT
    outbox_dir = "/srv/duty/outbox"  # short versions as files; DUTYDESK_OUTBOX_DIR
    webhook_url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."  # WeCom robot
    lockout_attempts = 5          # DUTYDESK_LOCKOUT_ATTEMPTS: wrong PINs before a lockout
    lockout_minutes = 5           # DUTYDESK_LOCKOUT_MINUTES
    pin_min_classified = 6        # DUTYDESK_PIN_MIN_CLASSIFIED: PIN length above internal
    key_file = "/srv/duty/duty.key"   # DUTYDESK_KEY_FILE; default <database>.key
    holidays_file = "/srv/duty/holidays.toml"  # the coming year's 节假日安排 (rules/workdays.py)
    rotation_whole_day_shifts = false  # true: 24-hour shifts (day and night of one date)
    rotation_two_nights_in_a_row = false  # true: a night may follow a night
    deployment = "register"       # or "classified-network"; DUTYDESK_DEPLOYMENT
    max_line_chars = 200          # longest title, place, name; DUTYDESK_MAX_LINE_CHARS
    max_text_chars = 2000000      # longest report or entry text; DUTYDESK_MAX_TEXT_CHARS

    [rules.first_report_minutes]  # report deadlines: any entry of data/rules.toml
    II = 35                       # (file only; no environment variable)

    [keymap]                      # the console's keys, by binding id (README "Keys")
    new_incident = "a"            # (file only; no environment variable)

This module uses the standard library only (``tomllib``, ``dataclasses``): it is on the
console's start-up path, where pydantic-settings' import alone measured 260-420 ms on
this 2-core machine against a 500 ms budget for the first screen.
"""

from __future__ import annotations

import os
import posixpath
import sys
from collections.abc import Callable, Mapping
from dataclasses import field, fields, replace
from datetime import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dutydesk.errors import ConfigError
from dutydesk.i18n import t
from dutydesk.records import record

if TYPE_CHECKING:
    # zoneinfo (~2 ms: it reads sysconfig for its search path) is imported where a zone
    # is made: the sign-in screen's first frame shows no time (issue 16).
    from zoneinfo import ZoneInfo

    from dutydesk.rules.documents import Distribution
    from dutydesk.rules.limits import FieldLimits
    from dutydesk.rules.rotation import RotationPolicy
    from dutydesk.rules.sms import SmsStyle

APP_NAME = "dutydesk"


def _user_dir(variable: str, home_relative: str) -> Path | None:
    """``platformdirs``' user folder for a plain Linux account, or ``None`` to ask it.

    platformdirs' import (its Unix module pulls in ``tempfile``, ``random``,
    ``shutil``...) cost ~22 M instructions, ~3.5% of ``incident add``, which only needs
    the holidays file's folder (issue 16). Its rule on Linux, for a user folder: the XDG
    variable if it holds an absolute path, else the path under an absolute ``$HOME``.
    Anything else (Windows, macOS, Android, no usable ``HOME``: a ``pwd`` lookup or an
    error) is left to platformdirs itself; ``tests/test_config_paths.py`` holds the two
    to the same answers.
    """
    if sys.platform != "linux" or hasattr(sys, "getandroidapilevel"):
        return None
    if os.environ.get("ANDROID_DATA") == "/data" and os.environ.get("ANDROID_ROOT") == "/system":
        return None  # platformdirs may take this for an Android app
    base = os.environ.get(variable, "")
    if not posixpath.isabs(base):
        if not posixpath.isabs(os.environ.get("HOME", "")):
            return None
        base = os.path.expanduser(home_relative)
    return Path(os.path.join(base, APP_NAME))


def config_dir() -> Path:
    """The user config directory (``~/.config/dutydesk`` on Linux)."""
    found = _user_dir("XDG_CONFIG_HOME", "~/.config")
    if found is not None:
        return found
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """The user data directory (``~/.local/share/dutydesk`` on Linux)."""
    found = _user_dir("XDG_DATA_HOME", "~/.local/share")
    if found is not None:
        return found
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    """The user cache directory (``~/.cache/dutydesk`` on Linux): files safe to delete."""
    found = _user_dir("XDG_CACHE_HOME", "~/.cache")
    if found is not None:
        return found
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME, appauthor=False)


def default_config_file() -> Path:
    """Where the config file is looked for unless ``DUTYDESK_CONFIG`` says otherwise."""
    override = os.environ.get("DUTYDESK_CONFIG")
    return Path(override).expanduser() if override else config_dir() / "config.toml"


def _parse_time(name: str, value: Any) -> time:
    if isinstance(value, time):
        return value
    try:
        hours, minutes = str(value).strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ConfigError(t("error.config.time", name=name, value=repr(value))) from None


def _parse_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(t("error.config.bool", name=name, value=repr(value)))


def _parse_positive_int(name: str, value: Any) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(t("error.config.whole", name=name, value=repr(value))) from None
    if isinstance(value, bool) or number < 1:
        raise ConfigError(t("error.config.positive", name=name, value=repr(value)))
    return number


@record
class Settings:
    """Resolved settings. Build with :func:`load_settings`."""

    language: str | None = None
    """Interface language from the file; ``None`` lets DUTYDESK_LANG/LANG decide."""
    timezone: str = "Asia/Shanghai"
    """IANA zone in which times are shown; storage is always UTC."""
    database_url: str | None = None
    """SQLAlchemy URL; ``None`` means the SQLite file in the user data directory."""
    handover_time: time = time(8, 30)
    """The workday handover meeting (交接班)."""
    day_shift_start: time = time(8, 30)
    """Day shift start; it ends when the night shift starts."""
    night_shift_start: time = time(17, 30)
    """Night shift start; it ends at the next day shift start."""
    bell: bool = True
    """Ring the terminal bell when a deadline passes."""
    issuing_unit: str = "中共临川市委办公室"
    """The unit printed under a bulletin's masthead (编印单位)."""
    outbox_dir: str | None = None
    """Where short versions are written as files; ``None``: ``outbox`` in the data dir."""
    webhook_url: str | None = None
    """A WeCom (企业微信) group robot URL to POST short versions to; ``None``: files only."""
    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, hash=False)
    """Deadline overrides from the ``[rules]`` table, on top of ``data/rules.toml``;
    pass to ``load_rules(overrides=settings.rules)``."""
    lockout_attempts: int = 5
    """Wrong PINs in a row that lock an account (DUTYDESK_LOCKOUT_ATTEMPTS)."""
    lockout_minutes: int = 5
    """How long a locked account stays locked (DUTYDESK_LOCKOUT_MINUTES)."""
    pin_min_classified: int = 6
    """Shortest PIN of an account cleared above internal (DUTYDESK_PIN_MIN_CLASSIFIED)."""
    key_file: str | None = None
    """The encryption key file; ``None`` means ``<database file>.key`` beside it."""
    keymap: Mapping[str, str] = field(default_factory=dict, hash=False)
    """Binding id -> Textual key names, from the ``[keymap]`` table; the console checks the
    ids and key names (``dutydesk.tui.keymap``), this module only the table's shape."""
    drills_dir: str | None = None
    """A folder of the office's own drill scenarios (``*.toml``), besides ``data/drills``."""
    rotation_two_nights_in_a_row: bool = False
    """Rotation: allow a night shift the night after another (default: refused)."""
    rotation_whole_day_shifts: bool = False
    """Rotation: allow the day and the night of one date to one person (24-hour shifts)."""
    holidays_file: str | None = None
    """The office's holiday file for years ``chinesecalendar`` does not know yet
    (``rules/workdays.py``); ``None``: ``holidays.toml`` in the config folder."""
    deployment: str = "register"
    """Issue 13: ``register`` (default: an ordinary workstation keeps only the register of
    a classified item, never its content) or ``classified-network`` (an accredited
    分级保护 system: content sealed, every network path off). See :data:`DEPLOYMENTS`."""
    # Issue 14: short versions as the office sends them, and the 版记 it prints.
    sms_signature: str = "【临川市委值班室】"
    """The office's signature at the end of every short version."""
    sms_callback: str = ""
    """The call-back number after the time at the end of a short version ("": none)."""
    sms_gateway_signature: str = ""
    """What the SMS gateway adds to every message it sends (its length comes off the 70)."""
    sms_gateway_concatenates: bool = False
    """The gateway sends one long message in parts of ``sms_part_units`` (not numbered ones)."""
    sms_limit: int = 70
    """UCS-2 units in one SMS."""
    sms_part_units: int = 67
    """Units in each part of a concatenated long SMS."""
    distribution_report: tuple[str, ...] = ("省委办公厅",)
    """版记 of a 简报-type bulletin: 报 (to superiors)."""
    distribution_send: tuple[str, ...] = ("市委、市人大常委会、市政府、市政协领导同志",)
    """版记: 送 (to leaders)."""
    distribution_issue: tuple[str, ...] = ("各县（区）委，市委各部委，市直各单位党组（党委）",)
    """版记: 发 (to units below)."""
    distribution_copies: int = 60
    """版记: （共印N份）."""
    max_line_chars: int = 200
    """Issue 17: the longest one-line field (title, place, name, phone, 'to whom')."""
    max_text_chars: int = 2_000_000
    """Issue 17: the longest text (a report, an entry, a bulletin's body); a 1 MB paste fits."""
    imprint_cc: tuple[str, ...] = ()
    """版记 of the handover pack, the daily summary and the weekly report: 抄送 (none: no line)."""
    config_file: Path | None = field(default=None, compare=False)
    """The file these settings were read from, if any."""

    @property
    def tz(self) -> ZoneInfo:
        """The display timezone as a ``ZoneInfo``."""
        return _zone(self.timezone)

    def rotation_policy(self) -> RotationPolicy:
        """The office's rest rules for proposing and checking a roster."""
        from dutydesk.rules.rotation import RotationPolicy

        return RotationPolicy(
            two_nights_in_a_row=self.rotation_two_nights_in_a_row,
            whole_day_shifts=self.rotation_whole_day_shifts,
        )

    def distribution(self) -> Distribution:
        """The 版记 distribution of 简报-type bulletins (报/送/发, 共印N份)."""
        from dutydesk.rules.documents import Distribution

        return Distribution(
            report=self.distribution_report,
            send=self.distribution_send,
            issue=self.distribution_issue,
            copies=self.distribution_copies,
        )

    def sms_style(self) -> SmsStyle:
        """How short versions are signed and cut for the office's SMS gateway."""
        from dutydesk.rules.sms import SmsStyle

        return SmsStyle(
            gateway_signature=self.sms_gateway_signature,
            concatenates=self.sms_gateway_concatenates,
            limit=self.sms_limit,
            part=self.sms_part_units,
            office_signature=self.sms_signature,
            callback=self.sms_callback,
        )

    def field_limits(self) -> FieldLimits:
        """How long a stored field may be (:mod:`dutydesk.rules.limits`)."""
        from dutydesk.rules.limits import FieldLimits

        return FieldLimits(line=self.max_line_chars, text=self.max_text_chars)

    def holidays_path(self) -> Path:
        """The office's holiday file (it need not exist)."""
        if self.holidays_file:
            return Path(self.holidays_file).expanduser()
        return config_dir() / "holidays.toml"

    def outbox_path(self) -> Path:
        """The outbox folder for short versions (created by the delivery when needed)."""
        return Path(self.outbox_dir).expanduser() if self.outbox_dir else data_dir() / "outbox"

    def default_database_url(self) -> str:
        """The configured URL, or the SQLite file in the user data directory."""
        if self.database_url:
            return self.database_url
        from dutydesk.storage.engine import sqlite_url  # a path with any characters in it

        return sqlite_url(data_dir() / "dutydesk.sqlite3")


_ENV = {
    f.name: f"DUTYDESK_{f.name.upper()}"
    for f in fields(Settings)
    if f.name not in {"config_file", "rules", "keymap"}
}
_ENV["language"] = "DUTYDESK_LANG_CONFIG"  # DUTYDESK_LANG itself is read by i18n, first


_BOOLS = {
    "bell",
    "rotation_two_nights_in_a_row",
    "rotation_whole_day_shifts",
    "sms_gateway_concatenates",
}
_WHOLES = {
    "lockout_attempts",
    "lockout_minutes",
    "pin_min_classified",
    "sms_limit",
    "sms_part_units",
    "distribution_copies",
    "max_line_chars",
    "max_text_chars",
}
_LISTS = {"distribution_report", "distribution_send", "distribution_issue", "imprint_cc"}


def _parse_list(name: str, value: Any) -> tuple[str, ...]:
    # A TOML array of units, or (from a DUTYDESK_* variable) one text, units split at ";".
    items = value if isinstance(value, list) else str(value).split(";")
    if not all(isinstance(item, str) for item in items):
        raise ConfigError(t("error.config.list", name=name, value=repr(value)))
    return tuple(item.strip() for item in items if item.strip())


_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    **dict.fromkeys(("handover_time", "day_shift_start", "night_shift_start"), _parse_time),
    **dict.fromkeys(_BOOLS, _parse_bool),
    **dict.fromkeys(_WHOLES, _parse_positive_int),
    **dict.fromkeys(_LISTS, _parse_list),
}


DEPLOYMENTS = ("register", "classified-network")
"""vocab.Deployment values, kept import-free: the first is the default."""

_GRADES = ("I", "II", "III", "IV", "unassessed")  # vocab.Severity values, kept import-free
_CHANNELS = (  # vocab.Channel values, kept import-free
    "phone", "fax", "letter", "walk_in", "sms_wechat", "grassroots",
    "department_feedback", "online_opinion", "cipher",
)  # fmt: skip
_KINDS = ("emergency", "request", "document")  # vocab.MatterKind values
_RULE_KEYS: dict[str, tuple[str, ...]] = {
    "phone_report_minutes": _GRADES,
    "first_report_minutes": _GRADES,
    "continued_report_hours": _GRADES,
    "initial_grading_minutes": ("emergency",),
    "instruction": ("feedback_days", "report_back_hours", "remind_hours"),
    "special_period": ("continued_report_hours", "zero_report_at"),
    "request": (
        "assign_working_days", "assign_days", "assign_hours",
        "feedback_working_days", "feedback_days", "feedback_hours",
        "conclude_working_days", "conclude_days",
    ),
    "document": (
        "register_minutes", "register_hours",
        "submit_minutes", "submit_hours",
        "circulate_working_days", "circulate_hours", "circulate_days",
        "conclude_working_days", "conclude_days",
    ),
    "kind_by_channel": _CHANNELS,
    "kind_by_category": (
        "natural_disaster", "accident", "public_health", "social_security",
        "public_request", "other",
    ),
}  # fmt: skip


def _parse_rules(value: Any) -> dict[str, dict[str, Any]]:
    """Check the shape of ``[rules]``; the rule engine checks the periods make sense."""
    if not isinstance(value, dict):
        raise ConfigError(t("error.config.rules_table"))
    parsed: dict[str, dict[str, Any]] = {}
    for section, entries in value.items():
        allowed = _RULE_KEYS.get(section)
        if allowed is None:
            raise ConfigError(
                t(
                    "error.config.rules_unknown",
                    section=repr(section),
                    allowed=", ".join(_RULE_KEYS),
                )
            )
        if not isinstance(entries, dict):
            raise ConfigError(t("error.config.rules_numbers", section=section))
        parsed[section] = {}
        for key, number in entries.items():
            where = f"rules.{section}.{key}"
            if key not in allowed:
                raise ConfigError(
                    t("error.config.unknown_key", where=where, allowed=", ".join(allowed))
                )
            if section in {"kind_by_channel", "kind_by_category"}:
                if number not in _KINDS:
                    raise ConfigError(
                        t(
                            "error.config.one_of",
                            where=where,
                            allowed=", ".join(_KINDS),
                            value=repr(number),
                        )
                    )
                parsed[section][key] = number
                continue
            if key.endswith("_at"):  # a local time of day, "HH:MM"
                parsed[section][key] = _clock_time(where, number)
                continue
            if isinstance(number, bool) or not isinstance(number, int | float) or number <= 0:
                raise ConfigError(t("error.config.more_than_0", where=where, value=repr(number)))
            parsed[section][key] = float(number)
    return parsed


def _clock_time(where: str, value: Any) -> str:
    """A local time of day as the rules take it (``"16:00"``); one line when it is not."""
    from datetime import time

    try:
        if not isinstance(value, str) or len(value) != len("HH:MM"):
            raise ValueError(value)
        time.fromisoformat(value)
    except ValueError:
        raise ConfigError(t("error.config.clock", where=where, value=repr(value))) from None
    return str(value)


def _parse_keymap(value: Any) -> dict[str, str]:
    """Check that ``[keymap]`` maps ids to key names; which ids exist is the console's to say."""
    if not isinstance(value, dict):
        raise ConfigError(t("error.config.keymap_table"))
    for binding_id, keys in value.items():
        if not isinstance(keys, str) or not keys.strip():
            raise ConfigError(t("error.config.keymap_keys", id=binding_id, value=repr(keys)))
    return {str(binding_id): keys for binding_id, keys in value.items()}


def _coerce(raw: dict[str, Any]) -> dict[str, Any]:
    known = {f.name for f in fields(Settings)} - {"config_file"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(t("error.config.unknown_setting", names=", ".join(unknown)))
    values: dict[str, Any] = {}
    for name, value in raw.items():
        parse = _PARSERS.get(name)
        if parse is not None:
            values[name] = parse(name, value)
        elif name == "rules":
            values[name] = _parse_rules(value)
        elif name == "keymap":
            values[name] = _parse_keymap(value)
        elif name == "deployment":
            if value not in DEPLOYMENTS:
                raise ConfigError(
                    t(
                        "error.config.one_of",
                        where=name,
                        allowed=", ".join(DEPLOYMENTS),
                        value=repr(value),
                    )
                )
            values[name] = str(value)
        elif name == "timezone":
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(str(value))
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigError(t("error.config.zone", value=repr(value))) from None
            values[name] = str(value)
        else:
            values[name] = str(value) if value is not None else None
    return values


@cache
def _zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` of ``name``, made once (``tz`` is read for every time drawn)."""
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read the config file (if it exists) and apply ``DUTYDESK_*`` variables.

    Raises:
        ConfigError: the file is not valid TOML or holds an invalid value.

    """
    env = os.environ if environ is None else environ
    file = path or default_config_file()
    raw: dict[str, Any] = {}
    if file.is_file():
        import tomllib  # only with a file to read: a command without one never needs it

        try:
            with file.open("rb") as handle:
                raw = tomllib.load(handle)
        except (tomllib.TOMLDecodeError, OSError) as exc:
            raise ConfigError(t("error.config.file", file=file, detail=exc)) from None
    settings = replace(Settings(**_coerce(raw)), config_file=file if raw else None)
    overrides = {name: env[var] for name, var in _ENV.items() if env.get(var)}
    if overrides:
        settings = replace(settings, **_coerce(overrides))
    if settings.deployment == "classified-network" and settings.webhook_url:
        # Issue 13: an accredited classified network has no path out; refused at start,
        # so no command and no console runs with one configured.
        raise ConfigError(t("register.network_refused"))
    return settings
