"""The walk-in queue in the database, one concept a module:

- ``common``: labels, the queue's view of rows, the floor read in one pass, taking a ticket;
- ``tickets``: registering walk-ins and their status page;
- ``calls``: "call next", readiness and the desk's actions;
- ``display``: the waiting-room display;
- ``closing``: closing time, periodically and for a cron.

A called ticket becomes a session: a Booking with channel ``walk_in`` for the counsellor it is
called for, decided and recorded by the balancing rules like any booking, so walk-ins served
count in the fair shares, the schedule and the statistics. The names below are the package's
interface (the web layer, the desk service and the tests import them from here).
"""

from booking.queue import ACTIONS
from booking.services.walkins.calls import (
    Called,
    act,
    call_next,
    current,
    present_targets,
    set_ready,
)
from booking.services.walkins.closing import (
    CLOSE_INTERVAL_SECONDS,
    close_day,
    close_due,
    close_periodically,
    next_opening,
)
from booking.services.walkins.common import (
    CLOSED_AT_CLOSING,
    NAME_MAX,
    WALK_IN,
    Floor,
    as_queued,
    desk_of,
    floor,
    ticket_label,
)
from booking.services.walkins.display import DISPLAY_CALLS, Call, display
from booking.services.walkins.rooms import planned_room, rooms_of
from booking.services.walkins.tickets import (
    Registered,
    Status,
    WalkInForm,
    read_walk_in,
    register,
    status,
)

__all__ = [
    "ACTIONS",
    "CLOSED_AT_CLOSING",
    "CLOSE_INTERVAL_SECONDS",
    "DISPLAY_CALLS",
    "NAME_MAX",
    "WALK_IN",
    "Call",
    "Called",
    "Floor",
    "Registered",
    "Status",
    "WalkInForm",
    "act",
    "as_queued",
    "call_next",
    "close_day",
    "close_due",
    "close_periodically",
    "current",
    "desk_of",
    "display",
    "floor",
    "next_opening",
    "planned_room",
    "present_targets",
    "read_walk_in",
    "register",
    "rooms_of",
    "set_ready",
    "status",
    "ticket_label",
]
