"""How much one press of "call next" asks the database under the location's lock: with ten
counsellors at their desks and twenty people waiting, at most 15 statements (issue 14). The
floor is read once; the weights in force are read before the lock (admins' settings and the
month's plan, which the queue does not change).

Counted from tortoise's own query log (the DB client library's DEBUG records), from the lock's
UPDATE to the end of the transaction."""

from __future__ import annotations

import logging

from booking import queue
from booking.models import Counsellor, Location, Ticket
from booking.services import desk, fairness, walkins
from booking.services.walkins import WalkInForm
from tests.conftest import Service, at

LIMIT = 15


class Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = str(record.msg % record.args if record.args else record.msg)
        self.statements.append(text.split(":", 1)[0] if ": " in text else text)

    def under_lock(self) -> list[str]:
        start = next(i for i, s in enumerate(self.statements) if "booking_lock" in s)
        return self.statements[start:]


async def test_one_call_stays_within_fifteen_statements_under_the_lock(service: Service) -> None:
    service.clock.now = at(10, 5)
    location = await Location.get(code="hsc")
    people = await Counsellor.filter(active=True).order_by("id").limit(10)
    assert len(people) == 10
    for someone in people:
        await desk.arrive(someone, location, "test", service.clock.now, room="1.01")
    for number in range(20):
        form = WalkInForm("forms", "de" if number % 2 else "ar", "", "")
        await walkins.register(location, form, "reception", service.clock.now)
    assert await Ticket.filter(status=queue.WAITING).count() == 20
    caller = next(p for p in people if "de" in p.languages and "forms" in p.topics)
    caller = await Counsellor.get(id=caller.id)

    logger = logging.getLogger("tortoise.db_client")
    counter, level = Counter(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        called = await walkins.call_next(
            caller, location, service.clock.now, fairness.DEFAULT_RULES, anyway=True
        )
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
    assert called.ticket is not None and called.ticket.room_id is not None
    statements = counter.under_lock()
    print(f"\n{len(statements)} statements under the lock for one call:")
    for statement in statements:
        print("  ", statement[:110])
    assert len(statements) <= LIMIT, statements
