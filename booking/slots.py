"""Which counselling slots can be offered around an office appointment: a pure function.

No I/O and no clock of its own: the caller gathers the day's facts into plain frozen data and
passes ``now``. Every instant is timezone-aware; the grid and "the same day" are read in the
location's zone.

Invariants (tested as properties in tests/test_slots.py): an offered slot
- ends at least ``buffer`` before the appointment starts, or starts at least ``buffer`` after
  it ends;
- lies within ``window`` before the appointment's start or after its end, on the same local day;
- lies inside one opening interval and inside the working time of every counsellor listed for
  it (their shifts merged where they overlap or touch: extra hours may overlap the plan);
- overlaps no busy interval of those counsellors;
- starts no sooner than ``now + notice``;
- lists only counsellors who cover the topic and speak the language;
- is not offered at all on a closed day.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, order=True)
class Interval:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        assert self.start.tzinfo is not None and self.end.tzinfo is not None, "aware datetimes"
        assert self.start <= self.end, f"interval ends before it starts: {self}"

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """The same stretches of time as ``intervals``, merged where they overlap or touch, in time
    order; empty ones cover nothing and go. A counsellor's shifts may overlap (extra hours over
    the weekly plan)."""
    merged: list[Interval] = []
    for interval in sorted(i for i in intervals if i.start < i.end):
        if merged and interval.start <= merged[-1].end:
            if interval.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return merged


def gaps(intervals: Iterable[Interval]) -> list[Interval]:
    """The breaks between ``intervals``: the time from the first start to the last end that
    none of them covers, in time order."""
    merged = union(intervals)
    return [Interval(a.end, b.start) for a, b in itertools.pairwise(merged)]


@dataclass(frozen=True)
class SlotRules:
    session: timedelta = timedelta(minutes=30)
    buffer: timedelta = timedelta(minutes=10)
    window: timedelta = timedelta(hours=2)
    notice: timedelta = timedelta(minutes=60)


@dataclass(frozen=True)
class CounsellorDay:
    """One counsellor's day at the location: when they work and when they are already booked."""

    id: int
    organisation: str
    languages: frozenset[str]
    topics: frozenset[str]
    shifts: tuple[Interval, ...]
    busy: tuple[Interval, ...] = ()

    def can_serve(self, topic: str | None, language: str | None) -> bool:
        """None stands for "any": the API may ask for slots without a topic or language."""
        return (topic is None or topic in self.topics) and (
            language is None or language in self.languages
        )

    def is_free(self, slot: Interval) -> bool:
        return any(worked.contains(slot) for worked in union(self.shifts)) and not any(
            busy.overlaps(slot) for busy in self.busy
        )


@dataclass(frozen=True)
class LocationDay:
    """The location on one local date: its zone, opening intervals, and whether it is closed."""

    zone: ZoneInfo
    opening: tuple[Interval, ...]
    closed: bool = False


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    counsellor_ids: tuple[int, ...]

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


def grid_starts(opening: Interval, session: timedelta) -> list[Interval]:
    """The session-length grid of one opening interval, anchored at its opening time."""
    assert session > timedelta(0), "session length must be positive"
    slots = []
    start = opening.start
    while start + session <= opening.end:
        slots.append(Interval(start, start + session))
        start += session
    return slots


def within_reach(slot: Interval, appointment: Interval, rules: SlotRules, zone: ZoneInfo) -> bool:
    """Close enough to the appointment to be worth it, yet clear of it by the buffer."""
    before = slot.end <= appointment.start - rules.buffer
    after = slot.start >= appointment.end + rules.buffer
    if not (before or after):
        return False
    if slot.start < appointment.start - rules.window or slot.end > appointment.end + rules.window:
        return False
    day = appointment.start.astimezone(zone).date()
    return slot.start.astimezone(zone).date() == day and slot.end.astimezone(zone).date() == day


def free_slots(
    appointment: Interval,
    day: LocationDay,
    counsellors: Iterable[CounsellorDay],
    topic: str | None,
    language: str | None,
    rules: SlotRules,
    now: datetime,
) -> list[Slot]:
    """The slots to offer for this appointment, topic and language, in time order."""
    if day.closed:
        return []
    eligible = [c for c in counsellors if c.can_serve(topic, language)]
    if not eligible:
        return []
    earliest = now + rules.notice
    offered: dict[datetime, Slot] = {}
    for opening in day.opening:
        for slot in grid_starts(opening, rules.session):
            if slot.start < earliest or slot.start in offered:
                continue
            if not within_reach(slot, appointment, rules, day.zone):
                continue
            free = tuple(sorted(c.id for c in eligible if c.is_free(slot)))
            if free:
                offered[slot.start] = Slot(slot.start, slot.end, free)
    return [offered[start] for start in sorted(offered)]


def counselling_offered(opening: Iterable[Interval], shifts: Iterable[Interval]) -> bool:
    """Whether anyone counsels on a day: some counsellor's working time meets the opening hours.
    A day without (a Saturday, an outpost's day off, everyone absent) is a day without
    counselling, not one on which nobody speaks the applicant's language."""
    hours = list(opening)
    return any(shift.overlaps(open_) for shift in shifts for open_ in hours)


def languages_on_duty(counsellors: Sequence[CounsellorDay], topic: str | None = None) -> set[str]:
    """The languages spoken that day by someone who works and (if given) covers the topic."""
    spoken: set[str] = set()
    for counsellor in counsellors:
        if counsellor.shifts and (topic is None or topic in counsellor.topics):
            spoken |= counsellor.languages
    return spoken
