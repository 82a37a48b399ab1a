"""No input of any kind gives a 500 or a stack trace.

Hypothesis throws arbitrary query strings, JSON bodies, forms and paths at every route that the
OpenAPI document and the page table name, half of them built around a validly signed link so
that the deeper code is reached too. Schemathesis (``make fuzz-api``, tests/fuzz_api.py) joins
them from outside: the real service against its own OpenAPI document, with every role.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.testclient import TestClient

from booking.app import create_app
from booking.demo import load_demo, load_demo_accounts
from booking.demo_history import load_demo_history
from booking.models import (
    BOOKED,
    FAILED,
    Booking,
    Counsellor,
    Location,
    Organisation,
    OutboxMessage,
    Room,
    StaffUser,
    WorkShift,
)
from booking.services import api_tokens, outbox
from tests.conftest import DATABASES, NOW, Clock, Service, at, clear_database, make_settings

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
FIELDS = [
    "ref",
    "start",
    "duration",
    "location",
    "expires",
    "sig",
    "topic",
    "language",
    "slot",
    "name",
    "email",
    "phone",
    "consent",
    "lang",
]


@pytest.fixture(scope="module", params=DATABASES)
def client(request: pytest.FixtureRequest, migrated: dict[str, str]) -> Iterator[TestClient]:
    app = create_app(make_settings(migrated[request.param]), clock=Clock(NOW))
    with TestClient(app, raise_server_exceptions=True) as test_client:

        async def prepare() -> None:
            await clear_database()
            await load_demo()
            await load_demo_accounts("fuzz-password-1")
            admin = await StaffUser.get(username="admin")
            ADMIN_TOKEN["current"] = (await api_tokens.issue_token(admin, NOW)).token
            for username in ("reception", "awo1"):  # the walk-in queue's roles
                user = await StaffUser.get(username=username)
                ROLE_TOKENS[username] = (await api_tokens.issue_token(user, NOW)).token

        assert test_client.portal is not None
        test_client.portal.call(prepare)
        yield test_client


# The admin token of the database under test: fuzzed requests also get past the sign-in.
ADMIN_TOKEN: dict[str, str] = {}
ROLE_TOKENS: dict[str, str] = {}


def _link() -> dict[str, str]:
    """A validly signed link, so that fuzzed values reach past the signature check."""
    holder = Service.__new__(Service)
    holder.clock = Clock(NOW)
    return holder.link(at(10), ref="ABH-fuzz")


def _assert_fine(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert "Traceback" not in response.text


params = st.dictionaries(st.sampled_from(FIELDS), TEXT, max_size=8)
maybe_link = st.booleans()

PATHS_GET = [
    "/",
    "/privacy",
    "/add-on",
    "/add-on/times",
    "/add-on/details",
    "/api/v1/availability",
    "/api/v1/openapi.json",
]


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS_GET), query=params, with_link=maybe_link)
def test_get_routes_with_any_query(
    client: TestClient, path: str, query: dict[str, str], with_link: bool
) -> None:
    merged = {**_link(), **query} if with_link else query
    _assert_fine(client.get(path, params=merged))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=JSON_VALUE,
    fields=st.dictionaries(st.sampled_from(FIELDS), JSON_VALUE, max_size=8),
    with_link=maybe_link,
)
def test_booking_api_with_any_json(
    client: TestClient, body: Any, fields: dict[str, Any], with_link: bool
) -> None:
    if with_link:
        body = {
            "appointment": _link(),
            "start": at(11).isoformat(),
            "topic": "forms",
            "language": "de",
            "name": "A",
            "email": "a@example.org",
            "consent": True,
            **fields,
        }
    _assert_fine(
        client.post(
            "/api/v1/bookings",
            content=json.dumps(body),
            headers={"content-type": "application/json"},
        )
    )
    _assert_fine(client.post("/api/v1/bookings/whatever/reschedule", content=json.dumps(body)))


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(st.sampled_from(FIELDS), TEXT, max_size=10), with_link=maybe_link)
def test_booking_form_with_any_fields(
    client: TestClient, form: dict[str, str], with_link: bool
) -> None:
    data = {**_link(), **form} if with_link else form
    _assert_fine(client.post("/add-on/book", data=data))


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    token=st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/?#%"),
        min_size=1,
        max_size=60,
    ),
    action=st.sampled_from(["", "/reschedule", "/cancel", "/delete"]),
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT"]),
)
def test_manage_routes_with_any_token(
    client: TestClient, token: str, action: str, method: str
) -> None:
    _assert_fine(client.request(method, f"/manage/{token}{action}", data={"slot": token}))
    _assert_fine(client.request(method, f"/api/v1/bookings/{token}"))


def test_broken_headers_do_not_break_pages(client: TestClient) -> None:
    response = client.get("/", headers={"Cookie": 'lang="\x7f;;;=', "Accept-Language": ";;q=x,"})
    _assert_fine(response)
    assert response.status_code == 200


def _operations() -> list[tuple[str, str, list[str]]]:
    """Every operation of the OpenAPI document: (method, path template, query parameter names)."""
    from booking.web.openapi import openapi_document

    operations = []
    for path, item in openapi_document("http://test")["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            operations.append((method.upper(), path, names))
    return operations


OPERATIONS = _operations()
PATH_SEGMENT = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/?#%"),
    min_size=1,
    max_size=40,
)
# Bodies with the walk-in queue's fields, so that fuzzed values reach its handlers' work.
QUEUE_BODY = st.dictionaries(
    st.sampled_from(
        [
            "topic",
            "language",
            "priority",
            "name",
            "location",
            "anyway",
            "counsellor",
            "organisation",
        ]
    ),
    JSON_VALUE | st.sampled_from(["forms", "de", "children", "hsc", "awo", True, 1, 5]),
    max_size=5,
)
# Path parameters: any segment, or now and then one that names something real.
PATH_VALUES = {
    "code": st.just("hsc") | PATH_SEGMENT,
    "id": st.integers(0, 30).map(str) | PATH_SEGMENT,
    "action": st.sampled_from(
        ["recall", "start", "finish", "no-show", "park", "resume", "transfer"]
    )
    | PATH_SEGMENT,
}


@settings(
    max_examples=300,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_every_operation_of_the_openapi_document(client: TestClient, data: st.DataObject) -> None:
    method, template, query_names = data.draw(st.sampled_from(OPERATIONS))
    path = re.sub(
        r"\{([a-z_]+)\}",
        lambda m: data.draw(PATH_VALUES.get(m.group(1), PATH_SEGMENT)),
        template,
    )
    query = data.draw(st.dictionaries(st.sampled_from([*query_names, "lang"]), TEXT, max_size=8))
    if data.draw(st.booleans()) and "sig" in query_names:
        query = {**_link(), **query}
    if data.draw(st.booleans()) and "counsellor" in query_names:
        query["location"] = "hsc"  # a real location, so the other parameters are read
    body = data.draw(JSON_VALUE | QUEUE_BODY) if method in ("POST", "PUT") else None
    headers = {"content-type": "application/json"}
    if data.draw(st.booleans()):
        token = data.draw(st.sampled_from([ADMIN_TOKEN["current"], *ROLE_TOKENS.values()]))
        headers["authorization"] = f"Bearer {token}"
    response = client.request(
        method,
        path,
        params=query,
        content=None if body is None else json.dumps(body),
        headers=headers,
    )
    event(f"{method} {template} {response.status_code}")
    _assert_fine(response)
    if response.status_code == 204:  # call-next when nobody fits: no body at all
        assert response.content == b""
    else:
        assert response.headers["content-type"].startswith("application/json")


WALK_IN_BODY = st.fixed_dictionaries(
    {
        "topic": st.sampled_from(["forms", "health"]) | TEXT,
        "language": st.sampled_from(["de", "ar", "fa-AF"]) | TEXT,
    },
    optional={"priority": st.sampled_from(["", "children"]) | TEXT, "name": TEXT},
)
QUEUE_OPERATIONS = [(m, p) for m, p, _q in OPERATIONS if "walk-ins" in p or "queue" in p] + [
    ("POST", "/api/v1/bookings/{reference}/check-in"),
    ("GET", "/api/v1/locations/{code}/display"),
]


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_walk_in_queue_with_any_input(client: TestClient, data: st.DataObject) -> None:
    """The queue's operations with the role each is for, a real location, and bodies with its
    fields: so that fuzzed values get past the sign-in and reach the service."""
    method, template = data.draw(st.sampled_from(QUEUE_OPERATIONS))
    values = {
        "code": st.sampled_from(["hsc", "hsc", "nowhere"]),
        "id": st.integers(1, 12).map(str),
        "action": PATH_VALUES["action"],
    }
    path = re.sub(
        r"\{([a-z_]+)\}", lambda m: data.draw(values.get(m.group(1), PATH_SEGMENT)), template
    )
    role = "reception" if "check-in" in path or path.endswith("/walk-ins") else "awo1"
    body = data.draw(WALK_IN_BODY | QUEUE_BODY | JSON_VALUE) if method == "POST" else None
    response = client.request(
        method,
        path,
        params={"lang": data.draw(st.sampled_from(["de", "en"]))},
        content=None if body is None else json.dumps(body),
        headers={"authorization": f"Bearer {ROLE_TOKENS[role]}"},
    )
    event(f"{method} {template} {response.status_code}")
    _assert_fine(response)


def test_the_document_names_the_contracted_operations() -> None:
    assert {(m, p) for m, p, _ in OPERATIONS} >= {
        ("GET", "/api/v1/availability"),
        ("POST", "/api/v1/bookings"),
        ("GET", "/api/v1/bookings/{token}"),
        ("DELETE", "/api/v1/bookings/{token}"),
        ("POST", "/api/v1/bookings/{token}/reschedule"),
        ("POST", "/api/v1/locations/{code}/walk-ins"),
        ("POST", "/api/v1/queue/call-next"),
        ("POST", "/api/v1/walk-ins/{id}/{action}"),
        ("GET", "/api/v1/locations/{code}/display"),
        ("GET", "/api/v1/walk-ins/status/{token}"),
        ("POST", "/api/v1/bookings/{reference}/check-in"),
    }


STAFF_FIELDS = [
    "date", "view", "location", "organisation", "counsellor", "status", "topics", "referral",
    "note", "return_to", "name", "code", "address", "timezone", "session_minutes",
    "buffer_minutes", "window_minutes", "notice_minutes", "holiday_subdivision", "weekday",
    "starts", "ends", "hours", "day", "reason", "kind", "room", "languages", "email",
    "display_name", "target_weight", "active", "decision", "move", "from", "to", "page",
    "username", "role", "password", "lang",
]  # fmt: skip


def _staff_routes() -> list[tuple[str, str]]:
    app = create_app(make_settings("sqlite://:memory:"))
    found = []
    for route in app.routes:
        path: str = getattr(route, "path", "")
        if getattr(route, "permission", None) is None or path in ("/logout",):
            continue
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method != "HEAD":
                found.append((method, path))
    return found


STAFF_ROUTES = _staff_routes()
KNOWN_IDS: list[int] = []  # ids of real records, so fuzzed paths reach the handlers' work


@pytest.fixture(scope="module")
def admin_client(client: TestClient) -> TestClient:
    """The fuzz client, signed in as an admin (so staff pages run their handlers)."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    signed_in = client.post(
        "/login",
        data={"username": "admin", "password": "fuzz-password-1", "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303

    async def known_ids() -> None:
        await load_demo_history(NOW)
        # Messages for the mail pages, as a booking writes them; one of them failed for good.
        upcoming = await Booking.filter(start__gt=NOW, status=BOOKED).first()
        assert upcoming is not None
        app = client.app
        assert isinstance(app, Starlette)
        written = await outbox.record_change(app.state.mailer, None, upcoming, NOW)
        await OutboxMessage.filter(id=written[0].id).update(status=FAILED, last_error="refused")
        for model in (Location, Organisation, Counsellor, Room, WorkShift, Booking, OutboxMessage):
            ids: list[Any] = await model.all().limit(20).values_list("id", flat=True)
            KNOWN_IDS.extend(ids)

    assert client.portal is not None
    client.portal.call(known_ids)
    return client


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_staff_route_with_any_input(admin_client: TestClient, data: st.DataObject) -> None:
    import re

    method, template = data.draw(st.sampled_from(STAFF_ROUTES))
    # Past the INTEGER and BIGINT columns too: such ids once answered 500 (issue 13).
    ids = st.integers(0, 60) | st.sampled_from(KNOWN_IDS or [1]) | st.integers(2**31, 2**70)
    path = re.sub(r"\{[a-z_]+:(?:id|bigid)\}", lambda _m: str(data.draw(ids)), template)
    path = re.sub(r"\{[a-z_]+\}", lambda _m: data.draw(PATH_SEGMENT), path)
    odd = ["²", "9" * 20, "9999-12-31", "0001-01-01", "a\x00b", "a" * 40]  # once each a 500
    values = st.one_of(
        TEXT, st.integers(-5, 3000).map(str), st.sampled_from(["", "1", "hsc", *odd])
    )
    fields = data.draw(st.dictionaries(st.sampled_from(STAFF_FIELDS), values, max_size=8))
    if method == "GET":
        response = admin_client.get(path, params=fields, follow_redirects=False)
    else:
        csrf = admin_client.get("/staff").text
        token = re.search(r'name="csrf" value="([^"]+)"', csrf)
        assert token, "still signed in"
        response = admin_client.post(
            path, data={**fields, "csrf": token.group(1)}, follow_redirects=False
        )
    event(f"{method} {template} {response.status_code}")
    _assert_fine(response)


@settings(max_examples=2)
@given(st.integers())
def test_a_slow_example_is_not_a_failure(number: int) -> None:
    """The test profiles (tests/conftest.py) set no deadline: an example slowed down by a
    loaded machine must not fail with DeadlineExceeded (Hypothesis's default is 200 ms)."""
    time.sleep(0.25)
