"""Fair shares in the service: bookings balanced and explained, requested organisations,
cancellations, weight overrides, the fairness report, and decisions under concurrency."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import datetime, timedelta

from booking.balance import Tally
from booking.models import AllocationShare, Booking, Organisation
from booking.services import fairness
from booking.services.schedule import location_by_code
from tests.conftest import MONDAY, Service, at
from tests.support.staff import csrf_of, sign_in

MONTH = "2026-11"
RULES = fairness.DEFAULT_RULES


async def book(service: Service, start: datetime, **extra: str) -> Booking:
    link = service.link(start + timedelta(minutes=40))
    response = await service.client.post(
        "/api/v1/bookings", json=service.booking_body(link, start, **extra)
    )
    assert response.status_code == 201, response.text
    return await Booking.get(reference=response.json()["reference"]).prefetch_related(
        "organisation"
    )


async def tally() -> Tally:
    return await fairness.tally(await location_by_code("hsc"), MONTH, RULES)


def deviations(current: Tally) -> dict[str, float]:
    codes = set(current.entitlement) | set(current.actual)
    return {c: current.actual.get(c, 0) - current.entitlement.get(c, 0.0) for c in codes}


async def shares_of(booking: Booking) -> dict[str, float]:
    rows = await AllocationShare.filter(booking_id=booking.id).prefetch_related("organisation")
    return {row.organisation.code: row.share for row in rows}


TIMES = [at(h, m) for h in (8, 9, 10, 14, 15) for m in (0, 30)] + [at(11), at(13, 30)]


async def test_bookings_are_balanced_and_explained(service: Service) -> None:
    """German and forms: every organisation has a free counsellor at every time, so the
    deviation of every organisation stays below one session after every booking."""
    for start in TIMES:
        booking = await book(service, start)
        shares = await shares_of(booking)
        assert abs(sum(shares.values()) - 1) < 1e-9
        assert booking.allocation is not None
        assert booking.allocation["organisation"] == booking.organisation.code
        assert booking.allocation["rule"] in ("largest_shortfall", "tie_broken")
        standings = booking.allocation["standings"]
        assert {s["organisation"] for s in standings} == set(shares)
        assert standings[0]["organisation"] == booking.organisation.code  # the largest shortfall
        assert all(abs(d) < 1 for d in deviations(await tally()).values()), start
    assert len({b.organisation_id for b in await Booking.all()}) >= 5


async def test_an_organisation_asked_for(service: Service) -> None:
    link = service.link(at(10))
    everyone = await service.client.get(
        "/api/v1/availability", params={**link, "topic": "forms", "language": "fr"}
    )
    caritas_only = await service.client.get(
        "/api/v1/availability",
        params={**link, "topic": "forms", "language": "fr", "organisation": "caritas"},
    )
    drk_only = await service.client.get(
        "/api/v1/availability",
        params={**link, "topic": "forms", "language": "fr", "organisation": "drk"},
    )
    assert everyone.json()["slots"] and caritas_only.json()["slots"]  # Claire D. speaks French
    assert drk_only.json()["slots"] == [] and drk_only.json()["language_on_duty"] is False
    unknown = await service.client.get(
        "/api/v1/availability", params={**link, "organisation": "nobody"}
    )
    assert unknown.status_code == 422 and "organisation" in unknown.json()["fields"]

    booking = await book(service, at(9), organisation="lmdr")
    assert booking.organisation.code == "lmdr"
    assert booking.allocation is not None and booking.allocation["rule"] == "requested_organisation"
    assert await shares_of(booking) == {"lmdr": 1.0}
    refused = await service.client.post(
        "/api/v1/bookings",
        json=service.booking_body(service.link(at(11)), at(10), organisation="Bad Code!"),
    )
    assert refused.status_code == 422 and "organisation" in refused.json()["fields"]


async def test_the_start_page_offers_any_organisation_first(service: Service) -> None:
    link = service.link(at(10))
    page = await service.client.get("/add-on", params={**link, "lang": "en"})
    assert '<option value="">Any organisation (recommended)</option>' in page.text
    assert 'value="caritas"' in page.text
    times = await service.client.get(
        "/add-on/times",
        params={**link, "topic": "forms", "language": "de", "organisation": "awo", "lang": "en"},
    )
    assert times.status_code == 200 and "AWO Region Hannover" in times.text
    assert 'name="organisation" value="awo"' in times.text
    bad = await service.client.get(
        "/add-on/times",
        params={**link, "topic": "forms", "language": "de", "organisation": "zzz", "lang": "en"},
    )
    assert bad.status_code == 422 and "Please choose an organisation" in bad.text


async def test_cancelled_sessions_count_for_nobody(service: Service) -> None:
    first = await book(service, at(9))
    link = service.link(at(11))
    response = await service.client.post(
        "/api/v1/bookings", json=service.booking_body(link, at(10))
    )
    token = response.json()["manage_token"]
    before = await tally()
    assert sum(before.actual.values()) == 2
    assert abs(sum(before.entitlement.values()) - 2) < 1e-9
    assert (await service.client.delete(f"/api/v1/bookings/{token}")).status_code == 200
    after = await tally()
    assert sum(after.actual.values()) == 1 and abs(sum(after.entitlement.values()) - 1) < 1e-9
    assert after.actual == {first.organisation.code: 1}


async def test_no_shows_count_as_delivered_unless_set_otherwise(service: Service) -> None:
    booking = await book(service, at(9))
    await Booking.filter(id=booking.id).update(status="no_show")
    location = await location_by_code("hsc")
    counted = await fairness.tally(location, MONTH, fairness.Rules(no_shows_count=True))
    not_counted = await fairness.tally(location, MONTH, fairness.Rules(no_shows_count=False))
    assert sum(counted.actual.values()) == 1 and not_counted.actual == {}


async def test_a_reschedule_keeps_the_counsellor_or_decides_again(service: Service) -> None:
    link = service.link(at(11))
    made = await service.client.post("/api/v1/bookings", json=service.booking_body(link, at(10)))
    token = made.json()["manage_token"]
    booking = await Booking.get(reference=made.json()["reference"])
    moved = await service.client.post(
        f"/api/v1/bookings/{token}/reschedule", json={"start": at(9, 30).isoformat()}
    )
    assert moved.status_code == 200
    again = await Booking.get(id=booking.id)
    if again.counsellor_id == booking.counsellor_id:
        assert again.allocation == booking.allocation  # kept: no new decision
    assert abs(sum((await shares_of(again)).values()) - 1) < 1e-9
    assert await AllocationShare.filter(booking_id=booking.id).count() == len(
        again.allocation["standings"] if again.allocation else []
    )


async def test_a_weight_set_by_hand_applies_from_then_on(staff: Service) -> None:
    first = await book(staff, at(9))
    await sign_in(staff.client, "admin")
    page = await staff.client.get("/staff/fairness?lang=en")
    assert page.status_code == 200 and "Fair shares" in page.text
    saved = await staff.client.post(
        f"/staff/fairness/weights?location=hsc&month={MONTH}",
        data={"organisation": "drk", "weight": "80", "csrf": csrf_of(page.text)},
    )
    assert saved.status_code == 303
    wrong = await staff.client.post(
        f"/staff/fairness/weights?location=hsc&month={MONTH}",
        data={"organisation": "drk", "weight": "lots", "csrf": csrf_of(page.text)},
    )
    assert wrong.status_code == 422
    second = await book(staff, at(10))
    drk = next(s for s in second.allocation["standings"] if s["organisation"] == "drk")  # type: ignore[index]
    assert (drk["weight"], drk["weight_source"]) == (80, "override")
    assert second.organisation.code == "drk"  # by far the largest shortfall now
    before = next(s for s in first.allocation["standings"] if s["organisation"] == "drk")  # type: ignore[index]
    assert before["weight"] != 80  # earlier decisions keep their shares
    why = await staff.client.get(f"/staff/bookings/{second.id}/allocation?lang=en")
    assert why.status_code == 200 and "set by hand" in why.text
    assert "DRK Region Hannover" in why.text and second.reference in why.text


async def test_the_report_page_and_csv(staff: Service) -> None:
    for start in TIMES[:6]:
        await book(staff, start)
    await sign_in(staff.client, "admin")
    page = await staff.client.get(f"/staff/fairness?month={MONTH}&lang=en")
    assert page.status_code == 200 and "<svg" in page.text
    for organisation in await Organisation.all():
        assert organisation.name in page.text
    sheet = await staff.client.get(f"/staff/fairness.csv?month={MONTH}&lang=de")
    assert sheet.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Standort", "Monat", "Träger", "Gewicht", "Anteil in Prozent"]
    assert sum(int(row[6]) for row in rows[1:]) == 6
    assert all("," in row[5] or row[5] == "0,00" for row in rows[1:])
    # Figures are numbers to Excel: a negative deviation is "-0,57", never the text "'-0,57".
    assert any(row[7].startswith("-") for row in rows[1:])
    assert not any(value.startswith("'") for row in rows[1:] for value in row[3:])
    bad = await staff.client.get("/staff/fairness?month=2026-13")
    assert bad.status_code == 422

    staff.client.cookies.clear()
    await sign_in(staff.client, "caritas1")
    own = await staff.client.get(f"/staff/fairness?month={MONTH}&lang=en")
    assert "Caritasverband Hannover" in own.text and "DRK Region Hannover" not in own.text
    assert "Change a weight" not in own.text


async def test_simultaneous_bookings_are_decided_one_after_another(service: Service) -> None:
    """Twelve applicants at once, at twelve times: every decision sees the ones before it,
    so the month's tally holds exactly twelve sessions and twelve whole shares, and the
    deviation bound holds as if they had come one by one."""

    async def one(start: datetime) -> int:
        link = service.link(start + timedelta(minutes=40))
        response = await service.client.post(
            "/api/v1/bookings", json=service.booking_body(link, start)
        )
        return response.status_code

    statuses = await asyncio.gather(*(one(start) for start in TIMES))
    assert statuses == [201] * len(TIMES)
    current = await tally()
    assert sum(current.actual.values()) == len(TIMES)
    assert abs(sum(current.entitlement.values()) - len(TIMES)) < 1e-9
    assert all(abs(d) < 1 for d in deviations(current).values())


async def test_the_demo_month_is_balanced(service: Service) -> None:
    from booking.demo_history import load_demo_history

    await load_demo_history(MONDAY.replace(hour=7))
    current = await tally()
    assert sum(current.actual.values()) > 100
    assert all(abs(d) <= 2 for d in deviations(current).values()), deviations(current)


async def test_weights_are_shown_with_shares_that_add_up_to_100(staff: Service) -> None:
    """DRK set to 25: the page summed the weights, labelled percent, to 112.6 %. It shows each
    weight as a weight, and each organisation's share of 100 % beside it."""
    await sign_in(staff.client, "admin")
    page = await staff.client.get(f"/staff/fairness?month={MONTH}&lang=en")
    saved = await staff.client.post(
        f"/staff/fairness/weights?location=hsc&month={MONTH}",
        data={"organisation": "drk", "weight": "25", "csrf": csrf_of(page.text)},
    )
    assert saved.status_code == 303
    page = await staff.client.get(f"/staff/fairness?month={MONTH}&lang=en")
    assert "Weight in percent" not in page.text
    assert '<th scope="col">Weight</th>' in page.text
    assert "divided by the sum of all weights" in page.text  # what a weight means
    shares = [float(s) for s in re.findall(r'<td class="share">([0-9.]+)&nbsp;%</td>', page.text)]
    weights = [float(w) for w in re.findall(r'<td class="weight">([0-9.]+)', page.text)]
    assert len(shares) == len(weights) >= 5 and 25.0 in weights
    assert round(sum(shares), 1) == 100.0
    assert '<td class="share-total">100.0&nbsp;%</td>' in page.text
    drk = weights.index(25.0)
    assert abs(shares[drk] - 100 * 25 / sum(weights)) < 0.2  # the weights shown are rounded

    sheet = await staff.client.get(f"/staff/fairness.csv?month={MONTH}&lang=en")
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][3:5] == ["Weight", "Share in percent"]
    assert round(sum(float(row[4].replace(",", ".")) for row in rows[1:]), 1) == 100.0
