"""A path is a path (issue 17 item 3): folders named with CJK, spaces and URL characters.

The audit found that a database in a folder with a Chinese name (or ``" ' # ? % @ :``)
broke classified saves and ``demo``: the key file's path was read back from a
percent-encoded URL (``…/%E5%80%BC…/d.sqlite3.key``), and ``#``/``?`` cut a URL short.
Here a night of CLI commands runs in each such folder: the demo, a classified save on an
accredited desk, reading it back, ``verify`` and ``backup``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from dutydesk.cli.app import main
from dutydesk.storage.engine import sqlite_path_from_url, url_for

FOLDERS = ["值班 室#1", "a?b", "x%41y", "q'\"@:z", "%E5%80%BC"]


@pytest.mark.parametrize("name", FOLDERS)
def test_a_url_reads_back_the_folder_it_was_made_of(tmp_path: Path, name: str) -> None:
    path = tmp_path / name / "d.sqlite3"
    assert sqlite_path_from_url(url_for(str(path))) == path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(["--now", "2026-11-26T02:31+08:00", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
@pytest.mark.parametrize("name", ["值班 室#1", "a?b%41 q'\"@:"])
def test_a_night_in_a_folder_with_any_name(
    tmp_path: Path,
    name: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / name
    folder.mkdir()
    db = folder / "d.sqlite3"
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setenv("DUTYDESK_DEPLOYMENT", "classified-network")
    code, _, err = _run(capsys, "demo", "--db", str(db))
    assert code == 0, err
    monkeypatch.setenv("DUTYDESK_OPERATOR", "韩冬")
    monkeypatch.setenv("DUTYDESK_PIN", "666666")
    code, out, err = _run(capsys, "--db", str(db), "incident", "add", "--classification",
                          "secret", "--title", "密件测试", "--summary", "机密正文")  # fmt: skip
    assert code == 0, err
    serial = out.split()[0]
    assert (folder / "d.sqlite3.key").exists()  # beside the database, not elsewhere
    code, out, err = _run(capsys, "--db", str(db), "incident", "show", serial,
                          "--clearance", "top_secret")  # fmt: skip
    assert code == 0 and "机密正文" in out, err
    code, out, err = _run(capsys, "--db", str(db), "verify")
    assert code == 0 and "Record intact" in out + err, err
    code, _, err = _run(capsys, "--db", str(db), "backup", str(folder / "copy.sqlite3"))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing created elsewhere
