"""The coordinators' audit log: ``/staff/audit`` (a page of 50 entries, newest first) and
``/staff/audit.csv`` (the same entries, all of them up to a limit, for Excel).

Both take the same filters as query parameters, checked here: ``person`` (a user name, or
``system``), ``record`` (a kind of record, e.g. ``counsellor``) and ``record_id``, ``from`` and
``to`` (local days as YYYY-MM-DD); ``page`` for the page. A filter that cannot be read answers
422 with the form and a message. Times are shown in the installation's zone (BOOKING_TIMEZONE).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from booking.audit_log import AuditFilters, Line
from booking.services import audit_log as service
from booking.vocabulary import N_
from booking.web.auth import staff_page, staff_route
from booking.web.params import day, page_number
from booking.web.rendering import translate
from booking.web.spreadsheet import csv_response

TEMPLATE = "staff/audit.html"
PERSON = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")  # a user name, or "system"
RECORD_TYPE = re.compile(r"^[a-z_]{1,32}$")
RECORD_ID_LENGTH = 64  # the column's
SYSTEM = "system"  # the service itself (the anonymisation)
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

FILTER_MESSAGES: dict[str, str] = {
    "person_unknown": N_("Please choose a person from the list."),
    "record_unknown": N_("Please choose a kind of record from the list."),
    "too_long": N_("Please enter at most 64 characters."),
    "bad_date": N_("Please give the date as year-month-day, for example 2026-11-23."),
    "day_order": N_("The first day must not come after the last day."),
}

# What was done, in the reader's language (an action not listed shows as stored).
ACTION_LABELS: dict[str, str] = {
    "activate": N_("activated"),
    "deactivate": N_("deactivated"),
    "enable": N_("enabled"),
    "disable": N_("disabled"),
    "add_block": N_("block added"),
    "remove_block": N_("block removed"),
    "add_exception": N_("absence or extra hours added"),
    "remove_exception": N_("absence or extra hours removed"),
    "anonymise": N_("anonymised"),
    "call": N_("called"),
    "recall": N_("called again"),
    "start": N_("session started"),
    "finish": N_("session finished"),
    "no-show": N_("did not come"),
    "park": N_("to the office counter"),
    "resume": N_("back in the queue"),
    "transfer": N_("transferred"),
    "cancel": N_("cancelled"),
    "change": N_("changed"),
    "check_in": N_("checked in"),
    "close_day": N_("day closed"),
    "open_day": N_("day opened"),
    "create": N_("created"),
    "update": N_("updated"),
    "desk_arrive": N_("at the desk"),
    "desk_leave": N_("left the desk"),
    "desk_ready": N_("ready for walk-ins"),
    "desk_not_ready": N_("not ready for walk-ins"),
    "leave": N_("left as it is"),
    "move": N_("moved"),
    "outcome": N_("outcome recorded"),
    "read": N_("read"),
    "read_mail": N_("e-mail read"),
    "register": N_("registered"),
    "reset": N_("password reset"),
    "retry_mail": N_("e-mail sent again"),
    "revoke": N_("revoked"),
    "unlock": N_("sign-in block lifted"),
}

RECORD_LABELS: dict[str, str] = {
    "api_token": N_("API token"),
    "booking": N_("Booking"),
    "calendar_feed": N_("Calendar feed"),
    "counsellor": N_("Counsellor"),
    "location": N_("Location"),
    "opening_hours": N_("Opening hours"),
    "organisation": N_("Organisation"),
    "outbox_message": N_("E-mail"),
    "plan_exception": N_("Absence or extra hours"),
    "room": N_("Room"),
    "schedule": N_("Schedule"),
    "staff_user": N_("Account"),
    "target_weight": N_("Target weight"),
    "ticket": N_("Walk-in ticket"),
    "work_shift": N_("Block of the weekly plan"),
}
SYSTEM_NAME = N_("The service itself")
COLUMNS = (
    N_("When (%(zone)s)"),
    N_("Person"),
    N_("Account"),
    N_("Action"),
    N_("Kind of record"),
    N_("Record id"),
    N_("Record"),
    N_("Details"),
)


def parse_filters(params: Mapping[str, str]) -> AuditFilters | dict[str, str]:
    """The filters of a query string, or a message code per field that cannot be read."""
    errors: dict[str, str] = {}
    person = params.get("person", "").strip()
    if person and not PERSON.match(person):
        errors["person"] = "person_unknown"
    record_type = params.get("record", "").strip()
    if record_type and not RECORD_TYPE.match(record_type):
        errors["record"] = "record_unknown"
    record_id = params.get("record_id", "").strip()
    if len(record_id) > RECORD_ID_LENGTH:
        errors["record_id"] = "too_long"
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        text = params.get(name, "").strip()
        days[name] = day(text) if text else None
        if text and days[name] is None:
            errors[name] = "bad_date"
    first, last = days["from"], days["to"]
    if first is not None and last is not None and first > last:
        errors["from"] = "day_order"
    if errors:
        return errors
    return AuditFilters(person or None, record_type or None, record_id or None, first, last)


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.timezone)


def _action_label(request: Request, action: str) -> str:
    label = ACTION_LABELS.get(action)
    return translate(request, label) if label else action


def _record_label(request: Request, record_type: str) -> str:
    label = RECORD_LABELS.get(record_type)
    return translate(request, label) if label else record_type


def _person(request: Request, line: Line) -> str:
    """The name to read: "Deniz Y. (awo1)" for a counsellor's account, the user name else."""
    if not line.account and line.person == SYSTEM:
        return translate(request, SYSTEM_NAME)
    if line.account and line.person != line.account:
        return f"{line.person} ({line.account})"
    return line.person


async def _page(
    request: Request,
    form: Mapping[str, str],
    errors: dict[str, str] | None = None,
    listing: service.Page | None = None,
    filters: AuditFilters | None = None,
) -> Response:
    choices = await service.choices()
    context = {
        "form": form,
        "errors": {
            name: translate(request, FILTER_MESSAGES[code]) for name, code in (errors or {}).items()
        },
        "people": [*choices.people, SYSTEM],
        "system_name": translate(request, SYSTEM_NAME),
        "record_types": [(kind, _record_label(request, kind)) for kind in choices.record_types],
        "listing": listing,
        "filters": filters.query() if filters else {},
        "zone": _zone(request),
        "time_format": TIME_FORMAT,
        "person_of": lambda line: _person(request, line),
        "record_label": lambda kind: _record_label(request, kind),
        "action_label": lambda action: _action_label(request, action),
    }
    return staff_page(request, TEMPLATE, context, 422 if errors else 200)


def _form(request: Request) -> dict[str, str]:
    names = ("person", "record", "record_id", "from", "to")
    return {name: request.query_params.get(name, "") for name in names}


async def audit(request: Request) -> Response:
    parsed = parse_filters(request.query_params)
    if not isinstance(parsed, AuditFilters):
        return await _page(request, _form(request), parsed)
    number = page_number(request.query_params.get("page"))
    listing = await service.page(parsed, _zone(request), number)
    return await _page(request, _form(request), listing=listing, filters=parsed)


async def audit_csv(request: Request) -> Response:
    parsed = parse_filters(request.query_params)
    if not isinstance(parsed, AuditFilters):
        return await _page(request, _form(request), parsed)
    zone = _zone(request)
    header = [translate(request, COLUMNS[0]) % {"zone": zone.key}]
    header += [translate(request, column) for column in COLUMNS[1:]]
    rows = [header]
    for line in await service.export(parsed, zone):
        system = not line.account and line.person == SYSTEM
        rows.append(
            [
                line.at.astimezone(zone).strftime(TIME_FORMAT),
                translate(request, SYSTEM_NAME) if system else line.person,
                line.account,
                _action_label(request, line.action),
                _record_label(request, line.record_type),
                line.record_id,
                line.record,
                line.summary,
            ]
        )
    return csv_response(rows, "audit-log.csv")


routes: list[Route] = [
    staff_route("/staff/audit", audit, "read_audit"),
    staff_route("/staff/audit.csv", audit_csv, "read_audit"),
]
