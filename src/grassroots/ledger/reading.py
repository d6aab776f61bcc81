"""Reading a ledger: .xlsx (python-calamine) and .csv in UTF-8 or GB18030, as Excel in China saves it.

What comes out is a `Table`: the headers, the rows as the file holds them (cells as calamine reads
them: text, numbers, dates), and each row's number as Excel shows it, so every message can say
"row 7" and mean the row the office sees.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from python_calamine import CalamineWorkbook

from grassroots.ledger.columns import Column, find_header_row, map_headers


class UnreadableFile(ValueError):
    """The file is not a spreadsheet we can read; the message says what to do."""


@dataclass
class Table:
    headers: list[str]
    rows: list[list]
    row_numbers: list[int]
    file_type: str  # "xlsx" or "csv"
    encoding: str = ""
    mapping: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)


def _xlsx_rows(content: bytes) -> list[list]:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as error:  # calamine raises its own kinds for every broken file
        raise UnreadableFile("xlsx") from error


def decode_csv(content: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding: UTF-8 (with or without BOM), else GB18030 (GBK's superset)."""
    try:
        return content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as error:
        raise UnreadableFile("encoding") from error


def _csv_rows(content: bytes) -> tuple[list[list], str]:
    text, encoding = decode_csv(content)
    return list(csv.reader(io.StringIO(text, newline=""))), encoding


def _blank(row: list) -> bool:
    return all(cell is None or str(cell).strip() == "" for cell in row)


def file_type_of(file_name: str) -> str:
    name = file_name.lower()
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith(".csv"):
        return "csv"
    raise UnreadableFile("type")


def read_table(content: bytes, file_name: str, columns: tuple[Column, ...]) -> Table:
    """The table in the file's first sheet, its header row found and recognised."""
    file_type = file_type_of(file_name)
    encoding = ""
    if file_type == "xlsx":
        raw = _xlsx_rows(content)
    else:
        raw, encoding = _csv_rows(content)
    header_at = find_header_row(raw, columns)
    if header_at >= len(raw):
        raise UnreadableFile("empty")
    headers = [str(cell).strip() if cell is not None else "" for cell in raw[header_at]]
    rows, numbers = [], []
    for index in range(header_at + 1, len(raw)):
        if not _blank(raw[index]):
            rows.append(raw[index])
            numbers.append(index + 1)
    return Table(headers, rows, numbers, file_type, encoding, map_headers(headers, columns))
