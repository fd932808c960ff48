"""The user folders (config, data) are platformdirs' own, without importing it (issue 16).

:func:`dutydesk.config.config_dir` and :func:`~dutydesk.config.data_dir` compute the
plain Linux case themselves (platformdirs' import cost ~3.5% of ``incident add``); each
case here is checked against what platformdirs says in the same environment.
"""

from __future__ import annotations

import sys

import pytest
from platformdirs import user_config_path, user_data_path

from dutydesk.config import config_dir, data_dir

CASES = {
    "home only": {"HOME": "/home/duty"},
    "home with a trailing slash": {"HOME": "/home/duty/"},
    "home is the root": {"HOME": "/"},
    "xdg folders": {
        "HOME": "/home/duty",
        "XDG_CONFIG_HOME": "/srv/conf",
        "XDG_DATA_HOME": "/srv/data/",
    },
    "relative xdg folders are ignored": {
        "HOME": "/home/duty",
        "XDG_CONFIG_HOME": "conf",
        "XDG_DATA_HOME": "~/data",
    },
    "empty xdg folders": {"HOME": "/home/duty", "XDG_CONFIG_HOME": "", "XDG_DATA_HOME": ""},
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
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "ANDROID_DATA", "ANDROID_ROOT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in CASES[case].items():
        monkeypatch.setenv(name, value)
    assert config_dir() == user_config_path("dutydesk", appauthor=False)
    assert data_dir() == user_data_path("dutydesk", appauthor=False)


@pytest.mark.skipif(sys.platform != "linux", reason="the folders computed without platformdirs")
def test_the_linux_folders_are_the_xdg_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/duty")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", "/srv/conf")
    assert str(config_dir()) == "/srv/conf/dutydesk"
    assert str(data_dir()) == "/home/duty/.local/share/dutydesk"
