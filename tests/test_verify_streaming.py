"""``dutydesk verify`` streams the chain (issue 16): memory stays flat in the chain's length.

The yardstick is the same command on a small record (imports, SQLite's page cache): a
record twenty times longer may add only a few MB, which it did not while every link was
held in a list (~3.7 KB a link).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench.build_db import build


def _peak_rss_mb(path: Path) -> tuple[float, str]:
    """Peak RSS of one ``dutydesk verify`` process (``wait4``) in MB, and what it printed."""
    command = [sys.executable, "-m", "dutydesk", "verify", "--db", str(path)]
    # Our own CLI on our own test database, no shell: the process whose memory is measured.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, output
    return usage.ru_maxrss / 1024, output


@pytest.mark.slow
def test_verify_of_40000_links_takes_no_more_memory_than_of_2000(tmp_path: Path) -> None:
    """10,000 incidents (40,001 links, a state fact each) against 500 (2,001 links)."""
    small, big = tmp_path / "small.sqlite3", tmp_path / "big.sqlite3"
    assert build(small, 500, 1.0)["links"] == 2_001
    assert build(big, 10_000, 1.0)["links"] == 40_001
    small_mb, small_said = _peak_rss_mb(small)
    big_mb, big_said = _peak_rss_mb(big)
    assert "2001 links" in small_said and "40001 links" in big_said, big_said
    assert big_mb - small_mb < 25, (small_mb, big_mb)
