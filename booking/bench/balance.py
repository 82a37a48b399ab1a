"""A month of bookings at the demo location, decided by the real fair allocation (issue 4).

No database: the demo plan (booking/demo.py) is turned into free slots with the pure plan and
slot functions, seeded random demand books them in the order applicants would, and every
decision goes through ``booking.balance.choose``. The same demand is also run

- unconstrained: every participating organisation always eligible, always with a free
  counsellor, to see the rule on its own;
- with two baselines, measured the same way (on the chances each organisation had):
  ``least_recent`` (any free eligible counsellor, least recently booked first) and
  ``share_of_all`` (largest shortfall against the share of all bookings, not of the chances).

Cancellations and sessions moved off a counsellor who is off sick take sessions away from an
organisation at once; no rule can undo that at the moment it happens, only over the next
assignments. So the summary also gives the same demand's figures without them
(``decisions_only_*``: what the rule itself does) and the share of the time some organisation
is more than 2 sessions off.

The whole run is one tally period (the issue's calendar month; with ``--days`` beyond the
month the tally simply goes on). Deterministic for a seed: one ``random.Random`` makes the
plan's absences and the demand, the runs themselves draw nothing.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.balance import (
    DEFAULT_BASE_PART,
    Candidate,
    Tally,
    best_first,
    choose,
    default_weights,
    eligible_shares,
)
from booking.demo import ALL_TOPICS, COUNSELLORS, DAY_END, DAY_START, DemoCounsellor
from booking.plan import DatedChange, WeeklyBlock, at, public_holiday, shifts_on
from booking.slots import Interval, SlotRules, grid_starts, within_reach

START = date(2026, 11, 2)  # a Monday
ZONE = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)
RULES = SlotRules()  # 30-minute sessions, 10-minute buffer, 2-hour window, 60 minutes' notice

# An organisation joining on the 15th day of the run, entered into the system a week before.
JOINING_ORGANISATION = "paritaet"
JOIN_AFTER_DAYS = 14
JOINING_COUNSELLORS = (
    DemoCounsellor("paritaet", "Rana M.", ("de", "ar", "ku", "en"), tuple(ALL_TOPICS), time(12)),
    DemoCounsellor("paritaet", "Taras K.", ("de", "uk", "ru"), tuple(ALL_TOPICS), time(12, 30)),
)

# Demand at the Hannover immigration office, roughly: who comes, in which language, about what.
LANGUAGES = {
    "de": 30, "ar": 16, "uk": 12, "fa": 10, "ru": 8, "tr": 8, "ku": 5,
    "en": 4, "ti": 2, "sq": 2, "ps": 2, "fr": 1,
}  # fmt: skip
TOPICS = {
    "forms": 30, "work": 15, "housing": 15, "health": 10, "family": 10,
    "education": 8, "other": 8, "leisure": 4,
}  # fmt: skip
REQUESTS_PER_DAY = 125  # a busy month: about 2,500 sessions
WEEKDAY_FACTOR = (1.35, 1.2, 1.0, 0.85, 0.6)  # Monday and Tuesday are the office's long days
HOUR_WEIGHT = {8: 3, 9: 4, 10: 4, 11: 3, 12: 2, 13: 2, 14: 2, 15: 1}  # office appointments
EARLY_WEEK_MORNING_FACTOR = 1.6  # Monday and Tuesday before 11:00
SAME_DAY = 0.15  # booked on the day of the appointment
MEAN_LEAD_DAYS = 4.0
MAX_LEAD_DAYS = 28  # the office's links are sent at most four weeks ahead
CANCELLED = 0.08
NO_SHOW = 0.12
REQUESTED = 0.03  # applicants who ask for one organisation
SICK = 0.03  # per counsellor and working day; known at 07:30 that day
LEAVE = (3, 5)  # counsellors on leave and working days each, entered in the plan beforehand


@dataclass(frozen=True)
class Person:
    id: int
    organisation: str
    languages: frozenset[str]
    topics: frozenset[str]


@dataclass(frozen=True)
class Plan:
    days: tuple[date, ...]  # open days
    grid: tuple[tuple[Interval, ...], ...]  # per day: the session grid
    people: tuple[Person, ...]
    # (day, counsellor) -> slot index -> the start of the shift that holds the slot
    works: Mapping[tuple[int, int], Mapping[int, datetime]]
    # organisation -> when it can first be booked, and its first working day
    joins: Mapping[str, tuple[datetime, date]]
    weights: Mapping[str, float]

    def participates(self, organisation: str, day: int, when: datetime) -> bool:
        """Whether a booking made at ``when`` for ``day`` could go to the organisation."""
        visible, first_day = self.joins[organisation]
        return when >= visible and self.days[day] >= first_day


@dataclass(frozen=True)
class Request:
    number: int
    booked_at: datetime
    day: int
    slots: tuple[int, ...]  # within reach of the office appointment, the applicant's order
    topic: str
    language: str
    requested: str | None
    cancelled_at: datetime | None
    no_show: bool


@dataclass(frozen=True)
class Cancellation:
    number: int


@dataclass(frozen=True)
class SickDay:
    day: int
    counsellor: int


Event = Request | Cancellation | SickDay


def _pick(rng: random.Random, frequencies: Mapping[str, int]) -> str:
    return rng.choices(list(frequencies), weights=list(frequencies.values()))[0]


def _weekly(person: DemoCounsellor) -> list[WeeklyBlock]:
    """The demo's week: the opening hours with a 30-minute lunch break (booking/demo.py)."""
    lunch_end = (datetime.combine(START, person.lunch) + timedelta(minutes=30)).time()
    return [
        WeeklyBlock(weekday, starts, ends)
        for weekday in range(5)
        for starts, ends in ((DAY_START, person.lunch), (lunch_end, DAY_END))
    ]


def make_plan(rng: random.Random, days: int) -> tuple[Plan, list[tuple[datetime, Event]]]:
    """The open days, who works when (planned leave included) and the weights from the
    planned hours; plus the sick days, as events."""
    calendar = [START + timedelta(days=n) for n in range(days)]
    open_days = [d for d in calendar if d.weekday() < 5 and public_holiday(d) is None]
    join = START + timedelta(days=JOIN_AFTER_DAYS)
    staff = [(c, START) for c in COUNSELLORS]
    joins = dict.fromkeys(
        (c.organisation for c in COUNSELLORS),
        (at(START - timedelta(days=MAX_LEAD_DAYS + 1), time(0), ZONE), START),
    )
    if join <= calendar[-1]:
        staff += [(c, join) for c in JOINING_COUNSELLORS]
        joins[JOINING_ORGANISATION] = (at(join - timedelta(days=7), time(0), ZONE), join)
    leave: dict[int, list[DatedChange]] = {}
    for cid in rng.sample(range(len(COUNSELLORS)), LEAVE[0]):
        first = rng.randrange(max(1, len(open_days) - LEAVE[1]))
        leave[cid] = [DatedChange(d, "absence") for d in open_days[first : first + LEAVE[1]]]
    works: dict[tuple[int, int], dict[int, datetime]] = {}
    hours: dict[str, float] = {}
    grid = []
    for index, day in enumerate(open_days):
        opening = Interval(at(day, DAY_START, ZONE), at(day, DAY_END, ZONE))
        grid.append(tuple(grid_starts(opening, RULES.session)))
        for cid, (person, starts) in enumerate(staff):
            if day < starts:
                continue
            shifts = shifts_on(day, _weekly(person), leave.get(cid, ()), ZONE)
            works[index, cid] = {
                n: shift.interval.start
                for n, slot in enumerate(grid[-1])
                for shift in shifts
                if shift.interval.contains(slot)
            }
            worked = sum((s.interval.end - s.interval.start for s in shifts), timedelta())
            hours[person.organisation] = hours.get(person.organisation, 0) + worked / HOUR
    people = tuple(
        Person(cid, c.organisation, frozenset(c.languages), frozenset(c.topics))
        for cid, (c, _) in enumerate(staff)
    )
    sick: list[tuple[datetime, Event]] = [
        (at(day, time(7, 30), ZONE), SickDay(index, cid))
        for index, day in enumerate(open_days)
        for cid in range(len(staff))
        if (index, cid) in works and rng.random() < SICK
    ]
    weights = default_weights(hours, DEFAULT_BASE_PART)
    return Plan(tuple(open_days), tuple(grid), people, works, joins, weights), sick


def _appointment(rng: random.Random, day: date) -> Interval:
    early_week = day.weekday() < 2
    hours = list(HOUR_WEIGHT)
    weights = [
        w * (EARLY_WEEK_MORNING_FACTOR if early_week and h < 11 else 1)
        for h, w in HOUR_WEIGHT.items()
    ]
    start = at(day, time(rng.choices(hours, weights=weights)[0], rng.choice((0, 15, 30, 45))), ZONE)
    minutes = rng.choices((15, 30, 45, 60), weights=(2, 5, 2, 1))[0]
    return Interval(start, start + timedelta(minutes=minutes))


def _in_reach(grid: Sequence[Interval], appointment: Interval, prefers_after: bool) -> list[int]:
    """The grid slots the applicant could pick, nearest to the appointment first."""

    def preference(n: int) -> tuple[timedelta, bool]:
        slot = grid[n]
        after = slot.start >= appointment.end
        gap = slot.start - appointment.end if after else appointment.start - slot.end
        return gap, after != prefers_after

    reachable = [n for n, slot in enumerate(grid) if within_reach(slot, appointment, RULES, ZONE)]
    return sorted(reachable, key=preference)


def make_demand(rng: random.Random, plan: Plan) -> list[tuple[datetime, Event]]:
    """Booking attempts (and their later cancellations) for every open day, as timed events."""
    events: list[tuple[datetime, Event]] = []
    for index, day in enumerate(plan.days):
        mean = REQUESTS_PER_DAY * WEEKDAY_FACTOR[day.weekday()]
        for _ in range(max(0, round(rng.gauss(mean, mean**0.5)))):
            appointment = _appointment(rng, day)
            topic, language = _pick(rng, TOPICS), _pick(rng, LANGUAGES)
            if rng.random() < SAME_DAY:
                booked_at = appointment.start - timedelta(minutes=rng.uniform(90, 300))
                booked_at = max(booked_at, at(day, time(6), ZONE))
            else:
                lead = min(MAX_LEAD_DAYS, 1 + int(rng.expovariate(1 / MEAN_LEAD_DAYS)))
                booked_at = at(day - timedelta(days=lead), time(7), ZONE) + timedelta(
                    minutes=rng.uniform(0, 14 * 60)
                )
            earliest = booked_at + RULES.notice
            slots = tuple(
                n
                for n in _in_reach(plan.grid[index], appointment, rng.random() < 0.5)
                if plan.grid[index][n].start >= earliest
            )
            requested = None
            if rng.random() < REQUESTED:
                known = sorted(
                    {
                        p.organisation
                        for p in plan.people
                        if topic in p.topics
                        and language in p.languages
                        and plan.participates(p.organisation, index, booked_at)
                    }
                )
                requested = rng.choice(known) if known else None
            cancelled_at = None
            if rng.random() < CANCELLED:
                cancelled_at = booked_at + (appointment.start - booked_at) * rng.uniform(0.05, 0.95)
            no_show = rng.random() < NO_SHOW
            if not slots:
                continue  # nothing in reach any more: the applicant never sees a slot
            number = len(events)
            request = Request(
                number, booked_at, index, slots, topic, language, requested, cancelled_at, no_show
            )
            events.append((booked_at, request))
            if cancelled_at is not None:
                events.append((cancelled_at, Cancellation(number)))
    return events


@dataclass
class Ledger:
    """One run's tally, and what is measured on it after every change."""

    entitlement: dict[str, float] = field(default_factory=dict)
    actual: dict[str, int] = field(default_factory=dict)
    worst: dict[str, float] = field(default_factory=dict)  # organisation -> max |deviation|
    sequence: list[str] = field(default_factory=list)  # who got each assignment, in order
    deviation: dict[str, float] = field(default_factory=dict)  # now
    changes: int = 0
    changes_above_two: int = 0  # after which some organisation was more than 2 sessions off
    # The largest |deviation| of any organisation right after an assignment, that is where the
    # rule has just acted (a cancellation's or sick day's jump is counted once the rule has had
    # its next booking to answer it).
    worst_after_assignment: float = 0.0

    @property
    def tally(self) -> Tally:
        return Tally(self.entitlement, self.actual)  # choose only reads it

    @property
    def max_abs_deviation(self) -> float:
        return max(self.worst.values(), default=0.0)

    def assign(self, shares: Mapping[str, float], organisation: str) -> None:
        for code, share in shares.items():
            self.entitlement[code] = self.entitlement.get(code, 0.0) + share
        self.actual[organisation] = self.actual.get(organisation, 0) + 1
        self.sequence.append(organisation)
        self._measure(shares.keys() | {organisation})
        self.worst_after_assignment = max(
            self.worst_after_assignment, max(self.deviation.values(), default=0.0)
        )

    def remove(self, shares: Mapping[str, float], organisation: str) -> None:
        for code, share in shares.items():
            self.entitlement[code] -= share
        self.actual[organisation] -= 1
        self._measure(shares.keys() | {organisation})

    def _measure(self, changed: set[str]) -> None:
        for code in changed:  # the others' deviations did not move
            deviation = abs(self.actual.get(code, 0) - self.entitlement.get(code, 0.0))
            self.deviation[code] = deviation
            if deviation > self.worst.get(code, 0.0):
                self.worst[code] = deviation
        self.changes += 1
        self.changes_above_two += max(self.deviation.values()) > 2


@dataclass(frozen=True)
class Booked:
    request: Request
    slot: int
    counsellor: int
    organisation: str
    shares: Mapping[str, float]


Pick = Callable[["Run", int, datetime, Sequence[Candidate], "str | None"], tuple[int, str]]


class Run:
    """The demand played through the plan with one way of picking the counsellor."""

    def __init__(self, plan: Plan, pick: Pick) -> None:
        self.plan, self.pick = plan, pick
        self.ledger = Ledger()
        self.busy: dict[tuple[int, int], dict[int, int]] = {}  # (day, counsellor) -> slot -> req.
        self.absent: set[tuple[int, int]] = set()
        self.booked: dict[int, Booked] = {}
        self.last_booked: dict[int, int] = {}  # counsellor -> number of the assignment
        self.lost = self.moved = self.dropped = self.cancelled = 0
        self.serving = {
            (topic, language): [
                p for p in plan.people if topic in p.topics and language in p.languages
            ]
            for topic in TOPICS
            for language in LANGUAGES
        }

    def play(self, events: Sequence[tuple[datetime, Event]]) -> Run:
        for when, event in events:
            if isinstance(event, Request):
                if not self._book(event, when):
                    self.lost += 1
            elif isinstance(event, Cancellation):
                if event.number in self.booked:
                    self._release(event.number)
                    self.cancelled += 1
            else:
                self._sick(event, when)
        return self

    def candidates(self, request: Request, slot: int, when: datetime) -> list[Candidate]:
        found = []
        for person in self.serving[request.topic, request.language]:
            key = (request.day, person.id)
            starts = self.plan.works.get(key)
            if not starts or slot not in starts or key in self.absent:
                continue
            if not self.plan.participates(person.organisation, request.day, when):
                continue
            busy = self.busy.get(key, {})
            if slot in busy:
                continue
            free_since = starts[slot]
            earlier = [n for n in busy if n < slot]
            if earlier:
                free_since = max(free_since, self.plan.grid[request.day][max(earlier)].end)
            found.append(Candidate(person.id, person.organisation, len(busy), free_since))
        return found

    def _book(self, request: Request, when: datetime, slots: Sequence[int] = ()) -> bool:
        # Asked for one organisation and it has nothing in reach: the applicant takes any.
        for requested in dict.fromkeys((request.requested, None)):
            for slot in slots or request.slots:
                found = self.candidates(request, slot, when)
                if requested is not None:
                    found = [c for c in found if c.organisation == requested]
                if found:
                    self._assign(request, slot, found, requested, when)
                    return True
        return False

    def _assign(
        self,
        request: Request,
        slot: int,
        found: Sequence[Candidate],
        requested: str | None,
        when: datetime,
    ) -> None:
        counsellor, organisation = self.pick(self, request.day, when, found, requested)
        assert any(c.counsellor_id == counsellor for c in found), "picked a non-candidate"
        shares = (
            {requested: 1.0}
            if requested is not None
            else eligible_shares(self.plan.weights, {c.organisation for c in found})
        )
        self.ledger.assign(shares, organisation)
        self.last_booked[counsellor] = len(self.ledger.sequence)
        self.busy.setdefault((request.day, counsellor), {})[slot] = request.number
        self.booked[request.number] = Booked(request, slot, counsellor, organisation, shares)

    def _release(self, number: int) -> Booked:
        booked = self.booked.pop(number)
        del self.busy[booked.request.day, booked.counsellor][booked.slot]
        self.ledger.remove(booked.shares, booked.organisation)
        return booked

    def _sick(self, event: SickDay, when: datetime) -> None:
        """Off sick: their sessions that day go to someone else free then, or are cancelled.
        A move counts as a cancellation and a new decision."""
        key = (event.day, event.counsellor)
        self.absent.add(key)
        for slot, number in sorted(self.busy.get(key, {}).items()):
            booked = self._release(number)
            if self._book(booked.request, when, (slot,)):
                self.moved += 1
            else:
                self.dropped += 1


def balanced(
    run: Run, day: int, when: datetime, found: Sequence[Candidate], requested: str | None
) -> tuple[int, str]:
    decision = choose(found, run.plan.weights, run.ledger.tally, requested=requested)
    return decision.counsellor_id, decision.organisation


def least_recent(
    run: Run, day: int, when: datetime, found: Sequence[Candidate], requested: str | None
) -> tuple[int, str]:
    """Baseline: whoever was booked least recently (never booked first), then lowest id."""
    chosen = min(found, key=lambda c: (run.last_booked.get(c.counsellor_id, 0), c.counsellor_id))
    return chosen.counsellor_id, chosen.organisation


def share_of_all(
    run: Run, day: int, when: datetime, found: Sequence[Candidate], requested: str | None
) -> tuple[int, str]:
    """Baseline: largest shortfall against the organisation's share of all bookings so far
    (its weight over the weights of every participating organisation), chances ignored."""
    weights = run.plan.weights
    total = sum(w for code, w in weights.items() if run.plan.participates(code, day, when))
    bookings = sum(run.ledger.actual.values()) + 1
    organisation = max(
        sorted({c.organisation for c in found}),
        key=lambda code: (
            weights.get(code, 0.0) / total * bookings - run.ledger.actual.get(code, 0),
            weights.get(code, 0.0),
        ),
    )
    chosen = best_first(c for c in found if c.organisation == organisation)[0]
    return chosen.counsellor_id, chosen.organisation


def unconstrained(plan: Plan, events: Sequence[tuple[datetime, Event]]) -> Ledger:
    """The same demand when every participating organisation is always eligible."""
    ledger = Ledger()
    booked: dict[int, tuple[Mapping[str, float], str]] = {}
    for when, event in events:
        if isinstance(event, Request):
            everyone = [
                Candidate(n, code, 0, when)
                for n, code in enumerate(plan.joins)
                if plan.participates(code, event.day, when)
            ]
            decision = choose(everyone, plan.weights, ledger.tally, requested=event.requested)
            ledger.assign(decision.shares, decision.organisation)
            booked[event.number] = (decision.shares, decision.organisation)
        elif isinstance(event, Cancellation) and event.number in booked:
            ledger.remove(*booked.pop(event.number))
    return ledger


def longest_run(sequence: Sequence[str]) -> int:
    longest = current = 0
    for n, code in enumerate(sequence):
        current = current + 1 if n and sequence[n - 1] == code else 1
        longest = max(longest, current)
    return longest


@dataclass(frozen=True)
class Row:
    organisation: str
    weight: float
    entitlement: float
    actual: int
    max_abs_deviation: float

    @property
    def deviation(self) -> float:
        return self.actual - self.entitlement


@dataclass(frozen=True)
class Result:
    rows: tuple[Row, ...]
    summary: dict[str, float | int]  # the JSON line


def simulate(seed: int = 1, days: int = 30) -> Result:
    """One simulated month: the balanced run, the unconstrained one and the two baselines."""
    assert days >= 1, "simulate at least one day"
    rng = random.Random(seed)
    plan, sick = make_plan(rng, days)
    demand = make_demand(rng, plan)
    events = sorted(sick + demand, key=lambda e: e[0])  # stable: a sick day before bookings
    # The decisions alone: the same requests without cancellations and sick days, to tell
    # what the rule does from what removals do to the tally (no rule can undo those at once).
    decisions = sorted((e for e in demand if isinstance(e[1], Request)), key=lambda e: e[0])
    real = Run(plan, balanced).play(events)
    baselines = {
        name: Run(plan, pick).play(events)
        for name, pick in (("least_recent", least_recent), ("share_of_all", share_of_all))
    }
    ledger = real.ledger
    rows = tuple(
        Row(
            code,
            plan.weights[code],
            ledger.entitlement.get(code, 0.0),
            ledger.actual.get(code, 0),
            ledger.worst.get(code, 0.0),
        )
        for code in sorted(plan.weights, key=lambda c: (-plan.weights[c], c))
    )
    free_for_all = unconstrained(plan, events)
    summary: dict[str, float | int] = {
        "seed": seed,
        "days": days,
        "open_days": len(plan.days),
        "requests": sum(isinstance(e, Request) for _, e in events),
        "bookings": len(real.booked),
        "assignments": len(ledger.sequence),
        "lost_requests": real.lost,
        "cancellations": real.cancelled,
        "moved_for_absence": real.moved,
        "cancelled_for_absence": real.dropped,
        "no_shows": sum(b.request.no_show for b in real.booked.values()),
        "max_abs_deviation": round(ledger.max_abs_deviation, 4),
        "max_abs_deviation_unconstrained": round(free_for_all.max_abs_deviation, 4),
        "max_abs_deviation_after_assignments": round(ledger.worst_after_assignment, 4),
        "max_abs_deviation_after_assignments_unconstrained": round(
            free_for_all.worst_after_assignment, 4
        ),
        "share_of_time_above_2": round(ledger.changes_above_two / max(1, ledger.changes), 4),
        "longest_same_org_run": longest_run(ledger.sequence),
        "baseline_least_recent": round(baselines["least_recent"].ledger.max_abs_deviation, 4),
        "baseline_share_of_all": round(baselines["share_of_all"].ledger.max_abs_deviation, 4),
        "decisions_only_max_abs_deviation": round(
            Run(plan, balanced).play(decisions).ledger.max_abs_deviation, 4
        ),
        "decisions_only_max_abs_deviation_unconstrained": round(
            unconstrained(plan, decisions).max_abs_deviation, 4
        ),
    }
    return Result(rows, summary)


def format_table(result: Result) -> str:
    s = result.summary
    lines = [
        f"seed {s['seed']}: {s['days']} days from {START} ({s['open_days']} open), "
        f"{s['requests']} requests, {s['bookings']} bookings, {s['lost_requests']} lost, "
        f"{s['cancellations']} cancelled, {s['no_shows']} no-shows",
        f"{'organisation':<12} {'weight':>7} {'entitled':>9} {'actual':>7} {'deviation':>9} "
        f"{'max |dev|':>9}",
    ]
    lines += [
        f"{r.organisation:<12} {r.weight:>7.2f} {r.entitlement:>9.2f} {r.actual:>7} "
        f"{r.deviation:>+9.2f} {r.max_abs_deviation:>9.2f}"
        for r in result.rows
    ]
    lines.append(
        f"max |deviation| {s['max_abs_deviation']} (unconstrained "
        f"{s['max_abs_deviation_unconstrained']}); baselines: least recently booked "
        f"{s['baseline_least_recent']}, share of all bookings {s['baseline_share_of_all']}"
    )
    return "\n".join(lines)


def render(result: Result) -> str:
    """The table, then the summary as one JSON object on the last line."""
    return format_table(result) + "\n" + json.dumps(result.summary)
