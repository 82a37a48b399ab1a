"""The outbox sender: claims due messages and delivers them through a transport.

It runs inside the service (started by the lifespan, ``BOOKING_MAIL_SENDER=0`` switches it off)
and as its own worker, ``python -m booking send-mail``; any number may run at once against one
database (see booking/services/outbox.py). Temporary failures come back after an exponential
back-off with jitter of at most a minute, so delivery resumes within about a minute of the
mail server's return; permanent ones wait for an admin. A message that cannot even be
composed (an address e-mail's parser refuses, a manage link that can no longer be made) fails
at once with a reason an admin can read, instead of holding up its thread. Logs name counts
and reasons, never an address or a subject.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from booking.models import OutboxMessage
from booking.services import outbox, reminders
from integrations.mail import (
    DeliveryFailure,
    MailTransport,
    PermanentFailure,
    TemporaryFailure,
    backoff,
    compose,
)

log = logging.getLogger("booking.mail")

BATCH = 50
CONCURRENCY = 8  # connections to the mail server at once
POLL_SECONDS = 1.0


@dataclass
class Tally:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    withdrawn: int = 0  # reminders of sessions that will not take place

    def __iadd__(self, other: Tally) -> Tally:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.withdrawn += other.withdrawn
        return self

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed + self.withdrawn


@dataclass(frozen=True)
class Sender:
    transport: MailTransport
    from_address: str
    from_name: str
    clock: Callable[[], datetime]
    secret: str = field(repr=False)  # BOOKING_SECRET_KEY: fills in the manage links
    rng: random.Random = field(default_factory=random.Random)  # jitter needs no seed

    async def send_due(self, limit: int = BATCH) -> Tally:
        """One round: claim up to ``limit`` due messages and try each once."""
        await outbox.expire(self.clock())
        token, claimed = await outbox.claim(self.clock(), limit)
        tally = Tally()
        # Asked once claimed, so that no other sender holds them (booking/services/reminders.py).
        off = await reminders.off(claimed, self.clock())
        for message in [m for m in claimed if m.id in off]:
            if await reminders.withdraw(message, token):
                tally.withdrawn += 1
        claimed = [m for m in claimed if m.id not in off]
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(message: OutboxMessage) -> None:
            async with gate:
                await self._deliver(message, token, tally)

        await asyncio.gather(*(one(m) for m in claimed))
        return tally

    async def _deliver(self, message: OutboxMessage, token: str, tally: Tally) -> None:
        try:
            link_token = await outbox.manage_token_for(message, self.secret)
            outgoing = outbox.outgoing(message, self.from_address, self.from_name, link_token)
            mail = compose(outgoing)
        except DeliveryFailure as failure:
            await self._failed(message, token, failure, tally)
            return
        except Exception as error:
            # A message that cannot be composed will not compose on the next try either. The
            # exception's text may quote the content: only its type is kept.
            broken = PermanentFailure(f"message could not be composed ({type(error).__name__})")
            await self._failed(message, token, broken, tally)
            return
        try:
            await self.transport.send(mail)
        except DeliveryFailure as failure:
            await self._failed(message, token, failure, tally)
            return
        except Exception as error:
            # Transports raise only DeliveryFailure; anything else is tried again later
            # (counted, with back-off) rather than left to the lease.
            unexpected = TemporaryFailure(f"unexpected error ({type(error).__name__})")
            await self._failed(message, token, unexpected, tally)
            return
        if await outbox.mark_sent(message, token, self.clock()):
            tally.sent += 1

    async def _failed(
        self, message: OutboxMessage, token: str, failure: DeliveryFailure, tally: Tally
    ) -> None:
        if isinstance(failure, TemporaryFailure):
            wait = backoff(message.attempts, self.rng)  # attempts already counts this one
            tally.retrying += 1
        else:
            wait = None
            tally.failed += 1
        log.warning("message %d not delivered: %s", message.id, failure.reason)
        await outbox.mark_failed(message, token, failure.reason, self.clock(), wait)

    async def drain(self) -> Tally:
        """Send until nothing is due (tests, the ``--once`` command)."""
        total = Tally()
        while True:
            tally = await self.send_due()
            total += tally
            if tally.handled == 0:
                return total

    async def run(self, poll_seconds: float = POLL_SECONDS) -> None:
        """Until cancelled: a failing round (database away) is logged and tried again."""
        while True:
            try:
                tally = await self.send_due()
            except Exception as error:
                log.error("mail round failed: %s", type(error).__name__)
                tally = Tally()
            if tally.sent or tally.failed or tally.withdrawn:
                log.info(
                    "mail: %d sent, %d failed for good, %d reminders withdrawn",
                    tally.sent,
                    tally.failed,
                    tally.withdrawn,
                )
            if tally.handled < BATCH:
                await asyncio.sleep(poll_seconds)
