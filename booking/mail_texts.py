"""The words of every e-mail: subject, plain text, HTML and the calendar part, per language.

A :class:`Notice` (booking/notices.py) becomes a :class:`Composed` message here, rendered from
``templates/mail/`` with the reader's catalog. Applicants read their mails in the language they
used on the pages; counsellors in German, like the schedule. The calendar part says what the
schedule says (topic, language, place, reference) and never carries the manage link or, for
counsellors, a name: calendars get shared.

Times, rooms and references are isolated left to right only in the HTML part (``<bdi>``, which
mail readers honour). The Subject, the plain text and the calendar stay free of invisible
direction marks: most readers of those show them as boxes or pass them on when copied, and
calendar clients compare and search that text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.dates import format_date, format_time

from booking.i18n import time_format
from booking.notices import APPLICANT, CANCELLED, CONFIRMED, COUNSELLOR, REMINDER, UPDATED, Notice
from booking.schedule import display_name
from booking.staff_vocabulary import COUNSELLOR_SUBJECTS
from booking.vocabulary import N_, TOPICS, language_name, language_word
from booking.web.rendering import Renderer
from integrations.invitations import Invitation, calendar_bytes, session_uid

STAFF_LANGUAGE = "de"
ALARM_MINUTES = 60

SUBJECTS = {
    (APPLICANT, CONFIRMED): N_("Your counselling session on %(date)s at %(time)s"),
    (APPLICANT, UPDATED): N_("Changed: your counselling session is now on %(date)s at %(time)s"),
    (APPLICANT, CANCELLED): N_("Cancelled: your counselling session on %(date)s at %(time)s"),
    (APPLICANT, REMINDER): N_("Reminder: your counselling session tomorrow at %(time)s"),
    **{(COUNSELLOR, kind): subject for kind, subject in COUNSELLOR_SUBJECTS.items()},
}
SUMMARY = N_("Counselling: %(topic)s")
DESCRIPTION_LINES = (
    N_("Free social counselling of the welcome service, in %(language)s."),
    N_("Reference: %(reference)s"),
)
APPOINTMENT_LINE = N_("Your appointment at the immigration office: %(time)s")
ROOM_LINE = N_("Room: %(room)s")


@dataclass(frozen=True)
class Composed:
    """What the outbox stores for one message."""

    to_address: str
    to_name: str
    language: str
    subject: str
    text: str
    html: str
    calendar: bytes | None
    calendar_method: str | None


class MailTexts:
    def __init__(self, renderer: Renderer, from_address: str, from_name: str) -> None:
        self.renderer = renderer
        self.from_address = from_address
        self.from_name = from_name
        self.uid_domain = from_address.rpartition("@")[2]

    def language_for(self, notice: Notice) -> str:
        if notice.recipient != APPLICANT:
            return STAFF_LANGUAGE
        wanted = notice.session.ui_language
        return wanted if wanted in self.renderer.environments else STAFF_LANGUAGE

    def uid(self, notice: Notice) -> str:
        """The session's one UID (the counsellor's feed carries the same), never changing."""
        return session_uid(notice.session.reference, self.from_address)

    def compose(self, notice: Notice, manage_url: str | None, now: datetime) -> Composed:
        language = self.language_for(notice)
        session = notice.session
        zone = session.zone

        def _(message: str, **values: Any) -> str:
            text = self.renderer.gettext(language, message)
            return text % values if values else text

        topic = _(TOPICS.get(session.topic, session.topic))
        when = {
            "date": format_date(session.start.astimezone(zone), format="full", locale=language),
            "time": format_time(
                session.start, format=time_format(language), tzinfo=zone, locale=language
            ),
            "topic": topic,
        }
        applicant = notice.recipient == APPLICANT
        to_address = session.applicant_email if applicant else session.counsellor_email
        to_name = session.applicant_name if applicant else session.counsellor_name
        context = {
            "kind": notice.kind,
            "reason": notice.reason,
            "session": session,
            "zone": zone,
            "topic": topic,
            "language_name": language_name(session.language, language),
            "greeting_name": session.applicant_name,
            "visitor": display_name(session.applicant_name),
            "applicant": applicant,
            "manage_url": manage_url if applicant else None,
            "when": when,
            "organisation_name": session.organisation_name,
        }
        template = "applicant" if applicant else "counsellor"
        calendar = None
        method = notice.method
        if method is not None:
            room = _(ROOM_LINE, room=session.room) if session.room else ""
            place = ", ".join(p for p in (session.location_name, session.address, room) if p)
            lines = [
                _(DESCRIPTION_LINES[0], language=language_word(session.language, language)),
                _(DESCRIPTION_LINES[1], reference=session.reference),
            ]
            if room:
                lines.append(room)
            if applicant and session.appointment_start is not None:
                office = format_time(
                    session.appointment_start,
                    format=time_format(language),
                    tzinfo=zone,
                    locale=language,
                )
                lines.append(_(APPOINTMENT_LINE, time=office))
            calendar = calendar_bytes(
                Invitation(
                    uid=self.uid(notice),
                    sequence=session.sequence,
                    start=session.start,
                    end=session.end,
                    summary=_(SUMMARY, topic=topic),
                    description="\n".join(lines),
                    location=place,
                    organizer_email=self.from_address,
                    organizer_name=self.from_name,
                    attendee_email=to_address,
                    attendee_name=to_name,
                    method="CANCEL" if method == "CANCEL" else "REQUEST",
                    alarm_minutes=ALARM_MINUTES,
                ),
                now,
            )
        return Composed(
            to_address=to_address,
            to_name=to_name,
            language=language,
            subject=_(SUBJECTS[notice.recipient, notice.kind], **when),
            text=self.renderer.render_mail(language, f"mail/{template}.txt", context),
            html=self.renderer.render_mail(language, f"mail/{template}.html", context),
            calendar=calendar,
            calendar_method=method,
        )
