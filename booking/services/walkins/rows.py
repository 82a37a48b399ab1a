"""The schedule's rows for walk-in tickets between two calls.

A called ticket is a session (a walk-in Booking). Parking it at the office counter or handing it
to a colleague ends that call's session (it led to none), so without these rows the ticket would
vanish from the schedule until it is called again. Each such ticket is one row with its current
state, under the colleague who holds or awaits it.
"""

from __future__ import annotations

from datetime import date

from tortoise.expressions import Q

from booking import queue
from booking.models import Counsellor, Location, Organisation, Ticket
from booking.schedule import TICKET, Entry, Scope, display_name
from booking.services.walkins.common import WALK_IN, ticket_label

# Parked (its holder stays on the ticket), or waiting again after a call: transferred to a
# colleague or an organisation, or resumed from the counter.
BETWEEN_CALLS = Q(status=queue.PARKED) | Q(status=queue.WAITING, first_called_at__isnull=False)


async def ticket_rows(location: Location, scope: Scope) -> list[Entry]:
    """The scope's tickets between two calls on ``scope.day``, as schedule entries."""
    tickets = await Ticket.filter(BETWEEN_CALLS, location_id=location.id, day=scope.day)
    if not tickets:
        return []
    people = {
        c.id: c
        for c in await Counsellor.filter(
            id__in={i for t in tickets for i in (t.counsellor_id, t.for_counsellor_id) if i}
        ).prefetch_related("organisation")
    }
    organisations = {o.id: o for o in await Organisation.all()}
    rows = []
    for ticket in tickets:
        row = _row(location.ticket_prefix, scope.day, ticket, people, organisations)
        if _in_scope(row, scope, organisations):
            rows.append(row)
    return rows


def _row(
    prefix: str,
    day: date,
    ticket: Ticket,
    people: dict[int, Counsellor],
    organisations: dict[int, Organisation],
) -> Entry:
    holder_id = ticket.counsellor_id if ticket.status == queue.PARKED else ticket.for_counsellor_id
    holder = people.get(holder_id) if holder_id else None
    if holder is not None:
        organisation: Organisation | None = holder.organisation
    else:
        organisation = organisations.get(ticket.for_organisation_id or 0)
    since = ticket.first_called_at or ticket.queued_at
    return Entry(
        id=ticket.id,
        start=since,
        end=since,
        counsellor_id=holder.id if holder else None,
        counsellor_name=holder.display_name if holder else "",
        organisation=organisation.code if organisation else "",
        organisation_name=organisation.name if organisation else "",
        room=None,
        kind=TICKET,
        topic=ticket.topic,
        language=ticket.language,
        reference=ticket_label(prefix, ticket.number),
        status=ticket.status,
        display_name=display_name(ticket.name),
        appointment_start=None,
        checked_in_at=None,
        outcome_topics=(),
        referral="",
        channel=WALK_IN,
    )


def _in_scope(row: Entry, scope: Scope, organisations: dict[int, Organisation]) -> bool:
    if scope.counsellor_id is not None and row.counsellor_id != scope.counsellor_id:
        return False
    if scope.organisation_id is not None:
        wanted = organisations.get(scope.organisation_id)
        return wanted is not None and row.organisation == wanted.code
    return True
