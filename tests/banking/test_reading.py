"""Step 1: bytes → rows (CSV in UTF-8 ± BOM, GBK/GB18030, UTF-16; XLSX; XLS) and cells →
integer fen."""

from __future__ import annotations

import codecs
import datetime as dt
import io

import openpyxl
import pytest

from banking.amounts import clean, parse_amount_fen
from banking.errors import CellError, StatementError
from banking.reading import csv_rows, decode_text, read_source, spreadsheet_cell, xlsx_rows


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1234.56", 123456),
        ("1,234.56", 123456),
        ('"1,234.56 \t"'.strip('"'), 123456),
        ("¥28.16", 2816),
        ("￥28.16", 2816),
        ("+100.00", 10000),
        ("-5.00", -500),
        ("-¥5.00", -500),
        ("¥-5.00", -500),
        ("  20000.00\t", 2000000),
        ("\t20000.00", 2000000),
        ("1,234,567.8", 123456780),
        ("１２３．４５", 12345),
        ("－１，２３４．５０", -123450),
        ("28.16元", 2816),
        ("100", 10000),
        ("0.10", 10),
        ("12.300", 1230),  # trailing zeros beyond fen are not a third decimal
        ("'-5.00", -500),  # the apostrophe a spreadsheet export puts before "-"
    ],
)
def test_amounts_in_every_form_banks_print_them(text, fen):
    assert parse_amount_fen(text) == fen
    assert isinstance(parse_amount_fen(text), int)


@pytest.mark.parametrize("text", ["", "   ", "\t", "-", "/", "—"])
def test_empty_cells_are_no_amount(text):
    assert parse_amount_fen(text) is None


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("12.345", "more than two decimal places"),
        ("1,23.45", "not an amount"),
        ("12,34", "not an amount"),
        ("abc", "not an amount"),
        ("1.2.3", "not an amount"),
        ("1e5", "not an amount"),
        ("NaN", "not an amount"),
        ("200000000.00", "ceiling"),
    ],
)
def test_anything_else_is_a_clear_error(text, needle):
    with pytest.raises(CellError) as caught:
        parse_amount_fen(text)
    assert needle in caught.value.message
    assert text.strip() in caught.value.message


def test_a_magnitude_column_refuses_a_sign():
    assert parse_amount_fen("5.00", signed=False) == 500
    with pytest.raises(CellError, match="without a sign"):
        parse_amount_fen("-5.00", signed=False)


def test_clean_removes_padding_and_tabs():
    assert clean(" 他行汇入            \t") == "他行汇入"
    assert clean("\t 张*三") == "张*三"
    assert clean("\u3000余额\u00a0") == "余额"
    assert clean(None) == ""


# --------------------------------------------------------------------------- decoding

TEXT = "交易日期,摘要\n2026-01-03,他行汇入\n"


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-bom"),
        (TEXT.encode("gbk"), "gbk"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
        ((TEXT + "𠀀\n").encode("gb18030"), "gb18030"),  # outside GBK: only GB18030 has it
    ],
)
def test_each_encoding_is_told_by_its_mark_or_strict_decoding(data, label):
    text, found = decode_text(data)
    assert found == label
    assert text.lstrip("\ufeff").startswith("交易日期,摘要")


def test_utf16_without_a_mark_and_binary_are_refused_not_guessed():
    for data in (TEXT.encode("utf-16-le"), bytes(range(256)) * 4):
        with pytest.raises(StatementError) as caught:
            decode_text(data)
        assert "neither a spreadsheet" in caught.value.message


def test_a_pinned_encoding_is_the_only_one_tried():
    assert decode_text(TEXT.encode("gbk"), "gbk")[1] == "gbk"
    with pytest.raises(StatementError):
        decode_text(TEXT.encode("gbk"), "utf-8")


def test_empty_file():
    with pytest.raises(StatementError, match="empty"):
        read_source(b"")


# --------------------------------------------------------------------------- rows


def test_csv_rows_carry_the_line_each_record_starts_on():
    text = 'a,b\r\n"two\r\nlines",x\r\n\r\nlast,y\r\n'
    assert csv_rows(text) == [(1, ["a", "b"]), (2, ["two\r\nlines", "x"]), (4, []), (5, ["last", "y"])]


def test_a_file_cut_inside_a_quoted_cell_names_the_line():
    with pytest.raises(StatementError) as caught:
        csv_rows('a,b\n1,2\n3,"cut off he')
    assert caught.value.problems[0].line == 3


def _xlsx(grid) -> bytes:
    book = openpyxl.Workbook()
    for row in grid:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_rows_keep_their_row_numbers_across_blank_rows_and_convert_values():
    data = _xlsx(
        [
            ["title"],
            [None],
            ["交易日期", "金额", "时间"],
            [dt.datetime(2026, 1, 3, 9, 5, 1), 1234.56, dt.time(9, 5)],
            [dt.date(2026, 1, 4), 100, None],
        ]
    )
    rows = xlsx_rows(data)
    assert [line for line, _cells in rows] == [1, 2, 3, 4, 5]
    assert rows[3][1] == ["2026-01-03 09:05:01", "1234.56", "09:05:00"]
    assert rows[4][1][:2] == ["2026-01-04", "100"]
    assert read_source(data).kind == "xlsx"


def test_an_xlsx_named_xls_is_read_by_its_content():
    data = _xlsx([["a"]])
    assert read_source(data).kind == "xlsx"  # no file name involved at all


def test_spreadsheet_numbers_never_go_through_float_arithmetic():
    assert spreadsheet_cell(0.1 + 0.2) == "0.30000000000000004"  # refused later as 3+ decimals
    assert spreadsheet_cell(1234.5) == "1234.5"
    assert spreadsheet_cell(20250101.0) == "20250101"
    with pytest.raises(CellError):
        parse_amount_fen(spreadsheet_cell(0.1 + 0.2))


def test_a_damaged_spreadsheet_is_refused():
    data = _xlsx([["a"]])
    with pytest.raises(StatementError, match="XLSX"):
        read_source(data[: len(data) // 2])
    with pytest.raises(StatementError, match="XLS"):
        read_source(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)


def test_a_running_balance_may_exceed_the_ceiling_of_one_movement():
    assert parse_amount_fen("150,000,000.00", ceiling=False) == 15_000_000_000
    with pytest.raises(CellError):
        parse_amount_fen("150,000,000.00")
