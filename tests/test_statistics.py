"""Statistics for coordinators: the service, the page and the CSV, on every database."""

from __future__ import annotations

import csv
import io
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from booking.errors import UnknownLocation
from booking.models import Location, Ticket
from booking.services.statistics import gather, load_rows
from booking.statistics import months_between
from tests.conftest import Service
from tests.support.rows import add_booking, berlin, seed
from tests.support.staff import sign_in


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
    # The five above, and sessions per organisation and channel (no walk-in tickets here).
    assert html.count('class="table-scroll" tabindex="0" role="region"') == 6
    assert "Sessions per organisation and channel" in html
    assert "No walk-in tickets in this period." in html
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


# -- the walk-in queue ------------------------------------------------------------------------


async def add_ticket(
    arrived: datetime,
    called: datetime | None,
    status: str,
    estimate: tuple[datetime, datetime] | None = None,
    location: str = "hsc",
) -> Ticket:
    place = await Location.get(code=location)
    number = await Ticket.filter(location=place, day=arrived.date()).count() + 1
    return await Ticket.create(
        location=place,
        day=arrived.date(),
        number=number,
        token_hash=uuid.uuid4().hex,
        topic="forms",
        language="de",
        name="Farida",
        status=status,
        arrived_at=arrived.astimezone(UTC),
        queued_at=arrived.astimezone(UTC),
        first_called_at=called.astimezone(UTC) if called else None,
        called_at=called.astimezone(UTC) if called else None,
        estimate_earliest=estimate[0].astimezone(UTC) if estimate else None,
        estimate_latest=estimate[1].astimezone(UTC) if estimate else None,
    )


async def seed_tickets() -> None:
    """Seven walk-ins whose figures are easy to work out by hand (16 Nov is a Monday)."""
    await add_ticket(
        berlin(11, 16, 9, 10),
        berlin(11, 16, 9, 20),
        "done",
        (berlin(11, 16, 9, 15), berlin(11, 16, 9, 35)),
    )  # waited 10; estimate's middle 9:25, 5 minutes off
    await add_ticket(
        berlin(11, 16, 9, 40),
        berlin(11, 16, 10, 20),
        "done",
        (berlin(11, 16, 10, 0), berlin(11, 16, 10, 20)),
    )  # waited 40; 10 off
    await add_ticket(berlin(11, 16, 10, 5), berlin(11, 16, 10, 25), "no_show")  # waited 20
    await add_ticket(berlin(11, 17, 14, 30), None, "closed")  # never called: not in time
    await add_ticket(
        berlin(11, 17, 14, 50),
        berlin(11, 17, 16, 20),
        "done",
        (berlin(11, 17, 15, 0), berlin(11, 17, 15, 40)),
    )  # waited 90; 60 off
    await add_ticket(berlin(10, 20, 9, 0), berlin(10, 20, 9, 5), "done")  # a Tuesday; waited 5
    await add_ticket(berlin(11, 23, 6, 50), None, "waiting")  # still waiting: in no share


async def test_walk_in_figures(service: Service) -> None:
    await seed()
    await seed_tickets()
    data = await gather("hsc", ("2026-10", "2026-11"), service.clock.now)
    october, november = data.report.walk_ins_by_month
    assert (november.tickets, november.called, november.no_shows) == (6, 4, 1)
    assert (november.waited_median, november.waited_p90) == (30, 90)  # of 10, 20, 40, 90
    assert november.called_within == pytest.approx(2 / 5)  # 10 and 20 of five that ended
    assert november.estimate_error == pytest.approx(25) and november.estimated == 3
    assert (october.tickets, october.waited_median, october.estimate_error) == (1, 5, None)
    overall = data.report.walk_ins
    assert (overall.tickets, overall.waited_median, overall.waited_p90) == (7, 20, 90)
    assert overall.called_within == pytest.approx(3 / 6)
    grid = data.report.grid
    assert grid.weekdays == (0, 1, 2, 3, 4) and grid.hours == tuple(range(6, 15))
    assert (grid.count(0, 9), grid.count(0, 10), grid.count(1, 14), grid.count(1, 9)) == (
        2, 1, 2, 1,
    )  # fmt: skip
    assert grid.count(1, 9, "2026-11") == 0 and grid.total == 7
    crossed = data.report.by_channel
    assert crossed.count("awo", "online") == 2 and crossed.count("caritas", "walk_in") == 1
    assert crossed.total == data.report.overall.sessions == 4
    assert (await gather("lgn", ("2026-11",), service.clock.now)).report.walk_ins.tickets == 0


async def test_walk_ins_on_the_page_and_in_the_csv(admin: Service) -> None:
    await seed_tickets()
    html = (await admin.client.get("/staff/statistics?lang=en")).text
    assert "Walk-in queue per month" in html and "Walk-ins per weekday and hour" in html
    for text in ("Called within 30 minutes", "50.0\xa0%", "25.0", "09:00–10:00", "Monday"):
        assert text in html, text
    assert "Farida" not in html
    assert len(svgs(html)) == 6  # and walk-ins per month
    response = await admin.client.get("/staff/statistics.csv?lang=en")
    rows = list(
        csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""), delimiter=";")
    )
    header, *months, total = rows
    assert all(len(row) == len(header) for row in rows)
    line, november = (
        dict(zip(header, total, strict=True)),
        dict(zip(header, months[-1], strict=True)),
    )
    assert (line["Walk-ins"], line["Walk-ins called"], line["Called, but did not come"]) == (
        "7", "5", "1",
    )  # fmt: skip
    assert line["Waiting time until the first call, median (minutes)"] == "20,0"
    assert line["Waiting time until the first call, 90th percentile (minutes)"] == "90,0"
    assert line["Called within 30 minutes (%)"] == "50,0"
    assert line["Estimate's mean error (minutes)"] == "25,0"
    assert november["Called within 30 minutes (%)"] == "40,0"
    assert (line["Walk-ins: Monday 09:00–10:00"], november["Walk-ins: Tuesday 09:00–10:00"]) == (
        "2", "0",
    )  # fmt: skip
    assert line["Sessions: Caritasverband Hannover / Walk-in"] == "1"
    assert "Walk-ins: Wednesday 09:00–10:00" not in header  # only pairs that occur


# -- topics covered and referrals made ----------------------------------------------------------


async def seed_outcomes() -> None:
    await add_booking("hsc", "awo", berlin(10, 6), covered=("forms", "housing"), referral="legal")
    await add_booking("hsc", "drk", berlin(11, 3), language="ar", covered=("housing",))
    await add_booking(
        "hsc", "drk", berlin(11, 4), language="ar", covered=("work",), referral="job_centre"
    )
    await add_booking("hsc", "drk", berlin(11, 5), status="cancelled", referral="debt")


async def test_topics_covered_and_referrals_on_the_page(admin: Service) -> None:
    """What funders ask first: referrals made and topics actually covered, by month,
    organisation and language, as tables with charts (the page had neither)."""
    await seed_outcomes()
    page = await admin.client.get("/staff/statistics?lang=en")
    html = page.text
    for heading in (
        "Topics covered and referrals per month",
        "Topics covered per month",
        "Referrals per month",
        "Topics covered per organisation",
        "Referrals per organisation",
        "Topics covered per language",
        "Referrals per language",
    ):
        assert f">{heading}</h2>" in html, heading
    assert 'id="chart-topics-covered-title"' in html and 'id="chart-referrals-title"' in html
    topics = html[html.index('id="table-topics-covered-heading"') :]
    topics = topics[: topics.index("</section>")]
    assert re.search(r"Housing</th>(<td[^>]*>\d+</td>)*<td class=\"number\"><strong>2<", topics)
    referrals = html[html.index('id="table-referrals-heading"') :]
    referrals = referrals[: referrals.index("</section>")]
    assert "Legal advice" in referrals and "Job centre or employment agency" in referrals
    assert "Debt counselling" not in referrals  # a cancelled booking refers nobody
    by_language = html[html.index('id="table-referrals-language-heading"') :]
    assert "Arabic" in by_language[: by_language.index("</section>")]
    assert "66.7\xa0%" in html  # two referrals out of three documented sessions


async def test_topics_covered_and_referrals_in_the_csv(admin: Service) -> None:
    await seed_outcomes()
    response = await admin.client.get("/staff/statistics.csv?lang=en")
    rows = list(
        csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""), delimiter=";")
    )
    header, *months, total = rows
    assert all(len(row) == len(header) for row in rows)
    line = dict(zip(header, total, strict=True))
    assert line["Sessions with topics or a referral recorded"] == "3"
    assert line["Sessions with a referral"] == "2" and line["Referral rate (%)"] == "66,7"
    assert (
        line["Topic covered: Housing"] == "2"
        and line["Topic covered: Work and finding a job"] == "1"
    )
    assert line["Referral: Legal advice"] == "1"
    assert "Referral: Debt counselling" not in line
    assert (
        line["Referral: Job centre or employment agency / Organisation: DRK Region Hannover"] == "1"
    )
    assert line["Topic covered: Housing / Language: Arabic"] == "1"
    october = dict(zip(header, months[4], strict=True))
    assert october["Month"] == "2026-10" and october["Referral: Legal advice"] == "1"
    assert october["Referral rate (%)"] == "100,0"
