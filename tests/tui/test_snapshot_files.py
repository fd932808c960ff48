"""Every SVG under ``tests/tui/__snapshots__`` belongs to a snapshot test that still exists.

syrupy fails a run that leaves a snapshot unused, but not under pytest-xdist (its workers
do not merge their reports; the suite runs with ``-n auto``), so a renamed or removed test
would leave its stale picture behind unnoticed. This test makes that check itself, from
a collection of the modules that own snapshots.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent
ROOT = TESTS.parent.parent


def test_every_snapshot_file_has_its_test() -> None:
    folder = TESTS / "__snapshots__"
    files = {(d.name, f.stem) for d in folder.iterdir() if d.is_dir() for f in d.glob("*.svg")}
    modules = sorted({module for module, _ in files})
    assert modules, "no snapshots found: the folder moved?"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0",
         "-p", "no:cacheprovider", *(str(TESTS / f"{m}.py") for m in modules)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    tests = {
        (Path(path).stem, name)
        for line in result.stdout.splitlines()
        if "::" in line
        for path, name in [line.split("::", 1)]
    }
    assert not files - tests, f"snapshots of no test: {sorted(files - tests)}"
