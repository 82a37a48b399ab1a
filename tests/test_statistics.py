"""Statistics for coordinators: the service, the page and the CSV, on every database."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from booking.models import Booking, Counsellor, Location, OfficeAppointment, Organisation
from booking.services.statistics import UnknownLocation, gather, load_rows
from booking.statistics import months_between
from tests.conftest import BERLIN, Service
from tests.test_staff import sign_in


def berlin(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


async def add_booking(
    location: str,
    organisation: str,
    start: datetime,
    *,
    status: str = "attended",
    topic: str = "forms",
    language: str = "de",
    channel: str = "online",
    name: str = "Amina Test",
    email: str = "amina@example.org",
    phone: str = "+49 511 1234567",
    note: str = "",
) -> Booking:
    """A booking written straight into the database, as the booking service would leave it."""
    place = await Location.get(code=location)
    owner = await Organisation.get(code=organisation)
    counsellor = await Counsellor.filter(organisation=owner).order_by("id").first()
    assert counsellor is not None
    token = uuid.uuid4().hex
    appointment = await OfficeAppointment.create(
        location=place, ref=f"ABH-{token[:12]}", start=start.astimezone(UTC), duration_minutes=30
    )
    active = status != "cancelled"
    return await Booking.create(
        reference=f"T-{token[:12]}",
        location=place,
        appointment=appointment,
        counsellor=counsellor,
        organisation=owner,
        start=start.astimezone(UTC),
        end=(start + timedelta(minutes=30)).astimezone(UTC),
        topic=topic,
        language=language,
        channel=channel,
        status=status,
        name=name,
        email=email,
        phone=phone,
        outcome_note=note,
        consent_at=start.astimezone(UTC),
        manage_token_hash=hashlib.sha256(token.encode()).hexdigest(),
        slot_key=f"test-{token}" if active else None,
        appointment_key=f"test-{token}" if active else None,
        cancelled_at=start.astimezone(UTC) if not active else None,
    )


async def add_second_location() -> None:
    await Location.create(
        code="lgn", name="Bürgeramt Langenhagen", address="Marktplatz 1", timezone="Europe/Berlin"
    )


async def seed() -> None:
    """Two months and two locations, with every status; the clock stands at 23 Nov 2026."""
    await add_second_location()
    await add_booking("hsc", "awo", berlin(10, 15), status="attended")
    await add_booking(
        "hsc", "awo", berlin(10, 20), status="no_show", topic="housing", language="ar"
    )
    await add_booking("hsc", "caritas", berlin(11, 10), language="ar", channel="walk_in")
    await add_booking(
        "hsc", "caritas", berlin(11, 24), status="booked", topic="work", language="fa"
    )
    await add_booking("hsc", "drk", berlin(11, 12), status="cancelled")
    # 1 November 00:30 in Hannover is still 31 October in UTC: it belongs to November.
    await add_booking(
        "lgn", "kargah", berlin(11, 1, 0, 30), topic="family", language="uk", channel="walk_in"
    )
    await add_booking("lgn", "kargah", berlin(11, 16), status="booked", language="uk")
    await add_booking("hsc", "awo", berlin(5, 15))  # before the default period
    # 1 December 00:15 in Hannover is still 30 November in UTC: it belongs to December.
    await add_booking("hsc", "awo", berlin(12, 1, 0, 15), status="booked")


@pytest.fixture
async def admin(staff: Service) -> AsyncIterator[Service]:
    await seed()
    response = await sign_in(staff.client, "admin")
    assert response.status_code == 303
    yield staff


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


# -- the service ------------------------------------------------------------------------------


async def test_rows_are_counted_in_the_local_month(service: Service) -> None:
    await seed()
    now = service.clock.now
    rows = await load_rows("lgn", ("2026-11",), now)
    assert sorted((r.month, r.organisation, r.status, r.over) for r in rows) == [
        ("2026-11", "kargah", "attended", True),
        ("2026-11", "kargah", "booked", True),
    ]
    assert await load_rows("lgn", ("2026-10",), now) == []
    november = await load_rows(None, ("2026-11",), now)
    assert len(november) == 5  # three at hsc (one cancelled), two at lgn; not 1 December
    december = await load_rows("hsc", ("2026-12",), now)
    assert [(r.month, r.over) for r in december] == [("2026-12", False)]
    with pytest.raises(UnknownLocation):
        await load_rows("nowhere", ("2026-11",), now)


async def test_the_report_over_all_locations(service: Service) -> None:
    await seed()
    data = await gather(None, months_between("2026-06", "2026-11"), service.clock.now)
    overall = data.report.overall
    assert (overall.sessions, overall.attended, overall.no_show) == (6, 3, 1)
    assert (overall.not_recorded, overall.upcoming, overall.cancelled) == (1, 1, 1)
    assert overall.attended_rate == pytest.approx(0.6)
    assert overall.no_show_rate == pytest.approx(0.2)
    assert [o.sessions for o in data.report.by_month] == [0, 0, 0, 0, 2, 4]
    organisations = data.report.tables[0]
    assert dict(zip(organisations.keys, organisations.key_totals, strict=True)) == {
        "awo": 2,
        "caritas": 2,
        "kargah": 2,
    }
    assert data.organisations["kargah"] == "kargah e.V."
    assert ("lgn", "Bürgeramt Langenhagen") in data.locations


# -- the page ---------------------------------------------------------------------------------


async def test_the_page_shows_tables_and_charts(admin: Service) -> None:
    response = await admin.client.get("/staff/statistics?lang=en")
    assert response.status_code == 200, response.text
    html = response.text
    # The default period: six months up to the clock's month.
    assert 'value="2026-06"' in html and 'value="2026-11"' in html
    assert "Jun 2026" in html and "Nov 2026" in html and "Dec 2026" not in html
    charts = svgs(html)
    assert len(charts) == 5  # the overview and one per table
    for chart in charts:
        assert chart.get("role") == "img"
    assert html.count('class="table-scroll" tabindex="0" role="region"') == 5
    for label in (
        "AWO Region Hannover",
        "Caritasverband Hannover",
        "kargah e.V.",
        "Applications and forms",
        "Family life",
        "Arabic",
        "Ukrainian",
        "Booked online",
        "Walk-in",
        "Did not come",
    ):
        assert label in html, label
    assert "60.0\xa0%" in html and "20.0\xa0%" in html  # attended and no-show rates
    assert 'href="/staff/statistics.csv?location=&amp;from=2026-06&amp;to=2026-11"' in html
    assert "Amina" not in html and "example.org" not in html


async def test_filters_narrow_the_page(admin: Service) -> None:
    one_place = await admin.client.get("/staff/statistics?location=lgn&lang=en")
    assert one_place.status_code == 200
    assert "kargah e.V." in one_place.text and "AWO Region Hannover" not in one_place.text
    assert '<option value="lgn" selected>' in one_place.text
    one_month = await admin.client.get("/staff/statistics?from=2026-10&to=2026-10&lang=en")
    assert "Oct 2026" in one_month.text and "Nov 2026" not in one_month.text
    assert "Caritasverband Hannover" not in one_month.text  # only in November
    may = await admin.client.get("/staff/statistics?from=2026-05&to=2026-05&lang=en")
    assert "AWO Region Hannover" in may.text and "Caritasverband Hannover" not in may.text


async def test_an_empty_period_says_so(admin: Service) -> None:
    response = await admin.client.get("/staff/statistics?from=2025-01&to=2025-03&lang=en")
    assert response.status_code == 200
    assert "No sessions in this period." in response.text
    assert svgs(response.text) == [] and "<table" not in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13", "Please enter the month as YYYY-MM"),
        ("to=November", "Please enter the month as YYYY-MM"),
        ("from=1999-12", "Please enter the month as YYYY-MM"),
        ("from=%D9%A2%D9%A0%D9%A2%D9%A6-01", "Please enter the month as YYYY-MM"),
        ("from=2026-11&to=2026-01", "must not come after"),
        ("from=2020-01&to=2026-11", "at most 36 months"),
        ("location=nowhere", "Please choose a location from the list."),
        ("location=%3Cscript%3E%00", "Please choose a location from the list."),
    ],
)
async def test_invalid_filters_are_explained(admin: Service, query: str, message: str) -> None:
    page = await admin.client.get(f"/staff/statistics?{query}&lang=en")
    assert page.status_code == 422 and message in page.text
    assert 'role="alert"' in page.text and "<svg" not in page.text
    assert "<script>" not in page.text
    download = await admin.client.get(f"/staff/statistics.csv?{query}&lang=en")
    assert download.status_code == 422 and message in download.text


# -- the CSV ----------------------------------------------------------------------------------


async def test_the_csv_opens_in_german_excel(admin: Service) -> None:
    response = await admin.client.get("/staff/statistics.csv?lang=en")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="statistik-2026-06-2026-11.csv"'
    )
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == 8 and b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    header, *months, total = rows
    assert len(months) == 6 and [row[1] for row in months][-1] == "2026-11"
    assert all(len(row) == len(header) for row in rows)
    line = dict(zip(header, total, strict=True))
    assert line["Location"] == "All locations" and line["Month"] == "Total"
    assert (line["Sessions"], line["Attended"], line["Did not come"]) == ("6", "3", "1")
    assert line["Cancelled (not counted as sessions)"] == "1"
    assert line["Attended rate (%)"] == "60,0" and line["No-show rate (%)"] == "20,0"
    assert line["Organisation: AWO Region Hannover"] == "2"
    assert line["Language: Ukrainian"] == "2" and line["Channel: Walk-in"] == "2"
    june = dict(zip(header, months[0], strict=True))
    assert june["Sessions"] == "0" and june["Attended rate (%)"] == ""
    assert "Amina" not in raw.decode("utf-8-sig")


async def test_the_csv_keeps_the_filters(admin: Service) -> None:
    response = await admin.client.get("/staff/statistics.csv?location=lgn&from=2026-11&to=2026-11")
    assert 'filename="statistik-2026-11-2026-11.csv"' in response.headers["content-disposition"]
    rows = list(
        csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""), delimiter=";")
    )
    assert len(rows) == 3  # header, November, total
    assert rows[1][0] == "Bürgeramt Langenhagen" and rows[1][2] == "2"


async def test_names_that_look_like_formulas_stay_text(admin: Service) -> None:
    await Location.filter(code="lgn").update(name="=HYPERLINK(1)")
    response = await admin.client.get("/staff/statistics.csv?location=lgn")
    rows = list(
        csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""), delimiter=";")
    )
    assert rows[1][0] == "'=HYPERLINK(1)"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


async def test_only_administrators_see_statistics(admin: Service) -> None:
    for username in ("reception", "awo1"):
        admin.client.cookies.clear()
        await sign_in(admin.client, username)
        assert (await admin.client.get("/staff/statistics")).status_code == 403
        assert (await admin.client.get("/staff/statistics.csv")).status_code == 403
    admin.client.cookies.clear()
    anonymous = await admin.client.get("/staff/statistics.csv")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
