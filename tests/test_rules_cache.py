"""The parsed rules file kept between commands (``deadlines._parsed``, issue 16)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dutydesk.rules.deadlines import RULES_FILE, load_rules
from dutydesk.services.office_rules import office_rules, rules_cache


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    """A copy of the shipped rules file, to edit."""
    path = tmp_path / "rules.toml"
    path.write_bytes(RULES_FILE.read_bytes())
    return path


def test_kept_rules_are_the_files_rules(tmp_path: Path, rules_file: Path) -> None:
    cache = tmp_path / "cache" / "rules.json"
    parsed = load_rules(rules_file)
    first = load_rules(rules_file, cache=cache)
    assert cache.is_file()
    assert load_rules(rules_file, cache=cache) == first == parsed


def test_the_kept_rules_are_private(tmp_path: Path, rules_file: Path) -> None:
    cache = tmp_path / "cache" / "rules.json"
    load_rules(rules_file, cache=cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    assert [p.name for p in cache.parent.iterdir()] == ["rules.json"]  # no temporary left


def test_an_edited_rules_file_is_read_again(tmp_path: Path, rules_file: Path) -> None:
    cache = tmp_path / "rules.json"
    load_rules(rules_file, cache=cache)
    text = rules_file.read_text(encoding="utf-8").replace("emergency = 15", "emergency = 10")
    rules_file.write_text(text, encoding="utf-8")
    assert load_rules(rules_file, cache=cache) == load_rules(rules_file)
    assert load_rules(rules_file, cache=cache) != load_rules(RULES_FILE)


def test_overrides_do_not_reach_the_kept_rules(tmp_path: Path, rules_file: Path) -> None:
    cache = tmp_path / "rules.json"
    changed = load_rules(rules_file, {"initial_grading_minutes": {"emergency": 5}}, cache=cache)
    assert changed != load_rules(rules_file)
    assert load_rules(rules_file, cache=cache) == load_rules(rules_file)


@pytest.mark.parametrize("content", ["{not json", "[]", '{"key": 1}', ""])
def test_a_garbled_cache_is_parsed_past(tmp_path: Path, rules_file: Path, content: str) -> None:
    cache = tmp_path / "rules.json"
    cache.write_text(content, encoding="utf-8")
    cache.chmod(0o600)
    assert load_rules(rules_file, cache=cache) == load_rules(rules_file)


def test_a_cache_others_may_write_is_not_trusted(tmp_path: Path, rules_file: Path) -> None:
    cache = tmp_path / "rules.json"
    load_rules(rules_file, cache=cache)
    kept = json.loads(cache.read_text(encoding="utf-8"))
    kept["data"]["initial_grading_minutes"]["emergency"] = 1  # someone else's rules
    cache.write_text(json.dumps(kept), encoding="utf-8")
    cache.chmod(0o622)
    assert load_rules(rules_file, cache=cache) == load_rules(rules_file)


def test_an_unwritable_cache_is_no_error(tmp_path: Path, rules_file: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")  # a file where the cache's folder would be
    assert load_rules(rules_file, cache=blocked / "rules.json") == load_rules(rules_file)
    assert sorted(os.listdir(tmp_path)) == ["file", "rules.toml"]


def test_a_desk_keeps_the_rules_in_the_users_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Files that may be deleted belong in the XDG cache folder, not among the data.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    office_rules({}, ZoneInfo("Asia/Shanghai"), None)
    assert rules_cache() == tmp_path / "cache" / "dutydesk" / "rules.json"
    assert json.loads(rules_cache().read_text(encoding="utf-8"))["key"][0] == str(RULES_FILE)
    assert not (Path(os.environ["XDG_DATA_HOME"]) / "dutydesk" / "cache").exists()


def test_a_cache_left_in_the_data_folder_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An older version kept the parse in <data>/cache/rules.json: it is not read (a stale
    # copy there, current by its key, would otherwise still be trusted).
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    old = tmp_path / "data" / "dutydesk" / "cache" / "rules.json"
    zone = ZoneInfo("Asia/Shanghai")
    expected = office_rules({}, zone, None)
    old.parent.mkdir(mode=0o700, parents=True)
    kept = json.loads(rules_cache().read_text(encoding="utf-8"))
    kept["data"]["initial_grading_minutes"] = {"emergency": 1}
    old.write_text(json.dumps(kept), encoding="utf-8")
    old.chmod(0o600)
    rules_cache().unlink()
    assert office_rules({}, zone, None) == expected
