"""Words only staff screens show: roles, channels, referrals. Kept apart from
booking/vocabulary.py so that they are translated into German and English only."""

from __future__ import annotations

from booking.queue import CALLED, CLOSED, DONE, NO_SHOW, PARKED, SERVING, WAITING
from booking.vocabulary import FOLLOW_UP, N_, ONLINE, WALK_IN

ROLE_LABELS: dict[str, str] = {
    "admin": N_("Administrator"),
    "reception": N_("Reception"),
    "counsellor": N_("Counsellor"),
}

CHANNEL_LABELS: dict[str, str] = {
    ONLINE: N_("Booked online"),
    WALK_IN: N_("Walk-in"),
    FOLLOW_UP: N_("Follow-up"),
}

# Where a counsellor may refer someone after the session (recorded as the outcome).
REFERRALS: dict[str, str] = {
    "migration_advice": N_("Migration advice service (MBE/JMD)"),
    "language_course": N_("Language or integration course"),
    "job_centre": N_("Job centre or employment agency"),
    "health": N_("Health service"),
    "legal": N_("Legal advice"),
    "debt": N_("Debt counselling"),
    "youth_welfare": N_("Youth welfare office"),
    "other": N_("Another service"),
}

# Counsellors' mails are in German (booking/mail_texts.py); kind -> subject.
COUNSELLOR_SUBJECTS: dict[str, str] = {
    "confirmed": N_("New session: %(date)s, %(time)s, %(topic)s"),
    "updated": N_("Session moved: %(date)s, %(time)s, %(topic)s"),
    "cancelled": N_("Session cancelled: %(date)s, %(time)s, %(topic)s"),
}

# A walk-in ticket's state, as reception, the desk and the schedule name it.
TICKET_STATUS_LABELS: dict[str, str] = {
    WAITING: N_("Waiting"),
    CALLED: N_("Called"),
    SERVING: N_("In a session"),
    PARKED: N_("At the office counter"),
    DONE: N_("Done"),
    NO_SHOW: N_("Did not come"),
    CLOSED: N_("Closed"),
}

# The counsellor's calendar feed, in the language of their staff account.
FEED_NAME = N_("Counselling sessions of %(name)s")
FEED_SUMMARY = N_("Counselling: %(topic)s (%(language)s)")
