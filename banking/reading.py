"""Bytes → rows of cell strings, each with its 1-based line number in the file.

Formats are told apart by their first bytes, never by the file name (ABC's ``.xls`` is
often an XLSX): ``PK\\x03\\x04`` is XLSX (read with openpyxl), the OLE2 signature is legacy
XLS (read with xlrd), anything else is text: CSV or, for BOC's web export, TSV.

Text is decoded without guessing silently, in a fixed order:

1. a byte-order mark decides: UTF-8 (``EF BB BF``), UTF-16 LE/BE (``FF FE`` / ``FE FF``);
2. otherwise strict UTF-8 (a GBK file with Chinese text is practically never valid UTF-8);
3. otherwise strict GB18030 (the superset of GBK that Chinese banks' and Excel's "CSV"
   saves are in; reported as "gbk" when the bytes are plain GBK);
4. otherwise, or when the result holds a NUL (UTF-16 without a mark, a binary file), the
   file is refused, saying which encodings were tried.

The encoding used is reported in ``ParsedStatement.encoding``, and the header must then be
found by its column names, which a wrong decoding would not produce.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from banking.errors import Problem, StatementError

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

ENCODINGS = ("auto", "utf-8", "gbk", "utf-16")

Row = tuple[int, list[str]]  # (line number in the file, cells)


@dataclass
class Source:
    """What was read: ``kind`` is "text", "xlsx" or "xls"; for text, the decoded ``text``
    and its ``encoding``; for spreadsheets, the ``rows`` already."""

    kind: str
    encoding: str = ""
    text: str = ""
    rows: list[Row] | None = None


def refuse(message: str, line: int | None = None, column: str | None = None) -> StatementError:
    return StatementError([Problem(line, column, message)])


def sniff(data: bytes) -> str:
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    if data.startswith(XLS_MAGIC):
        return "xls"
    return "text"


def read_source(data: bytes, *, encoding: str = "auto") -> Source:
    if not data:
        raise refuse(_("The file is empty."))
    kind = sniff(data)
    if kind == "xlsx":
        return Source(kind, encoding="xlsx", rows=xlsx_rows(data))
    if kind == "xls":
        return Source(kind, encoding="xls", rows=xls_rows(data))
    text, label = decode_text(data, encoding)
    return Source(kind, encoding=label, text=text)


# --------------------------------------------------------------------------- text


def decode_text(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The text and the name of the encoding that decoded it: "utf-8", "utf-8-bom",
    "utf-16", "gbk" or "gb18030"."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}")
    attempts: list[tuple[str, str, bytes]] = []  # (codec, label, bytes)
    if data.startswith(codecs.BOM_UTF8) and encoding in ("auto", "utf-8"):
        attempts.append(("utf-8", "utf-8-bom", data[len(codecs.BOM_UTF8) :]))
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and encoding in ("auto", "utf-16"):
        attempts.append(("utf-16", "utf-16", data))
    else:
        if encoding in ("auto", "utf-8"):
            attempts.append(("utf-8", "utf-8", data))
        if encoding in ("auto", "gbk"):
            attempts.append(("gbk", "gbk", data))
            attempts.append(("gb18030", "gb18030", data))
        if encoding == "utf-16":
            attempts.append(("utf-16-le", "utf-16", data))
    for codec, label, candidate in attempts:
        try:
            text = candidate.decode(codec)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            continue
        return text, label
    names = {
        "auto": _("UTF-8 (with or without BOM), UTF-16 with BOM, GBK/GB18030"),
        "utf-8": _("UTF-8 (with or without BOM)"),
        "gbk": "GBK/GB18030",
        "utf-16": "UTF-16",
    }
    raise refuse(
        _(
            "The file is neither a spreadsheet (XLSX, XLS) nor text in %(encodings)s. "
            "Upload the file exactly as the bank's website gave it."
        )
        % {"encodings": names[encoding]}
    )


def csv_rows(text: str, delimiter: str = ",", *, limit: int | None = None) -> list[Row]:
    """Records of a CSV/TSV text with the line each starts on. An unterminated quote (a
    file cut off inside a cell) is refused naming the line it starts on."""
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream, delimiter=delimiter, strict=True)
    rows: list[Row] = []
    append = rows.append
    line = 1
    try:
        for record in reader:
            append((line, record))
            line = reader.line_num + 1
            if limit is not None and len(rows) >= limit:
                break
    except csv.Error as exc:
        if limit is not None:
            return rows  # sniffing with the wrong delimiter; the full read will say
        raise refuse(
            _("This line cannot be read (%(error)s): the file was probably cut off here.") % {"error": exc},
            line=line,
        ) from None
    return rows


# --------------------------------------------------------------------------- spreadsheets


def spreadsheet_cell(value) -> str:
    """A spreadsheet value as the text a bank's CSV would hold; numbers never pass through
    float arithmetic (``repr`` is the shortest text that reads back to the same float)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    return str(value)


def xlsx_rows(data: bytes) -> list[Row]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged zip
        raise refuse(
            _("The XLSX file cannot be opened (%(error)s): was it cut off?") % {"error": exc}
        ) from None
    try:
        sheet = book.worksheets[0]
        rows: list[Row] = []
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((line, [spreadsheet_cell(v) for v in values]))
        return rows
    finally:
        book.close()


def xls_rows(data: bytes) -> list[Row]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, struct.error, … for a damaged file
        raise refuse(
            _("The XLS file cannot be opened (%(error)s): was it cut off?") % {"error": exc}
        ) from None
    try:
        sheet = book.sheet_by_index(0)
        rows: list[Row] = []
        for r in range(sheet.nrows):
            cells = []
            for kind, value in zip(sheet.row_types(r), sheet.row_values(r), strict=True):
                if kind == xlrd.XL_CELL_DATE:
                    moment = xlrd.xldate_as_datetime(value, book.datemode)
                    value = moment.time() if value < 1 else moment
                cells.append(spreadsheet_cell(value))
            rows.append((r + 1, cells))
        return rows
    finally:
        book.release_resources()
