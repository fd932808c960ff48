"""Regenerate the PNG renderings in docs/ from the demo night (issue 14).

    .venv/bin/python tools/render_docs.py

Loads the demo into a temporary database at the fixed demo moment (2026-11-26 02:31
+08:00), makes the handover pack, a 《信息快报》 (drafted, reviewed, signed and issued
from the demo's gas explosion, marked 特急) and the weekly report of the demo night's
week as DOCX through the ``dutydesk`` command line, converts each with LibreOffice
headless (``soffice --convert-to pdf``) and writes its first page as PNG at 70 dpi with
poppler's ``pdftoppm``: docs/handover.png, docs/bulletin.png, docs/weekly.png. Needs
libreoffice-writer-nogui, poppler-utils and fonts-noto-cjk (what the rendered tests need).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

MOMENT = "2026-11-26T02:31+08:00"
GAS = "20261125-019"  # the demo's gas explosion
DOCS = Path(__file__).resolve().parent.parent / "docs"


def run(*args: str, env: dict[str, str], cwd: Path) -> str:
    """Run one command (a fixed argument list, no shell); stop the script if it fails."""
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603  (our own tools, fixed arguments)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args[:4])}...: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def main() -> None:
    """Make the three documents and their first pages as PNG."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        db = str(work / "demo.sqlite3")
        env = {**os.environ, "DUTYDESK_NOW": MOMENT, "DUTYDESK_CONFIG": str(work / "none.toml")}
        env.update(DUTYDESK_OPERATOR="许文博", DUTYDESK_PIN="5555")
        cli = (sys.executable, "-m", "dutydesk", "--db", db, "--lang", "zh_CN")
        run(*cli, "demo", "--now", MOMENT, env=env, cwd=work)
        run(*cli, "handover", "--format", "docx", "-o", "handover.docx", env=env, cwd=work)
        week = ("report", "weekly", "--at", MOMENT)  # the week of the demo night
        run(*cli, *week, "--format", "docx", "-o", "weekly.docx", env=env, cwd=work)
        draft = ("bulletin", "draft", GAS, "--urgency", "特急")  # the mark at the top left
        bulletin = run(*cli, *draft, env=env, cwd=work).strip()
        run(*cli, "bulletin", "review", bulletin, env=env, cwd=work)
        leader = {**env, "DUTYDESK_OPERATOR": "张振华", "DUTYDESK_PIN": "888888"}
        run(*cli, "bulletin", "sign", bulletin, env=leader, cwd=work)
        run(*cli, "bulletin", "issue", bulletin, env=env, cwd=work)
        out = ("-o", "bulletin.docx")
        run(*cli, "bulletin", "show", bulletin, "--format", "docx", *out, env=env, cwd=work)
        profile = (work / "lo-profile").as_uri()
        for name in ("handover", "bulletin", "weekly"):
            run(
                "soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                "pdf", f"{name}.docx", env=env, cwd=work,
            )  # fmt: skip
            stem = str(DOCS / name)
            run("pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile",
                f"{name}.pdf", stem, env=env, cwd=work)  # fmt: skip
            pages = run("pdfinfo", f"{name}.pdf", env=env, cwd=work)
            count = next(row.split()[-1] for row in pages.splitlines() if row.startswith("Pages"))
            print(f"docs/{name}.png ({count} pages rendered)")


if __name__ == "__main__":
    main()
