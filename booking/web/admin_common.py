"""What the administration pages share: reading a form, translating its errors, the "Saved."
redirect, and the page that shows the bookings a change would affect."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from booking.admin_forms import MESSAGES, Decision, read_active, read_decision
from booking.errors import Busy
from booking.models import BOOKED, Booking
from booking.services import admin_plans
from booking.services.outbox import Mailer
from booking.vocabulary import N_
from booking.web.auth import Handler, request_time, staff_page, staff_route
from booking.web.rendering import translate

BUSY = N_("Someone else changed the data at the same time. Please try again.")
# Fields of a form that are not replayed when a change comes back for a decision.
_NOT_REPLAYED = ("csrf", "resolution")


@dataclass(frozen=True)
class Form:
    values: dict[str, str]  # the first value of each field
    items: list[tuple[str, str]]  # every field and value, in order

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self.items if key == name]

    @property
    def decision(self) -> Decision:
        return read_decision(self.items)

    @property
    def replay(self) -> list[tuple[str, str]]:
        """The fields to send again with the coordinator's decision."""
        return [
            (key, value)
            for key, value in self.items
            if key not in _NOT_REPLAYED and not key.startswith("move-")
        ]


async def read_form(request: Request) -> Form:
    data = await request.form()
    items = [(key, value) for key, value in data.multi_items() if isinstance(value, str)]
    values: dict[str, str] = {}
    for key, value in items:
        values.setdefault(key, value)
    return Form(values, items)


def actor(request: Request) -> str:
    username: str = request.state.user.username
    return username


def today(request: Request) -> date:
    """Today where the service runs (BOOKING_TIMEZONE)."""
    zone = ZoneInfo(request.app.state.settings.timezone)
    return request_time(request).astimezone(zone).date()


def weekdays(request: Request) -> dict[int, str]:
    """Monday (0) to Sunday (6), named in the reader's language."""
    names = get_day_names("wide", locale=request.state.language)
    return {day: str(names[day]) for day in range(7)}


def translated(request: Request, errors: Mapping[str, str]) -> dict[str, str]:
    return {name: translate(request, MESSAGES[code]) for name, code in errors.items()}


def form_page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
) -> Response:
    """A form page; with errors, status 422 and the messages in the reader's language."""
    errors = errors or {}
    return staff_page(
        request,
        template,
        {"errors": translated(request, errors), **context},
        422 if errors else 200,
    )


async def future_bookings(request: Request, **record: int) -> int:
    """How many booked sessions still to come belong to a record (e.g. ``location_id=3``)."""
    upcoming = request_time(request).astimezone(UTC)
    return await Booking.filter(status=BOOKED, start__gt=upcoming, **record).count()


def saved(path: str) -> Response:
    separator = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{separator}done=saved", status_code=303)


def busy_page(request: Request, back: str) -> Response:
    context = {"title": translate(request, BUSY), "back": back}
    return staff_page(request, "staff/admin/busy.html", context, 409)


async def outcome_page(
    request: Request,
    outcome: admin_plans.Outcome,
    form: Form,
    *,
    action: str,
    back: str,
    title: str,
    fields: Sequence[tuple[str, str]] | None = None,
) -> Response:
    """No bookings affected: saved, back to ``back``. Affected and not decided yet: the
    conflict page, which sends the form again to ``action`` with the decision. Decided: what
    moved and what stayed."""
    if outcome.saved and not outcome.affected:
        return saved(back)
    context = {
        "outcome": outcome,
        "labels": await admin_plans.labels(),
        "title": title,
        "action": action,
        "back": back,
        "fields": form.replay if fields is None else list(fields),
    }
    if not outcome.saved:
        return staff_page(request, "staff/admin/conflicts.html", context)
    return staff_page(request, "staff/admin/result.html", context)


# A checked change, its own arguments bound: called with the coordinator's decision about
# affected bookings, the actor, the time and the mailer that tells moved sessions' people.
Change = Callable[[Decision, str, datetime, Mailer], Awaitable[admin_plans.Outcome]]
# Sets a record active or not, likewise.
ActiveChange = Callable[[bool, Decision, str, datetime, Mailer], Awaitable[admin_plans.Outcome]]


async def apply_change(
    request: Request, form: Form, change: Change, *, action: str, back: str, title: str
) -> Response:
    """Run a checked change and answer with its outcome: saved, the bookings it would affect,
    or (if someone else changed the data meanwhile) the page that says so."""
    try:
        outcome = await change(
            form.decision, actor(request), request_time(request), request.app.state.mailer
        )
    except Busy:
        return busy_page(request, back)
    return await outcome_page(request, outcome, form, action=action, back=back, title=title)


async def confirm_active(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    change: ActiveChange,
    *,
    action: str,
    back: str,
    title: str,
) -> Response:
    """Deactivating or reactivating a record: the confirmation page, then the change, which
    may first show the bookings it would affect."""
    if request.method == "GET":
        return form_page(request, template, context)
    form = await read_form(request)
    active, errors = read_active(form.values)
    if active is None:
        return form_page(request, template, context, errors)
    return await apply_change(
        request, form, partial(change, active), action=action, back=back, title=title
    )


def admin_route(path: str, handler: Handler, methods: Sequence[str] = ("GET", "POST")) -> BaseRoute:
    """An administration route: GET shows, POST changes; coordinators only."""
    return staff_route(path, handler, "administer", methods=methods)
