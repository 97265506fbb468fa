"""The files of a quarterly disclosure: CSV (parses back, totals right), HTML (standalone,
totals, digest) and PDF (an embedded CJK font, the totals as yuan, the digest and the
generation time on every page, 'page X of Y'). Rendered from a hand-built document:
the renderers are pure functions of it and touch no database."""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import re
import shutil
import subprocess

import pytest
from django.utils import translation

from common.money import format_yuan
from escrow.transparency.render import render_csv, render_html, render_pdf

COMPOUND = "尚城国际"
PAYEE = "咸宁市某物业服务有限公司"
GENERATED_AT = "2026-10-01T00:10:03+08:00"

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdffonts")),
    reason="needs poppler-utils (pdftotext, pdffonts)",
)


def canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def make_document(*, items: int = 3, **overrides) -> dict:
    """A consistent document (docs/disclosures.md): the expense items of each account add
    up to its amount, the totals to their lists, and opening + income − expenses + other
    = closing. ``items`` expense items alternate between staff costs and repairs; with
    three or more, the last one reverses the first repair (negative)."""
    expense_items = []
    sums = {"5101": 0, "5201": 0}
    for n in range(items):
        code = "5101" if n % 2 == 0 else "5201"
        amount = 12_345_67 + n * 101 if code == "5101" else 3_000_00 + n
        if n == items - 1 and n > 1:
            code, amount = "5201", -(3_000_00 + 1)  # reverses the first repair
        sums[code] += amount
        payout = {
            "request": 100 + n,
            "category": "necessary_cost" if code == "5101" else "repair",
            "payee": PAYEE if code == "5101" else "咸宁市利民水电维修部",
            "purpose": f"第{n + 1}笔 8月保洁人员工资" if code == "5101" else f"3栋屋面防水维修 {n + 1}",
        }
        expense_items.append(
            {
                "entry": 500 + n * 3,
                "date": f"2026-{7 + n * 3 // items:02d}-{1 + n % 28:02d}",
                "kind": "payout" if amount > 0 else "reversal",
                "code": code,
                "amount": amount,
                "payout": payout if amount > 0 else None,
            }
        )
    expenses = [
        {"code": "5101", "category": "nc_staff", "amount": sums["5101"]},
        {"code": "5102", "category": "nc_cleaning", "amount": 0},
        {"code": "5201", "category": "repairs", "amount": sums["5201"]},
        {"code": "5601", "category": "bank_fees", "amount": 0},
    ]
    income = [
        {"code": "4001", "category": "fee_income", "amount": 98_765_432_10},
        {"code": "4101", "category": "parking_income", "amount": 1_234_00},
        {"code": "4103", "category": "interest_income", "amount": 56_78},
    ]
    other = [
        {"code": "2101", "category": "suspense", "amount": 2_500_00},
        {"code": "3001", "category": "owners_fund", "amount": 0},
    ]
    opening = 1_000_000_00
    income_total = sum(row["amount"] for row in income)
    expense_total = sum(row["amount"] for row in expenses)
    other_total = sum(row["amount"] for row in other)
    figures = {
        "format": "gongguan-disclosure/1",
        "compound": {"id": 7, "slug": "shangcheng", "name": COMPOUND},
        "period": {"year": 2026, "quarter": 3, "start": "2026-07-01", "end": "2026-09-30"},
        "version": 1,
        "correction_reason": "",
        "supersedes_digest": None,
        "opening_balance": opening,
        "income": income,
        "income_total": income_total,
        "expenses": expenses,
        "expense_total": expense_total,
        "other_movements": other,
        "other_total": other_total,
        "closing_balance": opening + income_total - expense_total + other_total,
        "expense_items": expense_items,
        "collection": {
            "billed": 300_000_00,
            "received": 250_000_00,
            "rate": "83.3",
            "buildings": [
                {"building": "1栋", "billed": 100_000_00, "received": 90_000_00, "rate": "90.0"},
                {"building": "2栋", "billed": 200_000_00, "received": 160_000_00, "rate": "80.0"},
                {"building": "3栋(空置)", "billed": 0, "received": 0, "rate": None},
            ],
        },
        "open_holds": {
            "count": 2,
            "amount": 7_000_00,
            "items": [
                {"request": 40, "category": "repair", "amount": 5_000_00, "submitted_on": "2026-09-28"},
                {
                    "request": 41,
                    "category": "special_project",
                    "amount": 2_000_00,
                    "submitted_on": "2026-09-29",
                },
            ],
        },
        "entries_in_period": 911 + items,
        "chain": {"entry_count": 1234 + items, "head_hash": hashlib.sha256(b"head").hexdigest()},
    }
    figures.update(overrides)
    return {**figures, "digest": hashlib.sha256(canonical(figures)).hexdigest(), "generated_at": GENERATED_AT}


def csv_sections(data: bytes) -> dict[str, list[list[str]]]:
    """The CSV's sections by title: the rows after the title row up to an empty row."""
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    sections: dict[str, list[list[str]]] = {}
    title = "(head)"
    for row in rows:
        if not row:
            title = None
            continue
        if title is None:
            title = row[0]
            sections[title] = []
            continue
        sections.setdefault(title, []).append(row)
    return sections


def run(args: list[str]) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pdf_page_count(path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)$", run(["pdfinfo", str(path)]), re.M).group(1))


def pdf_page_text(path, page: int) -> str:
    """The page's text with all white space removed (pdftotext breaks lines freely)."""
    return "".join(run(["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"]).split())


# --------------------------------------------------------------------------- CSV


def test_the_csv_parses_back_with_the_right_totals():
    document = make_document(items=7)
    sections = csv_sections(render_csv(document))

    head = sections["(head)"]
    assert head[0] == ["Quarterly disclosure of the escrow account"]
    assert ["Compound", COMPOUND, "shangcheng"] in head
    assert ["Period", "2026 Q3", "2026-07-01", "2026-09-30"] in head

    summary = sections["Summary"]
    assert summary[0] == ["Line", "Account number", "Category", "Amount (yuan)"]
    by_line = {row[0]: row[3] for row in summary[1:] if not row[1]}
    assert by_line["Opening balance"] == "1000000.00"
    assert by_line["Income total"] == "98766722.88"  # 98,765,432.10 + 1,234.00 + 56.78
    assert by_line["Expense total"] == f"{document['expense_total'] / 100:.2f}"
    assert by_line["Other movements total"] == "2500.00"
    assert (
        by_line["Closing balance"]
        == f"{document['closing_balance'] // 100}.{document['closing_balance'] % 100:02d}"
    )
    income = [row for row in summary if row[0] == "Income" and row[1]]
    assert income[0] == ["Income", "4001", "Property fee income", "98765432.10"]
    assert [row[2] for row in summary if row[0] == "Expenses"] == [
        "Necessary cost: service staff",
        "Necessary cost: cleaning",
        "Repairs",
        "Bank charges",
    ]
    # The category rows add up to the totals, in fen.
    for section, total in (
        ("Income", "Income total"),
        ("Expenses", "Expense total"),
        ("Other movements", "Other movements total"),
    ):
        fen = sum(round(float(row[3]) * 100) for row in summary if row[0] == section)
        assert f"{fen // 100}.{fen % 100:02d}" == by_line[total]

    items = sections["Expense items"]
    assert items[0][-1] == "Amount (yuan)"
    assert len(items) - 1 == 7
    assert [int(row[0]) for row in items[1:]] == [item["entry"] for item in document["expense_items"]]
    staff = sum(round(float(row[-1]) * 100) for row in items[1:] if row[3] == "5101")
    assert staff == document["expenses"][0]["amount"]
    assert items[1][4:8] == [
        "Necessary cost: service staff",
        "100",
        "Necessary monthly cost",
        PAYEE,
    ]
    reversal = items[-1]
    assert reversal[2] == "Reversal" and reversal[-1].startswith("-") and reversal[5] == ""

    collection = sections["Collection by building"]
    assert collection[1] == ["1栋", "100000.00", "90000.00", "90.0"]
    assert collection[3] == ["3栋(空置)", "0.00", "0.00", ""]
    assert collection[-1] == ["Whole compound", "300000.00", "250000.00", "83.3"]

    holds = sections["Payouts on hold at the end of the quarter"]
    assert holds[1] == ["40", "Repair", "2026-09-28", "5000.00"]
    assert holds[-1][0] == "Total on hold (2 requests)" and holds[-1][-1] == "7000.00"

    chain = dict((row[0], row[1]) for row in sections["Hash chain"])
    assert chain["Digest of the figures (SHA-256)"] == document["digest"]
    assert chain["Chain head (SHA-256)"] == document["chain"]["head_hash"]
    assert chain["Entries in the chain"] == str(document["chain"]["entry_count"])
    assert chain["Generated at"] == GENERATED_AT


def test_the_csv_keeps_formulas_out_of_spreadsheets_and_names_a_correction():
    document = make_document(
        items=1, version=2, correction_reason='=HYPERLINK("x") 更正8月保洁费', supersedes_digest="ab" * 32
    )
    document["expense_items"][0]["payout"]["payee"] = "@SUM(A1:A9)"
    sections = csv_sections(render_csv(document))
    head = {row[0]: row[1:] for row in sections["(head)"]}
    assert head["Version"] == ["2"]
    assert head["Reason for the correction"] == ['\'=HYPERLINK("x") 更正8月保洁费']
    assert head["Supersedes the disclosure with digest"] == ["ab" * 32]
    assert sections["Expense items"][1][7] == "'@SUM(A1:A9)"


# --------------------------------------------------------------------------- HTML


def test_the_html_is_standalone_and_shows_totals_digest_and_chain():
    document = make_document(
        items=5, version=2, correction_reason="更正：8月保洁费重复入账", supersedes_digest="cd" * 32
    )
    html = render_html(document).decode("utf-8")
    assert html.startswith("<!doctype html>")
    assert '<meta name="viewport"' in html
    assert "<style>" in html
    # Self-contained: nothing to fetch.
    assert not re.search(r"""(?:src|href)\s*=|@import|url\(""", html), "an external resource"
    for amount in ("opening_balance", "income_total", "expense_total", "other_total", "closing_balance"):
        assert format_yuan(document[amount]) in html, amount
    assert "¥-3,000.01" in html  # the reversal
    for expected in (
        COMPOUND,
        PAYEE,
        "2026 Q3",
        "Property fee income",
        "Necessary cost: service staff",
        "¥300,000.00",  # billed
        "83.3 %",
        "¥7,000.00",  # on hold
        "Special project",
        document["digest"],
        document["chain"]["head_hash"],
        str(document["chain"]["entry_count"]),
        str(document["entries_in_period"]),
        GENERATED_AT,
        "Version 2",
        "更正：8月保洁费重复入账",
        "cd" * 32,
    ):
        assert expected in html, expected


CATEGORY_CODES = ("fee_income", "parking_income", "nc_staff", "nc_cleaning", "repairs", "bank_fees",
                  "necessary_cost", "special_project", "suspense", "owners_fund")  # fmt: skip


def test_no_file_a_person_reads_shows_a_category_code(tmp_path):
    """Category names, never the chart's codes (issue 16): in the CSV, the HTML and the PDF."""
    document = make_document(items=7)
    csv_text = render_csv(document).decode("utf-8-sig")
    html = render_html(document).decode("utf-8")
    for code in CATEGORY_CODES:
        assert not re.search(rf"\b{code}\b", csv_text), code
        assert not re.search(rf"\b{code}\b", re.sub(r"<style>.*?</style>", "", html, flags=re.S)), code
    assert "Necessary cost: service staff" in html and "Necessary cost: service staff" in csv_text
    if shutil.which("pdftotext"):
        path = tmp_path / "d.pdf"
        path.write_bytes(render_pdf(document))
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        for code in CATEGORY_CODES:
            assert code not in text, code
        assert "Necessary cost: service staff" in text


def test_the_html_escapes_what_people_typed():
    document = make_document(items=1)
    document["expense_items"][0]["payout"]["purpose"] = "<script>alert(1)</script>"
    document["compound"]["name"] = "尚城<b>国际</b>"
    html = render_html(document).decode("utf-8")
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_html_speaks_the_active_language():
    document = make_document(items=2)
    with translation.override("en"):
        english = render_html(document).decode("utf-8")
    with translation.override("zh-hans"):
        chinese = render_html(document).decode("utf-8")
    assert '<html lang="en">' in english and '<html lang="zh-hans">' in chinese
    for html in (english, chinese):
        assert COMPOUND in html and PAYEE in html and document["digest"] in html
        assert format_yuan(document["closing_balance"]) in html
    assert "Quarterly disclosure of the escrow account" in english


# --------------------------------------------------------------------------- PDF


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory):
    """Enough expense items for several pages, rendered once for the module."""
    document = make_document(items=240)
    path = tmp_path_factory.mktemp("disclosure") / "long.pdf"
    with translation.override("en"):
        path.write_bytes(render_pdf(document))
    return document, path


@needs_poppler
def test_the_pdf_embeds_the_cjk_font(long_pdf):
    _document, path = long_pdf
    lines = run(["pdffonts", str(path)]).splitlines()
    header = lines[0].split()
    emb = header.index("emb")
    rows = [line.split() for line in lines[2:]]
    cjk = [row for row in rows if "WenQuanYi" in row[0]]
    assert cjk, lines
    # Columns from the right: emb sub uni object-id generation ("name type … emb sub uni obj gen").
    assert all(row[len(row) - (len(header) - emb)] == "yes" for row in cjk), lines
    assert all(row[-5] == "yes" for row in rows), "every font embedded"


@needs_poppler
def test_the_pdf_shows_the_totals_and_on_every_page_the_digest_and_page_number(long_pdf):
    document, path = long_pdf
    pages = pdf_page_count(path)
    assert pages >= 3
    texts = [pdf_page_text(path, n) for n in range(1, pages + 1)]
    for n, text in enumerate(texts, start=1):
        assert document["digest"] in text, f"digest missing on page {n}"
        assert GENERATED_AT in text, f"generation time missing on page {n}"
        assert f"Page{n}of{pages}" in text, f"page number missing on page {n}"
        assert COMPOUND in text, f"running header missing on page {n}"
    first = texts[0]
    for amount in ("opening_balance", "income_total", "expense_total", "other_total", "closing_balance"):
        assert format_yuan(document[amount]) in first, amount
    everything = "".join(texts)
    assert PAYEE in everything
    # Every expense item is printed, and every page with items (entries are #500 on; the
    # holds table has #40, #41) repeats the table's header.
    for item in document["expense_items"]:
        assert f"#{item['entry']}{item['date']}" in everything, item["entry"]
    item_pages = [n for n, text in enumerate(texts, start=1) if re.search(r"#\d{3,}2026-\d\d-\d\d", text)]
    assert len(item_pages) >= 3
    for n in item_pages:
        for header in ("Entryanddate", "Payoutrequest:payeeandpurpose"):
            assert header in texts[n - 1], f"no table header on page {n}"
    assert document["chain"]["head_hash"] in everything


@needs_poppler
def test_the_pdf_renders_in_chinese_with_the_data(tmp_path):
    document = make_document(items=3)
    with translation.override("zh-hans"):
        data = render_pdf(document)
    path = tmp_path / "zh.pdf"
    path.write_bytes(data)
    text = pdf_page_text(path, 1)
    assert COMPOUND in text and document["digest"] in text
    assert format_yuan(document["closing_balance"]) in text


def test_rendering_is_a_pure_function_of_the_document():
    document = make_document(items=4)
    before = copy.deepcopy(document)
    with translation.override("en"):
        first = (render_csv(document), render_html(document), render_pdf(document))
        again = (render_csv(document), render_html(document), render_pdf(document))
    assert document == before, "the renderers must not change the document"
    assert first == again, "the same document renders to the same bytes (stored SHA-256s stay valid)"
    other = make_document(items=4, version=2, correction_reason="更正")
    with translation.override("en"):
        assert render_pdf(other) != first[2]


@needs_poppler
def test_a_name_with_quotes_and_markup_stays_text_in_the_running_header(tmp_path):
    name = '尚城"国际</style><p>%(page)s'
    document = make_document(items=1, compound={"id": 7, "slug": "shangcheng", "name": name})
    with translation.override("en"):
        path = tmp_path / "quoted.pdf"
        path.write_bytes(render_pdf(document))
    text = pdf_page_text(path, 1)
    assert text.count('尚城"国际</style><p>%(page)s') == 2, text  # the running header and the title line
    assert document["digest"] in text
