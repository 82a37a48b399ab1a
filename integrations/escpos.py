"""Walk-in tickets on ESC/POS receipt printers, as one raster image sent over raw TCP.

The slip is drawn as a picture rather than sent as printer text: receipt printers' built-in
fonts and code pages have no Arabic, Persian, Pashto or Tigrinya, and even where a code page
has Arabic letters the printer neither joins them nor lays the line out right to left. Pillow
with its raqm layout (HarfBuzz for shaping, FriBiDi for the order) does both, so the picture
is what the browser slip shows. Without raqm the printer refuses to start
(:class:`PrinterSetupError`) instead of printing letters unjoined and backwards.

Pillow is imported only inside the functions that draw, so the service runs without it as
long as no printer is configured (``pip install '.[escpos]'`` adds it).

The bytes are a few commands of the ESC/POS language that Epson's TM printers and their many
compatibles understand (see :func:`escpos_raster`); they reach the printer on its raw TCP port
9100, which receipt printers listen on without any driver or spooler.
"""

from __future__ import annotations

import asyncio
import functools
import struct
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

DEFAULT_PORT = 9100  # the raw ("JetDirect") port: bytes in, paper out
WIDTH_DOTS = 576  # 72 mm printable on 80 mm paper at 203 dpi (8 dots per mm)
MARGIN = 8  # dots left and right inside the printable width
TOP_MARGIN = 8
BOTTOM_MARGIN = 24
GAP = 10  # between the parts of the slip
PARAGRAPH_GAP = 6  # between a block's texts, as the browser slip's paragraph margins
LINE_HEIGHT = 1.5  # line pitch, in font sizes
BASELINE = 1.1  # from a line's top to its baseline, in font sizes

# Sizes in dots (8 per mm); the browser slip's point sizes, a little larger for thermal paper.
PLACE_SIZE = 24
CAPTION_SIZE = 28
NUMBER_SIZE = 180  # at most; a long label is set smaller so that it fits the width
TEXT_SIZE = 28
URL_SIZE = 18
TIME_SIZE = 22
QR_DOTS = 256  # about 32 mm, as on the browser slip
QR_BORDER = 4  # modules of quiet zone, as the QR standard asks

# Debian's fonts-noto-core and fonts-dejavu-core (and fonts-liberation), best first. Each part
# of the slip takes the first font that has a glyph for every one of its characters: Noto Sans
# for Latin and Cyrillic, Noto Sans Arabic for Arabic, Persian and Pashto, Noto Sans Ethiopic
# for Tigrinya. Noto's script fonts leave out Latin letters and some punctuation ("?", "("),
# so a block that mixes them falls through to DejaVu Sans, which has Latin and Arabic both.
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation"),
)
DEFAULT_FONTS = (
    FONT_DIRS[0] / "NotoSans-Regular.ttf",
    FONT_DIRS[0] / "NotoSansArabic-Regular.ttf",
    FONT_DIRS[0] / "NotoSansEthiopic-Regular.ttf",
    FONT_DIRS[1] / "DejaVuSans.ttf",
    FONT_DIRS[2] / "LiberationSans-Regular.ttf",
)
LATIN_SAMPLE = "AWZaz0123456789:/"  # the number, the time and the address need at least these
# A code point no font has: what a font draws for it is its "missing glyph" box.
_NO_SUCH_CHARACTER = "\U0010fffd"
# Characters that need no glyph: spaces, and the invisible controls bidi and joining use
# (ZWNJ is part of Persian spelling).
_NO_GLYPH_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cf"}


class PrinterSetupError(Exception):
    """The printer cannot work on this machine (no Pillow, no raqm, no usable font)."""


class PrinterError(Exception):
    """One slip did not reach the printer. The message names the printer, never the slip."""


@dataclass(frozen=True)
class TextBlock:
    """The visitor texts in one language. The first block's caption heads the number, as on
    the browser slip; the first line (what to do now) is set in bold."""

    language: str  # BCP 47, e.g. "fa"; raqm uses it for language-specific letter forms
    direction: str  # "ltr" or "rtl"
    caption: str
    lines: tuple[str, ...]

    def __post_init__(self) -> None:
        assert self.direction in ("ltr", "rtl"), f"direction must be ltr or rtl: {self.direction}"


@dataclass(frozen=True)
class Slip:
    """One walk-in ticket as it is printed: what the browser slip shows, as plain data."""

    place: str
    label: str  # "W 007"; a follow-up's short code
    blocks: tuple[TextBlock, ...]
    # The status page's address carries the visitor's token: kept out of reprs and so of logs.
    status_url: str | None = field(default=None, repr=False)
    time: str = ""  # "2026-11-23 10:05"
    named: str = ""  # what logs call the slip, if not the label (a short code is a secret)

    @property
    def name(self) -> str:
        return self.named or self.label


class TicketPrinter(Protocol):
    async def print_slip(self, slip: Slip) -> None:
        """Print one slip, or raise :class:`PrinterError`."""
        ...


# --- fonts -----------------------------------------------------------------------------------


def require_raqm() -> None:
    """Refuse to go on without Pillow and its raqm layout: without them Arabic script would
    come out as separate letters in the wrong order."""
    try:
        from PIL import features
    except ImportError:
        raise PrinterSetupError(
            "The ticket printer needs Pillow: pip install 'welcome-booking[escpos]'."
        ) from None
    if not features.check("raqm"):
        raise PrinterSetupError(
            "Pillow's raqm text layout is not available, so Arabic, Persian and Pashto could "
            "not be printed correctly. Pillow from pip brings raqm but needs FriBiDi and "
            "HarfBuzz from the system (Debian: apt install libfribidi0 libharfbuzz0b)."
        )


@functools.cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    require_raqm()  # truetype() would quietly fall back to the basic layout
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)


def _ink(font: ImageFont.FreeTypeFont, text: str) -> tuple[tuple[int, ...], bytes]:
    from PIL import Image, ImageDraw

    left, top, right, bottom = (int(v) for v in font.getbbox(text))
    image = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(image).text((-left, -top), text, font=font, fill=255)
    return (left, top, right, bottom), image.tobytes()


@functools.cache
def _has_glyph(path: str, char: str) -> bool:
    """Whether the font draws ``char`` as something other than its missing-glyph box.
    (Pillow does not expose a font's character map; this comparison needs nothing more.)"""
    if unicodedata.category(char) in _NO_GLYPH_CATEGORIES:
        return True
    font = _font(path, TEXT_SIZE)
    return _ink(font, char) != _ink(font, _NO_SUCH_CHARACTER)


def _bold_of(path: Path) -> Path:
    """The bold face beside a regular one (NotoSans-Regular -> NotoSans-Bold,
    DejaVuSans -> DejaVuSans-Bold), or the regular face itself."""
    stem = path.stem.removesuffix("-Regular")
    bold = path.with_name(f"{stem}-Bold{path.suffix}")
    return bold if bold.is_file() else path


@dataclass(frozen=True)
class SlipFonts:
    """The font files a slip may use, best first (regular faces; bold ones are found beside)."""

    files: tuple[Path, ...]

    @classmethod
    def find(
        cls, configured: Path | None = None, candidates: Sequence[Path] = DEFAULT_FONTS
    ) -> SlipFonts:
        """The configured font first, then the installed ones among ``candidates``.
        Raises :class:`PrinterSetupError` without raqm or without any usable font."""
        require_raqm()
        files: list[Path] = []
        if configured is not None:
            try:
                _font(str(configured), TEXT_SIZE)
            except OSError:
                raise PrinterSetupError(
                    f"BOOKING_TICKET_FONT {str(configured)!r} is not a font file Pillow can read "
                    "(a .ttf or .otf file)."
                ) from None
            files.append(configured)
        for path in candidates:
            if path.is_file() and path not in files:
                try:
                    _font(str(path), TEXT_SIZE)
                except OSError:
                    continue  # a broken system font is skipped, not fatal
                files.append(path)
        if not any(all(_has_glyph(str(f), c) for c in LATIN_SAMPLE) for f in files):
            raise PrinterSetupError(
                "No font for the ticket printer: install fonts-noto-core (Debian) or set "
                "BOOKING_TICKET_FONT to a .ttf file with Latin letters and digits."
            )
        return cls(tuple(files))

    def for_text(self, text: str, *, bold: bool = False) -> Path:
        """The first font with a glyph for every character of ``text``; failing that, the one
        that has the most of them (missing ones print as boxes, never as wrong letters).
        ``bold``: its bold face, where one lies beside it."""
        regular = self._covering(text)
        return _bold_of(regular) if bold else regular

    def _covering(self, text: str) -> Path:

        def covered(path: Path) -> int:
            return sum(_has_glyph(str(path), char) for char in set(text))

        needed = len(set(text))
        best = self.files[0]
        best_count = -1
        for path in self.files:
            count = covered(path)
            if count == needed:
                return path
            if count > best_count:
                best, best_count = path, count
        return best


# --- drawing ---------------------------------------------------------------------------------

# FreeType faces are shared through the cache above and are not safe to use from two threads
# at once; slips are drawn in worker threads (asyncio.to_thread), so one at a time.
_DRAWING = threading.Lock()

_Part = Callable[["ImageDraw.ImageDraw"], None]


class _Page:
    """The slip top to bottom: each part measured when added, all drawn at the end."""

    def __init__(self, fonts: SlipFonts, width: int) -> None:
        self.fonts = fonts
        self.width = width
        self.usable = width - 2 * MARGIN
        self.y = TOP_MARGIN
        self.parts: list[_Part] = []

    def font_for(self, text: str, size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
        return _font(str(self.fonts.for_text(text, bold=bold)), size)

    def space(self, dots: int) -> None:
        self.y += dots

    def paragraph(
        self,
        text: str,
        font: ImageFont.FreeTypeFont,
        *,
        direction: str = "ltr",
        language: str | None = None,
        centred: bool = False,
    ) -> None:
        """Wrapped to the width; right-aligned when right-to-left, unless centred.

        Lines are spaced by the font size, not by the font's own metrics: Noto Sans Arabic
        reserves twice the height of Noto Sans, which would spread Arabic over the paper."""
        size = font.size
        if centred:
            x, anchor = self.width // 2, "ms"
        elif direction == "rtl":
            x, anchor = self.width - MARGIN, "rs"
        else:
            x, anchor = MARGIN, "ls"
        for line in _wrap(text, font, self.usable, direction, language):
            y = self.y + round(size * BASELINE)

            def draw(d: ImageDraw.ImageDraw, line: str = line, y: int = y) -> None:
                d.text(
                    (x, y),
                    line,
                    font=font,
                    fill=0,
                    anchor=anchor,
                    direction=direction,
                    language=language,
                )

            self.parts.append(draw)
            self.y += round(size * LINE_HEIGHT)

    def number(self, label: str) -> None:
        """The ticket number as large as fits: the tight box of its ink, no line spacing."""
        font = self.font_for(label, NUMBER_SIZE, bold=True)
        length = font.getlength(label)
        if length > self.usable:
            font = self.font_for(label, int(NUMBER_SIZE * self.usable / length), bold=True)
        _, top, _, bottom = font.getbbox(label, anchor="ls")
        baseline = self.y - int(top)
        x = self.width // 2

        def draw(d: ImageDraw.ImageDraw) -> None:
            d.text((x, baseline), label, font=font, fill=0, anchor="ms")

        self.parts.append(draw)
        self.y += int(bottom - top)

    def rule(self) -> None:
        y = self.y

        def draw(d: ImageDraw.ImageDraw) -> None:
            d.rectangle((MARGIN, y, self.width - MARGIN - 1, y + 1), fill=0)

        self.parts.append(draw)
        self.y += 2

    def qr(self, url: str) -> None:
        """segno's matrix, drawn module by module: no second QR library, no scaling blur."""
        import segno

        matrix = segno.make(url, error="m").matrix
        modules = len(matrix) + 2 * QR_BORDER
        scale = max(1, min(QR_DOTS, self.usable) // modules)
        left = (self.width - modules * scale) // 2 + QR_BORDER * scale
        top = self.y + QR_BORDER * scale

        def draw(d: ImageDraw.ImageDraw) -> None:
            for row, bits in enumerate(matrix):
                for column, bit in enumerate(bits):
                    if bit:
                        x, y = left + column * scale, top + row * scale
                        d.rectangle((x, y, x + scale - 1, y + scale - 1), fill=0)

        self.parts.append(draw)
        self.y += modules * scale

    def image(self) -> Image.Image:
        from PIL import Image, ImageDraw

        canvas = Image.new("L", (self.width, self.y + BOTTOM_MARGIN), 255)
        draw = ImageDraw.Draw(canvas)
        for part in self.parts:
            part(draw)
        # A plain threshold, not dithering: grey edges of letters would print as speckles.
        return canvas.convert("1", dither=Image.Dither.NONE)


def _length(font: ImageFont.FreeTypeFont, text: str, direction: str, language: str | None) -> float:
    return font.getlength(text, direction=direction, language=language)


def _wrap(
    text: str, font: ImageFont.FreeTypeFont, width: int, direction: str, language: str | None
) -> list[str]:
    """Lines in reading order, each measured as raqm lays it out (joined Arabic is narrower
    than its letters one by one). A word wider than the line, such as an address, is broken
    between characters."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if _length(font, candidate, direction, language) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while len(word) > 1 and _length(font, word, direction, language) > width:
            cut = len(word) - 1
            while cut > 1 and _length(font, word[:cut], direction, language) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def render_slip(slip: Slip, fonts: SlipFonts, width_dots: int = WIDTH_DOTS) -> Image.Image:
    """The slip as a 1-bit image ``width_dots`` wide (black is 0), as long as it needs to be:
    place, caption, the number large, each language's texts, the QR code, the address, the
    time. Texts are shaped and ordered by raqm; right-to-left blocks are right-aligned."""
    with _DRAWING:
        page = _Page(fonts, width_dots)
        if slip.place:
            page.paragraph(slip.place, page.font_for(slip.place, PLACE_SIZE), centred=True)
        first = slip.blocks[0] if slip.blocks else None
        if first is not None and first.caption:
            page.paragraph(
                first.caption,
                page.font_for(first.caption, CAPTION_SIZE),
                direction=first.direction,
                language=first.language,
                centred=True,
            )
        page.space(GAP // 2)
        page.number(slip.label)
        for block in slip.blocks:
            page.space(GAP)
            page.rule()
            page.space(GAP)
            everything = block.caption + "".join(block.lines)
            for index, line in enumerate(block.lines):
                if index:
                    page.space(PARAGRAPH_GAP)
                font = page.font_for(everything, TEXT_SIZE, bold=index == 0)
                page.paragraph(line, font, direction=block.direction, language=block.language)
        if slip.status_url:
            page.space(GAP)
            page.qr(slip.status_url)
            page.paragraph(slip.status_url, page.font_for(slip.status_url, URL_SIZE), centred=True)
        if slip.time:
            page.space(GAP)
            page.paragraph(slip.time, page.font_for(slip.time, TIME_SIZE), centred=True)
        return page.image()


# --- ESC/POS ---------------------------------------------------------------------------------

# The commands used, as Epson's ESC/POS reference describes them:
#   ESC @            (1B 40)        initialise: clears the buffer and any earlier modes.
#   GS v 0 m xL xH yL yH d...       (1D 76 30 m ...) print a raster bit image: m = 0 normal
#                                   size; x = bytes per row, y = rows (both little-endian);
#                                   then x * y bytes, rows top to bottom, the most significant
#                                   bit leftmost, 1 = a black dot. Sent in bands of at most 255
#                                   rows, because many printers and clones have small buffers
#                                   and limit y.
#   GS V 66 n        (1D 56 42 n)   feed the paper to the cutter (plus n motion units) and
#                                   cut it partially, so the slip hangs until taken.
ESC_INIT = b"\x1b@"
RASTER = b"\x1dv0\x00"
FEED_AND_PARTIAL_CUT = b"\x1dVB\x00"
BAND_ROWS = 255
# Pillow packs a 1-bit image with 1 = white; the printer wants 1 = black.
_INVERT = bytes(255 - value for value in range(256))


def escpos_raster(image: Image.Image) -> bytes:
    """The ESC/POS bytes that print ``image`` (1-bit, or converted by threshold) and cut."""
    from PIL import Image

    if image.mode != "1":
        image = image.convert("1", dither=Image.Dither.NONE)
    width_bytes = (image.width + 7) // 8
    if image.width % 8:  # pad with white, which stays white once inverted
        padded = Image.new("1", (width_bytes * 8, image.height), 1)
        padded.paste(image, (0, 0))
        image = padded
    out = bytearray(ESC_INIT)
    for top in range(0, image.height, BAND_ROWS):
        band = image.crop((0, top, image.width, min(top + BAND_ROWS, image.height)))
        out += RASTER + struct.pack("<HH", width_bytes, band.height)
        out += band.tobytes().translate(_INVERT)
    out += FEED_AND_PARTIAL_CUT
    return bytes(out)


# --- the network printer ---------------------------------------------------------------------


class NetworkTicketPrinter:
    """A receipt printer on the network, spoken to on its raw port (9100)."""

    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        timeout: float = 5.0,
        fonts: SlipFonts | None = None,
        width_dots: int = WIDTH_DOTS,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.fonts = fonts if fonts is not None else SlipFonts.find()
        self.width_dots = width_dots
        # One slip at a time and in order: raw-port printers take one connection at a time.
        self._turn = asyncio.Lock()

    def __repr__(self) -> str:
        return f"NetworkTicketPrinter({self.host!r}, {self.port})"

    def escpos(self, slip: Slip) -> bytes:
        return escpos_raster(render_slip(slip, self.fonts, self.width_dots))

    async def print_slip(self, slip: Slip) -> None:
        async with self._turn:
            # Drawing takes tens of milliseconds of CPU: not on the event loop.
            data = await asyncio.to_thread(self.escpos, slip)
            await self.send(data)

    async def send(self, data: bytes) -> None:
        """Connect, write everything, close; all within the timeout."""
        try:
            async with asyncio.timeout(self.timeout):
                _, writer = await asyncio.open_connection(self.host, self.port)
                try:
                    writer.write(data)
                    await writer.drain()
                finally:
                    writer.close()
                    await writer.wait_closed()
        except TimeoutError:
            raise PrinterError(
                f"printer {self.host}:{self.port} did not take the slip within {self.timeout:g} s"
            ) from None
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise PrinterError(f"printer {self.host}:{self.port}: {reason}") from None
