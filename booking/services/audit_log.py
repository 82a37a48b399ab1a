"""Reading the audit log: the entries a filter selects, newest first, with the names of the
people and records they were written with (booking/audit_log.py decides what is shown)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tortoise.queryset import QuerySet

from booking.audit_log import AuditFilters, Entry, Line, Names, describe, wanted
from booking.models import (
    ApiToken,
    AuditEntry,
    Counsellor,
    Location,
    Organisation,
    Room,
    StaffUser,
    Ticket,
)

PAGE_SIZE = 50
CSV_LIMIT = 10_000  # rows of one download: a year of a busy service; narrow the filter for more


@dataclass(frozen=True)
class Page:
    lines: list[Line]
    number: int
    more: bool


@dataclass(frozen=True)
class Choices:
    """What the filter form offers: every account's user name, and the kinds of record the
    log holds."""

    people: list[str]
    record_types: list[str]


async def _people() -> tuple[dict[str, str], dict[str, str]]:
    """User name -> counsellor display name ("" for other accounts), and counsellor id -> the
    user name of the counsellor's account."""
    people: dict[str, str] = {}
    by_counsellor: dict[str, str] = {}
    for user in await StaffUser.all().prefetch_related("counsellor"):
        people[user.username] = user.counsellor.display_name if user.counsellor else ""
        if user.counsellor is not None:
            by_counsellor.setdefault(str(user.counsellor.id), user.username)
    return people, by_counsellor


async def _query(filters: AuditFilters, zone: ZoneInfo) -> QuerySet[AuditEntry]:
    query = AuditEntry.all()
    if filters.person is not None:
        # The walk-in desk once wrote the counsellor's id instead of the user name.
        actors = {filters.person}
        user = await StaffUser.get_or_none(username=filters.person)
        counsellor_id = None if user is None else user.counsellor_id
        if counsellor_id is not None and not await StaffUser.exists(username=str(counsellor_id)):
            actors.add(str(counsellor_id))
        query = query.filter(actor__in=sorted(actors))
    if filters.record_type is not None:
        query = query.filter(record_type=filters.record_type)
    if filters.record_id is not None:
        query = query.filter(record_id=filters.record_id)
    since, until = filters.period(zone)
    if since is not None:
        query = query.filter(at__gte=since)
    if until is not None:
        query = query.filter(at__lt=until)
    return query.order_by("-at", "-id")


async def _record_names(ids: dict[str, set[str]]) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}

    def numbers(*kinds: str) -> list[int]:
        return sorted({int(i) for kind in kinds for i in ids.get(kind, ()) if len(i) < 10})

    if wanted_ids := numbers("staff_user"):
        for user in await StaffUser.filter(id__in=wanted_ids):
            names["staff_user", str(user.id)] = user.username
    if wanted_ids := numbers("counsellor", "calendar_feed"):
        for counsellor in await Counsellor.filter(id__in=wanted_ids):
            names["counsellor", str(counsellor.id)] = counsellor.display_name
            names["calendar_feed", str(counsellor.id)] = counsellor.display_name
    if wanted_ids := numbers("location", "opening_hours"):
        for location in await Location.filter(id__in=wanted_ids):
            names["location", str(location.id)] = location.name
            names["opening_hours", str(location.id)] = location.name
    if wanted_ids := numbers("organisation"):
        for organisation in await Organisation.filter(id__in=wanted_ids):
            names["organisation", str(organisation.id)] = organisation.name
    if wanted_ids := numbers("room"):
        for room in await Room.filter(id__in=wanted_ids):
            names["room", str(room.id)] = f"{room.code} {room.name}".strip()
    if wanted_ids := numbers("api_token"):
        for token in await ApiToken.filter(id__in=wanted_ids).prefetch_related("user"):
            names["api_token", str(token.id)] = token.label or token.user.username
    if wanted_ids := numbers("ticket"):
        # The number people were called by, never the name a walk-in gave.
        for ticket in await Ticket.filter(id__in=wanted_ids).prefetch_related("location"):
            number = f"{ticket.location.ticket_prefix} {ticket.number:03d}"
            names["ticket", str(ticket.id)] = f"{number}, {ticket.day.isoformat()}"
    return names


async def _lines(rows: list[AuditEntry]) -> list[Line]:
    entries = [
        Entry(row.at, row.actor, row.action, row.record_type, row.record_id, row.summary)
        for row in rows
    ]
    people, by_counsellor = await _people()
    names = Names(people, by_counsellor, await _record_names(wanted(entries)))
    return [describe(entry, names) for entry in entries]


async def page(filters: AuditFilters, zone: ZoneInfo, number: int) -> Page:
    """One page of the entries the filters select, newest first."""
    query = await _query(filters, zone)
    rows = await query.offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    return Page(await _lines(rows[:PAGE_SIZE]), number, len(rows) > PAGE_SIZE)


async def export(filters: AuditFilters, zone: ZoneInfo) -> list[Line]:
    """The entries the filters select for a download, newest first, at most CSV_LIMIT."""
    query = await _query(filters, zone)
    return await _lines(await query.limit(CSV_LIMIT))


async def choices() -> Choices:
    people = await StaffUser.all().order_by("username").values_list("username", flat=True)
    kinds = await AuditEntry.all().distinct().values_list("record_type", flat=True)
    return Choices([str(p) for p in people], sorted({str(k) for k in kinds}))
