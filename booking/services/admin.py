"""Administration records: locations, opening hours, rooms, organisations, counsellors and the
weekly plan's new blocks; every change audited.

Changes that can take working time away from booked sessions (closure days, absences, removed
blocks, deactivations, a counsellor's languages and topics) go through
booking/services/admin_plans.py, which checks them against the bookings first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from booking.admin_forms import BlockForm, CounsellorForm, LocationForm, OrganisationForm, RoomForm
from booking.errors import NotFound, Rejected
from booking.models import (
    BOOKED,
    Booking,
    ClosureDay,
    Counsellor,
    Location,
    OpeningHours,
    Organisation,
    PlanException,
    Room,
    WorkShift,
)
from booking.services.accounts import audit


def _location_values(form: LocationForm) -> dict[str, Any]:
    return {
        "name": form.name,
        "address": form.address,
        "code": form.code,
        "timezone": form.timezone,
        "session_minutes": form.session_minutes,
        "buffer_minutes": form.buffer_minutes,
        "window_minutes": form.window_minutes,
        "notice_minutes": form.notice_minutes,
        "holiday_subdivision": form.holiday_subdivision,
    }


async def create_location(form: LocationForm, actor: str, now: datetime) -> Location:
    if await Location.exists(code=form.code):
        raise Rejected({"code": "code_taken"})
    try:
        async with in_transaction():
            location = await Location.create(**_location_values(form))
            await audit(actor, "create", "location", location.id, form.code, now)
    except IntegrityError:  # the same code, created a moment ago
        raise Rejected({"code": "code_taken"}) from None
    return location


async def update_location(location_id: int, form: LocationForm, actor: str, now: datetime) -> None:
    if await Location.filter(code=form.code).exclude(id=location_id).exists():
        raise Rejected({"code": "code_taken"})
    try:
        async with in_transaction():
            changed = await Location.filter(id=location_id).update(**_location_values(form))
            if not changed:
                raise NotFound()
            await audit(actor, "update", "location", location_id, form.code, now)
    except IntegrityError:
        raise Rejected({"code": "code_taken"}) from None


async def set_opening_hours(
    location_id: int, hours: Mapping[int, list[tuple[int, int]]], actor: str, now: datetime
) -> None:
    """Replace the location's weekly opening hours (weekday -> intervals in minutes)."""
    async with in_transaction():
        await OpeningHours.filter(location_id=location_id).delete()
        for weekday, intervals in sorted(hours.items()):
            for opens, closes in intervals:
                await OpeningHours.create(
                    location_id=location_id, weekday=weekday, opens=opens, closes=closes
                )
        await audit(actor, "update", "opening_hours", location_id, "", now)


async def remove_closure(closure: ClosureDay, actor: str, now: datetime) -> None:
    """Opening a closed day again takes nothing away from a booked session."""
    async with in_transaction():
        await ClosureDay.filter(id=closure.id).delete()
        await audit(
            actor,
            "open_day",
            "location",
            closure.location_id,
            closure.day.isoformat(),
            now,
        )


async def create_room(location_id: int, form: RoomForm, actor: str, now: datetime) -> Room:
    if await Room.exists(location_id=location_id, code=form.code):
        raise Rejected({"code": "room_code_taken"})
    try:
        async with in_transaction():
            room = await Room.create(location_id=location_id, code=form.code, name=form.name)
            await audit(actor, "create", "room", room.id, form.code, now)
    except IntegrityError:
        raise Rejected({"code": "room_code_taken"}) from None
    return room


async def update_room(room: Room, form: RoomForm, actor: str, now: datetime) -> None:
    location_id: int = room.location_id
    if await Room.filter(location_id=location_id, code=form.code).exclude(id=room.id).exists():
        raise Rejected({"code": "room_code_taken"})
    try:
        async with in_transaction():
            await Room.filter(id=room.id).update(code=form.code, name=form.name)
            await audit(actor, "update", "room", room.id, form.code, now)
    except IntegrityError:
        raise Rejected({"code": "room_code_taken"}) from None


@dataclass(frozen=True)
class RoomUse:
    blocks: int  # weekly blocks naming the room
    bookings: int  # booked sessions from now on in the room


async def room_use(room_id: int, now: datetime) -> RoomUse:
    return RoomUse(
        blocks=await WorkShift.filter(room_id=room_id).count(),
        bookings=await Booking.filter(
            room_id=room_id, status=BOOKED, start__gt=now.astimezone(UTC)
        ).count(),
    )


async def set_room_active(room_id: int, active: bool, actor: str, now: datetime) -> None:
    """A deactivated room is no longer offered for new blocks; the plan keeps naming it until
    the blocks are changed, so that nobody loses their desk by surprise."""
    async with in_transaction():
        await Room.filter(id=room_id).update(active=active)
        await audit(actor, "activate" if active else "deactivate", "room", room_id, "", now)


async def create_organisation(form: OrganisationForm, actor: str, now: datetime) -> Organisation:
    if await Organisation.exists(code=form.code):
        raise Rejected({"code": "code_taken"})
    try:
        async with in_transaction():
            organisation = await Organisation.create(
                code=form.code, name=form.name, target_weight=form.target_weight
            )
            await audit(actor, "create", "organisation", organisation.id, form.code, now)
    except IntegrityError:
        raise Rejected({"code": "code_taken"}) from None
    return organisation


async def update_organisation(
    organisation_id: int, form: OrganisationForm, actor: str, now: datetime
) -> None:
    if await Organisation.filter(code=form.code).exclude(id=organisation_id).exists():
        raise Rejected({"code": "code_taken"})
    weight = "computed" if form.target_weight is None else f"{form.target_weight:g}"
    try:
        async with in_transaction():
            await Organisation.filter(id=organisation_id).update(
                code=form.code, name=form.name, target_weight=form.target_weight
            )
            await audit(
                actor, "update", "organisation", organisation_id, f"{form.code} {weight}", now
            )
    except IntegrityError:
        raise Rejected({"code": "code_taken"}) from None


async def create_counsellor(form: CounsellorForm, actor: str, now: datetime) -> Counsellor:
    async with in_transaction():
        counsellor = await Counsellor.create(
            display_name=form.display_name,
            organisation_id=form.organisation_id,
            languages=list(form.languages),
            topics=list(form.topics),
            email=form.email,
            mail_invitations=form.mail_invitations,
        )
        # The display name is a member of staff's, not an applicant's: it may be audited.
        await audit(actor, "create", "counsellor", counsellor.id, form.display_name, now)
    return counsellor


async def add_block(counsellor_id: int, form: BlockForm, actor: str, now: datetime) -> None:
    """A new block only adds working time: no booked session can lose its counsellor."""
    async with in_transaction():
        block = await WorkShift.create(
            counsellor_id=counsellor_id,
            location_id=form.location_id,
            room_id=form.room_id,
            weekday=form.weekday,
            starts=form.starts,
            ends=form.ends,
        )
        summary = f"weekday {form.weekday} {form.starts}-{form.ends} location {form.location_id}"
        await audit(
            actor, "add_block", "work_shift", block.id, f"counsellor {counsellor_id} {summary}", now
        )


@dataclass(frozen=True)
class Counts:
    locations: int
    rooms: int
    organisations: int
    counsellors: int
    upcoming_exceptions: int


async def counts(now: datetime) -> Counts:
    """Active records of each kind, for the overview."""
    return Counts(
        locations=await Location.filter(active=True).count(),
        rooms=await Room.filter(active=True, location__active=True).count(),
        organisations=await Organisation.filter(active=True).count(),
        counsellors=await Counsellor.filter(active=True).count(),
        upcoming_exceptions=await PlanException.filter(day__gte=now.date()).count(),
    )
