"""Settings precedence and the message catalogs."""

from __future__ import annotations

import ast
import re
from datetime import time
from pathlib import Path

import pytest

import dutydesk
from dutydesk.config import load_settings
from dutydesk.errors import ConfigError
from dutydesk.i18n import (
    LANGUAGES,
    catalog,
    label,
    quick_catalog,
    resolve_language,
    set_language,
    t,
    toml_catalog,
)
from dutydesk.vocab import (
    Category,
    Channel,
    Classification,
    EntryKind,
    Position,
    Role,
    Severity,
    Status,
)


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "missing.toml", environ={})
    assert settings.timezone == "Asia/Shanghai"
    assert settings.handover_time == time(8, 30)
    assert (settings.day_shift_start, settings.night_shift_start) == (time(8, 30), time(17, 30))


def test_file_then_environment(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text('timezone = "Asia/Urumqi"\nhandover_time = "09:00"\nlanguage = "zh_CN"\n')
    settings = load_settings(file, environ={"DUTYDESK_HANDOVER_TIME": "08:00"})
    assert settings.timezone == "Asia/Urumqi"
    assert settings.handover_time == time(8, 0)  # the variable wins over the file
    assert settings.language == "zh_CN"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('timezone = "Mars/Olympus"', "unknown zone"),
        ('handover_time = "half past eight"', "expected a time"),
        ("colour = 'red'", "unknown setting"),
        ("timezone = ", "config file"),
    ],
)
def test_bad_config_is_reported_in_words(tmp_path: Path, content: str, message: str) -> None:
    file = tmp_path / "config.toml"
    file.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(file, environ={})


@pytest.mark.parametrize(
    ("env_lang", "configured", "lang", "expected"),
    [
        ("zh_CN", "en", "en_US.UTF-8", "zh_CN"),
        (None, "zh_CN", "en_US.UTF-8", "zh_CN"),
        (None, None, "zh_TW.UTF-8", "zh_CN"),
        (None, None, "de_DE.UTF-8", "en"),
        (None, None, None, "en"),
        ("en", None, "zh_CN.UTF-8", "en"),
    ],
)
def test_language_precedence(
    monkeypatch: pytest.MonkeyPatch,
    env_lang: str | None,
    configured: str | None,
    lang: str | None,
    expected: str,
) -> None:
    for name, value in (("DUTYDESK_LANG", env_lang), ("LANG", lang)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert resolve_language(configured) == expected


def test_catalogs_have_the_same_keys_and_no_empty_text() -> None:
    english, chinese = catalog("en"), catalog("zh_CN")
    assert set(english) == set(chinese)
    assert all(value.strip() for value in [*english.values(), *chinese.values()])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_quick_reading_of_a_catalog_is_tomls(language: str) -> None:
    """Every shipped catalog is read by the quick path, to exactly what TOML says."""
    text = (Path(dutydesk.__file__).parent / "i18n" / f"{language}.toml").read_text("utf-8")
    quick = quick_catalog(text)
    assert quick is not None, "a catalog line left the plain shape: it is read slowly"
    assert quick == toml_catalog(text)
    assert catalog(language) == quick


@pytest.mark.parametrize(
    "text",
    [
        'a = "x" # a comment after the value\n',
        'a = """\nmore\n"""\n',
        'a = "\\U0001F600"\n',
        '"quoted key" = "x"\n',
        "a = 1\n",
        'a.b = "x"\n',
        'a = "tab\tinside"\n',
    ],
)
def test_any_other_shape_is_left_to_toml(text: str) -> None:
    """What the quick reader does not know it hands to ``tomllib``, never half-read."""
    assert quick_catalog(text) is None


def test_the_quick_reader_decodes_escapes_and_literal_strings() -> None:
    assert quick_catalog('[t]\nok = "fine \\"quoted\\" \\u00e9"\nraw = \'C:\\x\'\n') == {
        "t.ok": 'fine "quoted" é',
        "t.raw": "C:\\x",
    }


def test_placeholders_agree_between_languages() -> None:
    field = re.compile(r"\{(\w+)\}")
    english, chinese = catalog("en"), catalog("zh_CN")
    for key, text in english.items():
        assert set(field.findall(text)) == set(field.findall(chinese[key])), key


@pytest.mark.parametrize(
    "enum", [Channel, Category, Severity, Classification, Status, EntryKind, Position, Role]
)
def test_every_enum_member_has_a_label(enum) -> None:  # type: ignore[no-untyped-def]
    for language in ("en", "zh_CN"):
        set_language(language)
        for member in enum:
            key = f"{enum.__name__.lower()}.{member.value}"
            assert key in catalog(language), key
            assert label(member)


def test_every_key_used_in_code_exists() -> None:
    # Literal keys passed to t(...) anywhere in the package must be in the catalog.
    root = Path(dutydesk.__file__).parent
    used: set[tuple[str, str]] = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                used.add((node.args[0].value, str(path.relative_to(root))))
    missing = sorted(f"{key} ({where})" for key, where in used if key not in catalog("en"))
    assert not missing
    assert used, "expected the console to translate through t()"


def test_translation_follows_the_current_language() -> None:
    set_language("zh_CN")
    assert t("pane.queue") == "事件队列"
    assert label(Channel.CIPHER) == "密电"
    set_language("en")
    assert t("pane.queue") == "Incident queue"
    assert t("header.open", count=3) == "Open 3"
