"""What an ESC/POS printer gets, read back (the paper as printed, its QR code); a real TCP
server standing in for the printer; and the service set up to print to it."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import httpx2 as httpx
import segno

from booking.app import create_app
from booking.demo import load_demo, load_demo_accounts
from tests.conftest import STAFF_PASSWORD, Clock, Service, clear_database, make_settings

if TYPE_CHECKING:
    from PIL import Image

INIT = b"\x1b@"
RASTER = b"\x1dv0\x00"
CUT = b"\x1dVB\x00"  # GS V 66 0: feed to the cutter, partial cut


def read_escpos(data: bytes) -> tuple[int, int, bytes]:
    """Check the framing (init, raster bands, cut); the raster's bytes per row, rows and bits."""
    assert data.startswith(INIT), data[:8]
    assert data.endswith(CUT), data[-8:]
    position, end = len(INIT), len(data) - len(CUT)
    width: int | None = None
    rows = 0
    bits = bytearray()
    while position < end:
        assert data[position : position + 4] == RASTER, position
        x, y = struct.unpack_from("<HH", data, position + 4)
        assert 1 <= y <= 255, "bands small enough for any printer's buffer"
        assert width in (None, x)
        width = x
        bits += data[position + 8 : position + 8 + x * y]
        rows += y
        position += 8 + x * y
    assert position == end and width is not None
    return width, rows, bytes(bits)


def printed_image(data: bytes) -> Image.Image:
    """The paper as the printer would print it (1 bits are black dots)."""
    from PIL import Image

    width, rows, bits = read_escpos(data)
    white_is_one = bytes(255 - b for b in bits)
    return Image.frombytes("1", (width * 8, rows), white_is_one)


def ink(image: Image.Image) -> Image.Image:
    from PIL import ImageOps

    return ImageOps.invert(image.convert("L"))  # ink non-zero, so that getbbox finds it


def bands(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """Boxes (left, top, right, bottom) of the runs of rows that carry ink, top to bottom."""
    inked = ink(image)
    found: list[tuple[int, int, int, int]] = []
    start: int | None = None
    for y in range(image.height + 1):
        has_ink = y < image.height and inked.crop((0, y, image.width, y + 1)).getbbox()
        if has_ink and start is None:
            start = y
        elif not has_ink and start is not None:
            box = inked.crop((0, start, image.width, y)).getbbox()
            assert box is not None
            found.append((box[0], start, box[2], y))
            start = None
    return found


def read_qr(image: Image.Image) -> list[list[int]]:
    """The modules of the one square, QR-sized block of ink, sampled at their centres; the
    module size is read from the finder pattern's top edge (seven modules long)."""
    for left, top, right, bottom in bands(image):
        if bottom - top >= 100 and abs((right - left) - (bottom - top)) <= 1:
            run = 0
            while image.getpixel((left + run, top)) == 0:
                run += 1
            scale = run // 7
            return [
                [
                    int(image.getpixel((x + scale // 2, y + scale // 2)) == 0)
                    for x in range(left, right - scale + 1, scale)
                ]
                for y in range(top, bottom - scale + 1, scale)
            ]
    raise AssertionError("no QR code on the slip")


def qr_modules(url: str) -> list[list[int]]:
    return [list(row) for row in segno.make(url, error="m").matrix]


class PrinterServer:
    """A real TCP server on 127.0.0.1 that takes slips as a raw-port printer does."""

    def __init__(self) -> None:
        self.slips: asyncio.Queue[bytes] = asyncio.Queue()
        self.port = 0

    async def _take(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self.slips.put(await reader.read())  # everything until the sender closes
        writer.close()
        await writer.wait_closed()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[PrinterServer]:
        server = await asyncio.start_server(self._take, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield self

    async def next_slip(self) -> bytes:
        return await asyncio.wait_for(self.slips.get(), timeout=10)


@asynccontextmanager
async def service_with_printer(
    database: str, clock: Clock, password_hash: str, port: int
) -> AsyncIterator[Service]:
    settings = make_settings(database, ticket_printer_host="127.0.0.1", ticket_printer_port=port)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        await clear_database()
        await load_demo()
        await load_demo_accounts(STAFF_PASSWORD, password_hash=password_hash)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Service(app, client, clock, settings)
