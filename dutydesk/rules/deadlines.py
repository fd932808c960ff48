"""Deadlines (时限): the steps an item owes, by its kind of matter, from its timeline.

Pure: give it the rules, the item's facts (kind, grade, sensitivity, receipt time) and its
entries, get back the steps owed, soonest first. Defaults live in ``data/rules.toml``
with their sources; the config file's ``[rules]`` table overrides them
(``Settings.rules``, passed as ``overrides``).

Each kind of matter has its own clocks (``vocab.MatterKind``): an emergency owes 初判
while unassessed, then 电话首报/书面首报/续报 by grade; a request from the public owes
转办/交办, 反馈 and 办结; an incoming document owes 登记, 呈批, 传阅/承办 and 办结. A
sensitive item (敏感, "不拘泥于分级标准") owes grade I's report clocks whatever its grade
and kind. Every kind owes feedback on each leader instruction.

Rules are checked when loaded: every period must be positive and a more serious grade
may never wait longer than a less serious one (I before II before III before IV), so
raising a grade can only bring a deadline forward (a property test holds the engine to
that). Unassessed stands outside that order: an office may make it as strict as it
wants, since "达到或可能达到" means report at once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import field, replace
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from dutydesk.errors import ConfigError
from dutydesk.records import record
from dutydesk.rules.workdays import Calendar, WorkCalendar
from dutydesk.vocab import Category, Channel, EntryKind, MatterKind, Severity

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "rules.toml"


class Period(NamedTuple):
    """A length of time in calendar terms or in working days (工作日)."""

    span: timedelta = timedelta(0)
    working_days: float = 0.0

    def after(self, start: datetime, calendar: Calendar, tz: ZoneInfo) -> datetime:
        """The moment this period ends when it starts at ``start``."""
        if self.working_days:
            return calendar.add_working_days(start, self.working_days, tz)
        return start + self.span

    @property
    def positive(self) -> bool:
        """True unless the period is zero or negative (a configuration error)."""
        return self.working_days > 0 if self.working_days else self.span > timedelta(0)


_UNITS = {"_minutes": "minutes", "_hours": "hours", "_days": "days"}


class RuleProblem(str):
    """What is wrong with the rules: English words, and its parts.

    The rules speak no language of their own: the text is the English one (logs,
    tests), and ``key`` with ``values`` let the layer that reports it say it in the
    reader's language (catalogue ``error.rules.<key>``).
    """

    key: str
    values: Mapping[str, object]

    def __new__(cls, key: str, english: str, **values: object) -> RuleProblem:
        """``english`` is the text; ``values`` fill ``error.rules.<key>`` in a catalogue."""
        problem = super().__new__(cls, english)
        problem.key = key
        problem.values = values
        return problem


class RulesError(ConfigError):
    """The deadline rules (``rules.toml`` with the config's ``[rules]``) are not usable.

    The message is English; ``problem`` carries the key and parts to say it otherwise.
    """

    def __init__(self, problem: RuleProblem, *, joined: str = ": ") -> None:
        # "rules: <problem>", or "rules.<setting>: ..." when the problem names its setting.
        super().__init__(f"rules{joined}{problem}")
        self.problem = problem


def _period(name: str, value: Any) -> Period:
    """``submit_hours = 4`` -> 4 hours; ``feedback_working_days = 5`` -> 5 working days."""
    if name.endswith("_working_days"):
        return Period(working_days=float(value))
    for suffix, unit in _UNITS.items():
        if name.endswith(suffix):
            return Period(span=timedelta(**{unit: float(value)}))
    units = "_minutes, _hours, _days, _working_days"
    raise RulesError(RuleProblem("no_unit", f"{name!r} names no unit ({units})", name=name))


def _steps(data: Mapping[str, Any], kind: str) -> dict[str, Period]:
    """The ``[request]`` or ``[document]`` table as step -> period."""
    table = data.get(kind, {})
    steps: dict[str, Period] = {}
    for key, value in table.items():
        period = _period(key, value)
        step = key
        for suffix in ("_working_days", *_UNITS):
            if step.endswith(suffix):
                step = step[: -len(suffix)]
                break
        steps[step] = period
    return steps


@record
class DeadlineRules:
    """Deadline settings per kind of matter and grade."""

    phone_report: Mapping[Severity, timedelta]
    first_report: Mapping[Severity, timedelta]
    continued_report: Mapping[Severity, timedelta]
    feedback: timedelta
    report_back: timedelta = timedelta(hours=24)
    """报结: how soon a department's feedback on an instruction goes back to the leader."""
    remind_before: timedelta = timedelta(hours=2)
    """催办: how long before an instruction's feedback (or 报结) falls due the desk is
    reminded to chase it."""
    initial_grading: timedelta | None = None
    """初判: how soon an unassessed emergency must be graded; ``None``: no such clock."""
    request: Mapping[str, Period] = field(default_factory=dict)
    """群众诉求 steps: ``assign`` (转办/交办), ``feedback``, ``conclude`` (办结)."""
    document: Mapping[str, Period] = field(default_factory=dict)
    """收文/密电 steps: ``register`` (登记), ``submit`` (呈批), ``circulate`` (传阅/承办),
    ``conclude`` (办结)."""
    kind_by_channel: Mapping[Channel, MatterKind] = field(default_factory=dict)
    """The kind an intake starts with, by channel; unlisted channels are emergencies."""
    kind_by_category: Mapping[Category, MatterKind] = field(default_factory=dict)
    """The kind by category, which wins over the channel's (群众来电 is a request)."""
    calendar: Calendar = field(default_factory=WorkCalendar)
    """Which days are working days, for periods counted in them."""
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    """The office's zone: a working day ends at its midnight."""
    special_report: timedelta | None = None
    """特殊时期: continued reports at least this often while a special period is on."""
    day_start: time = time(8, 30)
    """The change of shift that starts a 值班日 (whose special period applies)."""
    zero_report_at: time | None = None
    """零报告: in a special period, each 值班日's report to the superior is owed by this
    local time (``None``: no such clock); see :mod:`dutydesk.rules.daily_report`."""

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        *,
        calendar: Calendar | None = None,
        zone: ZoneInfo | None = None,
    ) -> DeadlineRules:
        """Build from the parsed ``rules.toml`` layout."""

        def table(name: str, unit: str) -> dict[Severity, timedelta]:
            return {
                Severity(grade): timedelta(**{unit: float(value)})
                for grade, value in data.get(name, {}).items()
            }

        grading = data.get("initial_grading_minutes", {}).get("emergency")
        try:
            kinds = {
                Channel(channel): MatterKind(kind)
                for channel, kind in data.get("kind_by_channel", {}).items()
            }
            by_category = {
                Category(category): MatterKind(kind)
                for category, kind in data.get("kind_by_category", {}).items()
            }
        except ValueError as error:
            english = f"kind_by_channel/kind_by_category: {error}"
            problem = RuleProblem("kind", english, detail=str(error))
            raise RulesError(problem, joined=".") from None
        return cls(
            phone_report=table("phone_report_minutes", "minutes"),
            first_report=table("first_report_minutes", "minutes"),
            continued_report=table("continued_report_hours", "hours"),
            feedback=timedelta(days=float(data.get("instruction", {}).get("feedback_days", 3))),
            report_back=timedelta(
                hours=float(data.get("instruction", {}).get("report_back_hours", 24))
            ),
            remind_before=timedelta(
                hours=float(data.get("instruction", {}).get("remind_hours", 2))
            ),
            initial_grading=timedelta(minutes=float(grading)) if grading is not None else None,
            request=_steps(data, "request"),
            document=_steps(data, "document"),
            kind_by_channel=kinds,
            kind_by_category=by_category,
            special_report=_hours(data.get("special_period", {}).get("continued_report_hours")),
            zero_report_at=_time_of_day(data.get("special_period", {}).get("zero_report_at")),
            calendar=calendar or WorkCalendar(),
            zone=zone or ZoneInfo("Asia/Shanghai"),
        )

    def kind_for(self, channel: Channel, category: Category | None = None) -> MatterKind:
        """The kind of matter an intake starts as: by category if listed, else by channel."""
        if category is not None and category in self.kind_by_category:
            return self.kind_by_category[category]
        return self.kind_by_channel.get(channel, MatterKind.EMERGENCY)

    def first_report_for(self, severity: Severity) -> timedelta | None:
        """The written first report period of a grade (unlisted grades: unassessed's)."""
        return self.first_report.get(severity, self.first_report.get(Severity.UNASSESSED))

    def continued_report_for(self, severity: Severity) -> timedelta | None:
        """The continued report interval of a grade (unlisted grades: unassessed's)."""
        return self.continued_report.get(severity, self.continued_report.get(Severity.UNASSESSED))

    def clocks_for(
        self,
        severity: Severity,
        kind: MatterKind = MatterKind.EMERGENCY,
        *,
        sensitive: bool = False,
    ) -> list[tuple[str, timedelta]]:
        """The clocks a new item of this kind and grade starts, as ``(step, period)``.

        What the intake form shows beside the grade: for an emergency the 初判 (while
        unassessed), the phone report (grades listed in ``phone_report_minutes``) and the
        written first report; for a request or a document its first step. A sensitive
        item shows grade I's report clocks whatever its kind. A period in working days
        is shown by its length from now.
        """
        clocks: list[tuple[str, timedelta | None]] = []
        if kind is MatterKind.EMERGENCY or sensitive:
            grade = Severity.I if sensitive else severity
            if kind is MatterKind.EMERGENCY and severity is Severity.UNASSESSED:
                clocks.append(("initial_grading", self.initial_grading))
            clocks.append(("phone_report", self.phone_report.get(grade)))
            clocks.append(("first_report", self.first_report_for(grade)))
        if kind is MatterKind.REQUEST:
            clocks.append(("assign", _nominal(self.request.get("assign"))))
        elif kind is MatterKind.DOCUMENT:
            clocks.append(("register", _nominal(self.document.get("register"))))
        return [(step, period) for step, period in clocks if period is not None]

    def problems(self) -> list[RuleProblem]:
        """What is wrong with these rules, in words; empty when they are usable."""
        found: list[RuleProblem] = []
        if self.feedback <= timedelta(0):
            found.append(_not_positive("instruction.feedback_days"))
        if self.report_back <= timedelta(0):
            found.append(_not_positive("instruction.report_back_hours"))
        if self.initial_grading is not None and self.initial_grading <= timedelta(0):
            found.append(_not_positive("initial_grading_minutes.emergency"))
        for kind, steps in (("request", self.request), ("document", self.document)):
            for step, length in steps.items():
                if not length.positive:
                    found.append(_not_positive(f"{kind}.{step}"))
        tables: dict[str, Callable[[Severity], timedelta | None]] = {
            "phone_report_minutes": self.phone_report.get,
            "first_report_minutes": self.first_report_for,
            "continued_report_hours": self.continued_report_for,
        }
        # Unassessed is outside the order: "达到或可能达到" may be as strict as an office wants.
        grades = [Severity.I, Severity.II, Severity.III, Severity.IV]
        for name, period in tables.items():
            for grade in Severity:
                value = period(grade)
                if value is not None and value <= timedelta(0):
                    found.append(_not_positive(f"{name}.{grade.value}"))
            for serious, lesser in pairwise(grades):
                high, low = period(serious), period(lesser)
                if low is not None and (high is None or high > low):
                    english = (
                        f"{name}: grade {serious.value} must not have a longer period "
                        f"than grade {lesser.value}"
                    )
                    found.append(
                        RuleProblem("order", english, table=name, serious=serious, lesser=lesser)
                    )
        return found


def _not_positive(setting: str) -> RuleProblem:
    return RuleProblem("not_positive", f"{setting}: must be more than 0", setting=setting)


def _time_of_day(value: Any) -> time | None:
    """``"16:00"`` as a time; a bad value is one line naming the setting."""
    if value is None:
        return None
    text = str(value)
    try:
        if len(text) != len("HH:MM"):
            raise ValueError(text)
        return time.fromisoformat(text)
    except ValueError:
        english = f'special_period.zero_report_at: expected a time "HH:MM", got {value!r}'
        raise RulesError(RuleProblem("clock", english, value=repr(value)), joined=".") from None


def _hours(value: Any) -> timedelta | None:
    return timedelta(hours=float(value)) if value is not None else None


def _nominal(period: Period | None) -> timedelta | None:
    """A period's length for display: working days shown as that many whole days."""
    if period is None:
        return None
    return timedelta(days=period.working_days) if period.working_days else period.span


def _parsed(path: Path, cache: Path | None) -> dict[str, Any]:
    """``path`` parsed as TOML, through ``cache`` when one is given and still current.

    Importing ``tomllib`` and parsing ``rules.toml`` cost ~14 M instructions, ~2.5% of
    every ``incident add`` or ``log`` (issue 16). The cache holds the parse as JSON with
    the rules file's path, size and modification time (ns): any edit of the file (or
    another file) misses it and the file is parsed again. It is trusted only when it is
    the user's own and not writable by others; it is written private (0600) to a
    temporary name and renamed into place, so a reader never sees half of it. A cache
    that cannot be read or written is no error: the file is parsed.
    """
    stat = path.stat()
    key = [str(path.resolve()), stat.st_size, stat.st_mtime_ns]
    if cache is not None:
        try:
            with cache.open("rb") as handle:
                own = os.fstat(handle.fileno())
                if own.st_uid == os.getuid() and not own.st_mode & 0o022:
                    kept = json.loads(handle.read())
                    if kept.get("key") == key and isinstance(kept.get("data"), dict):
                        return dict(kept["data"])
        except (OSError, ValueError, AttributeError):
            pass  # missing, unreadable or not ours: parse the file
    import tomllib  # only when the cache misses (see above)

    with path.open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    if cache is not None:
        _keep(cache, {"key": key, "data": data})
    return data


def _keep(cache: Path, content: dict[str, Any]) -> None:
    """Write ``content`` to ``cache`` atomically and privately; give up quietly."""
    try:
        text = json.dumps(content, ensure_ascii=False).encode()
    except (TypeError, ValueError):
        return  # a value JSON cannot hold (a TOML date): keep parsing the file
    temporary = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    try:
        cache.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # O_EXCL: a leftover or a concurrent writer's file is never written through.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text)
        os.replace(temporary, cache)
    except OSError:
        temporary.unlink(missing_ok=True)


def load_rules(
    path: Path = RULES_FILE,
    overrides: Mapping[str, Any] | None = None,
    *,
    calendar: Calendar | None = None,
    zone: ZoneInfo | None = None,
    cache: Path | None = None,
) -> DeadlineRules:
    """Read the rules file, with ``overrides`` (the config file's ``[rules]``) on top.

    ``cache`` is a file where the parsed rules may be kept between processes (see
    :func:`_parsed`); without it the file is parsed each time.

    ``calendar`` says which days are working days (default: the published years, see
    ``rules/workdays.py``); ``zone`` is the office's (a working day ends at its midnight).

    Raises:
        RulesError: the resulting rules are not usable (see :meth:`DeadlineRules.problems`).

    """
    data = _parsed(path, cache)
    for section, values in (overrides or {}).items():
        data.setdefault(section, {}).update(values)
    if calendar is None:
        from dutydesk.rules.workdays import published_calendar

        calendar = published_calendar()
    rules = DeadlineRules.from_mapping(data, calendar=calendar, zone=zone)
    problems = rules.problems()
    if problems:
        raise RulesError(problems[0])
    return rules


def office_rules(
    overrides: Mapping[str, Any],
    zone: ZoneInfo,
    holidays_file: Path | None,
    day_start: time | None = None,
    cache: Path | None = None,
) -> DeadlineRules:
    """The rules a desk runs on: the file, the config's ``[rules]``, the office's holidays.

    ``cache``: where the parsed rules file may be kept (see :func:`load_rules`).

    Raises:
        ConfigError: unusable rules or a bad holiday file, in one line.

    """
    from dutydesk.rules.workdays import DeferredCalendar

    # The published years are read when a working day is first counted (issue 16).
    calendar = DeferredCalendar(holidays_file)
    rules = load_rules(overrides=overrides, calendar=calendar, zone=zone, cache=cache)
    return replace(rules, day_start=day_start) if day_start is not None else rules


class EntryFact(NamedTuple):
    """What the rule engine needs of a timeline entry."""

    kind: EntryKind
    occurred_at: datetime
    due_at: datetime | None = None
    entry_id: int | None = None
    refers_to_id: int | None = None


class DueStep(NamedTuple):
    """The next thing owed on an item and when."""

    step: str
    """``initial_grading``, ``phone_report``, ``first_report``, ``continued_report``,
    ``assign``, ``register``, ``submit``, ``circulate``, ``conclude`` or ``feedback``."""
    due_at: datetime
    entry_id: int | None = None
    """For ``feedback``: the instruction or assignment awaiting it."""


_REPORTS = {EntryKind.FIRST_REPORT, EntryKind.CONTINUED_REPORT, EntryKind.FINAL_REPORT}
_CLOSING = {EntryKind.FINAL_REPORT, EntryKind.CLOSED}
INSTRUCTION_STEPS = ("feedback", "report_back")
"""The steps a leader's instruction owes: chased before they fall due (催办), escalated to
the duty leader once late."""
# 初判 is made once the matter is verified or reported: a grade is then set, or the
# matter stays below grade IV (a rumour found untrue) and that was the judgement.
_JUDGED = {EntryKind.VERIFIED, EntryKind.PHONE_REPORT} | _REPORTS


def closed_by_entries(entries: Iterable[EntryFact]) -> bool:
    """True when the latest final report or close is not followed by a reopening.

    ``entries`` are taken in the order they were recorded (timeline ``seq``), the order
    the status workflow saw them in, not by ``occurred_at``: a reopening logged with an
    earlier time than the final report it reopens still reopens.
    """
    last = None
    for fact in entries:
        if fact.kind in _CLOSING or fact.kind is EntryKind.REOPENED:
            last = fact.kind
    return last in _CLOSING


def due_steps(
    rules: DeadlineRules,
    severity: Severity,
    received_at: datetime,
    entries: Iterable[EntryFact],
    *,
    is_open: bool = True,
    kind: MatterKind = MatterKind.EMERGENCY,
    sensitive: bool = False,
    report_every: timedelta | None = None,
) -> list[DueStep]:
    """Every step currently owed on an item, soonest first.

    ``entries`` come in the order they were recorded (see :func:`closed_by_entries`).

    Nothing is owed once the item is closed (``is_open`` false, or a final report or
    close not followed by a reopening). By kind (``vocab.MatterKind``):

    - an emergency owes 初判 while unassessed and neither verified nor reported; a
      phone report (grades listed in ``phone_report_minutes``) until any report is
      made; the written first report until one is made; then a continued report every
      interval after the latest report (or reopening), or every ``report_every`` when
      that is sooner (a cadence an instruction or the officer set: "每小时报告一次进展");
    - a request owes 转办/交办 until one is recorded, and 办结;
    - a document owes 登记, 呈批 (a leader instruction on it counts), then 传阅/承办, and 办结.

    A sensitive item owes grade I's report clocks whatever its grade and kind. Each leader
    instruction, and each assignment given a due date (a request's assignments always
    are, by ``[request] feedback``), owes feedback until a feedback entry refers to it.
    """
    recorded = list(entries)
    facts = sorted(recorded, key=lambda e: e.occurred_at)
    if not is_open or closed_by_entries(recorded):
        # Closing the matter never drops a leader's instruction: it is followed to 报结.
        return sorted(_instruction_steps(rules, facts), key=lambda step: step.due_at)
    steps: list[DueStep] = []
    judged = any(fact.kind in _JUDGED for fact in facts)
    unjudged = kind is MatterKind.EMERGENCY and severity is Severity.UNASSESSED and not judged
    if unjudged and rules.initial_grading:
        steps.append(DueStep("initial_grading", received_at + rules.initial_grading))
    if kind is MatterKind.EMERGENCY or sensitive:
        grade = Severity.I if sensitive else severity
        steps.extend(_report_steps(rules, grade, received_at, facts, report_every))
    if kind is MatterKind.REQUEST:
        steps.extend(_request_steps(rules, received_at, facts))
    elif kind is MatterKind.DOCUMENT:
        steps.extend(_document_steps(rules, received_at, facts))
    steps.extend(_feedback_steps(rules, facts, kind))
    steps.extend(_instruction_steps(rules, facts))
    return sorted(steps, key=lambda step: step.due_at)


def _after(rules: DeadlineRules, period: Period | None, start: datetime) -> datetime | None:
    return period.after(start, rules.calendar, rules.zone) if period else None


def _owed(*steps: tuple[str, datetime | None]) -> list[DueStep]:
    return [DueStep(step, due) for step, due in steps if due is not None]


def _request_steps(
    rules: DeadlineRules, received_at: datetime, facts: list[EntryFact]
) -> list[DueStep]:
    """A request from the public: 转办/交办 until one is recorded, and 办结."""
    assigned = any(fact.kind is EntryKind.ASSIGNMENT for fact in facts)
    return _owed(
        ("assign", None if assigned else _after(rules, rules.request.get("assign"), received_at)),
        ("conclude", _after(rules, rules.request.get("conclude"), received_at)),
    )


def _document_steps(
    rules: DeadlineRules, received_at: datetime, facts: list[EntryFact]
) -> list[DueStep]:
    """An incoming document: 登记, 呈批 (an instruction on it counts), 传阅/承办, 办结."""
    done = {fact.kind for fact in facts}
    submitted = [
        fact.occurred_at
        for fact in facts
        if fact.kind in {EntryKind.SUBMITTED, EntryKind.LEADER_INSTRUCTION}
    ]
    steps = rules.document
    register = (
        None if EntryKind.REGISTERED in done else _after(rules, steps.get("register"), received_at)
    )
    submit = None if submitted else _after(rules, steps.get("submit"), received_at)
    circulate = None
    if submitted and not done & {EntryKind.CIRCULATED, EntryKind.ASSIGNMENT}:
        circulate = _after(rules, steps.get("circulate"), min(submitted))
    return _owed(
        ("register", register),
        ("submit", submit),
        ("circulate", circulate),
        ("conclude", _after(rules, steps.get("conclude"), received_at)),
    )


def _feedback_steps(
    rules: DeadlineRules, facts: list[EntryFact], kind: MatterKind
) -> list[DueStep]:
    """Feedback owed on each assignment with a due date (instructions: see below)."""
    answered = {fact.refers_to_id for fact in facts if fact.kind is EntryKind.FEEDBACK}
    by_rule = rules.request.get("feedback") if kind is MatterKind.REQUEST else None
    steps: list[DueStep] = []
    for fact in facts:
        if fact.kind is not EntryKind.ASSIGNMENT:
            continue
        if fact.entry_id is not None and fact.entry_id in answered:
            continue
        due = fact.due_at or _after(rules, by_rule, fact.occurred_at)
        if due is not None:
            steps.append(DueStep("feedback", due, fact.entry_id))
    return steps


def _instruction_steps(rules: DeadlineRules, facts: list[EntryFact]) -> list[DueStep]:
    """Each leader instruction, open or closed matter alike: feedback, then 报结.

    Feedback is due by the instruction's own date or ``[instruction] feedback_days``;
    once a department's feedback refers to it, reporting that back to the leader (报结,
    销号) is due within ``[instruction] report_back_hours``; the instruction is done when
    a ``reported_back`` entry refers to it.
    """
    feedback_at: dict[int, datetime] = {}
    closed: set[int] = set()
    for fact in facts:
        if fact.refers_to_id is None:
            continue
        if fact.kind is EntryKind.FEEDBACK:
            feedback_at.setdefault(fact.refers_to_id, fact.occurred_at)
        elif fact.kind is EntryKind.REPORTED_BACK:
            closed.add(fact.refers_to_id)
    steps: list[DueStep] = []
    for fact in facts:
        if fact.kind is not EntryKind.LEADER_INSTRUCTION or fact.entry_id in closed:
            continue
        answered = feedback_at.get(fact.entry_id) if fact.entry_id is not None else None
        if answered is None:
            due = fact.due_at or fact.occurred_at + rules.feedback
            steps.append(DueStep("feedback", due, fact.entry_id))
        else:
            steps.append(DueStep("report_back", answered + rules.report_back, fact.entry_id))
    return steps


def _report_steps(
    rules: DeadlineRules,
    grade: Severity,
    received_at: datetime,
    facts: list[EntryFact],
    report_every: timedelta | None,
) -> list[DueStep]:
    """An emergency's report clocks: phone, written first, then continued reports."""
    steps: list[DueStep] = []
    kinds = {fact.kind for fact in facts}
    phone = rules.phone_report.get(grade)
    if phone is not None and not kinds & ({EntryKind.PHONE_REPORT} | _REPORTS):
        steps.append(DueStep("phone_report", received_at + phone))
    reports = [fact.occurred_at for fact in facts if fact.kind in _REPORTS]
    if not reports:
        first = rules.first_report_for(grade)
        if first is not None:
            steps.append(DueStep("first_report", received_at + first))
        return steps
    interval = rules.continued_report_for(grade)
    if report_every is not None:
        interval = min(interval, report_every) if interval is not None else report_every
    reopened = [fact.occurred_at for fact in facts if fact.kind is EntryKind.REOPENED]
    if interval is not None:
        # A reopening restarts the clock: the matter was settled until then.
        steps.append(DueStep("continued_report", max(reports + reopened) + interval))
    return steps


def clock_terms(row: Any, *, special: timedelta | None = None) -> dict[str, Any]:
    """The item's facts that choose its clocks (kind, sensitivity, cadence), as keywords.

    For ``due_steps``/``next_due``; ``row`` is an ``Incident`` or a plain-SQL row that
    selected ``matter_kind, sensitive, report_every_minutes``. ``special`` is the
    special period's cadence when one is on (``DeadlineRules.special_report``): the
    continued reports come at least that often (特殊时期 daily reports).
    """
    every = timedelta(minutes=int(row.report_every_minutes)) if row.report_every_minutes else None
    if special is not None:
        every = min(every, special) if every is not None else special
    return {
        "kind": MatterKind(row.matter_kind),
        "sensitive": bool(row.sensitive),
        "report_every": every,
    }


def duty_date(moment: datetime, rules: DeadlineRules) -> date:
    """The 值班日 ``moment`` falls in (before the day's change of shift: the day before)."""
    local = moment.astimezone(rules.zone)
    return local.date() if local.time() >= rules.day_start else local.date() - timedelta(days=1)


def next_due(
    rules: DeadlineRules,
    severity: Severity,
    received_at: datetime,
    entries: Iterable[EntryFact],
    *,
    is_open: bool = True,
    kind: MatterKind = MatterKind.EMERGENCY,
    sensitive: bool = False,
    report_every: timedelta | None = None,
) -> DueStep | None:
    """The step due soonest, or ``None`` when nothing is owed."""
    steps = due_steps(
        rules, severity, received_at, entries, is_open=is_open, kind=kind,
        sensitive=sensitive, report_every=report_every,
    )  # fmt: skip
    return steps[0] if steps else None
