"""The stored facts. All instants are stored in UTC; local time exists only for display.

Double booking is prevented by the database: an active booking holds two nullable unique keys
(``slot_key`` for its counsellor and start, ``appointment_key`` for its office appointment)
that are cleared when it is cancelled, and every booking transaction starts by bumping
``Location.booking_lock``, which serialises the decisions of one location on every database.

Each foreign key is followed by a bare annotation of the id attribute tortoise adds for it
(``location_id: int``): it types that attribute for mypy; tortoise builds fields only from
assigned ``Field`` values, so the annotation adds no column.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from tortoise import fields
from tortoise.models import Model

BOOKED = "booked"
CANCELLED = "cancelled"
ATTENDED = "attended"
NO_SHOW = "no_show"
BOOKING_STATUSES = (BOOKED, CANCELLED, ATTENDED, NO_SHOW)
ACTIVE_STATUSES = (BOOKED, ATTENDED, NO_SHOW)

ABSENCE = "absence"
EXTRA = "extra"


def minutes(moment: time) -> int:
    """Times of day are stored as minutes after local midnight (portable, and SQLite-safe)."""
    return moment.hour * 60 + moment.minute


def clock_time(minute: int) -> time:
    return time(minute // 60, minute % 60)


class Location(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=200)
    address = fields.CharField(max_length=300)
    timezone = fields.CharField(max_length=64, default="Europe/Berlin")
    session_minutes = fields.IntField(default=30)
    buffer_minutes = fields.IntField(default=10)
    window_minutes = fields.IntField(default=120)
    notice_minutes = fields.IntField(default=60)
    holiday_country = fields.CharField(max_length=2, default="DE")
    holiday_subdivision = fields.CharField(max_length=8, default="NI")
    active = fields.BooleanField(default=True)
    # Walk-in tickets read e.g. "W 012": a letter the immigration office does not use.
    ticket_prefix = fields.CharField(max_length=4, default="W", db_default="W")
    # Bumped as the first statement of every booking transaction: a write that takes the row
    # lock on PostgreSQL and the write lock on SQLite, so decisions per location never race.
    booking_lock = fields.BigIntField(default=0)

    class Meta:
        table = "location"


class OpeningHours(Model):
    id = fields.IntField(primary_key=True)
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="opening_hours", on_delete=fields.CASCADE
    )
    location_id: int
    weekday = fields.SmallIntField()  # 0 = Monday, as datetime.weekday()
    opens = fields.SmallIntField()  # minutes after local midnight
    closes = fields.SmallIntField()

    class Meta:
        table = "opening_hours"


class ClosureDay(Model):
    id = fields.IntField(primary_key=True)
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="closure_days", on_delete=fields.CASCADE
    )
    location_id: int
    day = fields.DateField()
    reason = fields.CharField(max_length=200, default="")

    class Meta:
        table = "closure_day"
        unique_together = (("location", "day"),)


class Room(Model):
    id = fields.IntField(primary_key=True)
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="rooms", on_delete=fields.CASCADE
    )
    location_id: int
    code = fields.CharField(max_length=32)
    name = fields.CharField(max_length=100)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "room"
        unique_together = (("location", "code"),)


class Organisation(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=200)
    # None means "computed from the plan" (the balancing rules decide the default).
    target_weight = fields.FloatField(null=True)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "organisation"


class Counsellor(Model):
    id = fields.IntField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="counsellors", on_delete=fields.RESTRICT
    )
    organisation_id: int
    display_name = fields.CharField(max_length=100)
    languages: list[str] = fields.JSONField(default=list)
    topics: list[str] = fields.JSONField(default=list)
    email = fields.CharField(max_length=254, default="")
    active = fields.BooleanField(default=True)
    # The secret of the personal calendar feed, stored hashed; resetting it ends the old URL.
    feed_token_hash = fields.CharField(max_length=64, null=True, unique=True)
    # Whether new, moved and cancelled sessions reach the counsellor as invitation mails.
    mail_invitations = fields.BooleanField(default=True, db_default=True)
    # At the desk for walk-ins: set by calling (or "I am at my desk"), on that local day only.
    desk_location_id = fields.IntField(null=True)
    desk_since = fields.DatetimeField(null=True)
    # The room they said they sit in at that desk ("I am at my desk", or with "call next").
    desk_room_id = fields.IntField(null=True)
    # Ready for walk-ins (booking/queue.py's readiness): since when, and until when at most.
    ready_since = fields.DatetimeField(null=True)
    ready_until = fields.DatetimeField(null=True)

    class Meta:
        table = "counsellor"


class WorkShift(Model):
    # One block of the weekly plan. A break is the gap between two blocks of a day.
    id = fields.IntField(primary_key=True)
    counsellor: fields.ForeignKeyRelation[Counsellor] = fields.ForeignKeyField(
        "models.Counsellor", related_name="shifts", on_delete=fields.CASCADE
    )
    counsellor_id: int
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="shifts", on_delete=fields.CASCADE
    )
    location_id: int
    room: fields.ForeignKeyNullableRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="shifts", null=True, on_delete=fields.SET_NULL
    )
    room_id: int | None
    weekday = fields.SmallIntField()
    starts = fields.SmallIntField()  # minutes after local midnight
    ends = fields.SmallIntField()

    class Meta:
        table = "work_shift"


class PlanException(Model):
    # A dated change to the weekly plan: an absence (illness, leave) or extra hours.
    # An absence without times covers the whole day.
    id = fields.IntField(primary_key=True)
    counsellor: fields.ForeignKeyRelation[Counsellor] = fields.ForeignKeyField(
        "models.Counsellor", related_name="plan_exceptions", on_delete=fields.CASCADE
    )
    counsellor_id: int
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="plan_exceptions", on_delete=fields.CASCADE
    )
    location_id: int
    room: fields.ForeignKeyNullableRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="plan_exceptions", null=True, on_delete=fields.SET_NULL
    )
    room_id: int | None
    day = fields.DateField()
    kind = fields.CharField(max_length=16)  # ABSENCE or EXTRA
    starts = fields.SmallIntField(null=True)  # minutes after local midnight
    ends = fields.SmallIntField(null=True)
    note = fields.CharField(max_length=200, default="")

    class Meta:
        table = "plan_exception"


class OfficeAppointment(Model):
    # An immigration-office appointment, as received in the signed link of the office.
    # (Model docstrings become SQL comments, which the schema editor splits on semicolons.)
    id = fields.IntField(primary_key=True)
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="appointments", on_delete=fields.RESTRICT
    )
    location_id: int
    ref = fields.CharField(max_length=64)
    start = fields.DatetimeField()
    duration_minutes = fields.IntField()
    received_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "office_appointment"
        unique_together = (("location", "ref"),)


class Booking(Model):
    id = fields.IntField(primary_key=True)
    reference = fields.CharField(max_length=16, unique=True)
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="bookings", on_delete=fields.RESTRICT
    )
    location_id: int
    # The office appointment it was added to; None for a walk-in served from the queue.
    appointment: fields.ForeignKeyNullableRelation[OfficeAppointment] = fields.ForeignKeyField(
        "models.OfficeAppointment", related_name="bookings", null=True, on_delete=fields.RESTRICT
    )
    appointment_id: int | None
    counsellor: fields.ForeignKeyRelation[Counsellor] = fields.ForeignKeyField(
        "models.Counsellor", related_name="bookings", on_delete=fields.RESTRICT
    )
    counsellor_id: int
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="bookings", on_delete=fields.RESTRICT
    )
    organisation_id: int
    room: fields.ForeignKeyNullableRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="bookings", null=True, on_delete=fields.SET_NULL
    )
    room_id: int | None
    start = fields.DatetimeField()
    end = fields.DatetimeField()
    topic = fields.CharField(max_length=16)
    language = fields.CharField(max_length=35)
    ui_language = fields.CharField(max_length=35, default="de")
    channel = fields.CharField(max_length=16, default="online")
    status = fields.CharField(max_length=16, default=BOOKED)
    # Personal data; blanked by erasure and by the scheduled anonymisation.
    name = fields.CharField(max_length=100, default="")
    email = fields.CharField(max_length=254, default="")
    phone = fields.CharField(max_length=40, default="")
    consent_at = fields.DatetimeField(null=True)
    # What the counsellor recorded afterwards. The note is free text and so personal data.
    checked_in_at = fields.DatetimeField(null=True)
    outcome_topics: list[str] = fields.JSONField(default=list)
    referral = fields.CharField(max_length=32, default="")
    outcome_note = fields.CharField(max_length=500, default="")
    anonymised_at = fields.DatetimeField(null=True)
    manage_token_hash = fields.CharField(max_length=64, unique=True)
    # The manage token is derived from this nonce and the secret key, so that later mails
    # (reminder, changes made by staff) can carry the link; NULL for bookings made before.
    token_nonce = fields.CharField(max_length=32, null=True)
    # The short code on a follow-up's printed slip (booking/services/short_codes.py), as a keyed
    # hash; NULL until a slip is printed, replaced when a new one is.
    short_code_hash = fields.CharField(max_length=64, null=True, unique=True)
    # Set while the booking is active, NULL once cancelled; unique, so the database itself
    # refuses a second active booking of a counsellor's slot or of an office appointment.
    slot_key = fields.CharField(max_length=64, null=True, unique=True)
    appointment_key = fields.CharField(max_length=120, null=True, unique=True)
    sequence = fields.IntField(default=0)  # iCalendar SEQUENCE: bumped with every change
    # Why the session went where it went (booking/balance.py): the rule, every eligible
    # organisation's weight, share and shortfall, and the counsellors considered.
    allocation: dict[str, Any] | None = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    cancelled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "booking"
        indexes = (("location_id", "start"), ("anonymised_at", "end"))

    @property
    def is_active(self) -> bool:
        return self.status != CANCELLED


class AllocationShare(Model):
    # One eligible organisation's share of one assignment: its chance at that booking. An
    # organisation's entitlement in a month is the sum of its shares of the month's bookings
    # that still count (recomputed from these rows, never kept as a counter).
    id = fields.IntField(primary_key=True)
    booking: fields.ForeignKeyRelation[Booking] = fields.ForeignKeyField(
        "models.Booking", related_name="allocation_shares", on_delete=fields.CASCADE
    )
    booking_id: int
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="allocation_shares", on_delete=fields.CASCADE
    )
    location_id: int
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="allocation_shares", on_delete=fields.CASCADE
    )
    organisation_id: int
    month = fields.CharField(max_length=7)  # YYYY-MM of the session, local to the location
    share = fields.FloatField()

    class Meta:
        table = "allocation_share"
        indexes = (("location_id", "month"),)


class TargetWeight(Model):
    # An admin's override of one organisation's target weight at one location, from ``since``
    # on. The newest row that has begun applies; weight None returns to the computed default.
    id = fields.IntField(primary_key=True)
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="target_weights", on_delete=fields.CASCADE
    )
    location_id: int
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="target_weights", on_delete=fields.CASCADE
    )
    organisation_id: int
    weight = fields.FloatField(null=True)
    since = fields.DatetimeField()
    actor = fields.CharField(max_length=64)

    class Meta:
        table = "target_weight"
        indexes = (("location_id", "organisation_id", "since"),)


ADMIN = "admin"
RECEPTION = "reception"
COUNSELLOR = "counsellor"
ROLES = (ADMIN, RECEPTION, COUNSELLOR)


class StaffUser(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharField(max_length=16)
    # A counsellor account belongs to one counsellor profile, and so to one organisation.
    counsellor: fields.ForeignKeyNullableRelation[Counsellor] = fields.ForeignKeyField(
        "models.Counsellor", related_name="accounts", null=True, on_delete=fields.SET_NULL
    )
    counsellor_id: int | None
    active = fields.BooleanField(default=True)
    # Bumped on password change and disabling: sessions carrying an older value end.
    session_version = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)
    # Set when an administrator resets the password: the staff pages ask for a new one first.
    must_change_password = fields.BooleanField(default=False, db_default=False)
    # The staff language they read their pages in (kept as they use them): their calendar
    # feed, which a calendar client fetches without any language preference, is written in it.
    language = fields.CharField(max_length=8, default="de", db_default="de")

    class Meta:
        table = "staff_user"


class StaffSession(Model):
    # One signed-in browser. The cookie carries a random key; only its hash is kept, and
    # deleting the row (sign-out, password change, disabling) ends the session on the server.
    id = fields.IntField(primary_key=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[StaffUser] = fields.ForeignKeyField(
        "models.StaffUser", related_name="sessions", on_delete=fields.CASCADE
    )
    user_id: int
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "staff_session"


class ApiToken(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[StaffUser] = fields.ForeignKeyField(
        "models.StaffUser", related_name="tokens", on_delete=fields.CASCADE
    )
    user_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    # What the token is for ("Display hall B"), given when an admin makes it in the browser.
    label = fields.CharField(max_length=100, default="", db_default="")
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    # Written at most every few minutes (booking/services/api_tokens.py), not on every request.
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


class LoginFailure(Model):
    # Keys are hashes: a mistyped password in the user-name field, or a client address,
    # is never stored readable.
    id = fields.IntField(primary_key=True)
    username_key = fields.CharField(max_length=64, db_index=True)
    client_key = fields.CharField(max_length=64, db_index=True)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "login_failure"


class LoginLock(Model):
    # One row per throttle key (a hashed name or client): sign-ins for the same key write it
    # first, so their check-and-count steps run one after the other (a row lock on PostgreSQL,
    # the write lock on SQLite).
    id = fields.IntField(primary_key=True)
    lock_key = fields.CharField(max_length=64, unique=True)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "login_lock"


class AuditEntry(Model):
    id = fields.IntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    actor = fields.CharField(max_length=64)
    action = fields.CharField(max_length=32)
    record_type = fields.CharField(max_length=32)
    record_id = fields.CharField(max_length=64, default="")
    summary = fields.CharField(max_length=200, default="")

    class Meta:
        table = "audit_entry"


PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
MAIL_STATUSES = (PENDING, SENDING, SENT, FAILED)


class OutboxMessage(Model):
    # One e-mail, written in the transaction of the change that causes it and sent after
    # commit (booking/services/outbox.py). Rendered when written: a later change never
    # alters what an earlier message says. Personal data: blanked by the anonymisation.
    id = fields.BigIntField(primary_key=True)
    message_id = fields.CharField(max_length=200, unique=True)  # <...@domain>, from the start
    booking: fields.ForeignKeyNullableRelation[Booking] = fields.ForeignKeyField(
        "models.Booking", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    booking_id: int | None
    # Messages of one thread (a booking's applicant, reminder or one counsellor) go out in
    # the order written, so that the latest SEQUENCE always arrives last.
    thread = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=24)  # booking/notices.py: CONFIRMED, UPDATED, ...
    recipient = fields.CharField(max_length=16)  # applicant or counsellor
    to_address = fields.CharField(max_length=254)
    to_name = fields.CharField(max_length=100, default="")
    language = fields.CharField(max_length=35)
    subject = fields.CharField(max_length=300)
    text = fields.TextField()
    html = fields.TextField()
    calendar = fields.TextField(null=True)  # iCalendar with CRLF line ends
    calendar_method = fields.CharField(max_length=16, null=True)
    sequence = fields.IntField(null=True)  # the invitation's SEQUENCE
    status = fields.CharField(max_length=16, default=PENDING)
    next_attempt_at = fields.DatetimeField()  # not before; a reminder's is the day before
    expires_at = fields.DatetimeField()  # not worth sending after (the session's start)
    attempts = fields.IntField(default=0)
    last_error = fields.CharField(max_length=200, default="")  # no address, no content
    claim = fields.CharField(max_length=32, null=True)  # the sender that holds it
    lease_until = fields.DatetimeField(null=True)  # after this, another sender may take it
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"
        indexes = (("status", "next_attempt_at"), ("thread", "id"))


class Ticket(Model):
    # A walk-in's place in the queue (booking/queue.py). Its number is unique per location and
    # day; the status page is reached with a token stored only as a hash. Once a counsellor
    # calls it, the session is a Booking with channel "walk_in" (schedule, outcome, balance).
    id = fields.IntField(primary_key=True)
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="tickets", on_delete=fields.CASCADE
    )
    location_id: int
    day = fields.DateField()  # local to the location
    number = fields.IntField()
    token_hash = fields.CharField(max_length=64, unique=True)
    topic = fields.CharField(max_length=16)
    language = fields.CharField(max_length=35)
    priority = fields.CharField(max_length=16, default="")  # a PRIORITY_REASONS code or ""
    name = fields.CharField(max_length=40, default="")  # optional first name; personal data
    status = fields.CharField(max_length=16, default="waiting")
    arrived_at = fields.DatetimeField()
    queued_at = fields.DatetimeField()  # its place in the queue; kept while parked
    called_at = fields.DatetimeField(null=True)  # the latest call
    first_called_at = fields.DatetimeField(null=True)  # for waiting times and the estimate
    calls = fields.IntField(default=0)  # counted calls since the last resume (the no-show rule)
    round_called_at = fields.DatetimeField(null=True)  # the first of those calls
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    closed_reason = fields.CharField(max_length=32, default="")
    counsellor: fields.ForeignKeyNullableRelation[Counsellor] = fields.ForeignKeyField(
        "models.Counsellor", related_name="tickets", null=True, on_delete=fields.SET_NULL
    )
    counsellor_id: int | None
    room: fields.ForeignKeyNullableRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="tickets", null=True, on_delete=fields.SET_NULL
    )
    room_id: int | None
    # Transferred: only this counsellor or organisation may call it.
    for_counsellor_id = fields.IntField(null=True)
    for_organisation_id = fields.IntField(null=True)
    booking: fields.ForeignKeyNullableRelation[Booking] = fields.ForeignKeyField(
        "models.Booking", related_name="tickets", null=True, on_delete=fields.SET_NULL
    )
    booking_id: int | None
    # The estimate given at registration, to measure its accuracy against first_called_at.
    estimate_earliest = fields.DatetimeField(null=True)
    estimate_latest = fields.DatetimeField(null=True)
    anonymised_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ticket"
        unique_together = (("location_id", "day", "number"),)
        indexes = (("location_id", "day", "status"),)


class RateKey(Model):
    # One row per counted key (client address, as a keyed hash): the row a client-limit step
    # writes first, so that concurrent writes of one client are counted one after the other.
    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=64, unique=True)
    touched_at = fields.DatetimeField()

    class Meta:
        table = "rate_key"


class RateEvent(Model):
    # One counted write for a booking limit (booking/limits.py): a new booking for an office
    # reference, a reschedule of a booking, a booking write from a client address. The key is a
    # keyed hash, never the reference or the address itself; rows older than the longest
    # window are deleted by the hourly clean-up.
    id = fields.BigIntField(primary_key=True)
    scope = fields.CharField(max_length=16)
    key = fields.CharField(max_length=64)
    at = fields.DatetimeField()

    class Meta:
        table = "rate_event"
        indexes = (("scope", "key", "at"),)
