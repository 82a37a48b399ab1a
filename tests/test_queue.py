"""Properties of the walk-in queue's pure rules (booking/queue.py): order, calls, positions and
the wait estimate. The clock is always a fixed datetime passed in."""

from __future__ import annotations

import random
import statistics
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from booking import balance, queue
from booking.queue import Desk, Staff, Ticket
from booking.slots import Interval

ZONE = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZONE)  # a Monday morning
CLOSING = NOW.replace(hour=16)
TYPICAL = timedelta(minutes=30)
LANGUAGES = ["de", "ar", "fa", "en"]
TOPICS = ["forms", "housing", "work"]
ORGANISATIONS = ["awo", "drk", "lhh"]


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def ticket(
    tid: int,
    *,
    topic: str = "forms",
    language: str = "de",
    priority: bool = False,
    queued: int = 0,
    counsellor_id: int | None = None,
) -> Ticket:
    """Ticket ``tid`` with number ``tid``, queued ``queued`` minutes before NOW."""
    return Ticket(tid, tid, topic, language, priority, NOW - minutes(queued), counsellor_id)


def desk(cid: int, languages: str = "de", topics: str = "forms", organisation: str = "lhh") -> Desk:
    return Desk(cid, organisation, frozenset(languages.split()), frozenset(topics.split()))


# --- order, fit and the next ticket ------------------------------------------------------------


def test_priority_first_then_arrival_then_number() -> None:
    early, late = ticket(1, queued=30), ticket(2, queued=10)
    urgent = ticket(3, priority=True, queued=5)
    same_time = ticket(4, queued=10)
    assert queue.queue_order([same_time, late, urgent, early]) == [urgent, early, late, same_time]
    assert [queue.position(t.id, [late, urgent, early]) for t in (urgent, early, late)] == [1, 2, 3]
    assert queue.position(99, [late, urgent, early]) is None


def test_fits_needs_language_topic_and_the_transfer_target() -> None:
    aylin = desk(1, "de tr", "forms work", "lhh")
    assert queue.fits(ticket(1), aylin)
    assert not queue.fits(ticket(1, language="ar"), aylin)
    assert not queue.fits(ticket(1, topic="health"), aylin)
    assert queue.fits(ticket(1, counsellor_id=1), aylin)
    assert not queue.fits(ticket(1, counsellor_id=2), aylin)
    assert queue.fits(replace(ticket(1), organisation="lhh"), aylin)
    assert not queue.fits(replace(ticket(1), organisation="awo"), aylin)


@given(st.integers(0, 120), st.integers(1, 90), st.booleans(), st.booleans(), st.booleans())
def test_next_for_holds_only_for_a_booking_sooner_than_a_typical_session(
    booking_in: int, typical: int, has_booking: bool, anyway: bool, fitting: bool
) -> None:
    waiting = [ticket(1, language="de" if fitting else "ar")]
    next_booking = NOW + minutes(booking_in) if has_booking else None
    pick = queue.next_for(desk(1), waiting, NOW, next_booking, minutes(typical), anyway=anyway)
    held = fitting and has_booking and not anyway and booking_in < typical
    assert pick.held_for_booking == held
    assert pick.ticket == (waiting[0] if fitting and not held else None)


# --- the queue as a state machine against a plain model ----------------------------------------

DESKS = (
    desk(1, "de en", "forms work", "lhh"),
    desk(2, "de ar", "forms housing", "awo"),
    desk(3, "fa en", "housing work", "drk"),
    desk(4, "de fa ar", "forms housing work", "kargah"),
)
# "health" and "ti" fit nobody: such tickets wait and are never called.
MACHINE_TOPICS = ["forms", "housing", "work", "health"]
MACHINE_LANGUAGES = ["de", "ar", "fa", "en", "ti"]
# The model's own table: which states each desk action applies to.
MODEL_ALLOWS = {
    "recall": {queue.CALLED},
    "start": {queue.CALLED},
    "finish": {queue.SERVING},
    "no-show": {queue.CALLED},
    "park": {queue.CALLED},
    "resume": {queue.PARKED},
    "transfer": {queue.CALLED},
}
WEIGHTS = {"lhh": 20.0, "awo": 40.0, "drk": 25.0, "kargah": 15.0}


class QueueMachine(RuleBasedStateMachine):
    """The queue rules as a hypothesis state machine against a plain model.

    The model is a list of ticket ids in order of arrival, each with a state, whether it has
    priority and whom it was transferred to; its choice for a counsellor is the first fitting
    waiting ticket with priority in that list, else the first fitting one. Parking, resuming and
    transferring never reorder the list: a resumed or transferred ticket is back in its place.

    Readiness: a press that finds nothing puts the desk on the model's ready list (with the
    time); an hour later it lapses. A ticket that becomes callable (registered, resumed,
    transferred) goes to a ready desk that fits, of the organisation with the largest shortfall
    in the model's own running tally (entitlement + share - sessions), so no waiting ticket
    ever fits a ready desk.
    """

    def __init__(self) -> None:
        super().__init__()
        self.now = NOW
        self.tickets: dict[int, Ticket] = {}  # as the queue rules see them
        # The plain model.
        self.arrivals: list[int] = []
        self.state: dict[int, str] = {}
        self.priority: dict[int, bool] = {}
        self.target: dict[int, int | None] = {}
        self.holding: dict[int, int] = {}  # desk id -> the ticket it called
        self.served: set[int] = set()
        self.ready_since: dict[int, datetime] = {}  # desk id -> on the ready list since
        self.entitled: dict[str, float] = {}  # the model's tally of the balance
        self.delivered: dict[str, int] = {}

    # the model

    def model_fits(self, tid: int, d: Desk) -> bool:
        t = self.tickets[tid]
        return (
            t.language in d.languages
            and t.topic in d.topics
            and self.target[tid] in (None, d.counsellor_id)
        )

    def model_order(self) -> list[int]:
        waiting = [i for i in self.arrivals if self.state[i] == queue.WAITING]
        return [i for i in waiting if self.priority[i]] + [
            i for i in waiting if not self.priority[i]
        ]

    def waiting(self) -> list[Ticket]:
        return [t for t in self.tickets.values() if self.state[t.id] == queue.WAITING]

    def model_ready(self) -> list[int]:
        return [
            d
            for d, since in self.ready_since.items()
            if self.now - since < timedelta(hours=1) and d not in self.holding
        ]

    def ready_desks(self) -> list[queue.ReadyDesk]:
        by_id = {d.counsellor_id: d for d in DESKS}
        ready = [
            queue.ReadyDesk(by_id[d], since)
            for d, since in self.ready_since.items()
            if queue.ready(since, since + queue.READY_FOR, self.now) and d not in self.holding
        ]
        assert sorted(r.desk.counsellor_id for r in ready) == sorted(self.model_ready())
        return ready

    def became_callable(self, tid: int) -> None:
        """The plan for a ticket that just became callable, checked against the model."""
        tally = balance.Tally(dict(self.entitled), dict(self.delivered))
        decision = queue.plan_new_ticket(
            self.tickets[tid], self.ready_desks(), self.now, TYPICAL, WEIGHTS, tally
        )
        fitting = [
            d
            for d in self.model_ready()
            if self.model_fits(tid, next(x for x in DESKS if x.counsellor_id == d))
        ]
        if not fitting:
            assert decision is None
            return
        assert decision is not None and decision.counsellor_id in fitting
        org_of = {d.counsellor_id: d.organisation for d in DESKS}
        eligible = {org_of[d] for d in fitting}
        total = sum(WEIGHTS[o] for o in eligible)
        shortfall = {
            o: self.entitled.get(o, 0.0) + WEIGHTS[o] / total - self.delivered.get(o, 0)
            for o in eligible
        }
        assert shortfall[decision.organisation] >= max(shortfall.values()) - 1e-9
        for o in eligible:
            self.entitled[o] = self.entitled.get(o, 0.0) + WEIGHTS[o] / total
        self.delivered[decision.organisation] = self.delivered.get(decision.organisation, 0) + 1
        self.state[tid] = queue.CALLED
        self.holding[decision.counsellor_id] = tid
        del self.ready_since[decision.counsellor_id]

    # the operations

    @rule(
        topic=st.sampled_from(MACHINE_TOPICS),
        language=st.sampled_from(MACHINE_LANGUAGES),
        priority=st.booleans(),
        later=st.integers(0, 15),  # 0: several arrive in the same minute
    )
    def register(self, topic: str, language: str, priority: bool, later: int) -> None:
        self.now += minutes(later)
        tid = len(self.arrivals) + 1
        self.tickets[tid] = Ticket(tid, tid, topic, language, priority, self.now)
        self.arrivals.append(tid)
        self.state[tid] = queue.WAITING
        self.priority[tid] = priority
        self.target[tid] = None
        self.became_callable(tid)

    @precondition(lambda self: len(self.holding) < len(DESKS))
    @rule(data=st.data(), shuffle=st.randoms(use_true_random=False))
    def call_next(self, data: st.DataObject, shuffle: random.Random) -> None:
        free = [d for d in DESKS if d.counsellor_id not in self.holding]
        me = data.draw(st.sampled_from(free), label="desk")
        waiting = self.waiting()
        shuffle.shuffle(waiting)  # the order the database returns them in does not matter
        pick = queue.next_for(me, waiting, self.now, None, TYPICAL)
        assert not pick.held_for_booking, "no booking pending: nothing is held"
        expected = next((i for i in self.model_order() if self.model_fits(i, me)), None)
        assert (pick.ticket.id if pick.ticket else None) == expected
        if pick.ticket is None:
            self.ready_since.setdefault(me.counsellor_id, self.now)
            if self.now - self.ready_since[me.counsellor_id] >= timedelta(hours=1):
                self.ready_since[me.counsellor_id] = self.now  # a lapsed mark starts again
            return
        self.ready_since.pop(me.counsellor_id, None)
        called = pick.ticket.id
        assert self.state[called] == queue.WAITING, "a ticket is never called twice"
        assert called not in self.holding.values() and called not in self.served
        assert queue.fits(pick.ticket, me) and self.model_fits(called, me)
        self.state[called] = queue.CALLED
        self.holding[me.counsellor_id] = called

    def _release(self, data: st.DataObject) -> int:
        desk_id = data.draw(st.sampled_from(sorted(self.holding)), label="desk")
        return self.holding.pop(desk_id)

    def _move(self, action: str, tid: int, expected: str) -> None:
        """The transition table agrees with the model: the action applies, to this state."""
        move = queue.transition(action, self.state[tid])
        assert move is not None and move.new_state == expected, (action, self.state[tid])
        for other in queue.TICKET_STATES:
            if other not in MODEL_ALLOWS[action]:
                assert queue.transition(action, other) is None, (action, other)

    @precondition(lambda self: self.holding)
    @rule(data=st.data())
    def park(self, data: st.DataObject) -> None:
        tid = self._release(data)
        self._move("park", tid, queue.PARKED)
        self.state[tid] = queue.PARKED

    @precondition(lambda self: queue.PARKED in self.state.values())
    @rule(data=st.data())
    def resume(self, data: st.DataObject) -> None:
        parked = sorted(i for i, s in self.state.items() if s == queue.PARKED)
        tid = data.draw(st.sampled_from(parked), label="ticket")
        self._move("resume", tid, queue.WAITING)
        self.state[tid] = queue.WAITING
        self.became_callable(tid)

    @precondition(lambda self: self.holding)
    @rule(data=st.data(), to=st.sampled_from(DESKS))
    def transfer(self, data: st.DataObject, to: Desk) -> None:
        tid = self._release(data)
        self._move("transfer", tid, queue.WAITING)
        self.tickets[tid] = replace(self.tickets[tid], counsellor_id=to.counsellor_id)
        self.target[tid] = to.counsellor_id
        self.state[tid] = queue.WAITING
        self.became_callable(tid)

    @precondition(lambda self: self.holding)
    @rule(data=st.data())
    def finish(self, data: st.DataObject) -> None:
        tid = self._release(data)
        self._move("start", tid, queue.SERVING)
        self.state[tid] = queue.SERVING
        self._move("finish", tid, queue.DONE)
        self.state[tid] = queue.DONE
        self.served.add(tid)

    # the invariants

    @invariant()
    def positions_are_one_to_n_in_the_models_order(self) -> None:
        waiting = self.waiting()
        positions = {t.id: queue.position(t.id, waiting) or 0 for t in waiting}  # 0: not found
        assert sorted(positions.values()) == list(range(1, len(waiting) + 1))
        assert sorted(positions, key=lambda i: positions[i]) == self.model_order()
        for tid in self.tickets:
            if self.state[tid] != queue.WAITING:
                assert queue.position(tid, waiting) is None

    @invariant()
    def no_waiting_ticket_fits_a_ready_desk(self) -> None:
        by_id = {d.counsellor_id: d for d in DESKS}
        for d in self.model_ready():
            assert not any(self.model_fits(t.id, by_id[d]) for t in self.waiting())

    @invariant()
    def a_ready_desk_holds_nothing(self) -> None:
        assert not set(self.model_ready()) & set(self.holding)

    @invariant()
    def a_transferred_ticket_fits_only_its_target(self) -> None:
        for tid, to in self.target.items():
            if to is not None:
                assert not any(
                    queue.fits(self.tickets[tid], d) for d in DESKS if d.counsellor_id != to
                )


QueueMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=50)
TestQueueMachine = QueueMachine.TestCase


# --- the estimate ------------------------------------------------------------------------------


@st.composite
def desks(draw: st.DrawFn, cid: int) -> Desk:
    return Desk(
        cid,
        draw(st.sampled_from(ORGANISATIONS)),
        frozenset(draw(st.sets(st.sampled_from(LANGUAGES), min_size=1))),
        frozenset(draw(st.sets(st.sampled_from(TOPICS), min_size=1))),
    )


@st.composite
def staff_members(draw: st.DrawFn, cid: int) -> Staff:
    """A counsellor free from now or later, on duty for up to 7 hours (or already gone), with a
    few booked sessions and breaks on a 10-minute grid."""
    free_from = NOW + minutes(10 * draw(st.integers(0, 12)))
    until = free_from + minutes(10 * draw(st.integers(-6, 42)))
    busy = tuple(
        Interval(NOW + minutes(10 * start), NOW + minutes(10 * start + length))
        for start, length in draw(
            st.lists(st.tuples(st.integers(0, 42), st.sampled_from([30, 45, 60])), max_size=4)
        )
    )
    return Staff(draw(desks(cid)), free_from, until, busy)


@st.composite
def staff_lists(draw: st.DrawFn, min_size: int = 0, max_size: int = 5) -> list[Staff]:
    return [draw(staff_members(cid)) for cid in range(1, draw(st.integers(min_size, max_size)) + 1)]


@st.composite
def waiting_lists(draw: st.DrawFn, max_size: int = 12, targets: int = 0) -> list[Ticket]:
    """Up to ``max_size`` waiting tickets, queued in the last two hours; now and then one was
    transferred to counsellor 1..``targets``."""
    count = draw(st.integers(1, max_size))
    return [
        Ticket(
            tid,
            tid,
            draw(st.sampled_from(TOPICS)),
            draw(st.sampled_from(LANGUAGES)),
            draw(st.booleans()),
            NOW - minutes(draw(st.integers(0, 120))),
            draw(st.none() | st.integers(1, targets)) if targets else None,
        )
        for tid in range(1, count + 1)
    ]


typical_minutes = st.fixed_dictionaries({t: st.floats(10, 60) for t in TOPICS})


def on_duty_fitting(target: Ticket, staff: list[Staff]) -> bool:
    return any(queue.fits(target, s.desk) and s.until > NOW for s in staff)


@settings(max_examples=200)
@given(waiting_lists(targets=5), staff_lists(), typical_minutes, st.data())
def test_an_estimate_is_a_range_and_none_only_when_nobody_fitting_is_on_duty(
    waiting: list[Ticket], staff: list[Staff], lengths: dict[str, float], data: st.DataObject
) -> None:
    target = data.draw(st.sampled_from(waiting))
    found = queue.estimate(target.id, waiting, staff, NOW, lengths, CLOSING)
    assert (found is None) == (not on_duty_fitting(target, staff))
    if found is None:
        return
    assert NOW <= found.earliest <= found.latest
    if not found.after_closing:
        assert found.latest <= CLOSING
    else:
        assert found.earliest <= CLOSING and found.latest <= CLOSING


def test_an_estimate_of_a_ticket_not_waiting_is_none() -> None:
    staff = [Staff(desk(1), NOW, CLOSING)]
    assert queue.estimate(7, [ticket(1)], staff, NOW, {}, CLOSING) is None


def test_the_estimate_counts_the_sessions_ahead() -> None:
    # One counsellor, two ahead of 30 minutes each: called after 60 minutes, give or take.
    staff = [Staff(desk(1), NOW, CLOSING)]
    waiting = [ticket(1, queued=20), ticket(2, queued=10), ticket(3)]
    found = queue.estimate(3, waiting, staff, NOW, {"forms": 30}, CLOSING)
    assert found == queue.Estimate(
        NOW + minutes(60 * queue.EARLY_FACTOR), NOW + minutes(60 * queue.LATE_FACTOR), False
    )


def test_a_booked_session_in_the_way_pushes_the_call_back() -> None:
    booked = Interval(NOW + minutes(20), NOW + minutes(50))
    staff = [Staff(desk(1), NOW, CLOSING, (booked,))]
    found = queue.estimate(1, [ticket(1)], staff, NOW, {"forms": 30}, CLOSING)
    assert found is not None and found.earliest == found.latest == booked.end


def test_a_wait_beyond_the_last_shift_is_after_closing() -> None:
    staff = [Staff(desk(1), NOW, NOW + minutes(40))]
    waiting = [ticket(1, queued=10), ticket(2)]
    found = queue.estimate(2, waiting, staff, NOW, {"forms": 30}, CLOSING)
    assert found is not None and found.after_closing


EVERYTHING = Desk(0, "lhh", frozenset(LANGUAGES), frozenset(TOPICS))
LONG_AFTER = CLOSING + timedelta(days=1)


def covering_everything(member: Staff, cid: int) -> Staff:
    """The counsellor able to take every ticket, on duty until long after all are served."""
    return replace(member, desk=replace(EVERYTHING, counsellor_id=cid), until=LONG_AFTER)


@settings(max_examples=200)
@given(waiting_lists(), staff_lists(), staff_members(cid=99), typical_minutes, st.data())
def test_adding_a_counsellor_never_makes_the_earliest_later(
    waiting: list[Ticket],
    staff: list[Staff],
    added: Staff,
    lengths: dict[str, float],
    data: st.DataObject,
) -> None:
    # Held where it can hold: everyone can take every ticket (with their own start, booked
    # sessions and breaks) and nobody's shift ends first. Without these, see the two examples
    # below.
    staff = [covering_everything(s, s.desk.counsellor_id) for s in staff]
    target = data.draw(st.sampled_from(waiting))
    before = queue.estimate(target.id, waiting, staff, NOW, lengths, CLOSING)
    more = [*staff, covering_everything(added, 99)]
    after = queue.estimate(target.id, waiting, more, NOW, lengths, CLOSING)
    assert after is not None
    if before is not None:
        assert after.earliest <= before.earliest


def test_a_counsellor_joining_makes_a_ticket_only_one_covers_wait_longer() -> None:
    only_one = desk(1, "de", "forms work housing")  # the only one for housing
    work_only = desk(2, "de", "work")
    joining = desk(3, "de", "forms")
    staff = [
        Staff(only_one, NOW + minutes(5), LONG_AFTER),
        Staff(work_only, NOW + minutes(10), LONG_AFTER),
    ]
    waiting = [ticket(1, queued=30), ticket(2, topic="work", queued=20), ticket(3, topic="housing")]
    lengths = {"forms": 10, "work": 60, "housing": 30}
    before = queue.estimate(3, waiting, staff, NOW, lengths, CLOSING)
    # Without the new counsellor: 1 at 09:05 by counsellor 1, 2 by counsellor 2, 3 at 09:12:30.
    assert before is not None and before.earliest == NOW + minutes(12.5)
    more = [*staff, Staff(joining, NOW, LONG_AFTER)]
    after = queue.estimate(3, waiting, more, NOW, lengths, CLOSING)
    # With them: 1 by the new one at 09:00, and at 09:05 counsellor 1's "call next" gives them 2
    # (before counsellor 2 is free), so 3 waits until 09:50. The estimate predicts what the
    # desks will do, anomalies of first-come calling included (more staff, a later call).
    assert next_for_at(only_one, waiting[1:]) == waiting[1]
    assert after is not None and after.earliest == NOW + minutes(50)


def test_a_counsellor_joining_for_ten_minutes_brings_an_estimate_before_closing() -> None:
    staff = [Staff(desk(1, "de", "forms housing"), NOW, NOW + minutes(30))]
    waiting = [
        ticket(1, priority=True),
        ticket(2, topic="housing", queued=30),
        ticket(3, queued=20),
        ticket(4, topic="housing", queued=10),
    ]
    lengths = {"forms": 15, "housing": 11}
    before = queue.estimate(4, waiting, staff, NOW, lengths, CLOSING)
    # 1 and 2 until 09:19:30; 3 is called then (as "call next" would) and runs past the end of
    # the shift at 09:30, so nobody calls 4 today.
    assert before is not None and before.after_closing
    more = [*staff, Staff(desk(2, "de", "forms housing"), NOW, NOW + minutes(10))]
    after = queue.estimate(4, waiting, more, NOW, lengths, CLOSING)
    # 2 goes to the new counsellor at 09:00, so with short sessions 4 is called at 09:11:15;
    # with long ones it may still not be reached before the shift ends.
    assert after is not None and after.earliest == NOW + minutes(11.25)
    assert after.earliest < before.earliest


@settings(max_examples=200)
@given(waiting_lists(), staff_members(cid=1), typical_minutes, st.data())
def test_behind_is_never_called_earlier_than_in_front_by_one_counsellor(
    waiting: list[Ticket], only: Staff, lengths: dict[str, float], data: st.DataObject
) -> None:
    # On duty until all are served; for a shift ending first see the example below.
    only = replace(only, until=LONG_AFTER)
    fitting = [t for t in queue.queue_order(waiting) if queue.fits(t, only.desk)]
    if len(fitting) < 2:
        return
    two = data.draw(st.lists(st.sampled_from(fitting), min_size=2, max_size=2, unique=True))
    front, behind = sorted(two, key=fitting.index)
    first = queue.estimate(front.id, waiting, [only], NOW, lengths, CLOSING)
    second = queue.estimate(behind.id, waiting, [only], NOW, lengths, CLOSING)
    assert first is not None and second is not None
    assert second.earliest >= first.earliest


def test_near_the_end_of_a_shift_behind_is_not_called_before_in_front() -> None:
    only = desk(1, "de", "forms housing")
    staff = [Staff(only, NOW, NOW + minutes(30))]
    front, behind = ticket(1, queued=10), ticket(2, topic="housing")
    lengths = {"forms": 48, "housing": 20}  # 36 and 15 minutes at the short end of the range
    assert queue.next_for(only, [front, behind], NOW, None, TYPICAL).ticket == front
    first = queue.estimate(1, [front, behind], staff, NOW, lengths, CLOSING)
    second = queue.estimate(2, [front, behind], staff, NOW, lengths, CLOSING)
    assert first is not None and second is not None
    # The estimate says: the one in front after closing, the one behind at once.
    assert second.earliest >= first.earliest


# --- typical session lengths -------------------------------------------------------------------

samples = st.lists(st.floats(5, 120), max_size=8)


@given(st.sampled_from(TOPICS), st.dictionaries(st.sampled_from(TOPICS), samples))
def test_typical_minutes_is_a_median_once_there_are_enough(
    topic: str, finished: dict[str, list[float]]
) -> None:
    found = queue.typical_minutes(topic, finished)
    own = finished.get(topic, [])
    everything = [m for ms in finished.values() for m in ms]
    if len(own) >= queue.MIN_SAMPLES:
        assert found == statistics.median(own)
    elif len(everything) >= queue.MIN_SAMPLES:
        assert found == statistics.median(everything)
    else:
        assert found == queue.DEFAULT_MINUTES[topic]


def test_typical_minutes_examples() -> None:
    assert queue.typical_minutes("forms", {}) == 30
    assert queue.typical_minutes("nothing-known", {}) == queue.FALLBACK_MINUTES
    assert queue.typical_minutes("forms", {"forms": [10, 50]}) == 30  # too few: the default
    assert queue.typical_minutes("forms", {"forms": [10, 50, 20]}) == 20
    assert queue.typical_minutes("work", {"forms": [10, 50, 20]}) == 20  # all topics
    assert queue.typical_minutes("forms", {"forms": [10, 50, 20, 30]}) == 25


def next_for_at(desk_: Desk, waiting: list[Ticket]) -> Ticket | None:
    return queue.next_for(desk_, waiting, NOW, None, TYPICAL).ticket


# --- the transition table, the no-show rule and readiness --------------------------------------


def test_the_transition_table_says_what_each_action_may_do() -> None:
    assert queue.ACTIONS == ("recall", "start", "finish", "no-show", "park", "resume", "transfer")
    for action in queue.ACTIONS:
        row = queue.TRANSITIONS[action]
        for state in queue.TICKET_STATES:
            found = queue.transition(action, state)
            assert (found is not None) == (state in row.allowed), (action, state)
    assert queue.transition("finish", queue.CALLED) is None  # not started yet
    assert queue.TRANSITIONS["park"].session == queue.RELEASE
    assert queue.TRANSITIONS["no-show"].session == queue.MISSED
    assert queue.TRANSITIONS["resume"].fresh_count and not queue.TRANSITIONS["resume"].holder_only
    assert queue.transition("dance", queue.CALLED) is None


@given(
    gaps=st.lists(st.integers(0, 180), min_size=0, max_size=6),
    calls=st.integers(1, 5),
    limit=st.integers(1, 30),
)
def test_did_not_come_needs_calls_a_minute_apart_or_the_time(
    gaps: list[int], calls: int, limit: int
) -> None:
    rule = queue.NoShowRule(calls=calls, minutes=limit)
    first = NOW
    counted, last, moment = 1, first, first
    for seconds in gaps:
        moment += timedelta(seconds=seconds)
        if queue.counts_as_call(last, moment, rule):
            counted += 1
        last = moment
    allowed = queue.no_show_allowed(queue.CALLED, counted, first, moment, rule)
    assert allowed == (counted >= calls or moment - first >= minutes(limit))
    # Counted calls are at least a minute apart: within the first `counted - 1` minutes, no.
    if counted >= 2:
        assert moment - first >= minutes(counted - 1)
    assert not queue.no_show_allowed(queue.WAITING, 99, first, moment + minutes(99), rule)


def test_three_clicks_within_seconds_are_one_call() -> None:
    rule = queue.DEFAULT_NO_SHOW
    assert queue.counts_as_call(None, NOW, rule)
    assert not queue.counts_as_call(NOW, NOW + timedelta(seconds=20), rule)
    assert queue.counts_as_call(NOW, NOW + minutes(1), rule)
    assert not queue.no_show_allowed(queue.CALLED, 1, NOW, NOW + timedelta(seconds=30), rule)
    assert queue.no_show_allowed(queue.CALLED, 3, NOW, NOW + minutes(2), rule)
    assert queue.no_show_allowed(queue.CALLED, 1, NOW, NOW + minutes(10), rule)


def test_readiness_lapses_with_time_a_booked_session_or_being_busy() -> None:
    since, until = NOW, NOW + queue.READY_FOR
    assert queue.ready(since, until, NOW + minutes(59))
    assert not queue.ready(since, until, NOW + minutes(60))
    assert not queue.ready(None, None, NOW)
    assert not queue.ready(since, until, NOW + minutes(30), [NOW + minutes(20)])  # took a booking
    assert queue.ready(since, until, NOW + minutes(30), [NOW - minutes(20), NOW + minutes(40)])
    assert not queue.ready(since, until, NOW + minutes(5), busy=True)


def test_a_new_ticket_goes_to_the_ready_desk_furthest_behind() -> None:
    lhh, awo = desk(1, organisation="lhh"), desk(2, organisation="awo")
    ready_list = [queue.ReadyDesk(lhh, NOW - minutes(5)), queue.ReadyDesk(awo, NOW)]
    tally = balance.Tally({"lhh": 3.0, "awo": 3.0}, {"lhh": 1, "awo": 5})
    decision = queue.plan_new_ticket(
        ticket(1), ready_list, NOW, TYPICAL, {"lhh": 50.0, "awo": 50.0}, tally
    )
    assert decision is not None and decision.counsellor_id == 1  # lhh is behind
    assert (
        queue.plan_new_ticket(ticket(2, language="ar"), ready_list, NOW, TYPICAL, {}, tally) is None
    )
    soon = [queue.ReadyDesk(lhh, NOW, next_booking=NOW + minutes(10)), queue.ReadyDesk(awo, NOW)]
    other = queue.plan_new_ticket(ticket(3), soon, NOW, TYPICAL, {"lhh": 50.0, "awo": 50.0}, tally)
    assert other is not None and other.counsellor_id == 2  # lhh's booked session is too soon


def test_every_priority_reason_has_one_label() -> None:
    from booking.vocabulary import PRIORITY_LABELS

    assert tuple(PRIORITY_LABELS) == queue.PRIORITY_REASONS
