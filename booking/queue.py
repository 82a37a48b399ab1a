"""The walk-in queue's rules: who is next for a counsellor, where a ticket stands, and how long
it will probably wait (issue 6); what each desk action may do in which state, when "did not
come" is allowed, who is ready for walk-ins, and which ticket goes to whom when a counsellor
presses "call next" or a ticket joins the queue (issue 14).

Pure functions over plain data; the clock is passed in. The services (booking/services/walkins/
and its neighbours) read the stored tickets, counsellors and sessions in one pass, call these
under the location's lock and write the result.

Order: a ticket with a priority reason (small children, disability, pregnancy, an urgent
deadline) before one without, then by the time it joined the queue, then by number. A parked
ticket (its holder was called to the immigration office's counter) keeps its original time, so
it comes back to the front when resumed.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from booking import balance
from booking.slots import Interval

# Ticket states.
WAITING = "waiting"
CALLED = "called"  # shown on the display, the visitor walks to the desk
SERVING = "serving"  # the session has started
PARKED = "parked"  # called to the immigration counter: keeps the place, not callable
DONE = "done"
NO_SHOW = "no_show"
CLOSED = "closed"  # not served by closing time, or withdrawn; ``closed_reason`` says why
TICKET_STATES = (WAITING, CALLED, SERVING, PARKED, DONE, NO_SHOW, CLOSED)
OPEN_STATES = (WAITING, CALLED, SERVING, PARKED)

PRIORITY_REASONS = ("children", "disability", "pregnancy", "deadline")

# --- the desk's actions: the transition table --------------------------------------------------

# What an action does to the walk-in's session (its Booking with channel "walk_in").
CHECK_IN = "check_in"  # the session has begun
ATTEND = "attend"  # it took place
MISSED = "missed"  # the visitor did not come: the session ends now, recorded as a no-show
RELEASE = "release"  # it did not happen: cancelled, counts for nobody


@dataclass(frozen=True)
class Transition:
    action: str
    allowed: tuple[str, ...]  # the states the action applies to
    new_state: str
    session: str | None  # CHECK_IN, ATTEND, MISSED, RELEASE or None
    holder_only: bool = True  # only the counsellor holding the ticket (resume: any desk)
    fresh_count: bool = False  # the call count starts again (the no-show rule)


TRANSITIONS: Mapping[str, Transition] = {
    t.action: t
    for t in (
        Transition("recall", (CALLED,), CALLED, None),
        Transition("start", (CALLED,), SERVING, CHECK_IN),
        Transition("finish", (SERVING,), DONE, ATTEND),
        Transition("no-show", (CALLED,), NO_SHOW, MISSED),
        Transition("park", (CALLED,), PARKED, RELEASE),
        Transition("resume", (PARKED,), WAITING, None, holder_only=False, fresh_count=True),
        Transition("transfer", (CALLED,), WAITING, RELEASE, fresh_count=True),
    )
}
ACTIONS = tuple(TRANSITIONS)


def transition(action: str, state: str) -> Transition | None:
    """The action's row if it applies to a ticket in ``state``; None otherwise."""
    found = TRANSITIONS.get(action)
    return found if found is not None and state in found.allowed else None


# --- the no-show rule --------------------------------------------------------------------------


@dataclass(frozen=True)
class NoShowRule:
    """ "Did not come" after ``calls`` calls at least ``gap`` apart, or ``minutes`` after the first
    call of the round (BOOKING_NO_SHOW_CALLS, BOOKING_NO_SHOW_MINUTES). Three clicks within
    seconds are not three chances to walk to the desk."""

    calls: int = 3
    minutes: int = 10
    gap: timedelta = timedelta(minutes=1)


DEFAULT_NO_SHOW = NoShowRule()


def counts_as_call(last_call: datetime | None, now: datetime, rule: NoShowRule) -> bool:
    """Whether a call now counts towards the rule: the first, or at least ``gap`` after the
    latest call."""
    return last_call is None or now - last_call >= rule.gap


def no_show_allowed(
    state: str, calls: int, round_started: datetime | None, now: datetime, rule: NoShowRule
) -> bool:
    """A called ticket may be marked "did not come" once the rule is met."""
    if state != CALLED or round_started is None:
        return False
    return calls >= rule.calls or now - round_started >= timedelta(minutes=rule.minutes)


# --- readiness ---------------------------------------------------------------------------------

AT_DESK_FOR = timedelta(hours=1)  # at the desk outside the plan: counted on so long, at a time


def at_desk_until(now: datetime, closing: datetime | None) -> datetime:
    """How long someone at their desk outside the plan is counted on: the next hour, but not
    past closing time while the location is still open."""
    extra = now + AT_DESK_FOR
    return min(extra, closing) if closing is not None and now < closing else extra


READY_FOR = timedelta(hours=1)  # pressed "call next" and nothing fitted: on the ready list so long


def ready(
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    booked_starts: Iterable[datetime] = (),
    *,
    busy: bool = False,
) -> bool:
    """On the ready list: marked ready (pressed "call next" and nothing fitted, or switched
    ready on) and still within its time, not busy now, and no booked session of theirs has
    begun since (taking a booked session ends readiness). Signing off clears the mark."""
    if since is None or until is None or busy or not since <= now < until:
        return False
    return not any(since < start <= now for start in booked_starts)


# Until today has finished sessions to learn from: how long a session on a topic takes.
DEFAULT_MINUTES: Mapping[str, int] = {
    "forms": 30,
    "education": 35,
    "family": 35,
    "housing": 35,
    "leisure": 25,
    "work": 35,
    "health": 35,
    "other": 30,
}
FALLBACK_MINUTES = 30
MIN_SAMPLES = 3  # finished sessions of a topic today before their median replaces the default
# The range around the simulated call time: sessions run shorter or longer than the median.
EARLY_FACTOR = 0.75
OVERRUN = timedelta(minutes=15)  # how far a walk-in session may run past the end of a shift
LATE_FACTOR = 1.35


@dataclass(frozen=True)
class Ticket:
    id: int
    number: int
    topic: str
    language: str
    priority: bool
    queued_at: datetime  # joined the queue (a resumed ticket keeps it)
    counsellor_id: int | None = None  # transferred to this counsellor only
    organisation: str | None = None  # transferred to this organisation only


@dataclass(frozen=True)
class Desk:
    """A counsellor as the queue sees them."""

    counsellor_id: int
    organisation: str
    languages: frozenset[str]
    topics: frozenset[str]


def fits(ticket: Ticket, desk: Desk) -> bool:
    """The counsellor speaks the language and covers the topic, and the ticket was not
    transferred to someone else."""
    return (
        ticket.language in desk.languages
        and ticket.topic in desk.topics
        and ticket.counsellor_id in (None, desk.counsellor_id)
        and ticket.organisation in (None, desk.organisation)
    )


def queue_order(tickets: Iterable[Ticket]) -> list[Ticket]:
    """Priority first, then the time each joined the queue, then the number."""
    return sorted(tickets, key=lambda t: (not t.priority, t.queued_at, t.number, t.id))


@dataclass(frozen=True)
class Pick:
    """What "call next" found for a counsellor."""

    ticket: Ticket | None
    # Why nothing was called although someone fits: the counsellor's next booked session
    # begins sooner than a session usually takes (they may call anyway).
    held_for_booking: bool = False


def next_for(
    desk: Desk,
    waiting: Sequence[Ticket],
    now: datetime,
    next_booking: datetime | None,
    typical: timedelta,
    *,
    anyway: bool = False,
) -> Pick:
    """The plan for a press of "call next": the best waiting ticket for the counsellor who
    pressed (language, topic, priority, arrival), the first in queue order that fits. Never a
    colleague's: the balance decides only between counsellors ready at the same moment
    (:func:`plan_new_ticket`).

    Nothing is called when their next booked session begins sooner than a typical session
    lasts, unless ``anyway``.
    """
    first = next((t for t in queue_order(waiting) if fits(t, desk)), None)
    if first is None:
        return Pick(None)
    if not anyway and next_booking is not None and next_booking - now < typical:
        return Pick(None, held_for_booking=True)
    return Pick(first)


@dataclass(frozen=True)
class ReadyDesk:
    """A counsellor on the ready list, as the balance among them needs them."""

    desk: Desk
    since: datetime  # on the list since: among equals, who waited longest goes first
    sessions_today: int = 0
    next_booking: datetime | None = None  # their next booked session today, if any


def plan_new_ticket(
    ticket: Ticket,
    ready_desks: Sequence[ReadyDesk],
    now: datetime,
    typical: timedelta,
    weights: Mapping[str, float],
    so_far: balance.Tally,
) -> balance.Decision | None:
    """Who a ticket that just became callable (registered, resumed, transferred) is called for:
    among the ready counsellors who fit it and whose next booked session is not sooner than a
    typical session lasts, the balance's choice (the organisation furthest behind its share);
    None when nobody ready fits: it waits for the next press of "call next"."""
    able = [
        r
        for r in ready_desks
        if fits(ticket, r.desk) and (r.next_booking is None or r.next_booking - now >= typical)
    ]
    if not able:
        return None
    candidates = [
        balance.Candidate(r.desk.counsellor_id, r.desk.organisation, r.sessions_today, r.since)
        for r in able
    ]
    return balance.choose(candidates, weights, so_far)


def position(ticket_id: int, waiting: Sequence[Ticket]) -> int | None:
    """1 for the next in line; None if the ticket is not waiting."""
    for index, ticket in enumerate(queue_order(waiting), start=1):
        if ticket.id == ticket_id:
            return index
    return None


def typical_minutes(topic: str, finished_today: Mapping[str, Sequence[float]]) -> float:
    """The median length of today's finished sessions on the topic, once there are enough;
    until then the median over all topics, once there are enough; else the topic's default."""
    own = finished_today.get(topic, ())
    if len(own) >= MIN_SAMPLES:
        return float(statistics.median(own))
    everything = [m for minutes in finished_today.values() for m in minutes]
    if len(everything) >= MIN_SAMPLES:
        return float(statistics.median(everything))
    return float(DEFAULT_MINUTES.get(topic, FALLBACK_MINUTES))


@dataclass(frozen=True)
class Staff:
    """A counsellor for the forward simulation: when they can next take a walk-in, and what
    blocks them later today (booked sessions, breaks, the end of their shift)."""

    desk: Desk
    free_from: datetime  # now, or when their current session or shift starts
    until: datetime  # end of their last shift today
    busy: tuple[Interval, ...] = field(default_factory=tuple)  # booked sessions and breaks


@dataclass(frozen=True)
class Estimate:
    earliest: datetime
    latest: datetime
    after_closing: bool  # the wait will probably run past closing time


def _first_gap(staff: Staff, after: datetime, length: timedelta) -> datetime | None:
    """The first moment from ``after`` when the counsellor is free for ``length`` between their
    booked sessions and breaks, if it comes before their shift ends and the session would not
    run more than OVERRUN past that end (a session begun near the end may run over a little,
    as at the desk; nobody starts one that would keep them half an hour longer)."""
    start = max(after, staff.free_from)
    for block in sorted(staff.busy, key=lambda b: b.start):
        if block.end <= start:
            continue
        if start + length <= block.start:
            break
        start = max(start, block.end)
    if start < staff.until and start + length <= staff.until + OVERRUN:
        return start
    return None


def _simulate(
    order: Sequence[Ticket],
    target: int,
    staff: Sequence[Staff],
    now: datetime,
    minutes: Mapping[str, float],
    factor: float,
) -> datetime | None:
    """When the target ticket is called if the desks work as "call next" does: again and again
    the counsellor who can start first calls the first ticket in order that fits them."""
    free = {s.desk.counsellor_id: max(now, s.free_from) for s in staff}
    pending = list(order)

    def length(ticket: Ticket) -> timedelta:
        return timedelta(minutes=minutes.get(ticket.topic, FALLBACK_MINUTES) * factor)

    while pending:
        best: tuple[datetime, int, Staff, Ticket] | None = None
        for member in staff:
            ticket = next((t for t in pending if fits(t, member.desk)), None)
            if ticket is None:
                continue
            start = _first_gap(member, free[member.desk.counsellor_id], length(ticket))
            if start is None:
                continue
            if best is None or (start, member.desk.counsellor_id) < best[:2]:
                best = (start, member.desk.counsellor_id, member, ticket)
        if best is None:
            return None  # nobody still on duty today fits what is left, the target included
        start, counsellor_id, _member, ticket = best
        if ticket.id == target:
            return start
        free[counsellor_id] = start + length(ticket)
        pending.remove(ticket)
    return None


def estimate(
    ticket_id: int,
    waiting: Sequence[Ticket],
    staff: Sequence[Staff],
    now: datetime,
    minutes: Mapping[str, float],
    closing: datetime,
) -> Estimate | None:
    """When the ticket will probably be called, as a range; None ("unknown") when nobody on
    duty today fits it. Sessions running shorter and longer than usual give the range."""
    order = queue_order(waiting)
    if not any(t.id == ticket_id for t in order):
        return None
    ticket = next(t for t in order if t.id == ticket_id)
    if not any(fits(ticket, s.desk) and s.until > now for s in staff):
        return None
    early = _simulate(order, ticket_id, staff, now, minutes, EARLY_FACTOR)
    late = _simulate(order, ticket_id, staff, now, minutes, LATE_FACTOR)
    if early is None:
        # Even with short sessions nobody gets to it before their shifts end.
        return Estimate(closing, closing, after_closing=True)
    if late is None or late > closing:
        return Estimate(early, max(early, min(late or closing, closing)), after_closing=True)
    return Estimate(early, max(early, late), after_closing=False)
