"""The files of a quarterly disclosure (季度公示): CSV, HTML and PDF.

Each renderer is a pure function of the *document*: the disclosure's figures exactly as
docs/disclosures.md specifies them, plus ``digest`` and ``generated_at``. Nothing is
read from the database, so a file rendered again from the frozen figures is the same
file (the PDF too: no creation date, a fixed identifier). Labels come out in the active
language; the caller picks it (``translation.override``).

Amounts stay integer fen up to here and become yuan only in the output: plain
``1234.50`` in the CSV (a spreadsheet can add them up), ``¥1,234.50`` in HTML and PDF.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from common.money import fen_to_yuan, format_yuan
from common.pdf import PDF_FONT_FAMILY
from common.spreadsheet import cell_text
from escrow.models import Category, EntryKind, PayoutCategory

TEMPLATE = "escrow/disclosures/document.html"
MONO_FONT_FAMILY = "DejaVu Sans Mono"
# A fixed PDF identifier: WeasyPrint would otherwise derive a random-looking one per run,
# and the stored SHA-256 of a re-rendered PDF must not change.
PDF_IDENTIFIER = b"gongguan-disclosure"


# --------------------------------------------------------------------------- labels


def _label(choices, code) -> str:
    """The label of a code in the active language; an unknown code shows as itself."""
    if code is None or code == "":
        return ""
    try:
        return str(choices(code).label)
    except ValueError:
        return str(code)


def _rate(rate) -> str:
    return "—" if rate is None else f"{rate} %"


def _yuan(fen: int) -> str:
    """Yuan for the CSV: two decimals, no symbol, no thousands separator."""
    return str(fen_to_yuan(int(fen)))


def period_label(document: dict) -> str:
    period = document["period"]
    # The same msgid as Disclosure.label, so both read alike in every language.
    return _("%(year)s Q%(q)s") % {"year": period["year"], "q": period["quarter"]}


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class _CategoryRow:
    code: str
    category: str
    label: str
    amount: int


@dataclass(frozen=True)
class _ExpenseItem:
    entry: int
    date: str
    kind: str
    kind_label: str
    code: str
    category: str
    label: str
    request: int | None
    payout_category: str
    payout_category_label: str
    payee: str
    purpose: str
    amount: int


def _category_rows(items: list[dict]) -> list[_CategoryRow]:
    return [
        _CategoryRow(
            code=str(item["code"]),
            category=item.get("category", ""),
            label=_label(Category, item.get("category")),
            amount=item["amount"],
        )
        for item in items
    ]


def _expense_items(document: dict) -> list[_ExpenseItem]:
    """Expense items with their labels resolved once per distinct code, not per row."""
    categories = {row["code"]: row.get("category", "") for row in document.get("expenses", [])}
    labels: dict[tuple[str, str], str] = {}

    def label(choices, code) -> str:
        key = (choices.__name__, code)
        if key not in labels:
            labels[key] = _label(choices, code)
        return labels[key]

    out = []
    for item in document.get("expense_items", []):
        payout = item.get("payout") or {}
        category = categories.get(item["code"], "")
        out.append(
            _ExpenseItem(
                entry=item["entry"],
                date=item["date"],
                kind=item.get("kind", ""),
                kind_label=label(EntryKind, item.get("kind", "")),
                code=str(item["code"]),
                category=category,
                label=label(Category, category),
                request=payout.get("request"),
                payout_category=payout.get("category", ""),
                payout_category_label=label(PayoutCategory, payout.get("category", "")),
                payee=payout.get("payee", ""),
                purpose=payout.get("purpose", ""),
                amount=item["amount"],
            )
        )
    return out


# --------------------------------------------------------------------------- CSV


def _text(value) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    return cell_text(value)


def render_csv(document: dict) -> bytes:
    """The disclosure as one CSV in sections (a title row, a header row, the rows, an
    empty row), UTF-8 with a BOM so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    out = csv.writer(buffer)
    amount = _("Amount (yuan)")
    compound = document["compound"]
    period = document["period"]

    out.writerow([_("Quarterly disclosure of the escrow account")])
    out.writerow([_("Compound"), _text(compound["name"]), compound.get("slug", "")])
    out.writerow([_("Period"), period_label(document), period["start"], period["end"]])
    out.writerow([_("Version"), document["version"]])
    if document.get("correction_reason"):
        out.writerow([_("Reason for the correction"), _text(document["correction_reason"])])
    if document.get("supersedes_digest"):
        out.writerow([_("Supersedes the disclosure with digest"), document["supersedes_digest"]])
    out.writerow([_("Format"), document.get("format", "")])
    out.writerow([])

    out.writerow([_("Summary")])
    # Category names, never the chart's codes (the JSON file carries those for the verifier);
    # the account number stays, to match the ledger export.
    out.writerow([_("Line"), _("Account number"), _("Category"), amount])
    out.writerow([_("Opening balance"), "", "", _yuan(document["opening_balance"])])
    for section, items, total_label, total_key in (
        (_("Income"), "income", _("Income total"), "income_total"),
        (_("Expenses"), "expenses", _("Expense total"), "expense_total"),
        (_("Other movements"), "other_movements", _("Other movements total"), "other_total"),
    ):
        for row in _category_rows(document.get(items, [])):
            out.writerow([section, row.code, row.label, _yuan(row.amount)])
        out.writerow([total_label, "", "", _yuan(document[total_key])])
    out.writerow([_("Closing balance"), "", "", _yuan(document["closing_balance"])])
    out.writerow([])

    out.writerow([_("Expense items")])
    out.writerow(
        [
            _("Entry"),
            _("Date"),
            _("Kind"),
            _("Account number"),
            _("Category"),
            _("Payout request"),
            _("Payout category"),
            _("Payee"),
            _("Purpose"),
            amount,
        ]
    )
    for item in _expense_items(document):
        out.writerow(
            [
                item.entry,
                item.date,
                item.kind_label,
                item.code,
                item.label,
                "" if item.request is None else item.request,
                item.payout_category_label,
                _text(item.payee),
                _text(item.purpose),
                _yuan(item.amount),
            ]
        )
    out.writerow([])

    collection = document["collection"]
    out.writerow([_("Collection by building")])
    out.writerow([_("Building"), _("Billed (yuan)"), _("Received (yuan)"), _("Collection rate (%)")])
    for row in collection.get("buildings", []):
        out.writerow(
            [
                _text(row["building"]),
                _yuan(row["billed"]),
                _yuan(row["received"]),
                "" if row["rate"] is None else row["rate"],
            ]
        )
    out.writerow(
        [
            _("Whole compound"),
            _yuan(collection["billed"]),
            _yuan(collection["received"]),
            "" if collection["rate"] is None else collection["rate"],
        ]
    )
    out.writerow([])

    holds = document["open_holds"]
    out.writerow([_("Payouts on hold at the end of the quarter")])
    out.writerow([_("Payout request"), _("Payout category"), _("Submitted on"), amount])
    for item in holds.get("items", []):
        out.writerow(
            [
                item["request"],
                _label(PayoutCategory, item.get("category")),
                item.get("submitted_on", ""),
                _yuan(item["amount"]),
            ]
        )
    out.writerow(
        [
            _("Total on hold (%(count)s requests)") % {"count": holds["count"]},
            "",
            "",
            _yuan(holds["amount"]),
        ]
    )
    out.writerow([])

    chain = document["chain"]
    out.writerow([_("Hash chain")])
    out.writerow([_("Entries in the period"), document["entries_in_period"]])
    out.writerow([_("Entries in the chain"), chain["entry_count"]])
    out.writerow([_("Chain head (SHA-256)"), chain["head_hash"]])
    out.writerow([_("Digest of the figures (SHA-256)"), document["digest"]])
    out.writerow([_("Generated at"), document["generated_at"]])
    return buffer.getvalue().encode("utf-8-sig")


# --------------------------------------------------------------------------- HTML and PDF


_COUNTER_RE = re.compile(r"(%\((?:page|pages)\)s)")


def _css_string(text: str) -> str:
    """A CSS string literal of ``text`` that is also inert inside an HTML <style>
    element: quotes, backslashes, control characters and ``<>&`` become CSS hex escapes."""
    out = []
    for char in text:
        if char in "\"'\\<>&" or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _css_content(text: str, *, counters: bool = False) -> SafeString:
    """A CSS ``content`` value for a margin box: ``text`` as escaped string literals,
    and with ``counters``, ``%(page)s`` / ``%(pages)s`` turned into the page counters
    (never for data: a compound name stays text whatever it says). Every piece of
    text goes through ``_css_string``, so the value is safe to print unescaped in the
    stylesheet (HTML escaping would corrupt it: a <style> element is raw text)."""
    parts = []
    for index, chunk in enumerate(_COUNTER_RE.split(text) if counters else [text]):
        if index % 2:
            parts.append("counter(pages)" if chunk == "%(pages)s" else "counter(page)")
        elif chunk:
            parts.append(_css_string(chunk))
    return mark_safe(" ".join(parts) or '""')  # noqa: S308 - every literal is escaped above


def _money_rows(rows: list[_CategoryRow]) -> list[dict]:
    return [
        {"code": r.code, "category": r.category, "label": r.label, "yuan": format_yuan(r.amount)}
        for r in rows
    ]


def _payout_text(item: _ExpenseItem) -> str:
    """'#31 某物业服务有限公司 · 8月保洁人员工资', or the entry's kind when no payout request
    is behind it (a reversal, a bank charge)."""
    if item.request is None:
        return item.kind_label
    return " · ".join(part for part in (f"#{item.request} {item.payee}".strip(), item.purpose) if part)


def _context(document: dict, *, pdf: bool) -> dict:
    collection = document["collection"]
    holds = document["open_holds"]
    period = document["period"]
    items = _expense_items(document)
    context = {
        "pdf": pdf,
        "doc": document,
        "compound_name": document["compound"]["name"],
        "period_label": period_label(document),
        "period": period,
        "version": document["version"],
        "correction_reason": document.get("correction_reason") or "",
        "supersedes_digest": document.get("supersedes_digest") or "",
        "opening": format_yuan(document["opening_balance"]),
        "closing": format_yuan(document["closing_balance"]),
        "income": _money_rows(_category_rows(document.get("income", []))),
        "income_total": format_yuan(document["income_total"]),
        "expenses": _money_rows(_category_rows(document.get("expenses", []))),
        "expense_total": format_yuan(document["expense_total"]),
        "other": _money_rows(_category_rows(document.get("other_movements", []))),
        "other_total": format_yuan(document["other_total"]),
        # One pre-formatted tuple per row: the template loop only prints, so thousands
        # of rows cost little in the template and nothing per row in the stylesheet.
        # One pre-formatted tuple of four cells per row: thousands of rows cost little in
        # the template, and few cells per row keep the PDF's table layout fast.
        "expense_items": [
            (
                f"#{item.entry} {item.date}",
                item.label,
                _payout_text(item),
                format_yuan(item.amount),
            )
            for item in items
        ],
        "buildings": [
            {
                "building": row["building"],
                "billed": format_yuan(row["billed"]),
                "received": format_yuan(row["received"]),
                "rate": _rate(row["rate"]),
            }
            for row in collection.get("buildings", [])
        ],
        "collection": {
            "billed": format_yuan(collection["billed"]),
            "received": format_yuan(collection["received"]),
            "rate": _rate(collection["rate"]),
        },
        "holds": {
            "count": holds["count"],
            "amount": format_yuan(holds["amount"]),
            "items": [
                {
                    "request": item["request"],
                    "category": _label(PayoutCategory, item.get("category")),
                    "submitted_on": item.get("submitted_on", ""),
                    "amount": format_yuan(item["amount"]),
                }
                for item in holds.get("items", [])
            ],
        },
        "entries_in_period": document["entries_in_period"],
        "chain": document["chain"],
        "digest": document["digest"],
        "generated_at": document["generated_at"],
        "font_family": PDF_FONT_FAMILY,
        "mono_font_family": MONO_FONT_FAMILY,
    }
    if pdf:
        header = f"{document['compound']['name']} · {context['period_label']} · v{document['version']}"
        footer = (
            _("Digest (SHA-256): %(digest)s") % {"digest": document["digest"]}
            + "\n"
            + _("Generated at %(when)s") % {"when": document["generated_at"]}
        )
        context["css_header"] = _css_content(header)
        # One sentence to translate; the translation may put the two numbers anywhere.
        context["css_page"] = _css_content(_("Page %(page)s of %(pages)s"), counters=True)
        context["css_footer"] = _css_content(footer)
    return context


def render_html(document: dict) -> bytes:
    """A standalone HTML page (inline CSS, no external resources), readable on a phone."""
    return render_to_string(TEMPLATE, _context(document, pdf=False)).encode("utf-8")


def render_pdf(document: dict) -> bytes:
    """An A4 PDF in the named CJK font, with the digest and generation time in the
    running footer of every page and 'page X of Y'."""
    # WeasyPrint (and its native libraries) loads only when a PDF is rendered.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(TEMPLATE, _context(document, pdf=True))
    # No protocol allowed: the document loads nothing from outside itself.
    fetcher = URLFetcher(allowed_protocols=())
    return HTML(string=html, url_fetcher=fetcher).write_pdf(pdf_identifier=PDF_IDENTIFIER)
