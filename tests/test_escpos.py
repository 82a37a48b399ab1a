"""The ESC/POS ticket printer (integrations/escpos.py, booking/services/ticket_printing.py):
the bytes a receipt printer gets, the slip as drawn (shaped Arabic, right-aligned right-to-left
text, the large number, a QR code that reads back), a real TCP server standing in for the
printer, and reception's registration printing, or not waiting for a printer that is down.

The drawing tests need Pillow with raqm and the fonts; where they are missing they are skipped
with the reason (on the development machines they run)."""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from booking.services.ticket_printing import BackgroundPrinter
from integrations.escpos import (
    MARGIN,
    TEXT_SIZE,
    NetworkTicketPrinter,
    PrinterError,
    PrinterSetupError,
    Slip,
    SlipFonts,
    TextBlock,
    escpos_raster,
    render_slip,
)
from tests.conftest import Clock, at
from tests.support.printer import (
    INIT,
    RASTER,
    PrinterServer,
    bands,
    ink,
    printed_image,
    qr_modules,
    read_escpos,
    read_qr,
    service_with_printer,
)
from tests.support.staff import sign_in
from tests.support.walkins import post_walk_in

if TYPE_CHECKING:
    from PIL import Image

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STATUS_URL = "http://test/t/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfG"
ARABIC = TextBlock(
    "ar",
    "rtl",
    "رقمك",
    ("يرجى الانتظار؛ سيظهر رقمك على الشاشة.", "هذا الرقم للاستشارة المجانية."),
)
GERMAN = TextBlock(
    "de",
    "ltr",
    "Ihre Nummer",
    ("Bitte warten Sie; Ihre Nummer erscheint auf dem Bildschirm.", "Kostenlose Beratung."),
)


@pytest.fixture(scope="module")
def fonts() -> SlipFonts:
    try:
        return SlipFonts.find()
    except PrinterSetupError as error:
        pytest.skip(f"ESC/POS slips cannot be drawn on this machine: {error}")


@pytest.fixture(scope="module")
def pillow() -> None:
    pytest.importorskip("PIL", reason="Pillow is not installed: pip install -e '.[dev]'")


# --- reading what the printer gets -------------------------------------------------------------


def below_the_last_rule(image: Image.Image) -> tuple[int, int, int, int]:
    """The box of the ink under the last full-width rule: the last block's texts."""
    rule = max(b[3] for b in bands(image) if b[3] - b[1] <= 3 and b[2] - b[0] > image.width // 2)
    box = ink(image.crop((0, rule, image.width, image.height))).getbbox()
    assert box is not None
    return box[0], rule + box[1], box[2], rule + box[3]


# --- the bytes -------------------------------------------------------------------------------


def test_raster_is_framed_by_init_and_cut_and_split_into_bands(pillow: None) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("1", (576, 600), 1)
    ImageDraw.Draw(image).rectangle((0, 0, 7, 0), fill=0)  # the first byte: 8 black dots
    ImageDraw.Draw(image).rectangle((568, 599, 575, 599), fill=0)  # the last byte
    data = escpos_raster(image)
    assert data[:2] == INIT
    assert data[2:10] == RASTER + bytes([72, 0, 255, 0])  # 72 bytes = 576 dots, 255 rows
    assert data.count(RASTER) == 3  # 255 + 255 + 90 rows
    width, rows, bits = read_escpos(data)
    assert (width, rows) == (72, 600)
    assert bits[0] == 0xFF and bits[-1] == 0xFF and bits[1:-1] == bytes(len(bits) - 2)
    assert printed_image(data).tobytes() == image.tobytes()


def test_a_width_that_is_not_whole_bytes_is_padded_white(pillow: None) -> None:
    from PIL import Image

    data = escpos_raster(Image.new("L", (570, 3), 0))  # all black; grey converts by threshold
    width, rows, bits = read_escpos(data)
    assert (width, rows) == (72, 3)
    assert bits[70] == 0xFF and bits[71] == 0b1100_0000  # 570 = 71 * 8 + 2; the rest is white


# --- the drawing -----------------------------------------------------------------------------


def test_arabic_is_shaped_and_laid_out_right_to_left_by_raqm(fonts: SlipFonts) -> None:
    from PIL import Image, ImageDraw, ImageFont

    words = "السلام عليكم"
    block = TextBlock("ar", "rtl", "", (words,))
    slip = render_slip(Slip(place="", label="1", blocks=(block,)), fonts)
    printed = ink(slip.crop(below_the_last_rule(slip)))

    def drawn(layout: ImageFont.Layout) -> bytes:
        path = fonts.for_text(words, bold=True)  # a block's first line is bold
        font = ImageFont.truetype(str(path), TEXT_SIZE, layout_engine=layout)
        canvas = Image.new("L", (800, 3 * TEXT_SIZE), 255)
        shaped = layout == ImageFont.Layout.RAQM
        ImageDraw.Draw(canvas).text(
            (700, 2 * TEXT_SIZE),
            words,
            font=font,
            fill=0,
            anchor="rs",
            direction="rtl" if shaped else None,
            language="ar" if shaped else None,
        )
        inked = ink(canvas.convert("1", dither=Image.Dither.NONE))
        return inked.crop(inked.getbbox()).tobytes()

    unshaped = drawn(ImageFont.Layout.BASIC)  # letters one by one, left to right
    assert drawn(ImageFont.Layout.RAQM) != unshaped, "the test tells the two apart"
    assert printed.tobytes() == drawn(ImageFont.Layout.RAQM)
    assert printed.tobytes() != unshaped


def test_right_to_left_text_is_right_aligned_and_left_to_right_left_aligned(
    fonts: SlipFonts,
) -> None:
    for block, right_aligned in (
        (TextBlock("fa", "rtl", "", ("بله",)), True),
        (TextBlock("de", "ltr", "", ("Ja",)), False),
    ):
        slip = render_slip(Slip(place="", label="1", blocks=(block,)), fonts)
        left, _, right, _ = below_the_last_rule(slip)
        if right_aligned:
            assert right >= slip.width - MARGIN - 3 and left > slip.width // 2, (left, right)
        else:
            assert left <= MARGIN + 3 and right < slip.width // 2, (left, right)


def test_the_number_is_large_and_long_texts_are_wrapped_to_the_width(fonts: SlipFonts) -> None:
    long_line = "Bitte warten Sie; Ihre Nummer erscheint auf dem Bildschirm. " * 3
    uncaptioned = TextBlock("de", "ltr", "", GERMAN.lines)
    slip = render_slip(Slip(place="", label="W 007", blocks=(uncaptioned,)), fonts)
    left, top, right, bottom = bands(slip)[0]
    assert bottom - top >= 100, "at least 12 mm high at 8 dots per mm"
    assert right - left >= 350
    wrapped = render_slip(
        Slip(place="", label="W 007", blocks=(TextBlock("de", "ltr", "", ("x", long_line)),)),
        fonts,
    )
    assert wrapped.width == 576 and wrapped.mode == "1"
    assert all(b[0] >= MARGIN - 1 and b[2] <= 576 - MARGIN + 1 for b in bands(wrapped))
    assert wrapped.height > slip.height + 3 * TEXT_SIZE  # several lines, not one cut off


def test_the_qr_code_reads_back_as_the_status_address(fonts: SlipFonts) -> None:
    slip = render_slip(Slip("Service-Center", "W 007", (ARABIC, GERMAN), STATUS_URL), fonts)
    found = read_qr(slip)
    assert found == qr_modules(STATUS_URL)
    assert found != qr_modules(STATUS_URL.replace("AbC", "XbC"))
    no_code = render_slip(Slip("Service-Center", "W 007", (ARABIC, GERMAN)), fonts)
    with pytest.raises(AssertionError, match="no QR code"):
        read_qr(no_code)


def test_each_script_gets_a_font_that_has_it(fonts: SlipFonts) -> None:
    names = {path.name for path in fonts.files}
    assert fonts.for_text("W 007 Größe Жди") == fonts.files[0]
    if "NotoSansArabic-Regular.ttf" in names:
        assert fonts.for_text("رقمك؛ پنجره").name == "NotoSansArabic-Regular.ttf"
    if "DejaVuSans.ttf" in names:
        # Noto Sans Arabic has no "(" and no Latin letters: DejaVu Sans has both.
        assert fonts.for_text("امسح رمز QR (الهاتف)").name == "DejaVuSans.ttf"
    if "NotoSansEthiopic-Regular.ttf" in names:
        assert fonts.for_text("በጃኹም ተጸበዩ።").name == "NotoSansEthiopic-Regular.ttf"


def test_the_status_address_stays_out_of_reprs() -> None:
    slip = Slip("Service-Center", "W 007", (GERMAN,), STATUS_URL)
    assert "AbCdEf" not in repr(slip) and "W 007" in repr(slip)


# --- the network printer ---------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there any more


async def test_the_printer_gets_init_raster_and_cut_over_tcp(fonts: SlipFonts) -> None:
    slip = Slip("Service-Center", "W 007", (ARABIC, GERMAN), STATUS_URL, "2026-11-23 10:05")
    async with PrinterServer().running() as server:
        printer = NetworkTicketPrinter("127.0.0.1", server.port, timeout=5, fonts=fonts)
        await printer.print_slip(slip)
        data = await server.next_slip()
    width, rows, _ = read_escpos(data)
    image = render_slip(slip, fonts)
    assert (width, rows) == (72, image.height)
    assert printed_image(data).tobytes() == image.tobytes()
    assert read_qr(printed_image(data)) == qr_modules(STATUS_URL)


async def test_a_printer_that_is_down_is_an_error_naming_the_printer_only(
    fonts: SlipFonts,
) -> None:
    port = closed_port()
    printer = NetworkTicketPrinter("127.0.0.1", port, timeout=5, fonts=fonts)
    started = time.monotonic()
    with pytest.raises(PrinterError, match=f"127.0.0.1:{port}") as raised:
        await printer.print_slip(Slip("Service-Center", "W 007", (GERMAN,), STATUS_URL))
    assert time.monotonic() - started < 5
    assert "AbCdEf" not in str(raised.value)


async def test_background_printing_counts_and_logs_without_the_slip(
    fonts: SlipFonts, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="booking")
    async with PrinterServer().running() as server:
        good = BackgroundPrinter(NetworkTicketPrinter("127.0.0.1", server.port, fonts=fonts))
        good.submit(Slip("Service-Center", "W 001", (GERMAN,), STATUS_URL))
        good.submit(Slip("Service-Center", "W 002", (GERMAN,), STATUS_URL))
        first, second = await server.next_slip(), await server.next_slip()
        await good.close(grace_seconds=5)
    assert read_escpos(first)[0] == read_escpos(second)[0] == 72
    assert (good.tally.sent, good.tally.failed) == (2, 0)
    down = BackgroundPrinter(NetworkTicketPrinter("127.0.0.1", closed_port(), fonts=fonts))
    down.submit(Slip("Service-Center", "W 003", (GERMAN,), STATUS_URL))
    await down.close(grace_seconds=5)
    assert (down.tally.sent, down.tally.failed) == (0, 1)
    assert "ticket W 003 not printed" in caplog.text
    assert "AbCdEf" not in caplog.text and "warten" not in caplog.text


# --- start-up --------------------------------------------------------------------------------


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )


def test_the_service_runs_without_pillow_while_no_printer_is_set() -> None:
    result = run_python(
        "import sys\n"
        "sys.modules['PIL'] = None  # as if Pillow were not installed\n"
        "from booking.app import create_app\n"
        "from booking.settings import Settings, SettingsError\n"
        "assert create_app(Settings(demo=True)).state.ticket_printer is None\n"
        "try:\n"
        "    create_app(Settings(demo=True, ticket_printer_host='127.0.0.1'))\n"
        "except SettingsError as error:\n"
        "    print(error)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "BOOKING_TICKET_PRINTER is set, but: The ticket printer needs Pillow" in result.stdout


def test_without_raqm_the_printer_refuses_to_start(pillow: None) -> None:
    result = run_python(
        "import PIL.features\n"
        "PIL.features.check = lambda feature: feature != 'raqm'  # a machine without FriBiDi\n"
        "from booking.app import create_app\n"
        "from booking.settings import Settings, SettingsError\n"
        "try:\n"
        "    create_app(Settings(demo=True, ticket_printer_host='127.0.0.1'))\n"
        "except SettingsError as error:\n"
        "    print(error)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "raqm text layout is not available" in result.stdout


def test_a_font_that_is_no_font_is_refused(fonts: SlipFonts, tmp_path: Path) -> None:
    not_a_font = tmp_path / "font.ttf"
    not_a_font.write_text("hello")
    with pytest.raises(PrinterSetupError, match="BOOKING_TICKET_FONT"):
        SlipFonts.find(not_a_font)
    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if dejavu.is_file():
        assert SlipFonts.find(dejavu).files[0] == dejavu  # the configured font comes first


# --- reception registers, the printer prints -------------------------------------------------


async def test_registering_a_walk_in_prints_its_slip(
    fonts: SlipFonts, database: str, clock: Clock, staff_password_hash: str
) -> None:
    clock.now = at(10, 5)
    async with (
        PrinterServer().running() as printer,
        service_with_printer(database, clock, staff_password_hash, printer.port) as service,
    ):
        await sign_in(service.client, "reception")
        made = await post_walk_in(service, language="ar", name="Amina")
        assert made.status_code == 303
        target = made.headers["location"]
        assert parse_qs(urlsplit(target).query)["printer"] == ["1"]
        slip = await service.client.get(target)
        assert slip.status_code == 200 and "W 001" in slip.text
        assert "Sent to the ticket printer." in slip.text
        printed = await printer.next_slip()
        await asyncio.sleep(0.2)
        assert printer.slips.empty(), "one registration, one slip"
        # The printed code leads to this visitor's status page, as the browser slip's does.
        token = parse_qs(urlsplit(target).query)["t"][0]
        assert read_qr(printed_image(printed)) == qr_modules(f"http://test/t/{token}")
        assert service.app.state.ticket_printer.tally.sent == 1
        # A reprint from the list (no token) sends nothing and does not claim to.
        reprint = await service.client.get(target.split("?")[0])
        assert "Sent to the ticket printer" not in reprint.text


async def test_a_printer_that_is_down_does_not_hold_up_registering(
    fonts: SlipFonts,
    database: str,
    clock: Clock,
    staff_password_hash: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="booking")
    clock.now = at(10, 5)
    async with service_with_printer(database, clock, staff_password_hash, closed_port()) as service:
        await sign_in(service.client, "reception")
        started = time.monotonic()
        made = await post_walk_in(service, language="de", name="Amina")
        assert time.monotonic() - started < 2
        assert made.status_code == 303
        assert (await service.client.get(made.headers["location"])).status_code == 200
        tally = service.app.state.ticket_printer.tally
        for _ in range(100):
            if tally.failed:
                break
            await asyncio.sleep(0.05)
        assert (tally.sent, tally.failed) == (0, 1)
    token = parse_qs(urlsplit(made.headers["location"]).query)["t"][0]
    assert "ticket W 001 not printed" in caplog.text
    assert "Amina" not in caplog.text and token not in caplog.text
