"""Issue 13: a leader's itinerary (外出报备) carries a classification and is shown by it.

* In register mode (the default deployment) a classified registration keeps who is away,
  when and who acts, never where or why: typing an itinerary is refused in one line.
* A classified itinerary opens, marked with its level, only to a reader cleared for it
  and named for it (the leader, the acting leader, who registered it), audited as an
  incident's view; everyone else learns who is away and who acts, the destination
  withheld (``【机密】行程涉密``), in every output: list, handover pack, bulletins, the
  audit trail and refusals.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document

from dutydesk.cli.app import main
from dutydesk.i18n import set_language
from dutydesk.services.integrity.reading import audited_read
from dutydesk.services.roster.leave import LeaveRefused, LeaveRequest, add_leave, list_leave
from dutydesk.services.roster.pane import leaders_away
from dutydesk.storage.engine import Database
from dutydesk.vocab import Classification, Deployment
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.templates import DemoTemplates

NOW = "2026-11-26T02:31+08:00"
CANARY = "北戴河秘密会址"
"""The classified itinerary's destination: it must appear nowhere an uncleared reader looks."""
WHY = "绝密议程甲"
PHONE = "0335-4040404"
SECRET = Classification.SECRET
REFUSED = "涉密内容不得录入非涉密计算机，请按机要渠道办理"


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


Cli = Callable[..., Result]


@pytest.fixture
def demo(db: Database, demo_templates: DemoTemplates) -> Database:
    """The demo night, in the database the CLI opens."""
    return demo_templates.load_into(db, DEMO_MOMENT)


@pytest.fixture
def cli(
    db_arg: str,
    demo: Database,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    """``dutydesk ARGS`` in-process on the demo, as ``who`` (name, PIN), in Chinese."""

    def run(*args: str, who: tuple[str, str] = ("李晓明", "1111")) -> Result:
        monkeypatch.setenv("DUTYDESK_OPERATOR", who[0])
        monkeypatch.setenv("DUTYDESK_PIN", who[1])
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        capsysbinary.readouterr()
        try:
            main(["--db", db_arg, "--now", NOW, "--lang", "zh_CN", *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsysbinary.readouterr()
        return Result(code, captured.out.decode("utf-8", "replace"), captured.err.decode())

    return run


def classified_trip(db: Database, *, by: str = "张振华") -> int:
    """周文斌's 机密 trip, registered on an accredited network (itinerary sealed) by ``by``."""
    request = LeaveRequest(
        leader="周文斌",
        start_at=datetime(2026, 11, 25, 8, 0, tzinfo=SHANGHAI),
        end_at=datetime(2026, 11, 28, 18, 0, tzinfo=SHANGHAI),
        destination=CANARY,
        reason=WHY,
        acting="陈国华",
        contact_phone=PHONE,
        classification=SECRET,
    )
    return add_leave(
        db, request, actor=by, now=DEMO_MOMENT, tz=SHANGHAI,
        deployment=Deployment.CLASSIFIED_NETWORK,
    )  # fmt: skip


def views(db: Database) -> list[tuple[str, str]]:
    """(object type, detail) of every classified_viewed audit event."""
    rows = db.read(
        "SELECT object_type, detail FROM audit_event WHERE action = 'classified_viewed' ORDER BY id"
    )
    return [(str(t), str(d)) for t, d in rows]


# -- register mode: the CLI -------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [["--destination", "北京"], ["--reason", "开会"], ["--phone", "123"]],
)
def test_register_mode_refuses_a_classified_itinerary_in_one_line(
    cli: Cli, demo: Database, typed: list[str]
) -> None:
    before = demo.read("SELECT count(*) FROM leave_registration")[0][0]
    result = cli("leave", "add", "--leader", "周文斌", "--from", "2026-11-28T10:00", "--to",
                 "2026-11-29T18:00", "--acting", "陈国华", "--classification", "机密", *typed)  # fmt: skip
    assert result.code == 2, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and REFUSED in lines[0], result.err
    assert demo.read("SELECT count(*) FROM leave_registration")[0][0] == before


def test_a_classified_itinerary_keeps_who_when_and_who_acts(cli: Cli, demo: Database) -> None:
    added = cli("leave", "add", "--leader", "周文斌", "--from", "2026-11-28T10:00", "--to",
                "2026-11-29T18:00", "--acting", "陈国华", "--classification", "secret")  # fmt: skip
    assert added.code == 0, added.err
    number = int(added.out.strip())
    row = demo.read(
        "SELECT classification, destination, reason, start_at, acting_leader_id"
        " FROM leave_registration WHERE id = :id",
        {"id": number},
    )[0]
    assert (row[0], row[1], row[2]) == ("secret", "", "")
    listed = json.loads(cli("leave", "list", "--format", "json").out)
    mine = next(r for r in listed if r["id"] == number)
    assert (mine["leader"], mine["acting"], mine["classification"]) == (
        "周文斌",
        "陈国华",
        "secret",
    )


def test_the_default_is_internal_and_a_bad_level_is_one_line(cli: Cli, demo: Database) -> None:
    added = cli("leave", "add", "--leader", "周文斌", "--from", "2026-11-28T10:00", "--to",
                "2026-11-29T18:00", "--acting", "陈国华", "--destination", "省城")  # fmt: skip
    assert added.code == 0, added.err
    level = demo.read(
        "SELECT classification FROM leave_registration WHERE id = :id",
        {"id": int(added.out.strip())},
    )
    assert level[0][0] == "internal"
    bad = cli("leave", "add", "--leader", "周文斌", "--from", "2026-11-28T10:00", "--to",
              "2026-11-29T18:00", "--acting", "陈国华", "--classification", "超密")  # fmt: skip
    assert bad.code == 2 and len(bad.err.strip().splitlines()) == 1
    assert "--classification" in bad.err and "Traceback" not in bad.err


# -- services ---------------------------------------------------------------------------


def test_the_service_refuses_an_itinerary_in_register_mode(demo: Database) -> None:
    request = LeaveRequest(
        leader="周文斌",
        start_at=datetime(2026, 11, 28, 8, 0, tzinfo=SHANGHAI),
        end_at=datetime(2026, 11, 29, 8, 0, tzinfo=SHANGHAI),
        destination=CANARY,
        reason="",
        acting="陈国华",
        classification=SECRET,
    )
    with pytest.raises(LeaveRefused):  # register mode unless the caller says otherwise
        add_leave(demo, request, actor="李晓明", now=DEMO_MOMENT, tz=SHANGHAI)
    assert not demo.read("SELECT id FROM leave_registration WHERE classification = 'secret'")


def test_accredited_mode_seals_the_itinerary_and_audits_no_destination(demo: Database) -> None:
    number = classified_trip(demo)
    stored = demo.read(
        "SELECT destination, reason, contact_phone FROM leave_registration WHERE id = :id",
        {"id": number},
    )[0]
    assert all(CANARY not in str(value) and WHY not in str(value) for value in stored)
    assert all(str(value) for value in stored)  # kept, sealed
    trail = [str(d) for (d,) in demo.read("SELECT detail FROM audit_event")]
    assert not [d for d in trail if CANARY in d or WHY in d]
    assert any("[secret]" in d and "陈国华" in d for d in trail)


def test_leaders_away_opens_a_classified_itinerary_only_to_a_named_cleared_reader(
    demo: Database,
) -> None:
    number = classified_trip(demo, by="张振华")
    span = (datetime(2026, 11, 26, tzinfo=SHANGHAI), datetime(2026, 11, 27, tzinfo=SHANGHAI))

    def trip(clearance: Classification, viewer: str | None) -> tuple[str, str, str, bool]:
        with audited_read(demo, clearance, object_type="leave", viewer=viewer) as read:
            found = next(a for a in leaders_away(demo, *span, read) if a.id == number)
        return found.destination, found.reason, found.contact_phone, found.restricted

    withheld = ("", "", "", True)
    assert next(a for a in leaders_away(demo, *span) if a.id == number).restricted  # no read
    assert trip(Classification.INTERNAL, "张振华") == withheld  # named, not cleared
    assert trip(SECRET, "王立新") == withheld  # cleared, not named
    assert not views(demo)
    assert trip(SECRET, "张振华") == (CANARY, WHY, PHONE, False)  # registered it
    assert trip(Classification.TOP_SECRET, "陈国华") == (CANARY, WHY, PHONE, False)  # acts
    assert views(demo) == [
        ("leave", f"leave:{number} (secret)"),
        ("leave", f"leave:{number} (secret)"),
    ]
    set_language("zh_CN")
    listed = list_leave(demo, span[0])
    assert [a.place for a in listed if a.id == number] == ["【机密】行程涉密"]


def test_a_refusal_names_the_other_trip_by_its_level_only(demo: Database) -> None:
    classified_trip(demo)
    again = LeaveRequest(
        leader="周文斌",
        start_at=datetime(2026, 11, 26, 8, 0, tzinfo=SHANGHAI),
        end_at=datetime(2026, 11, 26, 18, 0, tzinfo=SHANGHAI),
        destination="省城",
        reason="",
        acting="张振华",
    )
    with pytest.raises(LeaveRefused) as info:
        add_leave(demo, again, actor="李晓明", now=DEMO_MOMENT, tz=SHANGHAI)
    assert CANARY not in str(info.value)


# -- list and handover pack: shown by level ---------------------------------------------


def test_leave_list_shows_the_classified_itinerary_marked_to_a_named_cleared_reader(
    cli: Cli, demo: Database
) -> None:
    number = classified_trip(demo)
    cleared = cli("leave", "list", "--all", "--clearance", "secret", who=("张振华", "888888"))
    assert cleared.code == 0, cleared.err
    assert f"【机密】{CANARY}" in cleared.out
    assert ("leave", f"leave:{number} (secret)") in views(demo)
    uncleared = cli("leave", "list", "--all")
    assert uncleared.code == 0, uncleared.err
    assert CANARY not in uncleared.out and "【机密】行程涉密" in uncleared.out
    assert "周文斌" in uncleared.out and "陈国华" in uncleared.out


def test_handover_pack_shows_the_trip_by_level(cli: Cli, demo: Database) -> None:
    classified_trip(demo)
    cleared = cli("handover", "--format", "txt", "--clearance", "secret", who=("张振华", "888888"))
    assert cleared.code == 0, cleared.err
    assert f"赴【机密】{CANARY}" in cleared.out
    plain = cli("handover", "--format", "txt")
    assert plain.code == 0, plain.err
    assert CANARY not in plain.out
    assert "周文斌（市委书记）外出（【机密】行程涉密）" in plain.out
    assert "陈国华同志" in plain.out  # whom to call


# -- canary: no classified itinerary text reaches an uncleared reader ------------------


READERS = [("李晓明", "1111", "internal"), ("王立新", "777777", "secret")]
"""An internal officer, and a 机密 duty leader the trip does not name."""


@pytest.mark.parametrize(("name", "pin", "level"), READERS)
def test_canary_never_reaches_an_uncleared_reader(
    cli: Cli, demo: Database, tmp_path: Path, name: str, pin: str, level: str
) -> None:
    classified_trip(demo)
    who = (name, pin)
    texts: dict[str, str] = {}
    for fmt in ("table", "json", "csv"):
        texts[f"list {fmt}"] = cli("leave", "list", "--all", "--format", fmt,
                                   "--clearance", level, who=who).out  # fmt: skip
    for fmt in ("txt", "md", "json"):
        texts[f"handover {fmt}"] = cli("handover", "--format", fmt, "--clearance", level,
                                       who=who).out  # fmt: skip
    target = tmp_path / "pack.docx"
    assert cli("handover", "--format", "docx", "--clearance", level, "--output", str(target),
               who=who).code == 0  # fmt: skip
    document = Document(str(target))
    texts["handover docx"] = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    bulletins = json.loads(cli("bulletin", "list", "--all", "--format", "json", who=who).out)
    for bulletin in bulletins:
        for fmt in ("txt", "md"):
            shown = cli("bulletin", "show", str(bulletin["id"]), "--format", fmt,
                        "--clearance", level, who=who)  # fmt: skip
            texts[f"bulletin {bulletin['id']} {fmt}"] = shown.out
    leaks = [
        where for where, text in texts.items() if CANARY in text or WHY in text or PHONE in text
    ]
    assert not leaks
    assert "行程涉密" in texts["list table"] and "行程涉密" in texts["handover txt"]
    assert not [o for o, _ in views(demo) if o in {"leave", "handover"}]
