"""Input at the web boundary: ids, dates, codes, numbers and text that no handler may choke on.

Each case here answered 500 once (issue 13): an id past the INTEGER column, a digit that
``str.isdigit`` accepts and ``int`` does not, a date at the end of the calendar, a NUL byte that
PostgreSQL refuses, JSON nested a thousand deep, a body too large, a failure without the
security headers.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx2 as httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from booking.models import Booking, Organisation, Ticket
from booking.web.middleware import SECURITY_HEADERS
from booking.web.params import (
    MAX_ID,
    numbers_up_to,
    parse_json,
    query_without_controls,
    without_controls,
)
from tests.conftest import STAFF_PASSWORD, Service, at
from tests.support.staff import bearer, csrf_of, sign_in

TOO_LARGE_IDS = [2**31, 2**63, 10**20]


@given(st.integers(0, 10**12))
def test_the_id_pattern_matches_exactly_the_ids_a_column_holds(number: int) -> None:
    matched = re.fullmatch(numbers_up_to(MAX_ID), str(number)) is not None
    assert matched == (0 < number <= MAX_ID)


@pytest.mark.parametrize("limit", [1, 7, 10, 99, 100, 2**31 - 1, 2**63 - 1])
def test_the_pattern_ends_at_its_limit(limit: int) -> None:
    pattern = numbers_up_to(limit)
    assert re.fullmatch(pattern, str(limit))
    assert not re.fullmatch(pattern, str(limit + 1))
    assert not re.fullmatch(pattern, "0") and not re.fullmatch(pattern, "01")


def _id_routes(service: Service) -> list[tuple[str, str]]:
    found = []
    for route in service.app.routes:
        path = getattr(route, "path", "")
        if re.search(r"\{\w+:(int|id|bigid)\}", path):
            for method in sorted(getattr(route, "methods", None) or {"GET"}):
                if method != "HEAD":
                    found.append((method, path))
    return found


async def test_ids_past_the_column_name_nothing_in_any_path(staff: Service) -> None:
    routes = _id_routes(staff)
    assert len(routes) >= 25, routes
    headers = await bearer(staff, "admin")
    home = await sign_in(staff.client, "admin")
    assert home.status_code == 303
    csrf = csrf_of((await staff.client.get("/staff")).text)
    answers = {}
    for method, template in routes:
        for number in TOO_LARGE_IDS:
            path = re.sub(r"\{\w+:(int|id|bigid)\}", str(number), template)
            path = re.sub(r"\{action\}", "start", path)
            if path.startswith("/api/"):
                response = await staff.client.request(method, path, headers=headers, json={})
            elif method == "POST":
                response = await staff.client.post(path, data={"csrf": csrf})
            else:
                response = await staff.client.get(path)
            answers[(method, path)] = response.status_code
    assert {key: status for key, status in answers.items() if status != 404} == {}


async def _signed_in(staff: Service) -> dict[str, str]:
    await sign_in(staff.client, "admin")
    return await bearer(staff, "admin")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/staff/schedule?counsellor=²", 422),
        ("/staff/schedule?counsellor=2147483648", 422),
        ("/staff/schedule?date=9999-12-31", 422),
        ("/staff/schedule?date=0001-01-01", 422),
        ("/staff/schedule/print?date=9999-12-31", 422),
        ("/staff/schedule?organisation=" + "a" * 40, 404),
        ("/api/v1/schedule?location=hsc&counsellor=²", 422),
        ("/api/v1/schedule?location=hsc&counsellor=-1", 422),
        ("/api/v1/schedule?location=hsc&date=9999-12-31", 422),
        ("/api/v1/schedule?location=hsc&date=0001-01-01", 422),
        ("/api/v1/schedule?location=hsc&organisation=" + "a" * 40, 404),
        ("/api/v1/schedule?location=" + "h" * 40, 404),
        ("/staff/audit?page=²", 200),
        ("/staff/audit?page=" + "9" * 20, 200),
        ("/staff/admin/mail?page=²", 200),
        ("/staff/fairness?month=9999-12", 422),
        ("/staff/fairness?month=0000-01", 422),
        ("/staff/statistics?from=9999-11&to=9999-12", 422),
    ],
)
async def test_queries_out_of_range_are_refused_or_clamped(
    staff: Service, path: str, status: int
) -> None:
    headers = await _signed_in(staff)
    response = await staff.client.get(path, headers=headers if path.startswith("/api/") else {})
    assert response.status_code == status, response.text[:300]
    if path.startswith("/api/"):
        assert response.headers["content-type"].startswith("application/json")


async def test_a_new_account_with_a_strange_counsellor_number_is_refused(staff: Service) -> None:
    await sign_in(staff.client, "admin")
    page = await staff.client.get("/staff/users")
    for counsellor in ("²", "9" * 12):
        response = await staff.client.post(
            "/staff/users",
            data={
                "username": "newcomer",
                "password": "a-long-password-1",
                "role": "counsellor",
                "counsellor": counsellor,
                "csrf": csrf_of(page.text),
            },
        )
        assert response.status_code == 422, response.text[:300]


# --- control characters ------------------------------------------------------------------------
# Each of these answered 500 on PostgreSQL, which refuses NUL in text. A control character now
# reads as U+FFFD: the value names nothing and is answered as any unknown or malformed one.


async def test_a_nul_in_a_user_name_is_a_wrong_name(staff: Service) -> None:
    page = await staff.client.get("/login")
    form = await staff.client.post(
        "/login",
        data={"username": "ad\x00min", "password": STAFF_PASSWORD, "csrf": csrf_of(page.text)},
    )
    assert form.status_code == 401
    token = await staff.client.post(
        "/api/v1/auth/token", json={"username": "ad\x00min", "password": STAFF_PASSWORD}
    )
    assert token.status_code == 401 and token.json() == {"error": "bad_credentials"}


async def test_a_nul_in_a_code_or_a_signed_reference_names_nothing(staff: Service) -> None:
    headers = await bearer(staff, "admin")
    await sign_in(staff.client, "admin")
    for path in (
        "/api/v1/schedule?location=h%00sc",
        "/api/v1/schedule?location=hsc&organisation=a%00wo",
        "/api/v1/locations/h%00sc/display",
        "/api/v1/bookings/x%00y",
        "/staff/schedule?location=h%00sc",
        "/staff/reception?location=h%01sc",
    ):
        response = await staff.client.get(path, headers=headers)
        assert response.status_code == 404, (path, response.text[:300])
    link = staff.link(at(10), ref="ABH-\x00-1")  # signed with the NUL in it
    page = await staff.client.get("/add-on/times", params={**link, "topic": "forms"})
    assert page.status_code == 403 and "text/html" in page.headers["content-type"]
    api = await staff.client.get("/api/v1/availability", params=link)
    assert api.status_code == 403 and api.json() == {"error": "bad_signature"}


async def test_a_nul_in_a_form_or_json_body_is_a_field_error(service: Service) -> None:
    link = service.link(at(10))
    body = service.booking_body(link, at(11), name="Amina\x00")
    api = await service.client.post("/api/v1/bookings", json=body)
    assert api.status_code == 422 and set(api.json()["fields"]) == {"name"}
    form = {**link, "topic": "forms", "language": "de", "slot": at(11).isoformat()}
    form |= {"name": "Amina\x00", "email": "a@example.org", "consent": "on"}
    page = await service.client.post("/add-on/book", data=form)
    assert page.status_code == 422
    multipart = await service.client.post("/add-on/book", data=form, files={"x": ("x", b"")})
    assert multipart.status_code == 422
    assert not await Booking.exists()
    # Tabs and line breaks are text; the rest of the form arrives as it was sent.
    fine = {**form, "name": "Amina Test"}
    assert (await service.client.post("/add-on/book", data=fine)).status_code == 303
    assert (await Booking.get()).name == "Amina Test"


def test_control_characters_become_the_replacement_character() -> None:
    assert (
        without_controls("a\x00b\x1bc\x7fd\x85e\tf\ng\rh")
        == "a\ufffdb\ufffdc\ufffdd\ufffde\tf\ng\rh"
    )
    assert without_controls("x\ud800y") == "x\ufffdy"
    assert query_without_controls(b"a=1&b=x%00y&c=%C3%BC") == b"a=1&b=x%EF%BF%BDy&c=%C3%BC"
    assert query_without_controls(b"a=1&b=%C3%BC+x") == b"a=1&b=%C3%BC+x"  # untouched
    assert parse_json(b'{"a\\u0000": ["\\u0001", {"b": "\\u0000"}], "c": 1}') == {
        "a\ufffd": ["\ufffd", {"b": "\ufffd"}],
        "c": 1,
    }


# --- JSON nested deep ---------------------------------------------------------------------------


async def test_json_nested_a_thousand_deep_is_a_bad_request(staff: Service) -> None:
    reception, counsellor = await bearer(staff, "reception"), await bearer(staff, "awo1")
    deep = b"[" * 1000
    for path, headers, status in (
        ("/api/v1/bookings", {}, 400),
        ("/api/v1/bookings/whatever/reschedule", {}, 400),
        ("/api/v1/auth/token", {}, 422),
        ("/api/v1/locations/hsc/walk-ins", reception, 400),
        ("/api/v1/queue/call-next", counsellor, 400),
    ):
        response = await staff.client.post(
            path, content=deep, headers={**headers, "content-type": "application/json"}
        )
        assert response.status_code == status, (path, response.text[:300])
        assert response.headers["content-type"].startswith("application/json")


async def test_a_transfer_with_json_nested_deep_is_a_bad_request(staff: Service) -> None:
    counsellor = await bearer(staff, "awo1")
    registered = await staff.client.post(
        "/api/v1/locations/hsc/walk-ins",
        json={"topic": "forms", "language": "de"},
        headers=await bearer(staff, "reception"),
    )
    ticket = registered.json()["id"]
    response = await staff.client.post(
        f"/api/v1/walk-ins/{ticket}/transfer", content=b"[" * 1000, headers=counsellor
    )
    assert response.status_code == 400
    assert await Ticket.exists(id=ticket)


# --- the office link ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start",
    [
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=14))),
        datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=14))),
    ],
)
async def test_a_signed_link_at_the_end_of_time_is_refused(
    service: Service, start: datetime
) -> None:
    link = service.link(start)
    page = await service.client.get("/add-on", params=link)
    assert page.status_code == 403 and "text/html" in page.headers["content-type"]
    api = await service.client.get("/api/v1/availability", params=link)
    assert api.status_code == 403 and api.json() == {"error": "invalid_link"}


# --- too large, and failures: JSON under /api/, security headers everywhere --------------------


def _has_security_headers(response: httpx.Response) -> bool:
    return all(response.headers.get(name) == value for name, value in SECURITY_HEADERS.items())


async def test_too_large_bodies_answer_in_the_format_of_the_route(service: Service) -> None:
    big = b"x" * (service.settings.max_body_bytes + 1)
    for method, path in (("POST", "/api/v1/bookings"), ("GET", "/api/v1/openapi.json")):
        response = await service.client.request(
            method, path, content=big, headers={"content-type": "application/json"}
        )
        assert response.status_code == 413, path
        assert response.json() == {"error": "too_large"}
        assert _has_security_headers(response), response.headers

    # Sent in chunks without a Content-Length: refused once the bytes read pass the limit.
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(2):
            yield b"[" * 40_000

    streamed = await service.client.post("/api/v1/bookings", content=chunks())
    assert streamed.status_code == 413 and streamed.json() == {"error": "too_large"}
    page = await service.client.post(
        "/add-on/book?lang=en",
        content=big,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 413 and "Too much data" in page.text
    assert _has_security_headers(page)


async def _crash(request: Request) -> Response:
    raise RuntimeError("a bug")


async def test_a_server_error_carries_the_security_headers(service: Service) -> None:
    # A route that fails, added to the real application, stands for any bug.
    service.app.router.routes.append(Route("/api/v1/crash", _crash))
    service.app.router.routes.append(Route("/crash", _crash))
    api = await service.client.get("/api/v1/crash")
    assert api.status_code == 500 and api.json() == {"error": "server_error"}
    assert _has_security_headers(api)
    page = await service.client.get("/crash?lang=en")
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert _has_security_headers(page)


# --- an organisation that no longer takes part --------------------------------------------------


async def test_booking_with_an_organisation_no_longer_active_says_so(service: Service) -> None:
    link = service.link(at(10))
    form: dict[str, Any] = {**link, "topic": "forms", "language": "de", "slot": at(11).isoformat()}
    form |= {"organisation": "awo", "name": "Amina", "email": "a@example.org", "consent": "on"}
    await Organisation.filter(code="awo").update(active=False)
    response = await service.client.post("/add-on/book?lang=en", data=form)
    assert response.status_code == 422, response.text[:500]
    assert "This link does not work" not in response.text
    assert "no longer offers" in response.text
    api = await service.client.post(
        "/api/v1/bookings?lang=en", json=service.booking_body(link, at(11), organisation="awo")
    )
    assert api.status_code == 422
    assert "no longer offers" in api.json()["fields"]["organisation"]


async def test_a_lone_surrogate_in_json_is_no_server_error(staff: Service) -> None:
    # JSON can spell a UTF-16 half ("\ud800") that no database driver can encode.
    for body in (
        b'{"username": "\\ud800", "password": "x"}',
        b'{"username": "admin", "password": "\\udfff"}',
    ):
        response = await staff.client.post(
            "/api/v1/auth/token", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 401, response.text[:300]
    walk_in = await staff.client.post(
        "/api/v1/queue/call-next",
        content=b'{"location": "h\\ud800sc"}',
        headers={**await bearer(staff, "awo1"), "content-type": "application/json"},
    )
    assert walk_in.status_code == 404, walk_in.text[:300]
