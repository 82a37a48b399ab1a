"""A session as the notices' pure rules see it (booking/notices.py), and the moment they are
asked."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.notices import SessionFacts

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=BERLIN)
FIVE_PM = time(17)
SESSION = SessionFacts(
    booking_id=7,
    reference="WB-AAAA-BBBB",
    sequence=0,
    active=True,
    start=START,
    end=START + timedelta(minutes=30),
    zone=BERLIN,
    topic="work",
    language="ar",
    ui_language="en",
    location_name="Hannover Service Center",
    address="Hamburger Allee 25",
    room="1.06",
    appointment_start=START + timedelta(hours=1),
    applicant_name="Amina Test",
    applicant_email="amina@example.org",
    counsellor_id=3,
    counsellor_name="Nadia R.",
    counsellor_email="nadia@drk.example.org",
    counsellor_wants_mail=True,
)
