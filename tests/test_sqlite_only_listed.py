"""Every test that runs on SQLite only is named in the README, with why (issue 15).

Issue 15 asks that the README's list of what runs only on SQLite "becomes empty or says
why each remaining one cannot". The list is README "Both stores"; this reads the tests'
source for each ``sqlite_only`` mark and each ``skipif(on_postgresql(), ...)`` and fails
on one the README does not name, so a new SQLite-only test cannot be added unlisted.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"


def _both_stores_section() -> str:
    """README's "Both stores" paragraph and its two tables."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("**Both stores.**")
    return text[start : text.index("\n![", start)]


def _is_sqlite_only(node: ast.AST) -> bool:
    """A ``sqlite_only(...)`` mark or a ``skipif(on_postgresql(), ...)`` in ``node``."""
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        name = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        if name == "sqlite_only":
            return True
        if name == "skipif" and any(
            isinstance(arg, ast.Call) and getattr(arg.func, "id", "") == "on_postgresql"
            for arg in call.args
        ):
            return True
    return False


def sqlite_only_tests() -> list[tuple[str, str | None]]:
    """(file relative to tests/, test name or ``None`` for a whole module) of each."""
    found: list[tuple[str, str | None]] = []
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        relative = path.relative_to(TESTS).as_posix()
        for node in tree.body:
            if isinstance(node, ast.Assign):
                names = [getattr(target, "id", "") for target in node.targets]
                if "pytestmark" in names and _is_sqlite_only(node.value):
                    found.append((relative, None))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                _is_sqlite_only(decorator) for decorator in node.decorator_list
            ):
                found.append((relative, node.name))
    return found


def test_the_readme_names_every_sqlite_only_test() -> None:
    section = _both_stores_section()
    found = sqlite_only_tests()
    assert len(found) >= 15  # the reader finds them (it found 20 when written)
    unlisted = [
        f"{file}::{name}" if name else file
        for file, name in found
        if (name or file) not in section or file.rsplit("/", 1)[-1] not in section
    ]
    assert not unlisted, f"README 'Both stores' does not name: {unlisted}"


def test_the_reader_finds_a_mark_and_a_skipif() -> None:
    # The check above is only as good as this reader: it must see both spellings.
    source = ast.parse(
        "@pytest.mark.sqlite_only('why')\ndef test_a(): ...\n"
        "@pytest.mark.skipif(on_postgresql(), reason='why')\ndef test_b(): ...\n"
        "@pytest.mark.parametrize('x', [pytest.param(1, marks=pytest.mark.sqlite_only('w'))])\n"
        "def test_c(x): ...\n"
        "def test_d(): ...\n"
    )
    marked = [
        node.name
        for node in source.body
        if isinstance(node, ast.FunctionDef)
        and any(_is_sqlite_only(decorator) for decorator in node.decorator_list)
    ]
    assert marked == ["test_a", "test_b", "test_c"]
