"""CSV that German Excel opens correctly: semicolons, UTF-8 with a byte-order mark, CRLF, and no
cell that Excel would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from starlette.responses import Response


def cell(text: str) -> str:
    """Text that Excel will not run as a formula (names are typed in by people)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def decimal_comma(number: float, places: int = 1) -> str:
    return f"{number:.{places}f}".replace(".", ",")


def csv_bytes(rows: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows([[cell(text) for text in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")


def csv_response(rows: Sequence[Sequence[str]], filename: str) -> Response:
    return Response(
        csv_bytes(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
