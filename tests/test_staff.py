"""Staff accounts, sign-in, CSRF, throttling, API tokens and the access matrix."""

from __future__ import annotations

import re

import httpx2 as httpx
from starlette.routing import Route

from booking.access import PERMISSIONS
from booking.app import create_app
from booking.models import ApiToken, AuditEntry, StaffUser
from tests.conftest import STAFF_PASSWORD, Service, make_settings

PASSWORD = STAFF_PASSWORD
ROLE_ACCOUNTS = {"admin": "admin", "reception": "reception", "counsellor": "awo1"}


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page carries a CSRF field"
    return match.group(1)


async def sign_in(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    page = await client.get("/login?lang=en")
    return await client.post(
        "/login",
        data={"username": username, "password": password, "csrf": csrf_of(page.text)},
    )


async def test_sign_in_and_out(staff: Service) -> None:
    response = await sign_in(staff.client, "admin")
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    home = await staff.client.get("/staff")
    assert home.status_code == 200 and "admin" in home.text
    out = await staff.client.post("/logout", data={"csrf": csrf_of(home.text)})
    assert out.status_code == 303
    assert (await staff.client.get("/staff")).status_code == 303


async def test_wrong_password_and_unknown_name_read_the_same(staff: Service) -> None:
    wrong = await sign_in(staff.client, "admin", "nope-nope-nope")
    unknown = await sign_in(staff.client, "nobody", "nope-nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    assert "The user name or the password is wrong." in wrong.text
    assert re.sub(r'value="[^"]*"', "", wrong.text).replace("admin", "") == re.sub(
        r'value="[^"]*"', "", unknown.text
    ).replace("nobody", "")


async def test_five_failures_for_a_name_throttle_it(staff: Service) -> None:
    for _ in range(5):
        assert (await sign_in(staff.client, "admin", "wrong-wrong-wrong")).status_code == 401
    assert (await sign_in(staff.client, "admin")).status_code == 429  # even the right password
    staff.clock.now += __import__("datetime").timedelta(minutes=16)
    assert (await sign_in(staff.client, "admin")).status_code == 303


async def test_five_failures_from_one_client_throttle_it(staff: Service) -> None:
    for number in range(5):
        await sign_in(staff.client, f"guess{number}", "wrong-wrong-wrong")
    assert (await sign_in(staff.client, "reception")).status_code == 429
    token = await staff.client.post(
        "/api/v1/auth/token", json={"username": "reception", "password": PASSWORD}
    )
    assert token.status_code == 429


async def test_forms_without_the_csrf_token_are_refused(staff: Service) -> None:
    await staff.client.get("/login")
    no_token = await staff.client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert no_token.status_code == 403
    await sign_in(staff.client, "admin")
    forged = await staff.client.post(
        "/staff/users",
        data={"username": "mallory", "role": "admin", "password": "x" * 12, "csrf": "forged"},
    )
    assert forged.status_code == 403
    assert not await StaffUser.exists(username="mallory")


async def test_cookies_are_secure_outside_demo_mode(database: str) -> None:
    settings = make_settings(database, demo=False)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
            response = await client.get("/login")
    assert "secure" in response.headers["set-cookie"].lower()


async def test_password_change_ends_other_sessions(staff: Service) -> None:
    await sign_in(staff.client, "caritas1")
    transport = httpx.ASGITransport(app=staff.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
        await sign_in(other, "caritas1")
        page = await staff.client.get("/staff/password")
        changed = await staff.client.post(
            "/staff/password",
            data={
                "current": PASSWORD,
                "new": "a-new-password",
                "repeat": "a-new-password",
                "csrf": csrf_of(page.text),
            },
        )
        assert changed.status_code == 303
        assert (await staff.client.get("/staff")).status_code == 200  # this session stays
        assert (await other.get("/staff")).status_code == 303  # the other one ends
    assert (await sign_in(staff.client, "caritas1", "a-new-password")).status_code == 303


async def test_admin_creates_and_disables_an_account(staff: Service) -> None:
    await sign_in(staff.client, "admin")
    page = await staff.client.get("/staff/users")
    created = await staff.client.post(
        "/staff/users",
        data={
            "username": "newdesk",
            "role": "reception",
            "password": "long-enough-1",
            "csrf": csrf_of(page.text),
        },
    )
    assert created.status_code == 303
    user = await StaffUser.get(username="newdesk")
    token = (
        await staff.client.post(
            "/api/v1/auth/token", json={"username": "newdesk", "password": "long-enough-1"}
        )
    ).json()["token"]
    confirm = await staff.client.get(f"/staff/users/{user.id}/active")
    assert confirm.status_code == 200 and "newdesk" in confirm.text
    disabled = await staff.client.post(
        f"/staff/users/{user.id}/active", data={"active": "0", "csrf": csrf_of(confirm.text)}
    )
    assert disabled.status_code == 303
    me = await staff.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    actions = {(e.action, e.record_type) for e in await AuditEntry.all()}
    assert {("create", "staff_user"), ("disable", "staff_user")} <= actions


async def test_api_tokens(staff: Service) -> None:
    bad = await staff.client.post("/api/v1/auth/token", json={"username": "admin", "password": "x"})
    assert (bad.status_code, bad.json()) == (401, {"error": "bad_credentials"})
    response = await staff.client.post(
        "/api/v1/auth/token", json={"username": "reception", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "reception" and body["expires"] and len(body["token"]) >= 40
    stored = await ApiToken.get(user__username="reception")
    assert body["token"] not in stored.token_hash
    me = await staff.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert me.json() == {"username": "reception", "role": "reception"}
    await sign_in(staff.client, "admin")
    page = await staff.client.get("/staff/tokens")
    revoked = await staff.client.post(
        f"/staff/tokens/{stored.id}/revoke", data={"csrf": csrf_of(page.text)}
    )
    assert revoked.status_code == 303
    again = await staff.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert again.status_code == 401


def _staff_routes() -> list[tuple[str, str, str]]:
    """Every staff route of the application with its permission: (method, path, permission)."""
    out = []
    app = create_app(make_settings("sqlite://:memory:"))
    for route in app.routes:
        permission = getattr(route, "permission", None)
        if permission is None or not isinstance(route, Route):
            continue
        path = re.sub(r"\{[a-z_]+:(?:id|bigid)\}", "999999", route.path)
        path = re.sub(r"\{[a-z_]+(:str)?\}", "x", path)
        for method in sorted(route.methods or {"GET"}):
            if method != "HEAD":
                out.append((method, path, permission))
    return out


STAFF_ROUTES = _staff_routes()


def test_every_permission_is_used_by_a_route() -> None:
    assert {p for _m, _p, p in STAFF_ROUTES} == set(PERMISSIONS)


async def test_access_matrix(staff: Service) -> None:
    tokens, clients, csrf = {}, {}, {}
    transport = httpx.ASGITransport(app=staff.app)
    for role, username in ROLE_ACCOUNTS.items():
        response = await staff.client.post(
            "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
        )
        tokens[role] = response.json()["token"]
        # One signed-in browser per role. Ids in paths name no record, so no request changes
        # what the next one finds (an admin's POST never disables the account it runs as).
        clients[role] = httpx.AsyncClient(transport=transport, base_url="http://test")
        await sign_in(clients[role], username)
        csrf[role] = csrf_of((await clients[role].get("/staff")).text)
    try:
        for method, path, permission in STAFF_ROUTES:
            is_api = path.startswith("/api/")
            staff.client.cookies.clear()
            anonymous = await staff.client.request(method, path)
            if is_api:
                assert anonymous.status_code == 401, (method, path)
            else:
                assert anonymous.status_code == 303, (method, path)
                assert anonymous.headers["location"].startswith("/login?next=")
            for role in ROLE_ACCOUNTS:
                if is_api:
                    response = await staff.client.request(
                        method, path, headers={"Authorization": f"Bearer {tokens[role]}"}
                    )
                else:
                    # A GET shows whether the role may enter; a POST must pass the CSRF check.
                    response = await clients[role].request(
                        method, path, data={"csrf": csrf[role]} if method == "POST" else None
                    )
                    assert response.headers.get("location", "")[:6] != "/login", (role, path)
                expected_in = role in PERMISSIONS[permission]
                if expected_in:
                    assert response.status_code not in (401, 403), (role, method, path)
                else:
                    assert response.status_code == 403, (role, method, path)
    finally:
        for client in clients.values():
            await client.aclose()
