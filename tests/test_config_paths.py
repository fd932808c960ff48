"""The user folders (config, data, cache) are platformdirs' own, without importing it.

:func:`dutydesk.config.config_dir`, :func:`~dutydesk.config.data_dir` and
:func:`~dutydesk.config.cache_dir` compute the
plain Linux case themselves (platformdirs' import cost ~3.5% of ``incident add``); each
case here is checked against what platformdirs says in the same environment.
"""

from __future__ import annotations

import sys

import pytest
from platformdirs import user_cache_path, user_config_path, user_data_path

from dutydesk.config import cache_dir, config_dir, data_dir
from dutydesk.services.office_rules import rules_cache

VARIABLES = (
    "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "ANDROID_DATA", "ANDROID_ROOT",
)  # fmt: skip

CASES = {
    "home only": {"HOME": "/home/duty"},
    "home with a trailing slash": {"HOME": "/home/duty/"},
    "home is the root": {"HOME": "/"},
    "xdg folders": {
        "HOME": "/home/duty",
        "XDG_CONFIG_HOME": "/srv/conf",
        "XDG_DATA_HOME": "/srv/data/",
        "XDG_CACHE_HOME": "/var/cache/duty",
    },
    "relative xdg folders are ignored": {
        "HOME": "/home/duty",
        "XDG_CONFIG_HOME": "conf",
        "XDG_DATA_HOME": "~/data",
        "XDG_CACHE_HOME": "cache",
    },
    "empty xdg folders": {
        "HOME": "/home/duty",
        "XDG_CONFIG_HOME": "",
        "XDG_DATA_HOME": "",
        "XDG_CACHE_HOME": "",
    },
    "a relative home": {"HOME": "duty"},
    "no home": {},
    "android's variables": {
        "HOME": "/home/duty",
        "ANDROID_DATA": "/data",
        "ANDROID_ROOT": "/system",
    },
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_user_folders_are_platformdirs_own(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in CASES[case].items():
        monkeypatch.setenv(name, value)
    assert config_dir() == user_config_path("dutydesk", appauthor=False)
    assert data_dir() == user_data_path("dutydesk", appauthor=False)
    assert cache_dir() == user_cache_path("dutydesk", appauthor=False)
    assert rules_cache() == user_cache_path("dutydesk", appauthor=False) / "rules.json"


@pytest.mark.skipif(sys.platform != "linux", reason="the folders computed without platformdirs")
def test_the_linux_folders_are_the_xdg_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/duty")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", "/srv/conf")
    assert str(config_dir()) == "/srv/conf/dutydesk"
    assert str(data_dir()) == "/home/duty/.local/share/dutydesk"


@pytest.mark.skipif(sys.platform != "linux", reason="the folders computed without platformdirs")
def test_the_rules_cache_is_in_the_xdg_cache_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/duty")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert str(rules_cache()) == "/home/duty/.cache/dutydesk/rules.json"
    monkeypatch.setenv("XDG_CACHE_HOME", "/var/cache/duty")
    assert str(rules_cache()) == "/var/cache/duty/dutydesk/rules.json"
