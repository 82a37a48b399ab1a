"""What an administrator does to accounts beyond creating and disabling them: the guards that
keep an administrator in the service, and API tokens made in the browser. On every database.
(Role changes, password resets and lifting a sign-in block through the pages: test_staff.py.)"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest

from booking.errors import AccountInvalid
from booking.models import ADMIN, ApiToken, AuditEntry, StaffUser
from booking.services import accounts, api_tokens
from tests.conftest import Service
from tests.support.staff import PASSWORD, csrf_of, sign_in


async def second_admin(staff: Service) -> StaffUser:
    return await accounts.create_user("admin2", PASSWORD, ADMIN, "admin", staff.clock.now)


async def test_an_admin_cannot_demote_or_disable_their_own_account(staff: Service) -> None:
    """Before: the service took either change; only the page refused it."""
    own = await StaffUser.get(username="admin")
    await second_admin(staff)  # not the last one: the refusal is about oneself
    with pytest.raises(AccountInvalid) as demoted:
        await accounts.change_role(own.id, "reception", None, "admin", staff.clock.now)
    with pytest.raises(AccountInvalid) as disabled:
        await accounts.set_active(own.id, False, "admin", staff.clock.now)
    assert demoted.value.code == disabled.value.code == "own_account"
    stored = await StaffUser.get(id=own.id)
    assert (stored.role, stored.active) == (ADMIN, True)
    assert not await AuditEntry.filter(record_type="staff_user", record_id=str(own.id)).exists()


async def test_the_last_active_admin_can_be_neither_demoted_nor_disabled(staff: Service) -> None:
    own = await StaffUser.get(username="admin")
    for change in (
        accounts.change_role(own.id, "reception", None, "setup", staff.clock.now),
        accounts.set_active(own.id, False, "setup", staff.clock.now),
    ):
        with pytest.raises(AccountInvalid) as refused:
            await change
        assert refused.value.code == "last_admin"
    assert (await StaffUser.get(id=own.id)).role == ADMIN
    other = await second_admin(staff)
    await accounts.set_active(other.id, False, "admin", staff.clock.now)  # admin remains
    with pytest.raises(AccountInvalid):  # a disabled admin does not count
        await accounts.change_role(own.id, "reception", None, "setup", staff.clock.now)


@pytest.mark.parametrize("change", ["role", "disable"])
async def test_two_admins_demoting_each_other_at_once_leave_one(
    staff: Service, change: str
) -> None:
    first, other = await StaffUser.get(username="admin"), await second_admin(staff)

    async def take_away(target: StaffUser, actor: StaffUser) -> None:
        if change == "role":
            await accounts.change_role(
                target.id, "reception", None, actor.username, staff.clock.now
            )
        else:
            await accounts.set_active(target.id, False, actor.username, staff.clock.now)

    outcomes = await asyncio.gather(
        take_away(other, first), take_away(first, other), return_exceptions=True
    )
    refused = [o for o in outcomes if isinstance(o, AccountInvalid)]
    assert len(refused) == 1 and refused[0].code == "last_admin", outcomes
    assert await StaffUser.filter(role=ADMIN, active=True).count() == 1


async def test_the_pages_say_why_a_demotion_is_refused(staff: Service) -> None:
    own = await StaffUser.get(username="admin")
    await sign_in(staff.client, "admin")
    page = await staff.client.get(f"/staff/users/{own.id}/active?lang=en")
    refused = await staff.client.post(
        f"/staff/users/{own.id}/active", data={"active": "0", "csrf": csrf_of(page.text)}
    )
    assert refused.status_code == 403
    assert "You cannot take away your own administrator role" in refused.text
    assert (await StaffUser.get(id=own.id)).active


async def test_taking_administration_away_asks_first(staff: Service) -> None:
    other = await second_admin(staff)
    await sign_in(staff.client, "admin")
    page = await staff.client.get(f"/staff/users/{other.id}?lang=en")
    form = {"role": "reception", "counsellor": "", "csrf": csrf_of(page.text)}
    question = await staff.client.post(f"/staff/users/{other.id}/role", data=form)
    assert question.status_code == 200
    assert "Take administration away from admin2?" in question.text
    assert 'name="confirmed" value="1"' in question.text
    assert (await StaffUser.get(id=other.id)).role == ADMIN  # the question changes nothing
    confirmed = await staff.client.post(
        f"/staff/users/{other.id}/role", data={**form, "confirmed": "1"}
    )
    assert confirmed.status_code == 303
    assert (await StaffUser.get(id=other.id)).role == "reception"
    entry = await AuditEntry.get(action="change", record_id=str(other.id))
    assert (entry.actor, entry.summary) == ("admin", "role admin: -> reception:")


async def new_token(staff: Service, **form: str) -> tuple[int, str]:
    page = await staff.client.get("/staff/tokens?lang=en")
    response = await staff.client.post(
        "/staff/tokens?lang=en", data={"csrf": csrf_of(page.text), **form}
    )
    return response.status_code, response.text


async def test_an_admin_makes_a_token_in_the_browser(staff: Service) -> None:
    """Before: tokens came only from POST /api/v1/auth/token, with no label, and the list
    could not tell one display's token from another's."""
    reception = await StaffUser.get(username="reception")
    await sign_in(staff.client, "admin")
    status, html = await new_token(staff, label="Display hall B", owner=str(reception.id))
    assert status == 200, html
    match = re.search(r'<code[^>]*id="new-token"[^>]*>([^<]+)</code>', html)
    assert match, "the new token, shown this once"
    token = match.group(1)
    assert len(token) >= 40
    bearer = {"Authorization": f"Bearer {token}"}
    me = await staff.client.get("/api/v1/auth/me", headers=bearer)
    assert me.json() == {"username": "reception", "role": "reception"}  # the API's auth as before
    stored = await ApiToken.get(label="Display hall B")
    assert stored.user_id == reception.id and token not in stored.token_hash
    assert stored.expires_at - stored.created_at == api_tokens.TOKEN_LIFETIME

    listing = await staff.client.get("/staff/tokens?lang=en")
    assert token not in listing.text  # never again
    row = next(r for r in listing.text.split("<tr") if "Display hall B" in r)
    assert "reception" in row and "2026-11-23 07:00" in row  # used just now, local time
    assert "2027-02-21" in row  # valid for 90 days

    confirm = await staff.client.get(f"/staff/tokens/{stored.id}/revoke?lang=en")
    assert confirm.status_code == 200 and "Display hall B" in confirm.text
    assert (await staff.client.get("/api/v1/auth/me", headers=bearer)).status_code == 200
    revoked = await staff.client.post(
        f"/staff/tokens/{stored.id}/revoke", data={"csrf": csrf_of(confirm.text)}
    )
    assert revoked.status_code == 303
    assert (await staff.client.get("/api/v1/auth/me", headers=bearer)).status_code == 401
    entries = {
        (e.action, e.actor, e.summary)
        for e in await AuditEntry.filter(record_type="api_token", record_id=str(stored.id))
    }
    assert entries == {
        ("create", "admin", "Display hall B, for reception"),
        ("revoke", "admin", "Display hall B, for reception"),
    }
    gone = await staff.client.get(f"/staff/tokens/{2**31 - 1}/revoke")
    assert gone.status_code == 404


async def test_a_token_needs_a_label_and_an_owner_who_may_have_one(staff: Service) -> None:
    counsellor = await StaffUser.get(username="awo1")
    await sign_in(staff.client, "admin")
    for form, message in (
        ({"label": "  ", "owner": str(counsellor.id)}, "Please give the token a name"),
        ({"label": "x" * 101, "owner": str(counsellor.id)}, "at most 100 characters"),
        ({"label": "Tablet", "owner": "99999999999"}, "Please choose an account from the list."),
        ({"label": "Tablet", "owner": ""}, "Please choose an account from the list."),
    ):
        status, html = await new_token(staff, **form)
        assert status == 422 and message in html, form
    await accounts.reset_password(counsellor.id, "admin", staff.clock.now)
    status, html = await new_token(staff, label="Tablet", owner=str(counsellor.id))
    assert status == 422 and "must first choose a new password" in html
    await accounts.set_active(counsellor.id, False, "admin", staff.clock.now)
    status, html = await new_token(staff, label="Tablet", owner=str(counsellor.id))
    assert status == 422
    assert not await ApiToken.exists(label="Tablet")


async def test_last_use_is_written_at_most_every_few_minutes(staff: Service) -> None:
    user = await StaffUser.get(username="reception")
    issued = await api_tokens.issue_token(user, staff.clock.now, label="Kiosk")
    stored = await ApiToken.get(label="Kiosk")
    assert stored.last_used_at is None
    assert await api_tokens.user_for_token(issued.token, staff.clock.now) is not None
    first = (await ApiToken.get(id=stored.id)).last_used_at
    assert first == staff.clock.now
    later = staff.clock.now + timedelta(minutes=2)
    await api_tokens.user_for_token(issued.token, later)
    assert (await ApiToken.get(id=stored.id)).last_used_at == first  # not every request writes
    much_later = staff.clock.now + timedelta(minutes=6)
    await api_tokens.user_for_token(issued.token, much_later)
    assert (await ApiToken.get(id=stored.id)).last_used_at == much_later
