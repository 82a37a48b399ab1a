"""Messages only staff see (German and English); booking/web/messages.py merges the field and
error ones into its tables."""

from __future__ import annotations

from booking.vocabulary import N_

STAFF_FIELD_MESSAGES: dict[str, str] = {
    "choose_transfer": N_("Please choose either a counsellor or an organisation."),
    "choose_counsellor": N_("Please choose a counsellor from the list."),
    "choose_referral": N_("Please choose a service from the list."),  # a walk-in's finish
}

STAFF_ERROR_TITLES: dict[str, str] = {
    "forbidden": N_("Not for your role"),
    "throttled": N_("Too many attempts"),
    "today_only": N_("Today only"),
    "other_organisation": N_("Another organisation"),
    "bad_date": N_("We could not read the date"),
    "bad_month": N_("We could not read the month"),
    "weight_invalid": N_("We could not read the weight"),
}

STAFF_ERROR_TEXTS: dict[str, str] = {
    "forbidden": N_("Your account may not open this page. Ask an administrator if you need it."),
    "throttled": N_("Too many failed sign-ins. Please wait 15 minutes and try again."),
    "today_only": N_("Reception sees the schedule of the current day only."),
    "other_organisation": N_("Counsellors see the schedules of their own organisation only."),
    "bad_date": N_("Please give the date as year-month-day, for example 2026-11-23."),
    "bad_month": N_("Please give the month as year-month, for example 2026-11."),
    "weight_invalid": N_(
        "Please choose an organisation and enter a weight between 0 and 1000, for example 14.5, "
        "or leave the weight empty to return to the weight computed from the plan."
    ),
}

ACCOUNT_MESSAGES: dict[str, str] = {
    "bad_credentials": N_("The user name or the password is wrong."),
    "password_short": N_("The password needs at least 10 characters."),
    "password_mismatch": N_("The two new passwords are not the same."),
    "password_wrong": N_("The current password is wrong."),
    "password_same": N_("The new password must differ from the current one."),
    "username_invalid": N_("Use lower-case letters, digits, dots and hyphens."),
    "username_taken": N_("This user name is taken."),
    "role_invalid": N_("Please choose a role."),
    "counsellor_required": N_("A counsellor account needs a counsellor profile."),
    "own_account": N_(
        "You cannot take away your own administrator role or disable your own account: "
        "another administrator can."
    ),
    "last_admin": N_(
        "This is the last active administrator. Make another account an administrator first."
    ),
}

TOKEN_MESSAGES: dict[str, str] = {
    "label_required": N_("Please give the token a name, for example the device it is for."),
    "label_long": N_("Please use at most 100 characters."),
    "owner_invalid": N_("Please choose an account from the list."),
    "owner_must_change": N_(
        "This account must first choose a new password: its password was reset."
    ),
}

OUTCOME_MESSAGES: dict[str, str] = {
    "choose_status": N_("Please choose whether the person came."),
    "choose_topic": N_("Please choose topics from the list."),
    "choose_referral": N_("Please choose a service from the list."),
    "too_long": N_("This is too long."),
}
