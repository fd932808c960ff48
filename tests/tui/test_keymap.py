"""Keys remapped from the config file's ``[keymap]`` table, and the README's list of ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dutydesk.clock import FrozenClock
from dutydesk.config import load_settings
from dutydesk.errors import ConfigError
from dutydesk.storage.engine import Database
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.keymap import default_keys, valid_key
from dutydesk.tui.screens.intake import IntakeScreen
from dutydesk.tui.screens.main import MainScreen
from tests.tui.test_console import SIZE, settle

README = Path(__file__).resolve().parents[2] / "README.md"


def app_with_config(tmp_path: Path, text: str, db: Database, clock: FrozenClock) -> DutyDeskApp:
    """The console with the settings a config file holding ``text`` gives."""
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    return DutyDeskApp(db, load_settings(config, environ={}), clock, "en")


async def test_a_remapped_key_opens_the_intake_form(
    tmp_path: Path, db: Database, clock: FrozenClock, night: dict[str, int]
) -> None:
    app = app_with_config(tmp_path, '[keymap]\nnew_incident = "a"\n', db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")  # the default key is given up
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)
        assert not app._notifications


async def test_unknown_ids_and_bad_key_names_say_so_and_keep_the_defaults(
    tmp_path: Path, db: Database, clock: FrozenClock, night: dict[str, int]
) -> None:
    text = '[keymap]\nnew_incidnet = "a"\nsearch = "ctl+f"\nrefresh = "f5"\n'
    app = app_with_config(tmp_path, text, db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        messages = [notification.message for notification in app._notifications]
        assert len(messages) == 1
        assert "\n" not in messages[0]
        assert "new_incidnet: no key has this id" in messages[0]
        assert "search: ctl+f is not a key name" in messages[0]
        assert "refresh" not in messages[0]  # the good entry is taken
        await pilot.press("n")  # the default stays
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('keymap = "a"\n', "keymap: expected a table"),
        ("[keymap]\nnew_incident = 5\n", "keymap.new_incident: expected key names"),
        ('[keymap]\nnew_incident = ""\n', "keymap.new_incident: expected key names"),
    ],
)
def test_a_keymap_of_the_wrong_shape_is_a_one_line_config_error(
    tmp_path: Path, text: str, fragment: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(fragment)) as refused:
        load_settings(config, environ={})
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("a", True),
        ("?", True),
        ("question_mark", True),
        ("ctrl+n", True),
        ("ctrl+shift+x", True),
        ("f5", True),
        ("slash", True),
        ("escape", True),
        ("", False),
        ("ctl+n", False),
        ("ctrl+", False),
        ("F5", False),
        ("bogus", False),
        (" ", False),
    ],
)
def test_valid_key(name: str, valid: bool) -> None:
    assert valid_key(name) is valid


def test_every_default_key_is_a_valid_key_name() -> None:
    bad = [
        (binding_id, name)
        for binding_id, keys in default_keys().items()
        for combo in keys
        for name in combo.split(",")
        if not valid_key(name)
    ]
    assert not bad


def readme_keys() -> dict[str, str]:
    """The README's table of binding ids: id -> its default keys as written."""
    after = README.read_text(encoding="utf-8").split("<!-- keymap-ids -->")[1]
    section = after.strip().split("\n\n")[0]  # the table, up to the first blank line
    rows = re.findall(r"^\| `([^`]+)` \| (.*?) \|$", section, re.MULTILINE)
    return dict(rows)


def test_the_readme_lists_every_binding_id_with_its_default_keys() -> None:
    """Generated from the classes: a new binding or a changed default fails here."""
    expected = {
        binding_id: " / ".join(f"`{combo}`" for combo in keys)
        for binding_id, keys in default_keys().items()
    }
    assert readme_keys() == expected
