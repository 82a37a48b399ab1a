"""A walk-in day at the demo location, to measure how good the wait estimate is (issue 6).

No database: the demo plan (booking/demo.py: 17 counsellors, 08:00 to 16:00 with a staggered
30-minute lunch break) with some of each counsellor's 30-minute slots booked; walk-ins arrive at
random through the day with the demand's topics and languages, a few with a priority reason.
Whenever a counsellor on shift is free they do a booked session that is due, or call the next
fitting ticket with ``booking.queue.next_for`` (which holds back when their next booked session
is too close). Sessions take a random time around a mean per topic (lognormal); a few visitors
do not come when called, which costs the counsellor a few minutes.

At each arrival the estimate is computed with ``booking.queue.estimate`` from what the service
would know at that moment (booking/services/walkins/): the plan, the booked sessions, a walk-in
in progress as the location's session length from its call, and the typical lengths learned
from the day's finished sessions so far (``booking.queue.typical_minutes``). Afterwards each
estimate is held against the moment the ticket was actually called.

Deterministic for a seed: one ``random.Random`` draws the booked slots and the visitors
(arrival, topic, language, priority, session length, no-show) before the day is played; playing
it draws nothing.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from booking import queue
from booking.bench.balance import LANGUAGES, TOPICS
from booking.demo import BREAK, COUNSELLORS, DAY_END, DAY_START, DemoCounsellor
from booking.plan import at
from booking.slots import Interval, grid_starts

DAY = date(2026, 11, 23)  # a Monday
ZONE = ZoneInfo("Europe/Berlin")
SESSION = timedelta(minutes=30)  # a booked session; also what a walk-in in progress is assumed
WALK_INS = 90
BOOKED = 0.45  # share of each counsellor's 30-minute slots booked in advance
PRIORITY = 0.1
NO_SHOW = 0.05
NO_SHOW_COSTS = timedelta(minutes=5)  # called twice, then marked as not there
# Walk-ins come early: most have just left the immigration office's counter. None after 15:00:
# the reception hands out no tickets in the last hour.
HOUR_WEIGHT = {8: 4, 9: 5, 10: 4, 11: 3, 12: 2, 13: 2, 14: 2}
# Actual session lengths: lognormal with these means (minutes) and spread.
MEAN_MINUTES = {
    "forms": 24, "education": 34, "family": 40, "housing": 38,
    "leisure": 20, "work": 38, "health": 32, "other": 28,
}  # fmt: skip
SPREAD = 0.4  # sigma of the lognormal
WITHIN = timedelta(minutes=30)
LATE = timedelta(minutes=5)  # a booked session starting later than this is counted as late


@dataclass(frozen=True)
class Visitor:
    ticket: queue.Ticket
    minutes: float  # how long their session takes
    no_show: bool

    @property
    def arrived(self) -> datetime:
        return self.ticket.queued_at


@dataclass
class Counsellor:
    """A counsellor during the day."""

    desk: queue.Desk
    shifts: tuple[Interval, ...]
    booked: tuple[Interval, ...]  # as planned
    due: list[Interval]  # booked sessions not yet held
    free_at: datetime  # when their current session ends
    walk_in: Interval | None = None  # the walk-in in progress, as the service sees it

    def on_shift(self, moment: datetime) -> bool:
        return any(s.start <= moment < s.end for s in self.shifts)

    def staff(self, now: datetime) -> queue.Staff:
        """What the estimate is given about them (as booking/services/walkins/ builds it)."""
        breaks = tuple(Interval(a.end, b.start) for a, b in itertools.pairwise(self.shifts))
        busy = self.booked + breaks + ((self.walk_in,) if self.walk_in else ())
        return queue.Staff(self.desk, max(now, self.shifts[0].start), self.shifts[-1].end, busy)


@dataclass(frozen=True)
class Day:
    counsellors: tuple[Counsellor, ...]
    visitors: tuple[Visitor, ...]  # in order of arrival


def _pick(rng: random.Random, frequencies: Mapping[str, int]) -> str:
    return rng.choices(list(frequencies), weights=list(frequencies.values()))[0]


def _shifts(person: DemoCounsellor) -> tuple[Interval, ...]:
    lunch = at(DAY, person.lunch, ZONE)
    return (
        Interval(at(DAY, DAY_START, ZONE), lunch),
        Interval(lunch + BREAK, at(DAY, DAY_END, ZONE)),
    )


def make_day(rng: random.Random, walk_ins: int) -> Day:
    counsellors = []
    for cid, person in enumerate(COUNSELLORS, start=1):
        shifts = _shifts(person)
        booked = tuple(
            slot
            for shift in shifts
            for slot in grid_starts(shift, SESSION)
            if rng.random() < BOOKED
        )
        counsellors.append(
            Counsellor(
                queue.Desk(
                    cid, person.organisation, frozenset(person.languages), frozenset(person.topics)
                ),
                shifts,
                booked,
                list(booked),
                shifts[0].start,
            )
        )
    opens = at(DAY, DAY_START, ZONE)
    hours = list(HOUR_WEIGHT)
    arrivals = sorted(
        opens.replace(hour=hour) + timedelta(seconds=rng.randrange(3600))
        for hour in rng.choices(hours, weights=[HOUR_WEIGHT[h] for h in hours], k=walk_ins)
    )
    visitors = []
    for number, arrived in enumerate(arrivals, start=1):
        topic = _pick(rng, TOPICS)
        mean = MEAN_MINUTES[topic]
        minutes = rng.lognormvariate(math.log(mean) - SPREAD**2 / 2, SPREAD)
        visitors.append(
            Visitor(
                queue.Ticket(
                    number, number, topic, _pick(rng, LANGUAGES), rng.random() < PRIORITY, arrived
                ),
                max(5.0, minutes),
                rng.random() < NO_SHOW,
            )
        )
    return Day(tuple(counsellors), tuple(visitors))


@dataclass
class Outcome:
    """One ticket: the estimate it was given on arrival and when it was called."""

    visitor: Visitor
    estimate: queue.Estimate | None
    called: datetime | None = None
    by: queue.Desk | None = None  # who called it

    @property
    def wait(self) -> float | None:
        if self.called is None:
            return None
        return (self.called - self.visitor.arrived).total_seconds() / 60

    @property
    def error(self) -> float | None:
        """Minutes between the middle of the range and the call."""
        if self.called is None or self.estimate is None:
            return None
        middle = self.estimate.earliest + (self.estimate.latest - self.estimate.earliest) / 2
        return abs((self.called - middle).total_seconds()) / 60

    @property
    def inside(self) -> bool | None:
        if self.called is None or self.estimate is None:
            return None
        return self.estimate.earliest <= self.called <= self.estimate.latest


@dataclass
class Play:
    """The day being played: the queue, the counsellors and today's finished sessions."""

    day: Day
    waiting: list[queue.Ticket] = field(default_factory=list)
    finished: dict[str, list[float]] = field(default_factory=dict)
    running: list[tuple[datetime, str, float]] = field(default_factory=list)  # end, topic, mins
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    late_bookings: int = 0  # booked sessions begun late because a walk-in ran over

    def typical(self) -> dict[str, float]:
        return {topic: queue.typical_minutes(topic, self.finished) for topic in MEAN_MINUTES}

    def finish_until(self, now: datetime) -> None:
        for end, topic, minutes in [r for r in self.running if r[0] <= now]:
            self.finished.setdefault(topic, []).append(minutes)
            self.running.remove((end, topic, minutes))

    def arrive(self, visitor: Visitor, now: datetime) -> None:
        self.waiting.append(visitor.ticket)
        staff = [d.staff(now) for d in self.day.counsellors]
        closing = at(DAY, DAY_END, ZONE)
        found = queue.estimate(visitor.ticket.id, self.waiting, staff, now, self.typical(), closing)
        self.outcomes[visitor.ticket.id] = Outcome(visitor, found)

    def turn(self, counsellor: Counsellor, now: datetime) -> None:
        """A free counsellor on shift: a booked session that is due, else the next walk-in."""
        if counsellor.due and counsellor.due[0].start <= now:
            self.late_bookings += now - counsellor.due.pop(0).start > LATE
            counsellor.free_at = now + SESSION  # late if a walk-in ran over
            return
        next_booking = counsellor.due[0].start if counsellor.due else None
        head = next(
            (t for t in queue.queue_order(self.waiting) if queue.fits(t, counsellor.desk)), None
        )
        typical = queue.typical_minutes(head.topic if head else "other", self.finished)
        pick = queue.next_for(
            counsellor.desk, self.waiting, now, next_booking, timedelta(minutes=typical)
        )
        if pick.ticket is None:
            return
        self.waiting.remove(pick.ticket)
        visitor = self.day.visitors[pick.ticket.id - 1]
        self.outcomes[pick.ticket.id].called = now
        self.outcomes[pick.ticket.id].by = counsellor.desk
        counsellor.walk_in = Interval(now, now + SESSION)
        if visitor.no_show:
            counsellor.free_at = now + NO_SHOW_COSTS
            return
        counsellor.free_at = now + timedelta(minutes=visitor.minutes)
        self.running.append((counsellor.free_at, pick.ticket.topic, visitor.minutes))

    def moments(self, now: datetime, arrivals: Sequence[Visitor]) -> list[datetime]:
        """When something may change next: an arrival, a session's end, a shift's or a booked
        session's start."""
        found = [v.arrived for v in arrivals[:1]]
        for counsellor in self.day.counsellors:
            found += [counsellor.free_at]
            found += [s.start for s in counsellor.shifts]
            found += [b.start for b in counsellor.due[:1]]
        return [m for m in found if m > now]

    def run(self) -> list[Outcome]:
        arrivals = list(self.day.visitors)
        closing = at(DAY, DAY_END, ZONE)
        now = at(DAY, DAY_START, ZONE)
        while now < closing:
            self.finish_until(now)
            while arrivals and arrivals[0].arrived <= now:
                self.arrive(arrivals.pop(0), now)
            for counsellor in self.day.counsellors:
                if counsellor.free_at <= now:
                    counsellor.walk_in = None  # finished: the service now has its real end
            free = [d for d in self.day.counsellors if d.free_at <= now and d.on_shift(now)]
            for counsellor in sorted(free, key=lambda d: (d.free_at, d.desk.counsellor_id)):
                self.turn(counsellor, now)
            upcoming = self.moments(now, arrivals)
            if not upcoming:
                break
            now = min(upcoming)
        return [self.outcomes[v.ticket.id] for v in self.day.visitors]


def percentile(values: Sequence[float], percent: float) -> float | None:
    """Nearest rank."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1]


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True)
class Row:
    group: str
    arrivals: int
    called: int
    not_called: int
    median_wait: float | None
    p90_wait: float | None
    within_30: float | None  # of all arrivals: a ticket never called was not called within 30
    estimate_error: float | None  # mean absolute error of the range's middle, minutes
    inside_range: float | None
    unknown: int  # arrivals given no estimate


def measure(group: str, outcomes: Sequence[Outcome]) -> Row:
    waits = [o.wait for o in outcomes if o.wait is not None]
    errors = [o.error for o in outcomes if o.error is not None]
    inside = [o.inside for o in outcomes if o.inside is not None]
    called_in_time = [o for o in outcomes if o.called and o.called - o.visitor.arrived <= WITHIN]
    return Row(
        group,
        len(outcomes),
        len(waits),
        len(outcomes) - len(waits),
        _round(statistics.median(waits) if waits else None),
        _round(percentile(waits, 90)),
        _round(len(called_in_time) / len(outcomes), 3) if outcomes else None,
        _round(statistics.fmean(errors) if errors else None),
        _round(sum(inside) / len(inside), 3) if inside else None,
        sum(o.estimate is None for o in outcomes),
    )


GROUPS: tuple[tuple[str, Callable[[Visitor], bool]], ...] = (
    ("all", lambda v: True),
    ("priority", lambda v: v.ticket.priority),
    ("German", lambda v: v.ticket.language == "de"),
    ("other languages", lambda v: v.ticket.language != "de"),
)


@dataclass(frozen=True)
class Result:
    rows: tuple[Row, ...]
    summary: dict[str, float | int | None]  # the JSON line
    outcomes: tuple[Outcome, ...]


def simulate(seed: int = 1, walk_ins: int = WALK_INS) -> Result:
    """One simulated day: the queue played through, every estimate against its call."""
    assert walk_ins >= 0, "a day has no negative number of walk-ins"
    day = make_day(random.Random(seed), walk_ins)
    play = Play(day)
    outcomes = play.run()
    rows = tuple(
        measure(name, [o for o in outcomes if belongs(o.visitor)]) for name, belongs in GROUPS
    )
    everyone = rows[0]
    summary: dict[str, float | int | None] = {
        "seed": seed,
        "counsellors": len(day.counsellors),
        "booked_sessions": sum(len(d.booked) for d in day.counsellors),
        "booked_sessions_late": play.late_bookings,
        "arrivals": everyone.arrivals,
        "called": everyone.called,
        "served": sum(o.called is not None and not o.visitor.no_show for o in outcomes),
        "not_called": everyone.not_called,
        "median_wait_min": everyone.median_wait,
        "p90_wait_min": everyone.p90_wait,
        "called_within_30_min": everyone.within_30,
        "estimate_mae_min": everyone.estimate_error,
        "inside_range": everyone.inside_range,
        "unknown_estimates": everyone.unknown,
        "after_closing_estimates": sum(
            o.estimate is not None and o.estimate.after_closing for o in outcomes
        ),
    }
    return Result(rows, summary, tuple(outcomes))


def _cell(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.0%}" if percent else f"{value:.1f}"


def format_table(result: Result) -> str:
    s = result.summary
    lines = [
        f"seed {s['seed']}: {DAY:%A %Y-%m-%d} at the demo location, {s['counsellors']} "
        f"counsellors 08:00-16:00, {s['booked_sessions']} booked sessions "
        f"({s['booked_sessions_late']} begun late), {s['arrivals']} walk-ins "
        f"({s['served']} served)",
        f"{'group':<16} {'arrivals':>8} {'called':>6} {'not':>4} {'median':>7} {'p90':>6} "
        f"{'<=30min':>7} {'est MAE':>7} {'in range':>8} {'unknown':>7}",
    ]
    lines += [
        f"{r.group:<16} {r.arrivals:>8} {r.called:>6} {r.not_called:>4} "
        f"{_cell(r.median_wait):>7} {_cell(r.p90_wait):>6} {_cell(r.within_30, True):>7} "
        f"{_cell(r.estimate_error):>7} {_cell(r.inside_range, True):>8} {r.unknown:>7}"
        for r in result.rows
    ]
    lines.append(
        "waits and the estimate's error in minutes; est MAE: mean distance of the range's middle "
        "from the call; in range: calls between the earliest and the latest estimate"
    )
    return "\n".join(lines)


def render(result: Result) -> str:
    """The table, then the summary as one JSON object on the last line."""
    return format_table(result) + "\n" + json.dumps(result.summary)
