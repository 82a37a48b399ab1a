"""The table of user-facing messages for error and field codes (translated where shown)."""

from __future__ import annotations

from booking.vocabulary import N_

FIELD_MESSAGES: dict[str, str] = {
    "choose_topic": N_("Please choose what you would like to talk about."),
    "choose_language": N_("Please choose a language."),
    "choose_organisation": N_("Please choose an organisation from the list, or any organisation."),
    "choose_time": N_("Please choose a time."),
    "name_required": N_("Please enter your name."),
    "too_long": N_("This is too long."),
    "name_chars": N_("Please use only letters, spaces and hyphens."),
    "email_required": N_("Please enter your e-mail address."),
    "email_invalid": N_("Please check the e-mail address, for example name@example.org."),
    "phone_invalid": N_("Please check the phone number, for example +49 511 1234567."),
    "consent_required": N_("Please agree to the privacy notice so that we can book the session."),
    "required": N_("This field is required."),
    "wrong_type": N_("This value has the wrong type."),
    # The walk-in queue (booking/services/walkins.py, booking/web/walkins_api.py).
    "choose_priority": N_("Please choose a reason for priority from the list, or none."),
    "name_invalid": N_("Please enter a first name of at most 40 letters, or leave it empty."),
    "choose_transfer": N_("Please choose either a counsellor or an organisation."),
    "choose_counsellor": N_("Please choose a counsellor from the list."),
}

ERROR_TITLES: dict[str, str] = {
    "bad_signature": N_("This link does not work"),
    "invalid_link": N_("This link does not work"),
    "expired": N_("This link has expired"),
    "unknown_location": N_("We do not know this place"),
    "past": N_("Your appointment is already over"),
    "not_found": N_("Page not found"),
    "too_large": N_("Too much data"),
    "server_error": N_("Something went wrong"),
    "method_not_allowed": N_("This does not work here"),
    "bad_request": N_("We could not read the request"),
    "forbidden": N_("Not for your role"),
    "csrf": N_("The form has expired"),
    "throttled": N_("Too many attempts"),
    "today_only": N_("Today only"),
    "other_organisation": N_("Another organisation"),
    "bad_date": N_("We could not read the date"),
    "bad_month": N_("We could not read the month"),
    "weight_invalid": N_("We could not read the weight"),
    "unknown_ticket": N_("We do not know this number"),
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
    "server_error": N_("Please try again in a moment. Your data has not been lost."),
    "method_not_allowed": N_("Please go back and use the buttons on the page."),
    "bad_request": N_("Please go back and try again."),
    "forbidden": N_("Your account may not open this page. Ask an administrator if you need it."),
    "csrf": N_("Please go back, reload the page and send the form again."),
    "throttled": N_("Too many failed sign-ins. Please wait 15 minutes and try again."),
    "today_only": N_("Reception sees the schedule of the current day only."),
    "other_organisation": N_("Counsellors see the schedules of their own organisation only."),
    "bad_date": N_("Please give the date as year-month-day, for example 2026-11-23."),
    "bad_month": N_("Please give the month as year-month, for example 2026-11."),
    "weight_invalid": N_(
        "Please choose an organisation and enter a weight between 0 and 1000, for example 14.5, "
        "or leave the weight empty to return to the weight computed from the plan."
    ),
    "unknown_ticket": N_(
        "The address may be incomplete, or the number is from another day. Please ask at the "
        "reception desk."
    ),
}

ACCOUNT_MESSAGES: dict[str, str] = {
    "bad_credentials": N_("The user name or the password is wrong."),
    "password_short": N_("The password needs at least 10 characters."),
    "password_mismatch": N_("The two new passwords are not the same."),
    "password_wrong": N_("The current password is wrong."),
    "username_invalid": N_("Use lower-case letters, digits, dots and hyphens."),
    "username_taken": N_("This user name is taken."),
    "role_invalid": N_("Please choose a role."),
    "counsellor_required": N_("A counsellor account needs a counsellor profile."),
}

OUTCOME_MESSAGES: dict[str, str] = {
    "choose_status": N_("Please choose whether the person came."),
    "choose_topic": N_("Please choose topics from the list."),
    "choose_referral": N_("Please choose a service from the list."),
    "too_long": N_("This is too long."),
}

NOTICES: dict[str, str] = {
    "slot_taken": N_("Sorry, someone else has just booked this time. Please choose another."),
    "already_booked": N_(
        "You already have a counselling session for this appointment. Use the link in your "
        "confirmation to change or cancel it."
    ),
    "not_changeable": N_("This session can no longer be changed."),
}
