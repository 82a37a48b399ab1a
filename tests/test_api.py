"""The JSON API's contract, on every database the run has."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from booking.models import Booking, Counsellor, Location, PlanException
from tests.conftest import MONDAY, Service, at


def _starts(body: dict[str, Any]) -> list[datetime]:
    return [datetime.fromisoformat(slot["start"]) for slot in body["slots"]]


async def test_availability_lists_slots_around_the_appointment(service: Service) -> None:
    link = service.link(at(10))
    response = await service.client.get(
        "/api/v1/availability", params={**link, "topic": "forms", "language": "de"}
    )
    assert response.status_code == 200
    starts = _starts(response.json())
    # 10:00-10:30 appointment, 10-minute buffers, 2-hour window, opening at 08:00.
    assert starts[0] == at(8)
    assert at(9, 30) not in starts and at(10, 30) not in starts
    assert at(9) in starts and at(11) in starts
    assert starts[-1] == at(12)
    assert all(s.utcoffset() == timedelta(hours=1) for s in starts)


async def test_availability_without_topic_or_language(service: Service) -> None:
    response = await service.client.get("/api/v1/availability", params=service.link(at(10)))
    assert response.status_code == 200
    assert len(response.json()["slots"]) > 0


async def test_availability_says_when_nobody_speaks_the_language(service: Service) -> None:
    # Only Semhar T. (kargah) speaks Tigrinya; she is away on Monday.
    semhar = await Counsellor.get(display_name="Semhar T.")
    hsc = await Location.get(code="hsc")
    await PlanException.create(counsellor=semhar, location=hsc, day=MONDAY.date(), kind="absence")
    response = await service.client.get(
        "/api/v1/availability", params={**service.link(at(10)), "topic": "forms", "language": "ti"}
    )
    body = response.json()
    assert response.status_code == 200
    assert body["slots"] == []
    assert body["language_on_duty"] is False
    assert body["fallback"]["de"] and body["fallback"]["en"]


async def test_book_then_get_then_cancel(service: Service) -> None:
    link = service.link(at(10))
    response = await service.client.post(
        "/api/v1/bookings", json=service.booking_body(link, at(11))
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) >= {
        "reference",
        "start",
        "end",
        "organisation",
        "room",
        "manage_token",
        "manage_url",
    }
    assert datetime.fromisoformat(created["start"]) == at(11)
    assert datetime.fromisoformat(created["end"]) == at(11, 30)
    assert created["manage_url"] == f"http://test/manage/{created['manage_token']}"
    assert len(created["manage_token"]) >= 22  # >= 128 bits, url-safe base64

    stored = await Booking.get(reference=created["reference"])
    assert stored.manage_token_hash != created["manage_token"]  # only the hash is kept
    assert created["manage_token"] not in (stored.manage_token_hash, stored.slot_key)

    token = created["manage_token"]
    detail = await service.client.get(f"/api/v1/bookings/{token}")
    assert detail.status_code == 200
    assert detail.json()["status"] == "booked"
    assert detail.json()["reference"] == created["reference"]

    cancelled = await service.client.delete(f"/api/v1/bookings/{token}")
    assert cancelled.status_code == 200
    assert cancelled.json() == {"status": "cancelled"}
    again = await service.client.delete(f"/api/v1/bookings/{token}")
    assert again.json() == {"status": "cancelled"}

    # The slot is free again: another appointment can take it.
    other = service.link(at(10), ref="ABH-other")
    rebooked = await service.client.post(
        "/api/v1/bookings", json=service.booking_body(other, at(11))
    )
    assert rebooked.status_code == 201


async def test_one_active_booking_per_office_appointment(service: Service) -> None:
    link = service.link(at(10), ref="ABH-4711")
    first = await service.client.post("/api/v1/bookings", json=service.booking_body(link, at(11)))
    assert first.status_code == 201
    second = await service.client.post("/api/v1/bookings", json=service.booking_body(link, at(12)))
    assert second.status_code == 409
    assert second.json()["error"] == "already_booked"
    # After cancelling, the appointment may be booked again.
    await service.client.delete(f"/api/v1/bookings/{first.json()['manage_token']}")
    third = await service.client.post("/api/v1/bookings", json=service.booking_body(link, at(12)))
    assert third.status_code == 201


async def test_slot_taken_offers_alternatives(service: Service) -> None:
    # Tigrinya: one counsellor only, so the second booking of 11:00 finds it taken.
    body = {"topic": "forms", "language": "ti"}
    first = await service.client.post(
        "/api/v1/bookings", json=service.booking_body(service.link(at(10)), at(11), **body)
    )
    assert first.status_code == 201
    second = await service.client.post(
        "/api/v1/bookings", json=service.booking_body(service.link(at(10)), at(11), **body)
    )
    assert second.status_code == 409
    payload = second.json()
    assert payload["error"] == "slot_taken"
    alternatives = [datetime.fromisoformat(a["start"]) for a in payload["alternatives"]]
    assert alternatives and at(11) not in alternatives


async def test_a_time_that_was_never_offered_is_refused(service: Service) -> None:
    response = await service.client.post(
        "/api/v1/bookings", json=service.booking_body(service.link(at(10)), at(10))
    )
    assert response.status_code == 409
    assert response.json()["error"] == "slot_taken"


async def test_invalid_fields_are_named(service: Service) -> None:
    body = service.booking_body(
        service.link(at(10)), at(11), email="not-an-address", consent=False, topic="cooking"
    )
    del body["name"]
    response = await service.client.post(
        "/api/v1/bookings", json=body, headers={"Accept-Language": "de"}
    )
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"] == "invalid"
    assert set(payload["fields"]) == {"name", "email", "consent", "topic"}


async def test_addresses_that_cannot_be_sent_to_are_refused(service: Service) -> None:
    for address in ("a..b@example.org", "a(b@example.org", "x@example.org(y"):
        body = service.booking_body(service.link(at(10)), at(11), email=address)
        response = await service.client.post(
            "/api/v1/bookings", json=body, headers={"Accept-Language": "en"}
        )
        assert response.status_code == 422, address
        assert set(response.json()["fields"]) == {"email"}
        assert response.json()["fields"]["email"].startswith("Please check the e-mail address")
        assert not await Booking.filter(email=address).exists()


async def test_invalid_field_messages_follow_the_language(service: Service) -> None:
    body = service.booking_body(service.link(at(10)), at(11), email="x")
    english = await service.client.post(
        "/api/v1/bookings", json=body, headers={"Accept-Language": "en"}
    )
    german = await service.client.post(
        "/api/v1/bookings", json=body, headers={"Accept-Language": "de"}
    )
    assert english.json()["fields"]["email"].startswith("Please check")
    assert german.json()["fields"]["email"] != english.json()["fields"]["email"]


async def test_link_problems(service: Service) -> None:
    good = service.link(at(10))
    tampered = {**good, "start": at(11).isoformat()}
    expired = service.link(at(10), expires=service.clock.now - timedelta(seconds=1))
    unknown = service.link(at(10), location="nowhere")
    past = service.link(service.clock.now - timedelta(hours=1))
    unsigned = {k: v for k, v in good.items() if k != "sig"}
    cases = [
        (tampered, 403, "bad_signature"),
        (unsigned, 403, "bad_signature"),
        (expired, 403, "expired"),
        (unknown, 404, "unknown_location"),
        (past, 403, "past"),
    ]
    for link, status, error in cases:
        response = await service.client.get("/api/v1/availability", params=link)
        assert (response.status_code, response.json()) == (status, {"error": error}), error
        booked = await service.client.post(
            "/api/v1/bookings", json=service.booking_body(link, at(11))
        )
        assert (booked.status_code, booked.json()["error"]) == (status, error)


async def test_link_numbers_may_be_json_numbers(service: Service) -> None:
    link = service.link(at(10))
    numeric = {**link, "duration": int(link["duration"]), "expires": int(link["expires"])}
    response = await service.client.post(
        "/api/v1/bookings", json=service.booking_body(numeric, at(11))
    )
    assert response.status_code == 201


async def test_reschedule_moves_within_the_window(service: Service) -> None:
    link = service.link(at(10))
    created = (
        await service.client.post("/api/v1/bookings", json=service.booking_body(link, at(11)))
    ).json()
    token = created["manage_token"]
    before = await Booking.get(reference=created["reference"])
    moved = await service.client.post(
        f"/api/v1/bookings/{token}/reschedule", json={"start": at(8, 30).isoformat()}
    )
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["start"]) == at(8, 30)
    after = await Booking.get(reference=created["reference"])
    assert after.sequence == before.sequence + 1
    assert after.slot_key != before.slot_key

    outside = await service.client.post(
        f"/api/v1/bookings/{token}/reschedule", json={"start": at(14).isoformat()}
    )
    assert outside.status_code == 409
    assert outside.json()["error"] == "slot_taken"

    garbage = await service.client.post(f"/api/v1/bookings/{token}/reschedule", json={"start": 5})
    assert garbage.status_code == 422


async def test_past_sessions_cannot_be_changed(service: Service) -> None:
    link = service.link(at(10))
    token = (
        await service.client.post("/api/v1/bookings", json=service.booking_body(link, at(11)))
    ).json()["manage_token"]
    service.clock.now = at(11, 5)
    response = await service.client.delete(f"/api/v1/bookings/{token}")
    assert response.status_code == 409
    assert response.json()["error"] == "not_changeable"


async def test_unknown_token_and_route(service: Service) -> None:
    assert (await service.client.get("/api/v1/bookings/nope")).status_code == 404
    missing = await service.client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found"}


async def test_bad_bodies(service: Service) -> None:
    not_json = await service.client.post(
        "/api/v1/bookings", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400
    a_list = await service.client.post("/api/v1/bookings", json=[1, 2])
    assert a_list.status_code == 400
    huge = await service.client.post(
        "/api/v1/bookings", content=b"x" * (service.settings.max_body_bytes + 1)
    )
    assert huge.status_code == 413


async def test_openapi_document_lists_the_routes(service: Service) -> None:
    response = await service.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/availability",
        "/api/v1/bookings",
        "/api/v1/bookings/{token}",
        "/api/v1/bookings/{token}/reschedule",
    } <= set(paths)
