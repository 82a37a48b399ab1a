"""Fair shares in the database: target weights, the month's tally, and each decision's record.

The tally is recomputed from stored facts every time (the shares of the month's bookings that
still count, and who got them), so parallel processes never drift apart; callers that decide
hold the location's booking lock (booking/services/bookings.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tortoise.functions import Count, Sum

from booking import balance, shares
from booking.balance import Candidate, Decision, Tally
from booking.models import (
    ATTENDED,
    BOOKED,
    NO_SHOW,
    AllocationShare,
    Booking,
    ClosureDay,
    Counsellor,
    Location,
    Organisation,
    PlanException,
    TargetWeight,
    WorkShift,
)
from booking.plan import DatedChange, WeeklyBlock, at, month_days, planned_hours, public_holiday
from booking.services.accounts import audit
from booking.services.days import Day, dated_change, weekly_block, zone_of
from booking.settings import Settings
from booking.slots import Slot


@dataclass(frozen=True)
class Rules:
    """The balancing settings (BOOKING_BALANCE_BASE_PERCENT, BOOKING_NO_SHOWS_COUNT)."""

    base_percent: int = 30
    no_shows_count: bool = True

    @classmethod
    def of(cls, settings: Settings) -> Rules:
        return cls(settings.balance_base_percent, settings.no_shows_count)

    @property
    def counted_statuses(self) -> tuple[str, ...]:
        return (BOOKED, ATTENDED, NO_SHOW) if self.no_shows_count else (BOOKED, ATTENDED)


DEFAULT_RULES = Rules()


def month_of(moment: datetime, location: Location) -> str:
    return moment.astimezone(zone_of(location)).strftime("%Y-%m")


def month_bounds(month: str, location: Location) -> tuple[datetime, datetime]:
    """The month's first and last instant (exclusive), in UTC for filtering."""
    days = month_days(month)
    zone = zone_of(location)
    first = at(days[0], time(0), zone)
    last = at(days[-1] + timedelta(days=1), time(0), zone)
    return first.astimezone(UTC), last.astimezone(UTC)


async def tally(
    location: Location,
    month: str,
    rules: Rules,
    *,
    exclude_booking_id: int | None = None,
    organisations: Sequence[Organisation] | None = None,
) -> Tally:
    """Entitlement and actual sessions per organisation code, so far this month: two
    aggregate queries, whatever the month holds. (``organisations``: all of them, if the
    caller has them already.)"""
    codes = {o.id: o.code for o in organisations or await Organisation.all()}
    first, last = month_bounds(month, location)
    counted = Booking.filter(
        location_id=location.id,
        start__gte=first,
        start__lt=last,
        status__in=rules.counted_statuses,
    )
    shares = AllocationShare.filter(
        location_id=location.id, month=month, booking__status__in=rules.counted_statuses
    )
    if exclude_booking_id is not None:
        counted = counted.exclude(id=exclude_booking_id)
        shares = shares.exclude(booking_id=exclude_booking_id)
    actual = {
        codes[row["organisation_id"]]: int(row["sessions"])
        for row in await counted.annotate(sessions=Count("id"))
        .group_by("organisation_id")
        .values("organisation_id", "sessions")
    }
    entitlement = {
        codes[row["organisation_id"]]: float(row["entitled"])
        for row in await shares.annotate(entitled=Sum("share"))
        .group_by("organisation_id")
        .values("organisation_id", "entitled")
    }
    return Tally(entitlement, actual)


async def month_plan_hours(location: Location, month: str) -> dict[str, float]:
    """Counsellor hours per organisation code in the location's plan for the month."""
    days = month_days(month)
    organisation_of = {
        c.id: c.organisation.code
        for c in await Counsellor.filter(active=True, organisation__active=True).prefetch_related(
            "organisation"
        )
    }
    weekly: dict[int, list[WeeklyBlock]] = defaultdict(list)
    for block in await WorkShift.filter(location_id=location.id):
        weekly[block.counsellor_id].append(weekly_block(block))
    changes: dict[int, list[DatedChange]] = defaultdict(list)
    for change in await PlanException.filter(
        location_id=location.id, day__gte=days[0], day__lte=days[-1]
    ):
        changes[change.counsellor_id].append(dated_change(change))
    closures = set(
        await ClosureDay.filter(
            location_id=location.id, day__gte=days[0], day__lte=days[-1]
        ).values_list("day", flat=True)
    )

    def closed(day: date) -> bool:
        holiday = public_holiday(day, location.holiday_country, location.holiday_subdivision)
        return day in closures or holiday is not None

    planned = {cid: org for cid, org in organisation_of.items() if cid in weekly or cid in changes}
    return planned_hours(days, weekly, changes, planned, zone_of(location), closed)


@dataclass(frozen=True)
class Weights:
    """The target weights in force, and where each comes from."""

    values: dict[str, float]  # organisation code -> weight (percent of the whole)
    computed: dict[str, float]  # the default from the plan
    overridden: frozenset[str]  # codes whose weight an admin set


async def weights(
    location: Location,
    month: str,
    now: datetime,
    rules: Rules,
    *,
    organisations: Sequence[Organisation] | None = None,
) -> Weights:
    """The default from the month's plan hours, with admins' overrides that have begun: a
    per-location override first, then the organisation's general target weight."""
    organisations = organisations or await Organisation.all()
    computed = balance.default_weights(
        await month_plan_hours(location, month), rules.base_percent / 100
    )
    values = dict(computed)
    overridden: set[str] = set()
    for organisation in organisations:
        if organisation.active and organisation.target_weight is not None:
            values[organisation.code] = organisation.target_weight
            overridden.add(organisation.code)
    latest: dict[int, TargetWeight] = {}
    for row in await TargetWeight.filter(
        location_id=location.id, since__lte=now.astimezone(UTC)
    ).order_by("since", "id"):
        latest[row.organisation_id] = row
    codes = {o.id: o.code for o in organisations}
    for organisation_id, row in latest.items():
        code = codes[organisation_id]
        if row.weight is None:
            overridden.discard(code)
            values[code] = computed.get(code, 0.0)
        else:
            values[code] = row.weight
            overridden.add(code)
    return Weights(values, computed, frozenset(overridden))


def candidates_for(day: Day, slot: Slot) -> list[Candidate]:
    """The counsellors free for the slot, with what the rules within an organisation need."""
    by_id = {c.id: c for c in day.counsellors}
    found = []
    for counsellor_id in slot.counsellor_ids:
        counsellor = by_id[counsellor_id]
        earlier_ends = [b.end for b in counsellor.busy if b.end <= slot.start]
        shift_start = next(
            (s.start for s in counsellor.shifts if s.start <= slot.start < s.end), slot.start
        )
        found.append(
            Candidate(
                counsellor_id=counsellor_id,
                organisation=counsellor.organisation,
                sessions_today=day.sessions.get(counsellor_id, 0),
                free_since=max([shift_start, *earlier_ends]),
            )
        )
    return found


@dataclass(frozen=True)
class Placement:
    """A decision with what it was taken on, ready to be stored."""

    decision: Decision
    weights: Weights
    month: str
    organisation_ids: dict[str, int]  # by code, for storing the shares


async def decide(
    location: Location,
    day: Day,
    slot: Slot,
    rules: Rules,
    now: datetime,
    *,
    requested: str | None = None,
    exclude_booking_id: int | None = None,
) -> Placement:
    """The balanced choice for one slot; call it under the location's booking lock, so that
    the tally it reads cannot change before the booking is written."""
    month = month_of(slot.start, location)
    organisations = await Organisation.all()
    in_force = await weights(location, month, now, rules, organisations=organisations)
    so_far = await tally(
        location,
        month,
        rules,
        exclude_booking_id=exclude_booking_id,
        organisations=organisations,
    )
    decision = balance.choose(
        candidates_for(day, slot), in_force.values, so_far, requested=requested
    )
    return Placement(decision, in_force, month, {o.code: o.id for o in organisations})


def explanation(decision: Decision, in_force: Weights, now: datetime) -> dict[str, Any]:
    """What is stored with the booking, for the admin who asks why."""
    return {
        "decided_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "rule": decision.rule,
        "organisation": decision.organisation,
        "counsellor_id": decision.counsellor_id,
        "standings": [
            {
                "organisation": s.organisation,
                "weight": round(s.weight, 4),
                "weight_source": "override" if s.organisation in in_force.overridden else "plan",
                "share": round(s.share, 6),
                "entitlement": round(s.entitlement, 4),
                "actual": s.actual,
                "shortfall": round(s.shortfall, 4),
            }
            for s in decision.standings
        ],
        "counsellors": [
            {
                "id": c.counsellor_id,
                "organisation": c.organisation,
                "sessions_today": c.sessions_today,
                "free_since": c.free_since.astimezone(UTC).isoformat(timespec="minutes"),
            }
            for c in decision.candidates
        ],
    }


async def record(booking: Booking, placement: Placement, now: datetime) -> None:
    """Store the decision's shares (replacing earlier ones) and its explanation."""
    decision, in_force, month = placement.decision, placement.weights, placement.month
    codes = placement.organisation_ids
    await AllocationShare.filter(booking_id=booking.id).delete()
    await AllocationShare.bulk_create(
        [
            AllocationShare(
                booking_id=booking.id,
                location_id=booking.location_id,
                organisation_id=codes[code],
                month=month,
                share=share,
            )
            for code, share in decision.shares.items()
        ]
    )
    booking.allocation = explanation(decision, in_force, now)
    await Booking.filter(id=booking.id).update(allocation=booking.allocation)


SHARE_PLACES = 1  # the shares are shown to a tenth of a percent


@dataclass(frozen=True)
class ReportRow:
    organisation: str  # code
    name: str
    weight: float  # relative: only its ratio to the other weights counts
    entitlement: float
    actual: int
    share: float = 0.0  # weight / sum of the weights, in percent as shown (the rows add to 100)

    @property
    def deviation(self) -> float:
        return self.actual - self.entitlement


async def report(
    location: Location, month: str, now: datetime, rules: Rules
) -> tuple[list[ReportRow], Weights]:
    """Per organisation: the weight in force now and its share of the whole, entitlement,
    actual sessions, deviation."""
    organisations = await Organisation.all()
    so_far = await tally(location, month, rules, organisations=organisations)
    in_force = await weights(location, month, now, rules, organisations=organisations)
    names = {o.code: o.name for o in organisations}
    codes = sorted(
        set(in_force.values) | set(so_far.entitlement) | set(so_far.actual),
        key=lambda c: names.get(c, c),
    )
    weight_of = {code: in_force.values.get(code, 0.0) for code in codes}
    shown = shares.shown_shares(weight_of, SHARE_PLACES)
    rows = [
        ReportRow(
            code,
            names.get(code, code),
            weight_of[code],
            so_far.entitlement.get(code, 0.0),
            so_far.actual.get(code, 0),
            shown[code],
        )
        for code in codes
    ]
    return rows, in_force


async def set_weight(
    location: Location,
    organisation: Organisation,
    weight: float | None,
    actor: str,
    now: datetime,
) -> None:
    """An admin's override from now on (None: back to the computed default)."""
    await TargetWeight.create(
        location=location, organisation=organisation, weight=weight, since=now, actor=actor
    )
    shown = "computed" if weight is None else f"{weight:g}"
    record_id = f"{location.code}/{organisation.code}"
    await audit(actor, "change", "target_weight", record_id, shown, now)


def months_back(today: date, count: int) -> list[str]:
    """The current month and the ``count - 1`` before it, newest first."""
    months, year, number = [], today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{number:02d}")
        year, number = (year - 1, 12) if number == 1 else (year, number - 1)
    return months
