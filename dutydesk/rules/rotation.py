"""A fair duty rotation (排班): who takes which seat on which shift. Pure, no I/O.

The proposal is greedy and deterministic: shifts are filled in time order and, within a
shift, the seat with the fewest qualified people first (usually the confidential officer),
so a scarce person is not used up on a seat someone else could take. Each seat goes to
the eligible person with the fewest shifts *in that position* in the range, then the
fewest shifts overall, then the longest since their last shift, then by name.

Hard rules, never broken by what is proposed:

* nobody holds two seats on one shift;
* nobody is on two nights in a row;
* nobody does 24 hours: not the day after their night, nor the day and night of one date;
* nobody is rostered while away (leave, or marked unavailable);
* a night always needs a confidential officer (机要员 share night duty, seed §6), and so
  does a day in a special period (特殊时期, joint duty with the confidential bureau).

A seat that cannot be filled stays empty and is reported in words, with the reason for
each qualified person (``2026-12-03 night: no confidential officer free (韩冬 worked
12-02 night)``). Fairness is the spread of per-position counts, reported per position.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from dutydesk.vocab import Position, ShiftKind


class Problem(str):
    """A broken rule, an unfilled seat or a fairness line: English words, and its parts.

    The rules speak no language of their own: the text is the English one (logs, tests),
    and ``key`` with ``values`` let a service say it in the interface language
    (catalogue ``rotation.<key>``; dates, shift kinds and positions rendered there).
    """

    key: str
    values: Mapping[str, object]

    def __new__(cls, key: str, english: str, **values: object) -> Problem:
        """``english`` is the text; ``values`` fill ``rotation.<key>`` in a catalogue."""
        problem = super().__new__(cls, english)
        problem.key = key
        problem.values = values
        return problem


POSITION_WORDS: dict[Position, str] = {
    Position.DUTY_LEADER: "duty leader",
    Position.DUTY_OFFICER: "duty officer",
    Position.INFORMATION_OFFICER: "information officer",
    Position.CONFIDENTIAL_OFFICER: "confidential officer",
}
"""A seat as an English sentence names it (the labels are column headings)."""


@dataclass(frozen=True)
class SlotNeed:
    """One shift to fill: its date, kind, whether it is in a special period."""

    shift_date: date
    kind: ShiftKind
    special: bool = False
    fixed: Mapping[Position, str] = field(default_factory=dict)
    """Seats already taken (kept as they are; they count for fairness and rest)."""

    @property
    def key(self) -> tuple[date, ShiftKind]:
        """(date, kind): the shift's identity."""
        return (self.shift_date, self.kind)

    def positions(self) -> tuple[Position, ...]:
        """The seats this shift needs, in roster order."""
        needed = [Position.DUTY_LEADER, Position.DUTY_OFFICER, Position.INFORMATION_OFFICER]
        if self.kind is ShiftKind.NIGHT or self.special:
            needed.append(Position.CONFIDENTIAL_OFFICER)
        return tuple(needed)


@dataclass(frozen=True)
class Seat:
    """One proposed (or fixed) seat."""

    shift_date: date
    kind: ShiftKind
    position: Position
    name: str
    fixed: bool = False


@dataclass(frozen=True)
class Rotation:
    """What :func:`propose` gives back: seats, what it could not fill, and the counts."""

    seats: tuple[Seat, ...]
    problems: tuple[Problem, ...]
    counts: Mapping[Position, Mapping[str, int]]
    """Per position, shifts per qualified person over the range (fixed seats included)."""

    def fairness(self) -> list[Problem]:
        """One sentence per position: the spread of counts and who has how many."""
        lines = []
        for position, per_person in self.counts.items():
            if not per_person:
                continue
            low, high = min(per_person.values()), max(per_person.values())
            people = ", ".join(f"{name} {count}" for name, count in sorted(per_person.items()))
            english = f"{POSITION_WORDS[position]}: {low}-{high} shifts each ({people})"
            lines.append(
                Problem("fairness", english, position=position, low=low, high=high, people=people)
            )
        return lines


def short_date(day: date) -> str:
    """``12-02``: month and day, as the roster is read aloud."""
    return f"{day.month:02d}-{day.day:02d}"


@dataclass(frozen=True)
class RotationPolicy:
    """The office's rest rules for a rotation: options, not fixed policy (issue 12).

    By default nobody works two nights in a row, nor the day after a night, nor the day
    and the night of one date (24 hours). An office on 24-hour shifts (值班 24 小时，
    次日轮休) allows the last; one short of staff may allow two nights in a row.
    """

    two_nights_in_a_row: bool = False
    """Allow a night shift the night after another."""
    whole_day_shifts: bool = False
    """Allow the day and the night of one date to the same person (a 24-hour shift)."""


class _State:
    """Who worked when, kept up to date as seats are given out."""

    def __init__(self, previous_night: Iterable[str], start: date, policy: RotationPolicy) -> None:
        self.policy = policy
        self.nights: dict[date, set[str]] = {start - timedelta(days=1): set(previous_night)}
        self.on_shift: dict[tuple[date, ShiftKind], dict[str, Position]] = {}
        self.per_position: dict[Position, Counter[str]] = {p: Counter() for p in Position}
        self.total: Counter[str] = Counter()
        self.last: dict[str, int] = {}

    def take(self, need: SlotNeed, index: int, position: Position, name: str) -> None:
        self.on_shift.setdefault(need.key, {})[name] = position
        if need.kind is ShiftKind.NIGHT:
            self.nights.setdefault(need.shift_date, set()).add(name)
        self.per_position[position][name] += 1
        self.total[name] += 1
        self.last[name] = index

    def why_not(self, need: SlotNeed, name: str, away: frozenset[str]) -> Problem | None:
        """Why ``name`` cannot take a seat on this shift, or ``None`` if they can."""
        seat = self.on_shift.get(need.key, {}).get(name)
        if seat is not None:
            english = f"{name} is already {POSITION_WORDS[seat]} on this shift"
            return Problem("already_on_shift", english, name=name, position=seat)
        if name in away:
            return Problem("away", f"{name} is away", name=name)
        yesterday = need.shift_date - timedelta(days=1)
        worked_night = name in self.nights.get(yesterday, set())
        if worked_night and not (need.kind is ShiftKind.NIGHT and self.policy.two_nights_in_a_row):
            english = f"{name} worked {short_date(yesterday)} night"
            return Problem("worked_night", english, name=name, day=yesterday)
        other = ShiftKind.NIGHT if need.kind is ShiftKind.DAY else ShiftKind.DAY
        whole_day = self.policy.whole_day_shifts
        if name in self.on_shift.get((need.shift_date, other), {}) and not whole_day:
            # Day and night of one date back to back are 24 hours on duty.
            english = f"{name} is on {short_date(need.shift_date)} {other.value}"
            return Problem("other_shift", english, name=name, day=need.shift_date, kind=other)
        return None


def propose(
    needs: Sequence[SlotNeed],
    candidates: Mapping[Position, Sequence[str]],
    *,
    away: Mapping[tuple[date, ShiftKind], frozenset[str]] | None = None,
    previous_night: Iterable[str] = (),
    policy: RotationPolicy | None = None,
) -> Rotation:
    """Fill every seat of ``needs`` fairly, or say in words why a seat stays empty.

    Args:
        needs: the shifts, in any order (they are filled in time order).
        candidates: the people qualified for each position.
        away: people unavailable on a shift (leave), by (date, kind).
        previous_night: who was on the night before the first shift (rest rule).
        policy: the office's rest rules (default: no two nights in a row, no 24 h).

    Returns:
        The seats (fixed ones included), the problems, and the per-position counts.

    """
    ordered = sorted(needs, key=lambda n: (n.shift_date, n.kind is ShiftKind.NIGHT))
    start = ordered[0].shift_date if ordered else date.min + timedelta(days=1)
    state = _State(previous_night, start, policy or RotationPolicy())
    away = away or {}
    seats: list[Seat] = []
    problems: list[Problem] = []
    # Fixed seats first, all of them, so the greedy pass sees every night already taken.
    for index, need in enumerate(ordered):
        for position, name in need.fixed.items():
            state.take(need, index, position, name)
            seats.append(Seat(need.shift_date, need.kind, position, name, fixed=True))
    for index, need in enumerate(ordered):
        open_seats = [p for p in need.positions() if p not in need.fixed]
        open_seats.sort(key=lambda p: (len(candidates.get(p, ())), list(Position).index(p)))
        gone = away.get(need.key, frozenset())
        for position in open_seats:
            pool = list(dict.fromkeys(candidates.get(position, ())))
            free = [name for name in pool if state.why_not(need, name, gone) is None]
            if not free:
                problems.append(_refusal(need, position, pool, state, gone))
                continue
            chosen = min(
                free,
                key=lambda name: (
                    state.per_position[position][name],
                    state.total[name],
                    state.last.get(name, -1),
                    name,
                ),
            )
            state.take(need, index, position, chosen)
            seats.append(Seat(need.shift_date, need.kind, position, chosen))
    counts = {
        position: {name: state.per_position[position][name] for name in candidates[position]}
        for position in Position
        if candidates.get(position)
    }
    seats.sort(key=_seat_order)
    return Rotation(tuple(seats), tuple(problems), counts)


def _seat_order(seat: Seat) -> tuple[date, bool, int]:
    return (seat.shift_date, seat.kind is ShiftKind.NIGHT, list(Position).index(seat.position))


def _refusal(
    need: SlotNeed, position: Position, pool: list[str], state: _State, away: frozenset[str]
) -> Problem:
    where = f"{need.shift_date.isoformat()} {need.kind.value}"
    words = POSITION_WORDS[position]
    parts = {"day": need.shift_date, "kind": need.kind, "position": position}
    if not pool:
        return Problem("nobody_can_be", f"{where}: nobody in the store can be {words}", **parts)
    reasons = [state.why_not(need, name, away) or Problem("free", name, name=name) for name in pool]
    english = f"{where}: no {words} free ({'; '.join(reasons)})"
    return Problem("none_free", english, reasons=tuple(reasons), **parts)


def check(seats: Iterable[Seat], policy: RotationPolicy | None = None) -> list[Problem]:
    """Every hard rule broken by ``seats`` (e.g. an imported roster), in words."""
    policy = policy or RotationPolicy()
    found: list[Problem] = []
    shifts: dict[tuple[date, ShiftKind], dict[str, Position]] = {}
    nights: dict[date, set[str]] = {}
    for seat in seats:
        held = shifts.setdefault((seat.shift_date, seat.kind), {})
        if seat.name in held and held[seat.name] is not seat.position:
            first, second = held[seat.name], seat.position
            english = (
                f"{seat.shift_date.isoformat()} {seat.kind.value}: {seat.name} holds two "
                f"positions ({POSITION_WORDS[first]}, {POSITION_WORDS[second]})"
            )
            found.append(
                Problem(
                    "two_positions",
                    english,
                    day=seat.shift_date,
                    kind=seat.kind,
                    name=seat.name,
                    first=first,
                    second=second,
                )
            )
        held[seat.name] = seat.position
        if seat.kind is ShiftKind.NIGHT:
            nights.setdefault(seat.shift_date, set()).add(seat.name)
    for day in sorted(nights):
        if not policy.two_nights_in_a_row:
            for name in sorted(nights[day] & nights.get(day + timedelta(days=1), set())):
                english = f"{name} is on two nights in a row ({short_date(day)} and the next)"
                found.append(Problem("two_nights", english, name=name, day=day))
        after = set(shifts.get((day + timedelta(days=1), ShiftKind.DAY), {}))
        for name in sorted(nights[day] & after):
            english = f"{name} is on the day shift after their {short_date(day)} night"
            found.append(Problem("day_after_night", english, name=name, day=day))
        before = set(shifts.get((day, ShiftKind.DAY), {}))
        if not policy.whole_day_shifts:
            for name in sorted(nights[day] & before):
                english = f"{name} is on both the day and the night of {short_date(day)}"
                found.append(Problem("day_and_night", english, name=name, day=day))
    return found
