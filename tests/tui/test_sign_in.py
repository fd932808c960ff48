"""Signing in at the console, running as the operator, signing out; no copying while cleared.

The demo night has operators with known PINs: 王立新 777777 (机密 secret), 赵静 222222
(秘密 confidential), 黄雨婷 4444 (internal), and every other duty leader of its roster
(孙丽 333333 leads the shift on at the frozen 02:31). Its 机密 incident is a cipher telegram
(a register entry with no content, as the default deployment keeps it; these tests see it
as an accredited desk holds it, its title starting with 省委办公厅密电, sealed); its 知悉范围
names 孙丽 (it was reported to her) and the 机要局, so 王立新, cleared to 机密 as well, sees
it restricted (issue 13).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.screen import Screen

from dutydesk.clock import FrozenClock
from dutydesk.config import Settings
from dutydesk.services.demo.file import read_demo
from dutydesk.services.roster.pane import on_duty
from dutydesk.storage.engine import Database
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.confirm import ConfirmScreen
from dutydesk.tui.screens.intake import IntakeScreen
from dutydesk.tui.screens.main import MainScreen
from dutydesk.tui.screens.sign_in import SignInScreen
from dutydesk.tui.widgets.status import StatusLine
from dutydesk.vocab import Classification, Position, Role
from tests.templates import DemoTemplates
from tests.tui.conftest import NOW, burst, on_top
from tests.tui.test_console import settle

SECRET_TITLE = "省委办公厅密电"
SIZE = (120, 40)


@pytest.fixture
def demo(db: Database, demo_templates: DemoTemplates) -> Database:
    """The demo night (with its operators and PINs) as of the frozen moment.

    Its telegrams hold sealed content (``accredited``): what need-to-know opens or not.
    """
    return demo_templates.load_into(db, NOW, accredited=True)


@pytest.fixture
def sign_in_app(
    demo: Database, settings: Settings, clock: FrozenClock
) -> Callable[..., DutyDeskApp]:
    """The production app as the launcher opens it on a database that requires sign-in."""

    def make(language: str = "en") -> DutyDeskApp:
        return DutyDeskApp(demo, settings, clock, language, sign_in=True)

    return make


def screen_of(app: DutyDeskApp) -> SignInScreen:
    """The sign-in screen, which must be the one shown."""
    assert isinstance(app.screen, SignInScreen)
    return app.screen


async def sign_in(pilot: Pilot[Any], name: str, pin: str) -> None:
    """Put ``name`` in the name field, type ``pin`` and press Enter."""
    screen = screen_of(pilot.app)  # type: ignore[arg-type]
    screen.name_input.value = name
    screen.pin_input.focus()
    await pilot.press(*pin, "enter")
    await settle(pilot)


def secret_row_title(app: DutyDeskApp) -> str | None:
    """The queue's title for the demo's 机密 incident (``None`` when withheld)."""
    rows = [row for block in app.main.queue._blocks.values() for row in block]
    (secret,) = [row for row in rows if row.classification is Classification.SECRET]
    return secret.title


async def test_opens_on_sign_in_with_the_names(sign_in_app: Callable[..., DutyDeskApp]) -> None:
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        assert app.signed_out and app.operator is None
        assert not app.query(MainScreen)
        names = screen.query_one("#sign-in-names").option_count  # type: ignore[attr-defined]
        assert names >= 6  # every demo operator with a PIN


async def test_keys_typed_at_the_first_frame_go_to_the_name_field(
    sign_in_app: Callable[..., DutyDeskApp],
) -> None:
    # The sign-in screen is the default screen, drawn before the app is ready (issue 16):
    # keys typed at that frame reached the screen before its name field had focus and
    # were lost; in a terminal, a second console took no keys at its sign-in screen.
    app = sign_in_app()
    burst(app, "黄雨")  # in the app's queue before it runs, as a fast typist's would be
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        assert screen.name_input.value == "黄雨"
        assert screen.name_input.has_focus


async def test_a_name_and_enter_typed_at_the_first_frame_move_to_the_pin(
    sign_in_app: Callable[..., DutyDeskApp],
) -> None:
    # Typed ahead of the first frame, the name lands in order and Enter, a binding of the
    # field (Textual takes those after the keys queued before them), then moves to the PIN.
    app = sign_in_app()
    burst(app, "黄雨婷", "enter")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        assert screen.name_input.value == "黄雨婷"
        assert screen.pin_input.has_focus
        await pilot.press(*"4444", "enter")
        await settle(pilot)
        assert app.operator is not None and app.operator.name == "黄雨婷"


async def test_a_name_enter_and_pin_typed_in_one_burst_sign_in_without_showing_the_pin(
    sign_in_app: Callable[..., DutyDeskApp],
) -> None:
    # A fast typist (or a paste): name, Enter, PIN, Enter reach the app before the name
    # field has taken its first key. Enter, a binding of the field, was taken after the
    # keys queued behind it, so the PIN went on into the name field, shown in clear.
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        seen: list[str] = []

        def noted(value: str) -> None:
            seen.append(value)

        screen.name_input.watch(screen.name_input, "value", noted, init=False)
        burst(app, "黄雨婷", "enter")
        burst(app, "4444", "enter")
        await settle(pilot)
        assert app.operator is not None and app.operator.name == "黄雨婷"
        assert not any("4" in value for value in seen), seen


async def test_choose_name_from_the_list(sign_in_app: Callable[..., DutyDeskApp]) -> None:
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        screen.name_input.value = "黄雨"
        await settle(pilot)
        screen.query_one("#sign-in-names").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert screen.name_input.value == "黄雨婷"
        assert screen.pin_input.has_focus


async def test_signing_in_does_not_parse_the_stylesheet_again(
    sign_in_app: Callable[..., DutyDeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The desk opens without re-reading every CSS rule (issue 16: PIN to rows).

    Textual re-parsed the whole stylesheet twice on every switch to a new mode (a fresh
    screen's unset update count taken for stale), 0.2-0.5 s on this machine; the desk's
    styles were all read at start.
    """
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        parsed: list[str] = []
        reparse = app.stylesheet.reparse

        def counted() -> None:
            parsed.append(type(app.screen).__name__)
            reparse()

        monkeypatch.setattr(app.stylesheet, "reparse", counted)
        await sign_in(pilot, "王立新", "777777")
        assert isinstance(app.screen, MainScreen)
        assert app.main.queue.row(0) is not None
        assert parsed == []


async def test_wrong_pin_keeps_the_name_and_clears_the_pin(
    sign_in_app: Callable[..., DutyDeskApp],
) -> None:
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, "王立新", "0000")
        screen = screen_of(app)
        message = str(screen.message.content)
        assert "wrong PIN for 王立新" in message and "4 more" in message
        assert screen.name_input.value == "王立新"
        assert screen.pin_input.value == ""
        assert screen.pin_input.has_focus and not screen.pin_input.disabled


async def test_five_wrong_pins_lock_the_account(sign_in_app: Callable[..., DutyDeskApp]) -> None:
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(5):
            await sign_in(pilot, "赵静", "9999")
        assert "locked until" in str(screen_of(app).message.content)
        await sign_in(pilot, "赵静", "222222")  # the right PIN does not open a locked account
        message = str(screen_of(app).message.content)
        assert "locked" in message and "02:36" in message
        assert app.operator is None


async def test_a_reset_pin_is_replaced_at_sign_in_before_the_console_opens(
    sign_in_app: Callable[..., DutyDeskApp], demo: Database
) -> None:
    """Issue 17: whoever reset a PIN cannot use it; the owner is told and chooses their own."""
    from dutydesk.services.accounts.auth import authenticate
    from dutydesk.services.accounts.users import set_pin

    admin = authenticate(demo, "李晓明", "1111", NOW)
    set_pin(demo, admin, "黄雨婷", "975310", NOW)
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, "黄雨婷", "975310")
        screen = screen_of(app)
        message = str(screen.message.content)
        assert "reset by 李晓明 at 11-26 02:31" in message and "new PIN" in message
        assert app.operator is None and screen.pin_input.placeholder == "New PIN"
        await pilot.press(*"246810", "enter")
        assert screen.pin_input.placeholder == "New PIN once more"
        await pilot.press(*"246811", "enter")  # a slip: asked again, nothing set
        await settle(pilot)
        assert "differ" in str(screen.message.content) and app.operator is None
        await pilot.press(*"246810", "enter", *"246810", "enter")
        await settle(pilot)
        assert app.operator is not None and app.operator.name == "黄雨婷"
        assert isinstance(app.screen, MainScreen)
    assert authenticate(demo, "黄雨婷", "246810", NOW).name == "黄雨婷"


async def test_the_console_of_an_officer_without_a_desk_role_writes_nothing(
    sign_in_app: Callable[..., DutyDeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17 item 5: 马骏, the security officer alone, reads; no form opens for him."""
    # The first form's imports can take seconds on a loaded machine: keep toasts to read.
    monkeypatch.setattr(DutyDeskApp, "NOTIFICATION_TIMEOUT", 600)
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, "马骏", "1212")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        texts = [str(note.message) for note in app._notifications]
        assert any("Read only: 马骏 holds no desk role" in text for text in texts), texts
        await sign_in_as_next(pilot, app, "黄雨婷", "4444")
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)  # a duty officer's form opens


async def sign_in_as_next(pilot: Pilot[Any], app: DutyDeskApp, name: str, pin: str) -> None:
    """Sign out (the app's own key) and sign in as ``name``."""
    app.action_sign_out()
    await settle(pilot)
    await sign_in(pilot, name, pin)


async def test_right_pin_opens_the_console_as_the_operator(
    sign_in_app: Callable[..., DutyDeskApp],
) -> None:
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, "孙丽", "333333")
        assert isinstance(app.screen, MainScreen)
        assert app.operator is not None and app.operator.name == "孙丽"
        ctx = app.main.context
        assert (ctx.operator, ctx.operator_id, ctx.clearance) == (
            "孙丽",
            app.operator.id,
            Classification.SECRET,
        )
        header = str(app.main.query_one(StatusLine).content)
        assert "孙丽" in header and "secret" in header
        title = secret_row_title(app)
        assert title is not None and title.startswith(SECRET_TITLE)


async def test_the_duty_leader_on_duty_signs_in(
    demo: Database, sign_in_app: Callable[..., DutyDeskApp], settings: Settings
) -> None:
    # Issue 10: at 02:31 the roster's duty leader (孙丽) had no PIN and could not sign in.
    leader = on_duty(
        demo,
        Position.DUTY_LEADER,
        NOW,
        day_start=settings.day_shift_start,
        night_start=settings.night_shift_start,
        tz=settings.tz,
    )
    pins = {person.name: person.pin for person in read_demo(NOW, settings.tz).people}
    assert leader is not None and pins.get(leader)
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, leader, pins[leader])
        assert isinstance(app.screen, MainScreen)
        assert app.operator is not None and app.operator.name == leader
        assert Role.DUTY_LEADER in app.operator.roles


async def test_uncleared_operator_sees_restricted(
    sign_in_app: Callable[..., DutyDeskApp],
) -> None:
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, "黄雨婷", "4444")
        assert isinstance(app.screen, MainScreen)
        assert app.main.context.clearance is Classification.INTERNAL
        assert secret_row_title(app) is None
        assert SECRET_TITLE not in app.export_screenshot()


async def test_sign_out_hides_everything_and_switches_operator(
    sign_in_app: Callable[..., DutyDeskApp],
) -> None:
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, "孙丽", "333333")  # named in the telegram's 知悉范围
        assert SECRET_TITLE in app.export_screenshot() or secret_row_title(app)
        main = app.main
        await pilot.press("ctrl+o")
        await settle(pilot)
        screen = screen_of(app)
        assert app.operator is None and app.signed_out
        # The previous operator's desk is gone from the app, not just hidden under it.
        assert not main.is_attached and app.screen_stack == [screen]
        assert SECRET_TITLE not in app.export_screenshot()
        # Defect 5: the incoming officer types their own name, never into the outgoing
        # officer's PIN (which would burn that account's lockout count).
        assert screen.name_input.value == ""
        assert app.focused is screen.name_input
        await sign_in(pilot, "黄雨婷", "4444")
        assert app.operator is not None and app.operator.name == "黄雨婷"
        assert app.main.context.operator == "黄雨婷"
        assert secret_row_title(app) is None


async def test_sign_out_closes_open_forms(sign_in_app: Callable[..., DutyDeskApp]) -> None:
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, "赵静", "222222")
        await pilot.press("n")  # the intake form, on top of the main screen
        await settle(pilot)
        main, form = app.main, app.screen
        assert isinstance(form, IntakeScreen)
        stack: list[Screen[Any]] = [main, form]  # typed: else mypy infers their shared mixin
        assert app.screen_stack == stack
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.screen_stack == [app.screen]
        # Nothing of the previous operator's screens survives, in any screen stack.
        assert not form.is_attached and not main.is_attached


async def test_sign_out_with_a_typed_form_asks_first(
    sign_in_app: Callable[..., DutyDeskApp],
) -> None:
    """Defect 4: ctrl+o asks the discard question; "no" keeps the form and the operator."""
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, "赵静", "222222")
        await pilot.press("n")
        await settle(pilot)
        form = on_top(app, IntakeScreen)
        await pilot.press(*"caller says", "ctrl+o")
        await settle(pilot)
        on_top(app, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is form and form.text("summary") == "caller says"
        assert app.operator is not None and app.operator.name == "赵静"
        await pilot.press("ctrl+o", "y")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.operator is None


async def test_no_copy_or_screenshot_for_a_cleared_operator(
    sign_in_app: Callable[..., DutyDeskApp],
) -> None:
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, "赵静", "222222")  # 秘密: may be shown classified text
        app.copy_to_clipboard("anything")
        assert app.clipboard == ""
        assert app.deliver_screenshot() is None
        await pilot.pause()
        texts = [str(n.message) for n in app._notifications]
        assert any("Copying is disabled" in text for text in texts)
        assert any("Screenshots are disabled" in text for text in texts)


async def test_copy_allowed_for_internal_operator(
    sign_in_app: Callable[..., DutyDeskApp],
) -> None:
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, "黄雨婷", "4444")
        app.copy_to_clipboard("anything")
        assert app.clipboard == "anything"


async def test_without_sign_in_nothing_changes(make_app: Callable[..., DutyDeskApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and app.operator is None
        assert app.main.context.operator_id is None
        await pilot.press("ctrl+o")  # no sign-in: the key does nothing
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        app.copy_to_clipboard("x")
        assert app.clipboard == "x"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_sign_in_screen_snapshot(
    snap_compare: Callable[..., bool],
    sign_in_app: Callable[..., DutyDeskApp],
    language: str,
) -> None:
    assert snap_compare(sign_in_app(language), terminal_size=SIZE, run_before=settle)


async def test_every_classified_view_at_the_console_names_the_operator(
    sign_in_app: Callable[..., DutyDeskApp], demo: Database
) -> None:
    """Queue titles and the timeline of the 机密 incident: audit events with 孙丽's id."""
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, "孙丽", "333333")
        assert app.operator is not None
        queue = app.main.queue
        rows = [row for block in queue._blocks.values() for row in block]
        secret = next(i for i, row in enumerate(rows) if row.classification.value == "secret")
        while queue.cursor < secret:
            await pilot.press("down")
        await settle(pilot)  # the timeline's read (a worker, after the cursor rests) is done
        assert SECRET_TITLE in app.main.timeline.text
        events = demo.read(
            "SELECT actor_id, object_type, object_id, detail FROM audit_event "
            "WHERE action = 'classified_viewed' ORDER BY id"
        )
        kinds = {(actor, kind) for actor, kind, _, _ in events}
        assert (app.operator.id, "queue") in kinds
        assert (app.operator.id, "incident") in kinds
        assert all(actor == app.operator.id for actor, _, _, _ in events)
        assert not any(SECRET_TITLE in str(detail) for *_, detail in events)  # no content


async def test_what_the_operator_writes_carries_their_person_id(
    sign_in_app: Callable[..., DutyDeskApp], demo: Database
) -> None:
    """An intake at the console is created by, and its first entry is by, the operator."""

    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, "黄雨婷", "4444")
        assert app.operator is not None
        await pilot.press("n")
        await settle(pilot)
        app.post_message(events.Paste("幸福路口一辆货车侧翻，无人员伤亡。"))
        await settle(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause(0.6)
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        row = demo.read(
            "SELECT i.created_by_id, e.actor_id, e.actor_name FROM incident i "
            "JOIN timeline_entry e ON e.incident_id = i.id AND e.seq = 1 "
            "ORDER BY i.id DESC LIMIT 1"
        )[0]
        assert tuple(row) == (app.operator.id, app.operator.id, "黄雨婷")


async def test_a_new_pin_above_internal_needs_six_characters(
    sign_in_app: Callable[..., DutyDeskApp], demo: Database
) -> None:
    """Issue 17: 赵静 (秘密) chooses her own PIN after a reset; 4 characters are refused."""
    from dutydesk.services.accounts.auth import authenticate
    from dutydesk.services.accounts.users import set_pin

    officer = authenticate(demo, "马骏", "1212", NOW)  # the security officer resets it
    set_pin(demo, officer, "赵静", "975310", NOW)
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, "赵静", "975310")
        screen = screen_of(app)
        await pilot.press(*"2468", "enter", *"2468", "enter")
        await settle(pilot)
        message = str(screen.message.content)
        assert "at least 6 characters" in message and app.operator is None
        assert screen.pin_input.placeholder == "New PIN"  # asked again, the name kept
        await pilot.press(*"246810", "enter", *"246810", "enter")
        await settle(pilot)
        assert app.operator is not None and app.operator.name == "赵静"
    assert authenticate(demo, "赵静", "246810", NOW).name == "赵静"


async def test_a_short_pin_above_internal_is_replaced_at_sign_in(
    sign_in_app: Callable[..., DutyDeskApp], demo: Database
) -> None:
    """Issue 17 item 6: 王立新 (机密) with a 4-digit PIN of his own chooses a longer one."""
    from dutydesk.services.accounts.auth import authenticate
    from dutydesk.services.accounts.users import set_pin

    own = authenticate(demo, "王立新", "777777", NOW)
    set_pin(demo, own, "王立新", "7777", NOW, settings=Settings(pin_min_classified=4))
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, "王立新", "7777")
        screen = screen_of(app)
        message = str(screen.message.content)
        assert "6 characters" in message and "new PIN" in message, message
        assert app.operator is None and screen.pin_input.placeholder == "New PIN"
        await pilot.press(*"2468", "enter", *"2468", "enter")  # still short: asked again
        await settle(pilot)
        assert "at least 6 characters" in str(screen.message.content)
        assert app.operator is None and screen.pin_input.placeholder == "New PIN"
        await pilot.press(*"246810", "enter", *"246810", "enter")
        await settle(pilot)
        assert app.operator is not None and app.operator.name == "王立新"
        assert isinstance(app.screen, MainScreen)
    assert authenticate(demo, "王立新", "246810", NOW).name == "王立新"


@pytest.mark.sqlite_only("the modes of the SQLite file and its -wal (a server's files are its own)")
async def test_a_database_others_can_read_is_warned_about_in_a_toast(
    sign_in_app: Callable[..., DutyDeskApp], demo: Database
) -> None:
    """Issue 17: a warning at the console, not a refusal; the sign-in screen opens."""
    assert demo.path is not None
    demo.path.chmod(0o640)
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        said = [str(note.message) for note in app._notifications]
        assert any(f"{demo.path.name} (0640)" in text for text in said), said
        assert isinstance(app.screen, SignInScreen)


@pytest.mark.parametrize(
    ("name", "pin", "sees_secret"), [("孙丽", "333333", True), ("黄雨婷", "4444", False)]
)
async def test_the_desk_opens_with_rows_read_as_the_operator_at_the_pin_check(
    sign_in_app: Callable[..., DutyDeskApp],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    pin: str,
    sees_secret: bool,
) -> None:
    """Issue 16, PIN -> rows: the main screen's first frame has the queue's rows.

    They were read only once the desk was up (a worker, then a second layout and full
    redraw); now the PIN check's worker reads them, as the operator sees them: their
    clearance, their audit.
    """
    at_mount: list[str | None] = []
    mount = MainScreen.on_mount

    def mounted(screen: MainScreen) -> None:
        at_mount.extend(row.title for block in screen.queue._blocks.values() for row in block)
        (secret,) = [
            row.title
            for block in screen.queue._blocks.values()
            for row in block
            if row.classification is Classification.SECRET
        ]
        at_mount.append("secret shown" if secret and secret.startswith(SECRET_TITLE) else None)
        mount(screen)

    monkeypatch.setattr(MainScreen, "on_mount", mounted)
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, name, pin)
        assert isinstance(app.screen, MainScreen)
        assert len(at_mount) > 1, at_mount
        assert (at_mount[-1] == "secret shown") is sees_secret
        shown = [row.title for block in app.main.queue._blocks.values() for row in block]
        assert at_mount[: len(shown)] == shown  # the same rows the desk's own read gave
