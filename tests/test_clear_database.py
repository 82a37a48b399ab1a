"""clear_database (tests/conftest.py) empties every table the models know, so that no test sees
rows an earlier one left behind, whichever models are added later."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.fields.relational import RelationalField
from tortoise.models import Model

from booking.models import Location, Ticket
from tests.conftest import Service, at, children_first, clear_database
from tests.support.bookings import book
from tests.support.staff import bearer, sign_in
from tests.support.walkins import register


async def rows_per_model() -> dict[str, int]:
    models: list[type[Model]] = list(Tortoise.apps["models"].values())
    return {model.__name__: await model.all().count() for model in models}


async def test_every_registered_model_is_left_without_rows(staff: Service) -> None:
    await book(staff, at(11))  # a booking, its office appointment, outbox and shares
    staff.clock.now = at(10, 5)  # the location is open for walk-ins
    await register(staff, await bearer(staff, "reception"))  # a ticket and an API token
    await sign_in(staff.client, "admin")  # a staff session
    filled = {name for name, count in (await rows_per_model()).items() if count}
    # Ticket: the hand-written list left it to the cascade from Location; it is cleared itself now.
    assert {"Booking", "Ticket", "ApiToken", "StaffSession", "OutboxMessage"} <= filled
    await clear_database()
    assert {name: count for name, count in (await rows_per_model()).items() if count} == {}


def test_children_come_before_the_rows_they_refer_to() -> None:
    order = children_first(Tortoise.apps["models"].values())
    assert set(order) == set(Tortoise.apps["models"].values())
    for model in order:
        for name in model._meta.fk_fields | model._meta.o2o_fields:
            field = model._meta.fields_map[name]
            assert isinstance(field, RelationalField), (model.__name__, name)
            parent = field.related_model
            assert order.index(model) < order.index(parent), (model.__name__, name)
    assert order.index(Ticket) < order.index(Location)
