"""The one CSV helper: text that looks like a formula is escaped, numbers never are."""

from __future__ import annotations

import csv
import io

from booking.web.spreadsheet import Cell, csv_bytes, decimal_comma


def cells(rows: list[list[Cell]]) -> list[list[str]]:
    raw = csv_bytes(rows)
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_negative_numbers_stay_numbers() -> None:
    """Excel reads `-0,57` as a number and `'-0,57` as text: a figure is never escaped."""
    row = cells([[decimal_comma(-0.57, 2), decimal_comma(-12.345, 1), -3, 0, 4.5]])[0]
    assert row == ["-0,57", "-12,3", "-3", "0", "4,5"]


def test_formula_like_text_is_escaped() -> None:
    texts: list[Cell] = ["=SUM(A1)", "+49 511", "-0,57", "@cmd", "\tx", "\rx", "Caritas", "", "a=b"]
    row = cells([texts])[0]
    assert row == [
        "'=SUM(A1)",
        "'+49 511",
        "'-0,57",
        "'@cmd",
        "'\tx",
        "'\rx",
        "Caritas",
        "",
        "a=b",
    ]


def test_text_and_numbers_in_one_row() -> None:
    row = cells([["-Müller", decimal_comma(-1.0, 2), "Summe"]])[0]
    assert row == ["'-Müller", "-1,00", "Summe"]
