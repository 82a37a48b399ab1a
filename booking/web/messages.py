"""The table of user-facing messages for error and field codes (translated where shown).

What visitors can meet is here and translated into every visitor language; what only staff
see is in booking/web/staff_messages.py (German and English) and merged in below."""

from __future__ import annotations

from booking.vocabulary import N_
from booking.web.staff_messages import (
    STAFF_ERROR_TEXTS,
    STAFF_ERROR_TITLES,
    STAFF_FIELD_MESSAGES,
)

FIELD_MESSAGES: dict[str, str] = {
    "choose_topic": N_("Please choose what you would like to talk about."),
    "choose_language": N_("Please choose a language."),
    "choose_organisation": N_("Please choose an organisation from the list, or any organisation."),
    "organisation_gone": N_(
        "This organisation no longer offers counselling here. Please choose another one, or "
        "any organisation."
    ),
    "choose_time": N_("Please choose a time."),
    "name_required": N_("Please enter your name."),
    "too_long": N_("This is too long."),
    "name_chars": N_("Please use only letters, spaces and hyphens."),
    "email_required": N_("Please enter your e-mail address."),
    "email_invalid": N_("Please check the e-mail address, for example %(email)s."),
    "phone_invalid": N_("Please check the phone number, for example %(phone)s."),
    "consent_required": N_("Please agree to the privacy notice so that we can book the session."),
    "required": N_("This field is required."),
    "wrong_type": N_("This value has the wrong type."),
    # The walk-in registration (booking/services/walkins/, booking/web/walkins_api.py).
    "choose_priority": N_("Please choose a reason for priority from the list, or none."),
    "name_invalid": N_("Please enter a first name of at most 40 letters, or leave it empty."),
    **STAFF_FIELD_MESSAGES,
}

# The examples in field messages, filled in where shown (isolated left to right, so that a
# right-to-left sentence does not turn "+49 511 1234567" into "1234567 511 49+").
FIELD_EXAMPLES: dict[str, str] = {"email": "name@example.org", "phone": "+49 511 1234567"}

ERROR_TITLES: dict[str, str] = {
    "bad_signature": N_("This link does not work"),
    "invalid_link": N_("This link does not work"),
    "expired": N_("This link has expired"),
    "unknown_location": N_("We do not know this place"),
    "past": N_("Your appointment is already over"),
    "not_found": N_("Page not found"),
    "too_large": N_("Too much data"),
    "too_many": N_("Too many changes in a short time"),
    "server_error": N_("Something went wrong"),
    "method_not_allowed": N_("This does not work here"),
    "bad_request": N_("We could not read the request"),
    "csrf": N_("The form has expired"),
    "unknown_ticket": N_("We do not know this number"),
    **STAFF_ERROR_TITLES,
}

ERROR_TEXTS: dict[str, str] = {
    "bad_signature": N_(
        "The link is incomplete or has been changed. Please open the link in your appointment "
        "confirmation again. If you copied it, copy all of it."
    ),
    "invalid_link": N_(
        "The link has an error. Please tell the immigration office, or come to the counselling "
        "desk without an appointment."
    ),
    "expired": N_(
        "Links can only be used for a while. Please ask the immigration office for a new "
        "confirmation, or come to the counselling desk without an appointment."
    ),
    "unknown_location": N_(
        "The link names a place where we offer no counselling. Please open the link in your "
        "appointment confirmation again."
    ),
    "past": N_(
        "A session can only be added before the appointment. You can still come to the "
        "counselling desk without an appointment. It is free."
    ),
    "not_found": N_("This page does not exist. Please check the address."),
    "too_large": N_("The form sent too much data. Please shorten your entries and try again."),
    "too_many": N_(
        "To protect the appointments from misuse, only a few bookings and changes are possible "
        "in a short time. Please wait a while and try again. If you need help, ask at the "
        "reception desk."
    ),
    "server_error": N_("Please try again in a moment. Your data has not been lost."),
    "method_not_allowed": N_("Please go back and use the buttons on the page."),
    "bad_request": N_("Please go back and try again."),
    "csrf": N_("Please go back, reload the page and send the form again."),
    "unknown_ticket": N_(
        "The address may be incomplete, or the number is from another day. Please ask at the "
        "reception desk."
    ),
    **STAFF_ERROR_TEXTS,
}


NOTICES: dict[str, str] = {
    "slot_taken": N_("Sorry, someone else has just booked this time. Please choose another."),
    "already_booked": N_(
        "You already have a counselling session for this appointment. Use the link in your "
        "confirmation to change or cancel it."
    ),
    "not_changeable": N_("This session can no longer be changed."),
}
