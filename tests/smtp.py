"""A real SMTP server for the tests (aiosmtpd in its own thread on a free localhost port).

``Recorder`` keeps what arrives, or answers RCPT or DATA with a chosen reply, standing in for a
busy (4xx) or refusing (5xx) mail server.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller

from integrations.mail import SmtpTransport


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Recorder:
    """An aiosmtpd handler that keeps what arrives, or answers RCPT or DATA with a reply."""

    def __init__(self, rcpt_reply: str | None = None, data_reply: str | None = None) -> None:
        self.rcpt_reply = rcpt_reply
        self.data_reply = data_reply
        self.received: list[bytes] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        self.received.append(envelope.original_content)
        return "250 OK"


@contextmanager
def smtp_server(handler: Recorder, port: int | None = None) -> Iterator[SmtpTransport]:
    port = port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpTransport("127.0.0.1", port, "none", timeout=2)
    finally:
        controller.stop()
