"""Staff accounts, sign-in, CSRF, throttling, API tokens and the access matrix."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx2 as httpx
from starlette.routing import Route

from booking.access import PERMISSIONS
from booking.app import create_app
from booking.models import ApiToken, AuditEntry, Counsellor, StaffSession, StaffUser
from tests.conftest import Service, make_settings
from tests.support.staff import PASSWORD, csrf_of, sign_in

ROLE_ACCOUNTS = {"admin": "admin", "reception": "reception", "counsellor": "awo1"}


async def change_password(
    client: httpx.AsyncClient, current: str, new: str, page: str | None = None
) -> httpx.Response:
    """The signed-in user's own change on /staff/password (``page``: its HTML, if fetched)."""
    html = page if page is not None else (await client.get("/staff/password")).text
    return await client.post(
        "/staff/password",
        data={"current": current, "new": new, "repeat": new, "csrf": csrf_of(html)},
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
    staff.clock.now += timedelta(minutes=16)
    assert (await sign_in(staff.client, "admin")).status_code == 303


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
        changed = await change_password(staff.client, PASSWORD, "a-new-password")
        assert changed.status_code == 303
        assert (await staff.client.get("/staff")).status_code == 200  # this session stays
        assert (await other.get("/staff")).status_code == 303  # the other one ends
    assert (await sign_in(staff.client, "caritas1", "a-new-password")).status_code == 303


async def test_logout_ends_the_session_on_the_server(staff: Service) -> None:
    await sign_in(staff.client, "reception")
    copied = dict(staff.client.cookies)
    home = await staff.client.get("/staff")
    assert (
        await staff.client.post("/logout", data={"csrf": csrf_of(home.text)})
    ).status_code == 303
    transport = httpx.ASGITransport(app=staff.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", cookies=copied
    ) as thief:
        response = await thief.get("/staff")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert await StaffSession.filter(user__username="reception").count() == 0


async def test_a_session_ends_after_ten_hours_without_a_request(staff: Service) -> None:
    await sign_in(staff.client, "reception")
    staff.clock.now += timedelta(hours=9)
    assert (await staff.client.get("/staff")).status_code == 200  # in use: it goes on
    staff.clock.now += timedelta(hours=9)
    assert (await staff.client.get("/staff")).status_code == 200
    staff.clock.now += timedelta(hours=10, minutes=1)
    assert (await staff.client.get("/staff")).status_code == 303


async def test_password_change_revokes_the_api_tokens(staff: Service) -> None:
    token = (
        await staff.client.post(
            "/api/v1/auth/token", json={"username": "caritas1", "password": PASSWORD}
        )
    ).json()["token"]
    await sign_in(staff.client, "caritas1")
    changed = await change_password(staff.client, PASSWORD, "a-new-password")
    assert changed.status_code == 303
    me = await staff.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    assert await ApiToken.filter(user__username="caritas1", revoked_at=None).count() == 0


async def test_admin_resets_a_password_that_must_be_changed(staff: Service) -> None:
    target = await StaffUser.get(username="caritas1")
    transport = httpx.ASGITransport(app=staff.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as user:
        await sign_in(user, "caritas1")
        token = (
            await user.post(
                "/api/v1/auth/token", json={"username": "caritas1", "password": PASSWORD}
            )
        ).json()["token"]
        await sign_in(staff.client, "admin")
        confirm = await staff.client.get(f"/staff/users/{target.id}/reset")
        assert confirm.status_code == 200 and "caritas1" in confirm.text
        # Typed as a tuple by tortoise; flat=True gives the value.
        stored: Any = await StaffUser.get(id=target.id).values_list("password_hash", flat=True)
        assert stored == target.password_hash  # the question changes nothing
        reset = await staff.client.post(
            f"/staff/users/{target.id}/reset", data={"csrf": csrf_of(confirm.text)}
        )
        assert reset.status_code == 200 and reset.headers["cache-control"] == "no-store"
        match = re.search(r"<code[^>]*>([^<]+)</code>", reset.text)
        assert match
        temporary = match.group(1)
        # Signed out everywhere, tokens revoked, the old password gone.
        assert (await user.get("/staff")).status_code == 303
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await user.get("/api/v1/auth/me", headers=bearer)).status_code == 401
        assert (await sign_in(user, "caritas1")).status_code == 401
        # The temporary password signs in, straight to the password page and nowhere else.
        signed_in = await sign_in(user, "caritas1", temporary)
        assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/staff/password")
        elsewhere = await user.get("/staff/schedule")
        assert (elsewhere.status_code, elsewhere.headers["location"]) == (303, "/staff/password")
        refused = await user.post(
            "/api/v1/auth/token", json={"username": "caritas1", "password": temporary}
        )
        assert (refused.status_code, refused.json()) == (
            403,
            {"error": "password_change_required"},
        )
        page = await user.get("/staff/password?lang=en")
        assert "An administrator has reset your password" in page.text
        same = await change_password(user, temporary, temporary, page.text)
        assert same.status_code == 422
        assert "The new password must differ from the current one." in same.text
        changed = await change_password(user, temporary, "mine-and-only-mine", page.text)
        assert changed.status_code == 303
        assert (await user.get("/staff/schedule")).status_code == 200
    entry = await AuditEntry.get(action="reset", record_id=str(target.id))
    assert (entry.actor, entry.record_type, entry.summary) == ("admin", "staff_user", "password")
    own = await StaffUser.get(username="admin")
    assert (await staff.client.get(f"/staff/users/{own.id}/reset")).status_code == 403


async def test_admin_changes_a_role(staff: Service) -> None:
    target = await StaffUser.get(username="reception")
    await sign_in(staff.client, "admin")
    page = await staff.client.get(f"/staff/users/{target.id}?lang=en")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    missing = await staff.client.post(
        f"/staff/users/{target.id}/role", data={"role": "counsellor", "csrf": csrf}
    )
    assert missing.status_code == 422
    assert "A counsellor account needs a counsellor profile." in missing.text
    nonsense = await staff.client.post(
        f"/staff/users/{target.id}/role",
        data={"role": "counsellor", "counsellor": "99999999999999999999", "csrf": csrf},
    )
    assert nonsense.status_code == 422
    bad_role = await staff.client.post(
        f"/staff/users/{target.id}/role", data={"role": "root", "csrf": csrf}
    )
    assert bad_role.status_code == 422 and "Please choose a role." in bad_role.text
    assert (await StaffUser.get(id=target.id)).role == "reception"
    counsellor = await Counsellor.filter(active=True).order_by("id").first()
    assert counsellor is not None
    changed = await staff.client.post(
        f"/staff/users/{target.id}/role",
        data={"role": "counsellor", "counsellor": str(counsellor.id), "csrf": csrf},
    )
    assert changed.status_code == 303
    stored = await StaffUser.get(id=target.id)
    assert (stored.role, stored.counsellor_id) == ("counsellor", counsellor.id)
    back = await staff.client.post(
        f"/staff/users/{target.id}/role",
        data={"role": "reception", "counsellor": str(counsellor.id), "csrf": csrf},
    )
    assert back.status_code == 303
    stored = await StaffUser.get(id=target.id)
    assert (stored.role, stored.counsellor_id) == ("reception", None)
    summaries = [
        e.summary
        for e in await AuditEntry.filter(action="change", record_id=str(target.id)).order_by("id")
    ]
    assert summaries == [
        f"role reception: -> counsellor:{counsellor.id}",
        f"role counsellor:{counsellor.id} -> reception:",
    ]
    own = await StaffUser.get(username="admin")
    demote = await staff.client.post(
        f"/staff/users/{own.id}/role", data={"role": "reception", "csrf": csrf}
    )
    assert demote.status_code == 403 and (await StaffUser.get(id=own.id)).role == "admin"
    assert (await staff.client.get(f"/staff/users/{2**63}")).status_code == 404


async def test_admin_lifts_a_sign_in_throttle(staff: Service) -> None:
    target = await StaffUser.get(username="awo1")
    transport = httpx.ASGITransport(app=staff.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as user:
        for _ in range(5):
            await sign_in(user, "awo1", "wrong-wrong-wrong")
        assert (await sign_in(user, "awo1")).status_code == 429
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=staff.app, client=("10.1.1.1", 1)),
            base_url="http://test",
        ) as admin:
            await sign_in(admin, "admin")
            page = await admin.get(f"/staff/users/{target.id}?lang=en")
            assert "Failed sign-ins in the last 15 minutes: 5" in page.text
            lifted = await admin.post(
                f"/staff/users/{target.id}/unlock", data={"csrf": csrf_of(page.text)}
            )
            assert lifted.status_code == 303
        assert (await sign_in(user, "awo1")).status_code == 303
    entry = await AuditEntry.get(action="unlock")
    assert (entry.actor, entry.record_id) == ("admin", str(target.id))


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


async def test_sign_in_never_redirects_to_another_site(staff: Service) -> None:
    """Browsers read a backslash as a slash: "/\\evil.example" leads to evil.example."""
    for target in (
        "/\\evil.example",
        "/\\/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "https://evil.example",
        "/\tevil.example",
        "/staff\r\nSet-Cookie: x=1",
    ):
        page = await staff.client.get("/login?lang=en")
        response = await staff.client.post(
            "/login",
            data={
                "username": "admin",
                "password": PASSWORD,
                "csrf": csrf_of(page.text),
                "next": target,
            },
        )
        assert response.status_code == 303, target
        location = response.headers["location"]
        assert location == "/staff" or (
            location.startswith("/") and "\\" not in location and not location.startswith("//")
        ), (target, location)
        await staff.client.post(
            "/logout", data={"csrf": csrf_of((await staff.client.get("/staff")).text)}
        )


async def test_staff_screens_are_never_kept_in_a_cache(staff: Service) -> None:
    """Reception and counsellors share office computers: the day's names and phone numbers
    must not stay in the browser's cache for the next person at the desk."""
    await sign_in(staff.client, "admin")
    for path in ("/staff", "/staff/schedule", "/staff/reception", "/staff/admin/mail"):
        answer = await staff.client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-store", path
    token = await staff.client.post(
        "/api/v1/auth/token", json={"username": "reception", "password": PASSWORD}
    )
    schedule = await staff.client.get(
        "/api/v1/schedule?location=hsc&date=2026-11-23",
        headers={"Authorization": f"Bearer {token.json()['token']}"},
    )
    assert schedule.status_code == 200 and schedule.headers["cache-control"] == "no-store"
    assert "cache-control" not in (await staff.client.get("/")).headers  # the public pages may
