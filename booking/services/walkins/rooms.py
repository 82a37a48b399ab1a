"""The room a call shows: chosen at the desk, else planned; asked for when neither is known."""

from __future__ import annotations

from datetime import datetime, timedelta

from booking.errors import RoomNeeded
from booking.models import Counsellor, Location, PlanException, Room, WorkShift
from booking.plan import room_for, shifts_on
from booking.services.days import dated_change, local_date, weekly_block, zone_of
from booking.slots import Interval


async def rooms_of(location: Location) -> dict[str, int]:
    """The location's rooms by name, as the desk's choice lists them."""
    return {r.name: r.id for r in await Room.filter(location_id=location.id, active=True)}


async def planned_room(counsellor: Counsellor, location: Location, now: datetime) -> int | None:
    """The room of the counsellor's shift now (or their first today), from the plan."""
    today = local_date(now, location)
    weekly = [
        weekly_block(b)
        for b in await WorkShift.filter(
            counsellor_id=counsellor.id, location_id=location.id, weekday=today.weekday()
        )
    ]
    changes = [
        dated_change(c)
        for c in await PlanException.filter(
            counsellor_id=counsellor.id, location_id=location.id, day=today
        )
    ]
    shifts = shifts_on(today, weekly, changes, zone_of(location))
    end = now + timedelta(minutes=location.session_minutes)
    found = room_for(shifts, Interval(now, end))
    if found is None:
        found = next((s.room_id for s in shifts if s.room_id is not None), None)
    return found


async def desk_room(
    counsellor: Counsellor, location: Location, now: datetime, asked: str | None
) -> int:
    """The room a call of this counsellor shows: the one asked for (a name of the location's
    rooms), else the one recorded at the desk today, else the planned one. RoomNeeded (with the
    choice) when none is known or the name is not one of the location's rooms."""
    present = (
        counsellor.desk_location_id == location.id
        and counsellor.desk_since is not None
        and local_date(counsellor.desk_since, location) == local_date(now, location)
    )
    if asked is None and present and counsellor.desk_room_id is not None:
        return counsellor.desk_room_id
    rooms = await rooms_of(location)
    if asked is not None:
        if asked not in rooms:
            raise RoomNeeded(sorted(rooms))
        return rooms[asked]
    planned = await planned_room(counsellor, location, now)
    if planned is None or planned not in rooms.values():
        raise RoomNeeded(sorted(rooms))
    return planned
