"""The error report: the office's own file back, with a column that says what is wrong on each row.

Rows keep their cells as they were read, so the office corrects the report itself and imports
it again (the added column is ignored then). A CSV comes back in the encoding it came in (a
UTF-8 one with a BOM, so that Excel opens it right); an .xlsx comes back as an .xlsx.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import xlsxwriter

from grassroots.ledger.reading import Table
from grassroots.ledger.residents import ResidentPlan

ERROR_HEADER = "错误 / Errors"


def row_messages(table: Table, plan: ResidentPlan, header_of) -> dict[int, str]:
    """File row number -> "column: message; ..." for every rejected row."""
    return {
        row.number: "; ".join(f"{header_of(key)}: {message}" for key, message in row.problems)
        for row in plan.rows
        if row.problems
    }


def error_report(table: Table, messages: dict[int, str], *, only_rejected: bool = False) -> tuple[bytes, str]:
    """The report's bytes and file extension ("xlsx" or "csv")."""
    header = [*table.headers, ERROR_HEADER]
    rows = [
        [*cells, messages.get(number, "")]
        for number, cells in zip(table.row_numbers, table.rows, strict=True)
        if not only_rejected or number in messages
    ]
    if table.file_type == "csv":
        return _csv(header, rows, table.encoding), "csv"
    return _xlsx(header, rows), "xlsx"


def _csv(header: list, rows: list[list], encoding: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([["" if cell is None else cell for cell in row] for row in rows])
    return out.getvalue().encode("gb18030" if encoding == "gb18030" else "utf-8-sig")


def _xlsx(header: list, rows: list[list]) -> bytes:
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet()
    bold = workbook.add_format({"bold": True})
    red = workbook.add_format({"font_color": "#b00020"})
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, header, bold)
    for index, row in enumerate(rows, start=1):
        for position, cell in enumerate(row[:-1]):
            if isinstance(cell, datetime | date):
                sheet.write_datetime(index, position, cell, dates)
            elif cell is not None:
                sheet.write_string(index, position, str(cell)) if isinstance(cell, str) else sheet.write(
                    index, position, cell
                )
        sheet.write_string(index, len(row) - 1, row[-1], red)
    sheet.set_column(len(header) - 1, len(header) - 1, 60)
    workbook.close()
    return out.getvalue()
