"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from booking.queue import ACTIONS, PRIORITY_REASONS, TICKET_STATES
from booking.schedule import NOTE_LIMIT
from booking.staff_vocabulary import REFERRALS
from booking.vocabulary import TOPICS


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


# The booking limits (booking/limits.py); Retry-After says when to try again.
TOO_MANY = {
    **_error(
        "too_many: this office reference booked 3 times, this booking moved 5 times in 24 "
        "hours, or this client address wrote 20 times in 10 minutes (staff tokens are exempt)"
    ),
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}},
}


LINK_PARAMETERS = [
    {
        "name": "ref",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "maxLength": 64},
        "description": "The office's appointment reference.",
    },
    {
        "name": "start",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "format": "date-time"},
        "description": "Local start with offset; percent-encode '+' as %2B.",
    },
    {
        "name": "duration",
        "in": "query",
        "required": True,
        "schema": {"type": "string"},
        "description": "Minutes.",
    },
    {"name": "location", "in": "query", "required": True, "schema": {"type": "string"}},
    {
        "name": "expires",
        "in": "query",
        "required": True,
        "schema": {"type": "string"},
        "description": "Unix seconds.",
    },
    {
        "name": "sig",
        "in": "query",
        "required": True,
        "schema": {"type": "string"},
        "description": "Lowercase hex HMAC-SHA256 over ref|start|duration|location|expires.",
    },
]

TOKEN_PARAMETER = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}


def _path_parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


LOCATION_CODE = _path_parameter("code", {"type": "string"}, "The location's code, e.g. hsc.")
WALK_IN_ACTIONS = list(ACTIONS)


def _walk_in_paths() -> dict[str, Any]:
    """The walk-in queue (issue 6): reception, the counsellor's desk, display and status."""
    staff_errors = {
        "401": _error("unauthorized"),
        "403": _error("forbidden: not for this role"),
    }
    return {
        "/api/v1/locations/{code}/walk-ins": {
            "parameters": [LOCATION_CODE],
            "post": {
                "operationId": "registerWalkIn",
                "summary": "Give a walk-in a queue ticket (reception, admins)",
                "security": [{"bearer": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("WalkInRequest")}},
                },
                "responses": {
                    "201": _json(
                        _ref("WalkInCreated"),
                        "The ticket. Hand over the printed ticket or the status URL: the token "
                        "is the visitor's only key to their status page.",
                    ),
                    "400": _error("The body is not a JSON object."),
                    **staff_errors,
                    "404": _error("not_found: no such location"),
                    "422": _json(
                        _ref("Invalid"),
                        "A field is wrong; the messages are in the request's language.",
                    ),
                },
            },
        },
        "/api/v1/queue/call-next": {
            "post": {
                "operationId": "callNextWalkIn",
                "summary": "Call the next walk-in who fits the counsellor (counsellors)",
                "description": (
                    "Calls, for the counsellor who pressed, the first waiting ticket in queue "
                    "order (priority, then arrival) whose language and topic they cover, in "
                    "their room, and marks them at their desk. A counsellor who already holds "
                    "a called ticket gets that one back (a double click calls nobody twice). "
                    "When nothing fits (204) they go on the ready list for an hour: a ticket "
                    "that becomes callable then is called for a ready counsellor at once (the "
                    "balance decides among the ready; GET /api/v1/queue/current shows it). "
                    "The room is the one sent, else the one recorded at the desk today, else "
                    "the planned one. The location defaults to where the counsellor sits, "
                    "else the first location."
                ),
                "security": [{"bearer": []}],
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": _ref("CallNextRequest")}},
                },
                "responses": {
                    "200": _json(
                        _ref("QueueTicket"),
                        "The ticket called (shown on the display); room is always set.",
                    ),
                    "204": {
                        "description": "Nobody waiting fits the counsellor now: they are on "
                        "the ready list."
                    },
                    "400": _error("The body is not a JSON object."),
                    **staff_errors,
                    "404": _error("not_found: no such location, or no counsellor profile"),
                    "409": _json(
                        {"anyOf": [_ref("Error"), _ref("RoomNeeded")]},
                        "booked_session_soon: the counsellor's next booked session begins "
                        "sooner than a walk-in session usually takes; nobody was called. "
                        "Send anyway=true to call all the same. room_needed: no room is known "
                        "for the counsellor (or the one sent is not the location's); send one "
                        "of rooms.",
                    ),
                    "422": _json(_ref("Invalid"), "location, anyway or room has the wrong type."),
                },
            }
        },
        "/api/v1/queue/current": {
            "get": {
                "operationId": "currentWalkIn",
                "summary": "The walk-in called for the counsellor now (counsellors)",
                "description": (
                    "The ticket called for the counsellor (by their own press, or by the "
                    "balance while they were ready), or the one they are serving."
                ),
                "security": [{"bearer": []}],
                "responses": {
                    "200": _json(_ref("QueueTicket"), "The ticket they hold."),
                    "204": {"description": "They hold no ticket."},
                    **staff_errors,
                    "404": _error("not_found: no counsellor profile"),
                },
            }
        },
        "/api/v1/queue/ready": {
            "post": {
                "operationId": "setWalkInReadiness",
                "summary": "Switch ready for walk-ins on or off (counsellors)",
                "description": (
                    "ready=true marks the counsellor at their desk in the room (sent, else "
                    "recorded today, else planned) and on the ready list until the end of "
                    "the day, a booked session, or leaving the desk; a waiting ticket that "
                    "fits may be called for them at once (ticket). ready=false takes them "
                    "off the list."
                ),
                "security": [{"bearer": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("ReadyRequest")}},
                },
                "responses": {
                    "200": _json(_ref("Readiness"), "The readiness now."),
                    "400": _error("The body is not a JSON object."),
                    **staff_errors,
                    "404": _error("not_found: no such location, or no counsellor profile"),
                    "409": _json(_ref("RoomNeeded"), "room_needed: send one of rooms."),
                    "422": _json(_ref("Invalid"), "ready, location or room is wrong."),
                },
            }
        },
        "/api/v1/walk-ins/{id}/{action}": {
            "parameters": [
                _path_parameter("id", {"type": "integer"}, "The ticket's id."),
                _path_parameter(
                    "action",
                    {"type": "string", "enum": WALK_IN_ACTIONS},
                    "recall (call again), start (the session begins), finish (the session is "
                    "over; the booking counts as attended), no-show (after BOOKING_NO_SHOW_CALLS "
                    "calls a minute apart or BOOKING_NO_SHOW_MINUTES after the first call), "
                    "park (called to the immigration counter: keeps the place), resume (back "
                    "into the queue at the same place, with a fresh count of calls), transfer "
                    "(back into the queue for one present counsellor or organisation only; "
                    "called at once for them if they are ready).",
                ),
            ],
            "post": {
                "operationId": "actOnWalkIn",
                "summary": "The desk's actions on a ticket (counsellors)",
                "security": [{"bearer": []}],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {"oneOf": [_ref("TransferRequest"), _ref("FinishRequest")]}
                        }
                    },
                },
                "responses": {
                    "200": _json(_ref("QueueTicket"), "The ticket after the action."),
                    "400": _error("transfer, finish: the body is not a JSON object."),
                    **staff_errors,
                    "404": _error("not_found: no such ticket or action"),
                    "409": _json(
                        _ref("Conflict"),
                        "not_changeable: the ticket is not in a state the action applies to, "
                        "or is another counsellor's",
                    ),
                    "422": _json(
                        _ref("Invalid"),
                        "transfer: no or an unknown target; finish: an unknown topic or "
                        "referral, a note over 500 characters, or a value of the wrong type.",
                    ),
                },
            },
        },
        "/api/v1/locations/{code}/display": {
            "parameters": [LOCATION_CODE],
            "get": {
                "operationId": "walkInDisplay",
                "summary": "The waiting-room display: today's calls, newest first (public)",
                "security": [],
                "responses": {
                    "200": _json(_ref("Display"), "Numbers and rooms only, never a name."),
                    "404": _error("not_found: no such location"),
                },
            },
        },
        "/api/v1/walk-ins/status/{token}": {
            "parameters": [TOKEN_PARAMETER],
            "get": {
                "operationId": "walkInStatus",
                "summary": "A visitor's own ticket: place and estimated call time (public)",
                "security": [],
                "responses": {
                    "200": _json(_ref("WalkInStatus"), "The ticket's status."),
                    "404": _error("not_found"),
                },
            },
        },
        "/api/v1/bookings/{reference}/check-in": {
            "parameters": [
                _path_parameter(
                    "reference", {"type": "string"}, "The booking's reference, e.g. WB-7K3M-Q9TX."
                )
            ],
            "post": {
                "operationId": "checkIn",
                "summary": "Mark a booked visitor as arrived (reception, admins)",
                "description": "Idempotent: a second check-in keeps the first time.",
                "security": [{"bearer": []}],
                "responses": {
                    "200": _json(_ref("CheckIn"), "Checked in."),
                    **staff_errors,
                    "404": _error("not_found: no such booking"),
                    "409": _json(
                        _ref("Conflict"), "not_changeable: cancelled, or not a booking of today"
                    ),
                },
            },
        },
    }


def _walk_in_schemas() -> dict[str, Any]:
    moment = {"type": "string", "format": "date-time"}
    estimate = {
        "type": "object",
        "required": ["earliest", "latest"],
        "properties": {"earliest": moment, "latest": moment},
    }
    return {
        "WalkInRequest": {
            "type": "object",
            "required": ["topic", "language"],
            "properties": {
                "topic": {"type": "string", "enum": list(TOPICS)},
                "language": {"type": "string", "description": "BCP 47 code."},
                "priority": {
                    "type": "string",
                    "enum": ["", *PRIORITY_REASONS],
                    "description": "A reason to be called first, or empty.",
                },
                "name": {
                    "type": "string",
                    "maxLength": 40,
                    "description": "Optional first name, for the counsellor only.",
                },
            },
        },
        "WalkInCreated": {
            "type": "object",
            "required": [
                "id",
                "number",
                "token",
                "status_url",
                "ticket_url",
                "position",
                "estimate",
            ],
            "properties": {
                "id": {"type": "integer"},
                "number": {"type": "string", "description": 'The label, e.g. "W 007".'},
                "token": {"type": "string"},
                "status_url": {"type": "string", "description": "The visitor's status page."},
                "ticket_url": {"type": "string", "description": "The printable ticket (staff)."},
                "position": {"type": ["integer", "null"], "description": "1: next in line."},
                "estimate": {"oneOf": [estimate, {"type": "null"}]},
            },
        },
        "CallNextRequest": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "A location code."},
                "anyway": {
                    "type": "boolean",
                    "default": False,
                    "description": "Call even though a booked session begins soon.",
                },
                "room": {
                    "type": "string",
                    "description": "The room the counsellor sits in (a name the location lists).",
                },
            },
        },
        "ReadyRequest": {
            "type": "object",
            "required": ["ready"],
            "properties": {
                "ready": {"type": "boolean"},
                "room": {"type": "string", "description": "A room's name at the location."},
                "location": {"type": "string", "description": "A location code."},
            },
        },
        "Readiness": {
            "type": "object",
            "required": ["ready", "room", "ticket"],
            "properties": {
                "ready": {"type": "boolean"},
                "room": {"type": ["string", "null"]},
                "ticket": {"oneOf": [_ref("QueueTicket"), {"type": "null"}]},
            },
        },
        "RoomNeeded": {
            "type": "object",
            "required": ["error", "rooms"],
            "properties": {
                "error": {"const": "room_needed"},
                "message": {"type": "string"},
                "rooms": {"type": "array", "items": {"type": "string"}},
            },
        },
        "TransferRequest": {
            "type": "object",
            "description": "For transfer only: one counsellor id or one organisation code.",
            "properties": {
                "counsellor": {"type": "integer"},
                "organisation": {"type": "string"},
            },
        },
        "FinishRequest": {
            "type": "object",
            "description": (
                "For finish only, all optional: what the session covered, recorded on its "
                "booking like the schedule's outcome form."
            ),
            "properties": {
                "topics": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(TOPICS)},
                    "description": "The topics covered.",
                },
                "referral": {
                    "type": "string",
                    "enum": ["", *REFERRALS],
                    "description": "A service the person was referred to.",
                },
                "note": {"type": "string", "maxLength": NOTE_LIMIT},
            },
        },
        "QueueTicket": {
            "type": "object",
            "required": ["id", "number", "room", "topic", "language", "priority", "status"],
            "properties": {
                "id": {"type": "integer"},
                "number": {"type": "string"},
                "room": {"type": ["string", "null"]},
                "topic": {"type": "string", "enum": list(TOPICS)},
                "language": {"type": "string"},
                "priority": {"type": "string", "enum": ["", *PRIORITY_REASONS]},
                "status": {"type": "string", "enum": list(TICKET_STATES)},
            },
        },
        "Display": {
            "type": "object",
            "required": ["calls"],
            "properties": {
                "calls": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["number", "room", "called_at"],
                        "properties": {
                            "number": {"type": "string"},
                            "room": {"type": ["string", "null"]},
                            "called_at": moment,
                        },
                    },
                }
            },
        },
        "WalkInStatus": {
            "type": "object",
            "required": ["number", "status", "position", "estimate"],
            "properties": {
                "number": {"type": "string"},
                "status": {"type": "string", "enum": list(TICKET_STATES)},
                "position": {"type": ["integer", "null"]},
                "estimate": {
                    "oneOf": [
                        {
                            "type": "object",
                            "required": ["earliest", "latest", "after_closing"],
                            "properties": {
                                "earliest": moment,
                                "latest": moment,
                                "after_closing": {
                                    "type": "boolean",
                                    "description": "The wait will probably run past closing.",
                                },
                            },
                        },
                        {"type": "null"},
                    ],
                    "description": "null while not waiting, or when nobody on duty fits.",
                },
            },
        },
        "CheckIn": {
            "type": "object",
            "required": ["reference", "checked_in_at"],
            "properties": {"reference": {"type": "string"}, "checked_in_at": moment},
        },
    }


def openapi_document(base_url: str) -> dict[str, Any]:
    slot = {
        "type": "object",
        "required": ["start", "end"],
        "properties": {
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
        },
    }
    string_or_int = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Welcome service counselling bookings",
            "version": "1",
            "description": "Add a free counselling session to an immigration-office appointment. "
            "See docs/integration.md for the signed link.",
        },
        "servers": [{"url": base_url}],
        "paths": {
            "/api/v1/availability": {
                "get": {
                    "operationId": "availability",
                    "summary": "Free sessions around a linked office appointment",
                    "parameters": [
                        *LINK_PARAMETERS,
                        {
                            "name": "topic",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": list(TOPICS)},
                        },
                        {
                            "name": "language",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "BCP 47 code.",
                        },
                        {
                            "name": "organisation",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": (
                                "An organisation code: only its counsellors' times. Leave it "
                                "out for any organisation (recommended: the most times)."
                            ),
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("Availability"), "The slots, in time order."),
                        "403": _error("bad_signature, expired, invalid_link or past"),
                        "404": _error("unknown_location"),
                        "422": _json(_ref("Invalid"), "Unknown topic or language."),
                    },
                }
            },
            "/api/v1/bookings": {
                "post": {
                    "operationId": "createBooking",
                    "summary": "Book a session",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("BookingRequest")}},
                    },
                    "responses": {
                        "201": _json(_ref("BookingCreated"), "Booked."),
                        "400": _error("The body is not a JSON object."),
                        "403": _error("bad_signature, expired, invalid_link or past"),
                        "404": _error("unknown_location"),
                        "409": _json(
                            _ref("Conflict"), "slot_taken (with alternatives) or already_booked"
                        ),
                        "413": _error("The body is too large."),
                        "422": _json(_ref("Invalid"), "A field is missing or wrong."),
                        "429": TOO_MANY,
                    },
                }
            },
            "/api/v1/bookings/{token}": {
                "parameters": [TOKEN_PARAMETER],
                "get": {
                    "operationId": "getBooking",
                    "responses": {
                        "200": _json(_ref("Booking"), "The booking."),
                        "404": _error("not_found"),
                    },
                },
                "delete": {
                    "operationId": "cancelBooking",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {"status": {"type": "string", "enum": ["cancelled"]}},
                            },
                            "Cancelled.",
                        ),
                        "404": _error("not_found"),
                        "409": _error("not_changeable: the session is over or done"),
                        "429": TOO_MANY,
                    },
                },
            },
            "/api/v1/bookings/{token}/reschedule": {
                "parameters": [TOKEN_PARAMETER],
                "post": {
                    "operationId": "rescheduleBooking",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["start"],
                                    "properties": {
                                        "start": {"type": "string", "format": "date-time"}
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(_ref("Booking"), "Moved."),
                        "400": _error("The body is not a JSON object."),
                        "404": _error("not_found"),
                        "409": _json(_ref("Conflict"), "slot_taken or not_changeable"),
                        "422": _json(_ref("Invalid"), "start is missing or not ISO 8601."),
                        "429": TOO_MANY,
                    },
                },
            },
            "/api/v1/auth/token": {
                "post": {
                    "operationId": "createToken",
                    "summary": "A bearer token for a device or integration",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["username", "password"],
                                    "properties": {
                                        "username": {"type": "string"},
                                        "password": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["token", "role", "expires"],
                                "properties": {
                                    "token": {"type": "string"},
                                    "role": {"type": "string"},
                                    "expires": {"type": "string", "format": "date-time"},
                                },
                            },
                            "The token; send it as Authorization: Bearer <token>.",
                        ),
                        "401": _error("bad_credentials"),
                        "403": _error(
                            "password_change_required: an administrator reset the password; "
                            "sign in on /login and choose a new one first"
                        ),
                        "422": _json(_ref("Invalid"), "username and password are needed."),
                        "429": _error("throttled: too many failures; wait 15 minutes"),
                    },
                }
            },
            "/api/v1/schedule": {
                "get": {
                    "operationId": "getSchedule",
                    "summary": "A location's sessions on one day, under the staff access rules",
                    "description": (
                        "Counsellors see their own organisation (403 other_organisation for "
                        "another one's counsellor or code), reception sees the whole location "
                        "for the current day (403 today_only otherwise), admins see everything."
                    ),
                    "security": [{"bearer": []}],
                    "parameters": [
                        {
                            "name": "location",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "date",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "format": "date"},
                            "description": "YYYY-MM-DD; today at the location if left out.",
                        },
                        {
                            "name": "counsellor",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer"},
                        },
                        {
                            "name": "organisation",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "An organisation code.",
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("Schedule"), "The day's entries by time."),
                        "401": _error("unauthorized"),
                        "403": _error("forbidden, other_organisation or today_only"),
                        "404": _error("not_found: no such location, organisation or counsellor"),
                        "422": _json(_ref("Invalid"), "A parameter could not be read."),
                    },
                }
            },
            "/api/v1/auth/me": {
                "get": {
                    "operationId": "whoAmI",
                    "security": [{"bearer": []}],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "username": {"type": "string"},
                                    "role": {"type": "string"},
                                },
                            },
                            "The token's account.",
                        ),
                        "401": _error("unauthorized"),
                    },
                }
            },
            **_walk_in_paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                **_walk_in_schemas(),
                "Slot": slot,
                "Schedule": {
                    "type": "object",
                    "required": ["date", "entries"],
                    "properties": {
                        "date": {"type": "string", "format": "date"},
                        "entries": {"type": "array", "items": _ref("ScheduleEntry")},
                    },
                },
                "ScheduleEntry": {
                    "type": "object",
                    "required": [
                        "start",
                        "end",
                        "counsellor",
                        "organisation",
                        "kind",
                        "topic",
                        "language",
                        "reference",
                        "status",
                        "display_name",
                    ],
                    "properties": {
                        "start": {"type": "string", "format": "date-time"},
                        "end": {"type": "string", "format": "date-time"},
                        "counsellor": {
                            "type": "object",
                            "description": "For a ticket: who holds or awaits it (id null when "
                            "it waits for an organisation or for anyone).",
                            "properties": {
                                "id": {"type": ["integer", "null"]},
                                "name": {"type": "string"},
                            },
                        },
                        "organisation": {"type": "string", "description": "Organisation code."},
                        "kind": {
                            "type": "string",
                            "enum": ["booking", "walk_in", "ticket"],
                            "description": "booking: a session (booked, walk-in or follow-up); "
                            "ticket: a walk-in ticket between two calls (parked at the office "
                            "counter, or waiting again after a transfer or a resume), one row "
                            "with its current state.",
                        },
                        "topic": {"type": "string", "enum": list(TOPICS)},
                        "language": {"type": "string"},
                        "reference": {"type": "string"},
                        "status": {
                            "type": "string",
                            "enum": [
                                "booked",
                                "cancelled",
                                "attended",
                                "no_show",
                                "waiting",
                                "parked",
                            ],
                            "description": "waiting and parked only for kind ticket",
                        },
                        "display_name": {
                            "type": "string",
                            "description": "First name and initial; empty once anonymised.",
                        },
                        "room": {"type": ["string", "null"]},
                        "appointment_start": {
                            "type": ["string", "null"],
                            "format": "date-time",
                            "description": "the office appointment; null for a walk-in",
                        },
                        "checked_in": {"type": "boolean"},
                    },
                },
                "Availability": {
                    "type": "object",
                    "required": ["slots"],
                    "properties": {
                        "slots": {"type": "array", "items": _ref("Slot")},
                        "language_on_duty": {"type": "boolean"},
                        "fallback": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": _ref("Slot")},
                        },
                    },
                },
                "Appointment": {
                    "type": "object",
                    "required": ["ref", "start", "duration", "location", "expires", "sig"],
                    "properties": {
                        "ref": {"type": "string"},
                        "start": {"type": "string"},
                        "duration": string_or_int,
                        "location": {"type": "string"},
                        "expires": string_or_int,
                        "sig": {"type": "string"},
                    },
                },
                "BookingRequest": {
                    "type": "object",
                    "required": [
                        "appointment",
                        "start",
                        "topic",
                        "language",
                        "name",
                        "email",
                        "consent",
                    ],
                    "properties": {
                        "appointment": _ref("Appointment"),
                        "start": {"type": "string", "format": "date-time"},
                        "topic": {"type": "string", "enum": list(TOPICS)},
                        "language": {"type": "string"},
                        "name": {"type": "string", "maxLength": 100},
                        "email": {"type": "string", "format": "email"},
                        "phone": {"type": "string"},
                        "consent": {"type": "boolean", "const": True},
                        "organisation": {
                            "type": "string",
                            "description": (
                                "Optional: the applicant asked for this organisation. Without "
                                "it the balancing rules choose (docs/fairness.md)."
                            ),
                        },
                    },
                },
                "BookingCreated": {
                    "type": "object",
                    "required": [
                        "reference",
                        "start",
                        "end",
                        "organisation",
                        "room",
                        "manage_token",
                        "manage_url",
                    ],
                    "properties": {
                        "reference": {"type": "string"},
                        "start": {"type": "string", "format": "date-time"},
                        "end": {"type": "string", "format": "date-time"},
                        "organisation": _ref("Organisation"),
                        "room": {"type": ["string", "null"]},
                        "manage_token": {"type": "string"},
                        "manage_url": {"type": "string"},
                    },
                },
                "Booking": {
                    "type": "object",
                    "properties": {
                        "reference": {"type": "string"},
                        "status": {
                            "type": "string",
                            "enum": ["booked", "cancelled", "attended", "no_show"],
                        },
                        "start": {"type": "string", "format": "date-time"},
                        "end": {"type": "string", "format": "date-time"},
                        "topic": {"type": "string"},
                        "language": {"type": "string"},
                        "organisation": _ref("Organisation"),
                        "room": {"type": ["string", "null"]},
                        "location": {"type": "object"},
                        "appointment": {"type": "object"},
                    },
                },
                "Organisation": {
                    "type": "object",
                    "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
                },
                "Conflict": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "string",
                            "enum": ["slot_taken", "already_booked", "not_changeable"],
                        },
                        "alternatives": {"type": "array", "items": _ref("Slot")},
                        "message": {"type": "string"},
                    },
                },
                "Invalid": {
                    "type": "object",
                    "required": ["error", "fields"],
                    "properties": {
                        "error": {"type": "string", "const": "invalid"},
                        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
            },
        },
    }
    return _with_common_answers(document)


def _with_common_answers(document: dict[str, Any]) -> dict[str, Any]:
    """What any operation that takes a body may answer before its handler reads it
    (booking/web/params.py, booking/web/input_limits.py): 400 for a body that is not JSON (or
    nested too deep to read), 413 for one over the limit."""
    for item in document["paths"].values():
        for method, operation in item.items():
            if method not in ("post", "put", "patch"):
                continue
            answers = operation["responses"]
            answers.setdefault("400", _error("bad_request: the body cannot be read as JSON."))
            answers.setdefault("413", _error("too_large: the body is too large."))
    return document
