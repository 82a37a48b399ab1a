"""The coordinators' audit log (/staff/audit): who by name, when in local time, filters by
person, record and period that survive paging, and the filtered log as CSV. On every database."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from booking.models import AuditEntry, Counsellor, Location, StaffUser
from booking.services import fairness, walkins
from booking.services.accounts import audit
from tests.conftest import Service, at
from tests.support.staff import bearer, sign_in
from tests.support.walkins import act, call_next, register

WINTER_NOON_UTC = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)  # 12:00 in Hannover


async def deniz() -> Counsellor:
    return await Counsellor.get(accounts__username="awo1")


def table_rows(html: str) -> list[str]:
    """The text of each row of the log's table."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


async def test_desk_actions_are_recorded_under_the_account_that_pressed(staff: Service) -> None:
    """Before: the walk-in desk wrote the counsellor's id ("11") as the actor of every call,
    start and finish; whoever reads the log cannot tell who that was."""
    staff.clock.now = at(9)
    awo1 = await bearer(staff, "awo1")
    ticket = await register(staff, await bearer(staff, "reception"))
    assert (await call_next(staff, awo1)).status_code == 200
    await act(staff, awo1, ticket["id"], "start")
    await act(staff, awo1, ticket["id"], "finish")
    actors = {
        e.action: e.actor
        for e in await AuditEntry.filter(record_type="ticket", record_id=str(ticket["id"]))
    }
    assert actors == {"register": "reception", "call": "awo1", "start": "awo1", "finish": "awo1"}


async def test_a_call_from_a_script_is_recorded_under_the_counsellors_account(
    staff: Service,
) -> None:
    staff.clock.now = at(9)
    await register(staff, await bearer(staff, "reception"))
    location = await Location.get(code="hsc")
    rules = fairness.Rules.of(staff.settings)
    called = await walkins.call_next(await deniz(), location, staff.clock.now, rules, anyway=True)
    assert called.ticket is not None
    entry = await AuditEntry.get(action="call", record_id=str(called.ticket.id))
    assert entry.actor == "awo1"


async def test_the_log_names_people_and_records_in_local_time(staff: Service) -> None:
    counsellor = await deniz()
    user = await StaffUser.get(username="reception")
    await audit("awo1", "desk_arrive", "counsellor", counsellor.id, "hsc", WINTER_NOON_UTC)
    # Written before the fix: the counsellor's id where the account belongs.
    await audit(
        str(counsellor.id), "finish", "ticket", 999999, "", WINTER_NOON_UTC + timedelta(minutes=5)
    )
    await audit("admin", "reset", "staff_user", user.id, "password", WINTER_NOON_UTC)
    await sign_in(staff.client, "admin")
    page = await staff.client.get("/staff/audit?lang=en")
    assert page.status_code == 200
    rows = table_rows(page.text)
    # Local time, by name, and what was done in words.
    assert rows[0].startswith("2026-11-20 12:05:00 Deniz Y. (awo1) session finished")
    assert any(
        r.startswith("2026-11-20 12:00:00 Deniz Y. (awo1) at the desk")
        and "Deniz Y." in r.split("at the desk")[1]
        for r in rows
    )
    assert any("password reset" in r and "Account" in r and "reception" in r for r in rows)
    german = table_rows((await staff.client.get("/staff/audit?lang=de")).text)
    assert german[0].startswith("2026-11-20 12:05:00 Deniz Y. (awo1) Beratung beendet")
    assert "Times in Europe/Berlin" in page.text
    assert not re.search(rf">\s*{counsellor.id}\s*<", page.text)  # no bare ids where names are


async def test_the_log_filters_by_person_record_and_period(staff: Service) -> None:
    counsellor = await deniz()
    for day in range(1, 4):
        moment = datetime(2026, 11, day, 9, tzinfo=UTC)
        await audit("awo1", "desk_arrive", "counsellor", counsellor.id, "hsc", moment)
        await audit("admin", "update", "location", 1, "hsc", moment)
    await audit(
        str(counsellor.id), "call", "ticket", 3, "W 001", datetime(2026, 11, 2, 10, tzinfo=UTC)
    )
    await sign_in(staff.client, "admin")

    mine = await staff.client.get("/staff/audit?person=awo1&lang=en")
    assert len(table_rows(mine.text)) == 4  # three arrivals and the old entry under his id
    record = await staff.client.get(
        f"/staff/audit?record=counsellor&record_id={counsellor.id}&lang=en"
    )
    assert len(table_rows(record.text)) == 3
    period = await staff.client.get("/staff/audit?from=2026-11-02&to=2026-11-02&lang=en")
    assert len(table_rows(period.text)) == 3
    both = await staff.client.get("/staff/audit?person=admin&from=2026-11-02&lang=en")
    assert len(table_rows(both.text)) == 2

    for query, message in (
        ("from=2026-13-01", "Please give the date as year-month-day, for example 2026-11-23."),
        ("from=2026-11-03&to=2026-11-01", "The first day must not come after the last day."),
        ("person=%3Cscript%3E", "Please choose a person from the list."),
        ("record=no%20such%20thing", "Please choose a kind of record from the list."),
        ("record_id=" + "9" * 80, "Please enter at most 64 characters."),
    ):
        bad = await staff.client.get(f"/staff/audit?{query}&lang=en")
        assert bad.status_code == 422, query
        assert message in bad.text, query


async def test_paging_keeps_the_filters(staff: Service) -> None:
    start = datetime(2026, 11, 2, 8, tzinfo=UTC)
    for minute in range(60):
        await audit("admin", "update", "location", 1, "hsc", start + timedelta(minutes=minute))
    await audit("reception", "check_in", "booking", "ABH-1", "", start)
    await sign_in(staff.client, "admin")
    first = await staff.client.get("/staff/audit?person=admin&from=2026-11-02&lang=en")
    assert len(table_rows(first.text)) == 50
    older = re.search(r'href="\?([^"]*page=2[^"]*)"', first.text)
    assert older, "a link to the older entries"
    second = await staff.client.get(f"/staff/audit?{older.group(1).replace('&amp;', '&')}")
    rows = table_rows(second.text)
    assert len(rows) == 10 and all("admin" in r for r in rows)


async def test_the_filtered_log_as_csv(staff: Service) -> None:
    counsellor = await deniz()
    await audit("awo1", "desk_arrive", "counsellor", counsellor.id, "=cmd", WINTER_NOON_UTC)
    await audit("admin", "update", "location", 1, "hsc", WINTER_NOON_UTC)
    await sign_in(staff.client, "admin")
    response = await staff.client.get("/staff/audit.csv?person=awo1&lang=en")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "When (Europe/Berlin)"
    assert len(rows) == 2
    assert rows[1][:5] == ["2026-11-20 12:00:00", "Deniz Y.", "awo1", "at the desk", "Counsellor"]
    assert rows[1][6] == "Deniz Y." and rows[1][7] == "'=cmd"  # a typed text never runs
    bad = await staff.client.get("/staff/audit.csv?to=yesterday&lang=en")
    assert bad.status_code == 422
    await sign_in(staff.client, "reception")
    assert (await staff.client.get("/staff/audit.csv")).status_code == 403
