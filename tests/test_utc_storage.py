"""Every instant is stored in UTC, on both databases, whatever zone the value came in.

SQLite keeps a datetime as ISO text with the offset it was given and compares and sorts it as
text, so a single value stored as ``12:00+01:00`` sorts after ``11:30+00:00`` (12:30 in
Hannover). These tests run the writes of the service with a clock in Europe/Berlin and read
every datetime column back raw, past the ORM.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise import Tortoise, fields
from tortoise.backends.base.client import BaseDBAsyncClient

from booking.db import connection_label
from booking.models import Booking, Counsellor, Location, StaffUser
from booking.services import accounts, api_tokens, fairness, schedule, walkins
from booking.services.walkins import WalkInForm
from tests.conftest import Service, at
from tests.support.staff import bearer, sign_in

# Columns the flows below must have written, so that the check is never vacuous.
WRITTEN = {
    ("booking", "start"),
    ("booking", "end"),
    ("booking", "consent_at"),
    ("booking", "cancelled_at"),
    ("booking", "checked_in_at"),
    ("booking", "created_at"),
    ("booking", "updated_at"),
    ("office_appointment", "start"),
    ("outbox_message", "next_attempt_at"),
    ("outbox_message", "expires_at"),
    ("outbox_message", "created_at"),
    ("ticket", "arrived_at"),
    ("ticket", "queued_at"),
    ("ticket", "called_at"),
    ("ticket", "first_called_at"),
    ("counsellor", "desk_since"),
    ("staff_session", "created_at"),
    ("staff_session", "expires_at"),
    ("api_token", "created_at"),
    ("api_token", "expires_at"),
    ("audit_entry", "at"),
}


def _datetime_columns() -> list[tuple[str, str]]:
    columns = []
    for model in Tortoise.apps["models"].values():
        for field in model._meta.fields_map.values():
            if isinstance(field, fields.DatetimeField):
                columns.append((model._meta.db_table, field.source_field or field.model_field_name))
    return sorted(columns)


def _connection(service: Service) -> BaseDBAsyncClient:
    return Tortoise.get_connection(connection_label(service.settings.database_url))


async def _stored_offsets(service: Service) -> dict[tuple[str, str], set[str]]:
    """Per column, the UTC offsets its stored values carry, read raw."""
    connection = _connection(service)
    postgres = connection.capabilities.dialect == "postgres"
    found: dict[tuple[str, str], set[str]] = {}
    for table, column in _datetime_columns():
        if postgres:
            # timestamptz keeps the instant, never an offset: the column type is the check.
            kind = await connection.execute_query_dict(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = $1 AND column_name = $2",
                [table, column],
            )
            assert kind == [{"data_type": "timestamp with time zone"}], (table, column)
        rows = await connection.execute_query_dict(
            f'SELECT "{column}" AS value FROM "{table}" WHERE "{column}" IS NOT NULL'
        )
        if not rows:
            continue
        offsets = set()
        for row in rows:
            value = row["value"]
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
            offsets.add(str(moment.utcoffset()))
        found[(table, column)] = offsets
    return found


async def _book(service: Service, start: datetime, appointment: datetime) -> dict[str, str]:
    link = service.link(appointment)
    response = await service.client.post("/api/v1/bookings", json=service.booking_body(link, start))
    assert response.status_code == 201, response.text
    created: dict[str, str] = response.json()
    return created


async def test_every_stored_instant_is_utc(staff: Service) -> None:
    assert staff.clock.now.utcoffset() == timedelta(hours=1)  # the clock ticks in Hannover
    moved = await _book(staff, at(11), at(12, 40))
    response = await staff.client.post(
        f"/api/v1/bookings/{moved['manage_token']}/reschedule", json={"start": at(12).isoformat()}
    )
    assert response.status_code == 200, response.text
    cancelled = await _book(staff, at(9), at(9, 40))
    response = await staff.client.delete(f"/api/v1/bookings/{cancelled['manage_token']}")
    assert response.status_code == 200, response.text
    checked = await Booking.get(reference=moved["reference"])
    assert await schedule.check_in(checked.id, "reception", staff.clock.now)

    location = await Location.get(code="hsc")
    staff.clock.now = at(9)
    await walkins.register(location, WalkInForm("forms", "de", "", ""), "reception", at(9))
    someone = await Counsellor.get(display_name="Aylin K.")
    await walkins.call_next(someone, location, at(9), fairness.DEFAULT_RULES, anyway=True)
    user = await StaffUser.get(username="admin")
    await accounts.start_session(user, at(9))
    await api_tokens.issue_token(user, at(9))

    stored = await _stored_offsets(staff)
    assert set(stored) >= WRITTEN, WRITTEN - set(stored)
    not_utc = {column: offsets for column, offsets in stored.items() if offsets != {"0:00:00"}}
    assert not_utc == {}


async def test_a_moved_session_sorts_by_its_time(staff: Service) -> None:
    """The finding: a session moved to 12:00 was listed after one at 12:30 on SQLite."""
    later = await _book(staff, at(12, 30), at(13, 10))
    moved = await _book(staff, at(11), at(12, 40))
    response = await staff.client.post(
        f"/api/v1/bookings/{moved['manage_token']}/reschedule", json={"start": at(12).isoformat()}
    )
    assert response.status_code == 200, response.text
    api = await staff.client.get(
        "/api/v1/schedule?location=hsc&date=2026-11-23", headers=await bearer(staff, "admin")
    )
    assert api.status_code == 200, api.text
    order = [e["reference"] for e in api.json()["entries"]]
    assert order.index(moved["reference"]) < order.index(later["reference"])
    starts = [datetime.fromisoformat(e["start"]) for e in api.json()["entries"]]
    assert starts == sorted(starts)
    # The page and the print view list them as the API does.
    await sign_in(staff.client, "admin")
    for path in ("/staff/schedule", "/staff/schedule/print"):
        page = await staff.client.get(f"{path}?date=2026-11-23&lang=en")
        assert page.status_code == 200
        assert page.text.index(moved["reference"]) < page.text.index(later["reference"]), path
