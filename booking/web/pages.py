"""The applicant's pages: parse the request, call a service, render a template.

The office link's six values travel through the steps as query parameters and hidden fields;
the chosen time is called ``slot`` because ``start`` belongs to the office appointment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from booking.applicant import Choice, read_choice, read_contact, read_start
from booking.errors import Invalid, NotChangeable, NotFound, SlotTaken
from booking.i18n import booked_language
from booking.models import Booking
from booking.services import bookings, fairness, short_codes
from booking.services.days import local_date, zone_of
from booking.slots import Slot
from booking.vocabulary import N_
from booking.web.limits import client_limited
from booking.web.messages import NOTICES
from booking.web.rendering import field_message, render, translate
from integrations.office_link import OfficeLink, link_values


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _field_errors(request: Request, codes: Mapping[str, str]) -> dict[str, str]:
    return {name: field_message(request, code) for name, code in codes.items()}


def _link(request: Request, params: Mapping[str, object]) -> OfficeLink:
    return bookings.check_link(params, request.app.state.settings.link_secret.value, _now(request))


def _split(slots: list[Slot], appointment_start: datetime) -> tuple[list[Slot], list[Slot]]:
    before = [s for s in slots if s.end <= appointment_start]
    return before, [s for s in slots if s.end > appointment_start]


async def home(request: Request) -> Response:
    return render(request, "home.html", {})


async def privacy(request: Request) -> Response:
    settings = request.app.state.settings
    return render(
        request,
        "privacy.html",
        {
            "days": settings.retention_days,
            "controller": settings.controller_name,
            "address": settings.controller_address,
            "contact": settings.privacy_contact,
            "dpo": settings.dpo_contact,
        },
    )


async def addon_start(request: Request) -> Response:
    params = request.query_params
    errors = read_choice(params)[1] if "topic" in params else {}
    return await _start_page(request, errors)


async def _read_choice(data: Mapping[str, object]) -> tuple[Choice | None, dict[str, str]]:
    """The applicant's choice, with an organisation that takes part (or none)."""
    choice, errors = read_choice(data)
    if choice is not None:
        try:
            await bookings.check_organisation(choice.organisation)
        except Invalid as problem:
            return None, problem.fields
    return choice, errors


async def addon_times(request: Request) -> Response:
    params = request.query_params
    link = _link(request, params)
    choice, errors = await _read_choice(params)
    if choice is None:
        return await _start_page(request, errors)
    return await _times_page(request, link, choice, params)


async def _start_page(
    request: Request, errors: Mapping[str, str], values: Mapping[str, object] | None = None
) -> Response:
    """The first step: what the service is, then topic and language. ``values``: the link and
    the choice when they came in a form (the booking's POST), not in the query."""
    params: Mapping[str, object] = request.query_params if values is None else values
    link = _link(request, params)
    location, _ = await bookings.resolve_link(link, _now(request))
    return render(
        request,
        "addon_start.html",
        {
            "link": link_values(params),
            "office": link,
            "location": location,
            "zone": zone_of(location),
            "languages": await bookings.languages_at(location),
            "selected_topic": params.get("topic", ""),
            "selected_language": params.get("language") or request.state.language,
            "selected_organisation": params.get("organisation", ""),
            "organisations": await bookings.organisations_at(location),
            "errors": _field_errors(request, errors),
        },
        status_code=422 if errors else 200,
    )


async def _times_page(
    request: Request,
    link: OfficeLink,
    choice: Choice,
    params: Mapping[str, object],
    notice: str | None = None,
    status: int = 200,
) -> Response:
    offer = await bookings.offer(
        link, choice.topic, choice.language, _now(request), choice.organisation
    )
    before, after = _split(offer.slots, link.start)
    return render(
        request,
        "addon_times.html",
        {
            "link": link_values(params),
            "office": link,
            "offer": offer,
            "choice": choice,
            "zone": zone_of(offer.location),
            "before": before,
            "after": after,
            "notice": notice,
            "organisation_name": await bookings.organisation_name(choice.organisation),
        },
        status_code=status,
    )


async def addon_details(request: Request) -> Response:
    params = request.query_params
    link = _link(request, params)
    choice, errors = await _read_choice(params)
    if choice is None:
        return await _start_page(request, errors)
    slot, _slot_errors = read_start({"start": params.get("slot", "")})
    if slot is None:
        return await _times_page(request, link, choice, params, status=422)
    return await _details_page(request, link, choice, slot, params, {}, {})


async def _details_page(
    request: Request,
    link: OfficeLink,
    choice: Choice,
    slot: datetime,
    params: Mapping[str, object],
    values: Mapping[str, object],
    errors: Mapping[str, str],
) -> Response:
    location, _ = await bookings.resolve_link(link, _now(request))
    return render(
        request,
        "addon_details.html",
        {
            "link": link_values(params),
            "office": link,
            "location": location,
            "zone": zone_of(location),
            "choice": choice,
            "slot": slot,
            "slot_end": slot + timedelta(minutes=location.session_minutes),
            "values": values,
            "errors": _field_errors(request, errors),
        },
        status_code=422 if errors else 200,
    )


async def addon_book(request: Request) -> Response:
    form: FormData = await request.form()
    data = {key: form.get(key) for key in form}
    link = _link(request, data)
    choice, choice_errors = await _read_choice(data)
    if choice is None:
        return await _start_page(request, choice_errors, data)
    slot, _slot_errors = read_start({"start": data.get("slot", "")})
    if slot is None:
        return await _times_page(request, link, choice, data, status=422)
    contact, errors = read_contact(data)
    if contact is None:
        return await _details_page(request, link, choice, slot, data, data, errors)
    try:
        booked = await bookings.create_booking(
            link,
            choice,
            contact,
            slot,
            _now(request),
            ui_language=request.state.language,
            balance_rules=fairness.Rules.of(request.app.state.settings),
            mailer=request.app.state.mailer,
            limiter=request.app.state.limiter,
            reference_secret=request.app.state.settings.secret_key.value,
        )
    except SlotTaken:
        notice = translate(request, NOTICES["slot_taken"])
        return await _times_page(request, link, choice, data, notice=notice, status=409)
    # AlreadyBooked goes to the error handler, which explains it on the notice page.
    return RedirectResponse(f"/manage/{booked.manage_token}?done=booked", status_code=303)


# --- manage page -----------------------------------------------------------------------------


async def _find_booking(request: Request, token: str) -> Booking:
    """The booking of a manage link; its pages speak the language it was booked in."""
    booking = await bookings.find_booking(token)
    request.state.language = booked_language(request.state.language_choice, booking.ui_language)
    return booking


async def manage(request: Request) -> Response:
    token = request.path_params["token"]
    booking = await _find_booking(request, token)
    now = _now(request)
    return render(
        request,
        "manage.html",
        {
            "booking": booking,
            "token": token,
            "zone": zone_of(booking.location),
            "changeable": bookings.changeable(booking, now),
            "movable": bookings.movable(booking, now),
            "done": request.query_params.get("done", ""),
            "manage_url": f"{request.app.state.settings.base_url}/manage/{token}",
        },
    )


async def manage_reschedule(request: Request) -> Response:
    token = request.path_params["token"]
    booking = await _find_booking(request, token)
    now = _now(request)
    if request.method == "POST":
        form = await request.form()
        start, _errors = read_start({"start": form.get("slot", "")})
        notice_code = None
        if start is not None:
            try:
                await bookings.reschedule(
                    token,
                    start,
                    now,
                    fairness.Rules.of(request.app.state.settings),
                    request.app.state.mailer,
                    request.app.state.limiter,
                )
                return RedirectResponse(f"/manage/{token}?done=moved", status_code=303)
            except SlotTaken:
                notice_code = "slot_taken"
            except NotChangeable:
                notice_code = "not_changeable"
        status = 409 if notice_code else 422
        return await _reschedule_page(request, token, booking, now, notice_code, status)
    return await _reschedule_page(request, token, booking, now, None, 200)


async def _reschedule_page(
    request: Request, token: str, booking: Any, now: datetime, notice_code: str | None, status: int
) -> Response:
    changeable = bookings.movable(booking, now)
    slots = await bookings.reschedule_offer(booking, now) if changeable else []
    notice = None
    if notice_code:
        notice = translate(request, NOTICES[notice_code])
    before, after = _split(slots, booking.appointment.start) if booking.appointment else ([], [])
    # A follow-up has no appointment to be before or after: its times by day.
    days: dict[date, list[Slot]] = {}
    if not booking.appointment:
        for slot in slots:
            days.setdefault(local_date(slot.start, booking.location), []).append(slot)
    return render(
        request,
        "manage_reschedule.html",
        {
            "booking": booking,
            "token": token,
            "zone": zone_of(booking.location),
            "changeable": changeable,
            "before": before,
            "after": after,
            "days": days,
            "notice": notice,
        },
        status_code=status,
    )


async def manage_cancel(request: Request) -> Response:
    token = request.path_params["token"]
    if request.method == "POST":
        try:
            await bookings.cancel(token, _now(request), request.app.state.mailer)
        except NotChangeable:
            return await _manage_notice(request, token, "not_changeable")
        return RedirectResponse(f"/manage/{token}?done=cancelled", status_code=303)
    booking = await _find_booking(request, token)
    return render(
        request,
        "manage_confirm.html",
        {"booking": booking, "token": token, "zone": zone_of(booking.location), "action": "cancel"},
    )


async def manage_delete(request: Request) -> Response:
    token = request.path_params["token"]
    if request.method == "POST":
        await bookings.erase_personal_data(
            token,
            _now(request),
            request.app.state.mailer,
            secret=request.app.state.settings.secret_key.value,
        )
        return RedirectResponse(f"/manage/{token}?done=erased", status_code=303)
    booking = await _find_booking(request, token)
    return render(
        request,
        "manage_confirm.html",
        {"booking": booking, "token": token, "zone": zone_of(booking.location), "action": "delete"},
    )


async def _manage_notice(request: Request, token: str, code: str) -> Response:
    await _find_booking(request, token)  # in the booking's language
    notice = translate(request, NOTICES[code])
    return render(request, "notice.html", {"notice": notice, "back": f"/manage/{token}"}, 409)


# --- the short code from a follow-up's slip ----------------------------------------------------

SHORT_CODE_UNKNOWN = N_("No session has this code. Please check the code on your slip.")


async def short_code(request: Request) -> Response:
    """The form for the code printed on a follow-up's slip (GET), and opening the session's
    manage page with it (POST: every try counts against the client limit, which makes
    guessing hopeless; see booking/services/short_codes.py)."""
    if request.method == "GET":
        return render(request, "manage_code.html", {"code": "", "error": None})
    typed = (await request.form()).get("code")
    typed = typed.strip() if isinstance(typed, str) else ""
    url = None
    try:
        booking = await short_codes.find_by_short_code(
            request.app.state.settings.secret_key.value, typed, _now(request)
        )
        url = request.app.state.mailer.manage_url(booking, booking.manage_token_hash)
    except NotFound:
        pass
    if url is None:
        error = translate(request, SHORT_CODE_UNKNOWN)
        context = {"code": typed[: short_codes.MAX_TYPED], "error": error}
        return render(request, "manage_code.html", context, status_code=404)
    return RedirectResponse(url, status_code=303)


routes = [
    Route("/", home, name="home"),
    Route("/privacy", privacy, name="privacy"),
    Route("/add-on", addon_start, name="addon_start"),
    Route("/add-on/times", addon_times, name="addon_times"),
    Route("/add-on/details", addon_details, name="addon_details"),
    Route("/add-on/book", client_limited(addon_book), methods=["POST"], name="addon_book"),
    Route("/m", client_limited(short_code), methods=["GET", "POST"], name="short_code"),
    Route("/manage/{token}", manage, name="manage"),
    Route(
        "/manage/{token}/reschedule",
        client_limited(manage_reschedule),
        methods=["GET", "POST"],
        name="manage_reschedule",
    ),
    Route(
        "/manage/{token}/cancel",
        client_limited(manage_cancel),
        methods=["GET", "POST"],
        name="manage_cancel",
    ),
    Route(
        "/manage/{token}/delete",
        client_limited(manage_delete),
        methods=["GET", "POST"],
        name="manage_delete",
    ),
]
