"""Ledger files for the import tests and the benchmark: .xlsx and .csv made the way offices make them."""

from __future__ import annotations

import csv
import io

import xlsxwriter

from grassroots.ledger.columns import RESIDENT_COLUMNS

TEMPLATE_HEADERS = [column.header for column in RESIDENT_COLUMNS]


def xlsx_bytes(header: list[str], rows: list[list], *, title: str | None = None) -> bytes:
    """A workbook whose cells are text (as the template asks), or numbers where a row gives numbers."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": True})
    sheet = workbook.add_worksheet()
    offset = 0
    if title:
        sheet.write_string(0, 0, title)
        offset = 1
    sheet.write_row(offset, 0, header)
    for index, row in enumerate(rows, start=offset + 1):
        for position, cell in enumerate(row):
            if isinstance(cell, str):
                sheet.write_string(index, position, cell)
            elif cell is not None:
                sheet.write_number(index, position, cell)
    workbook.close()
    return out.getvalue()


def csv_bytes(header: list[str], rows: list[list], *, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)
