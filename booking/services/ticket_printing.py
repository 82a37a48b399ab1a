"""Walk-in tickets sent to the ESC/POS printer in the background (integrations/escpos.py).

Registering never waits for the printer and never fails because of it: reception always gets
the browser slip, which prints as before. A print that fails is logged with the ticket's
label and the printer's reason, never a name, a text of the slip or its status address (which
carries the visitor's token), and counted.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from integrations.escpos import PrinterError, Slip, TicketPrinter

log = logging.getLogger("booking.printing")


@dataclass
class PrintTally:
    sent: int = 0
    failed: int = 0


class BackgroundPrinter:
    """Hands slips to a :class:`TicketPrinter` without making anyone wait."""

    def __init__(self, printer: TicketPrinter) -> None:
        self.printer = printer
        self.tally = PrintTally()
        # The event loop keeps only weak references to tasks: without these, a print under way
        # could be garbage-collected half-sent.
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, slip: Slip) -> None:
        """Start printing ``slip`` and return at once."""
        task = asyncio.create_task(self._print(slip), name=f"print ticket {slip.name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _print(self, slip: Slip) -> None:
        try:
            await self.printer.print_slip(slip)
        except PrinterError as error:
            self.tally.failed += 1
            log.warning("ticket %s not printed: %s", slip.name, error)
        except Exception as error:
            # A bug, not the printer: still nothing the registration should notice. The type
            # only, as a message might quote the slip.
            self.tally.failed += 1
            log.error("ticket %s not printed: %s", slip.name, type(error).__name__)
        else:
            self.tally.sent += 1

    async def close(self, grace_seconds: float) -> None:
        """At shutdown: let prints under way finish for a moment, then give them up."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if pending:
            self.tally.failed += len(pending)
            log.warning("%d tickets not printed: the service stopped", len(pending))
