"""What the times page says on a day without counselling (issue 15, "what applicants read").

A closure day or a holiday says "closed" and offers the walk-in desk only on a day it is open;
a day nobody works (a Saturday, an outpost's day off) says that there is no counselling that
day, not that nobody on duty speaks the language, and when there is. Both name the next day
with counselling: open, not closed, and someone on duty within the opening hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx2 as httpx
from hypothesis import given
from hypothesis import strategies as st

from booking.models import ClosureDay, Counsellor, Location, PlanException
from booking.slots import Interval, counselling_offered
from tests.conftest import Service, at

WALK_IN_TODAY = "Ask at the reception of"  # the walk-in offer for the day itself
NEXT_DAY = "The next day with counselling is %s."


async def times_page(service: Service, start: datetime, language: str = "de") -> httpx.Response:
    params = {**service.link(start), "topic": "forms", "language": language, "lang": "en"}
    response = await service.client.get("/add-on/times", params=params)
    assert response.status_code == 200
    return response


async def close(day: date, reason: str = "Betriebsausflug") -> None:
    await ClosureDay.create(location=await Location.get(code="hsc"), day=day, reason=reason)


async def nobody_works(day: date) -> None:
    """Every counsellor absent that day: the location is open, but nobody counsels."""
    location = await Location.get(code="hsc")
    for counsellor in await Counsellor.all():
        await PlanException.create(
            counsellor=counsellor, location=location, day=day, kind="absence"
        )


async def test_a_closure_day_names_the_next_open_day_instead_of_walk_ins(service: Service) -> None:
    tuesday = at(10) + timedelta(days=1)
    await close(tuesday.date())
    text = (await times_page(service, tuesday)).text
    assert "The counselling service is closed on this day." in text
    assert WALK_IN_TODAY not in text  # the desk is closed too: no walk-ins that day
    assert NEXT_DAY % "Wednesday, November 25, 2026" in text


async def test_a_holiday_skips_the_weekend_and_the_second_holiday(service: Service) -> None:
    christmas = at(10).replace(month=12, day=25)
    text = (await times_page(service, christmas)).text
    assert "closed on this day" in text and WALK_IN_TODAY not in text
    assert NEXT_DAY % "Monday, December 28, 2026" in text


async def test_the_next_open_day_needs_someone_on_duty(service: Service) -> None:
    tuesday = at(10) + timedelta(days=1)
    await close(tuesday.date())
    await nobody_works(tuesday.date() + timedelta(days=1))
    text = (await times_page(service, tuesday)).text
    assert NEXT_DAY % "Thursday, November 26, 2026" in text


async def test_a_saturday_says_there_is_no_counselling_and_when_there_is(service: Service) -> None:
    saturday = at(10) + timedelta(days=5)
    text = (await times_page(service, saturday)).text
    assert "nobody on duty speaks" not in text
    assert "German or English instead" not in text
    assert "There is no counselling on this day." in text
    assert WALK_IN_TODAY not in text
    assert NEXT_DAY % "Monday, November 30, 2026" in text


async def test_an_open_day_without_anyone_on_duty_has_no_counselling(service: Service) -> None:
    wednesday = at(10) + timedelta(days=2)
    await nobody_works(wednesday.date())
    text = (await times_page(service, wednesday, language="ar")).text
    assert "nobody on duty speaks" not in text
    assert "There is no counselling on this day." in text
    assert NEXT_DAY % "Thursday, November 26, 2026" in text


async def test_a_full_day_still_offers_the_walk_in_desk(service: Service) -> None:
    """A day with counselling but no free time around the appointment: walk-ins that day."""
    tuesday = at(8) + timedelta(days=1)
    # The office appointment fills the opening hours: no time before or after it.
    link = service.link(tuesday, duration=8 * 60)
    params = {**link, "topic": "forms", "language": "de", "lang": "en"}
    text = (await service.client.get("/add-on/times", params=params)).text
    assert "There are no free times around your appointment on this day." in text
    assert WALK_IN_TODAY in text
    assert "There is no counselling" not in text and "closed on this day" not in text


def instant(minutes: int) -> datetime:
    return datetime(2026, 11, 23, tzinfo=UTC) + timedelta(minutes=minutes)


stretches = st.lists(
    st.tuples(st.integers(0, 1440), st.integers(0, 240)).map(
        lambda pair: Interval(instant(pair[0]), instant(pair[0] + pair[1]))
    ),
    max_size=4,
)


@given(stretches, stretches)
def test_counselling_is_offered_exactly_when_a_shift_meets_the_opening_hours(
    opening: list[Interval], shifts: list[Interval]
) -> None:
    meets = any(s.overlaps(o) for s in shifts for o in opening)
    assert counselling_offered(opening, shifts) == meets
    assert not counselling_offered([], shifts) and not counselling_offered(opening, [])
