"""CSV that German Excel opens correctly: semicolons, UTF-8 with a byte-order mark, CRLF, and no
cell that Excel would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.responses import Response


@dataclass(frozen=True)
class Number:
    """A figure with a fixed number of decimals, written with a decimal comma."""

    value: float
    places: int = 1

    def __str__(self) -> str:
        return f"{self.value:.{self.places}f}".replace(".", ",")


# Text is typed in by people and may look like a formula; numbers are ours and never escaped,
# or Excel would show "-0,57" as the text "'-0,57".
Cell = str | int | float | Number


def cell(value: Cell) -> str:
    """A cell as written: numbers as numbers, text that Excel will not run as a formula."""
    if isinstance(value, Number | int):
        return str(value)
    if isinstance(value, float):
        return str(value).replace(".", ",")
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def decimal_comma(number: float, places: int = 1) -> Number:
    return Number(number, places)


def csv_bytes(rows: Sequence[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows([[cell(value) for value in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")


def csv_response(rows: Sequence[Sequence[Cell]], filename: str) -> Response:
    return Response(
        csv_bytes(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
