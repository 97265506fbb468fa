"""Quarterly disclosures: a compound-quarter with 5,000 journal entries → figures, CSV,
HTML and the PDF (time, size, pages).

Real data, posted through ``ledger_post_batch`` in the runner's database: a compound
whose escrow account opened the day before the last full quarter, then 5,000 entries
dated across that quarter — mostly fee payments, some unidentified receipts and
parking income, and 300 expense payouts over the necessary-cost, repair and
special-project accounts, each with its paid payout request (payee and purpose), as
``payout_pay`` leaves them. The figures come from ``disclosure_figures``, the files
from ``escrow.transparency.render``, in Chinese (the site's language).

Baselines measured in the same run: rendering the same document's HTML only, and the
PDF of a 50-entry quarter (the same mix, one hundredth). A last row renders a worst
case — a quarter of 5,000 expense payouts, i.e. an expense table of 5,000 rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
import subprocess
import tempfile

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation

from accounts.models import User
from communities import services
from escrow.ledger.services import PostingRequest, credit, debit, escrow_account_open, ledger_post_batch
from escrow.models import Category, EntryKind, PayoutCategory, PayoutRequest, PayoutStatus
from escrow.transparency.render import render_csv, render_html, render_pdf
from escrow.transparency.services import disclosure_figures, figures_digest

ENTRIES = 5_000
PAYOUTS = 300
SMALL_ENTRIES = 50
BATCH = 1_000
OPENING_FEN = 20_000_000_00

# (expense account, payout category, payee, purpose) — what a compound pays for.
EXPENSES = [
    (Category.NC_STAFF, PayoutCategory.NECESSARY_COST, "咸宁市某物业服务有限公司", "{month}月服务人员工资"),
    (Category.NC_CLEANING, PayoutCategory.NECESSARY_COST, "咸宁市洁美保洁有限公司", "{month}月公共区域保洁"),
    (Category.NC_GREENING, PayoutCategory.NECESSARY_COST, "咸宁市绿源园林工程有限公司", "{month}月绿化养护"),
    (Category.NC_SECURITY, PayoutCategory.NECESSARY_COST, "咸宁市安达保安服务有限公司", "{month}月秩序维护"),
    (Category.NC_UTILITIES, PayoutCategory.NECESSARY_COST, "国网咸宁供电公司", "{month}月公共照明电费"),
    (
        Category.NC_ELEVATOR,
        PayoutCategory.NECESSARY_COST,
        "湖北通力电梯工程有限公司",
        "{month}月电梯维保 {n}号梯",
    ),
    (Category.REPAIRS, PayoutCategory.REPAIR, "咸宁市利民水电维修部", "{n}栋单元门禁及楼道灯维修"),
    (
        Category.SPECIAL_PROJECTS,
        PayoutCategory.SPECIAL_PROJECT,
        "湖北建安防水工程有限公司",
        "{n}栋屋面防水改造",
    ),
]


def _last_full_quarter(today: dt.date) -> tuple[int, int, dt.date, dt.date]:
    quarter = (today.month - 1) // 3 + 1
    year, quarter = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
    start = dt.date(year, 3 * quarter - 2, 1)
    end = (dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)) - dt.timedelta(days=1)
    return year, quarter, start, end


def _compound(community, name: str, slug: str, opened_on: dt.date):
    compound = services.compound_create(community=community, name=name, slug=slug, actor=None)
    escrow_account_open(
        compound=compound,
        bank_name="湖北银行咸安支行",
        account_name=f"{name}共管账户",
        account_number="6222021234567890123",
        opened_on=opened_on,
        opening_balance_fen=OPENING_FEN,
        actor=None,
    )
    return compound


def _post_quarter(compound, applicant, *, entries: int, payouts: int, start: dt.date, end: dt.date) -> None:
    """``entries`` entries spread evenly over the quarter; every (entries // payouts)-th
    one an expense payout, with its paid payout request."""
    days = (end - start).days + 1
    every = entries // payouts if payouts else entries + 1
    requests: list[PostingRequest] = []
    paid: list[tuple[int, tuple]] = []  # (index in requests, expense row + amount)
    expense_cycle = itertools.cycle(EXPENSES)
    for i in range(entries):
        date = start + dt.timedelta(days=i * days // entries)
        if payouts and i % every == every - 1 and len(paid) < payouts:
            account, category, payee, purpose = next(expense_cycle)
            # Up to ¥60,000 in a normal quarter; small bills when every entry is a payout.
            amount = 800_00 + (i * 7919) % (60_000_00 if every > 1 else 1_000_00)
            text = purpose.format(month=date.month, n=i % 12 + 1)
            paid.append((len(requests), (account, category, payee, text, amount, date)))
            requests.append(
                PostingRequest(
                    kind=EntryKind.PAYOUT,
                    legs=[debit(account, amount), credit(Category.ESCROW_CASH, amount)],
                    memo=f"付款 {payee} {text}",
                    effective_date=date,
                    idempotency_key=f"payout:bench-{compound.pk}-{i}",
                )
            )
        elif i % 97 == 13:
            requests.append(
                PostingRequest(
                    kind=EntryKind.UNIDENTIFIED_RECEIPT,
                    legs=[debit(Category.ESCROW_CASH, 1_500_00), credit(Category.SUSPENSE, 1_500_00)],
                    memo=f"银行到账 未识别 流水{i:06d}",
                    effective_date=date,
                    idempotency_key=f"bank:bench-{i}",
                )
            )
        elif i % 211 == 7:
            requests.append(
                PostingRequest(
                    kind=EntryKind.OTHER_INCOME,
                    legs=[debit(Category.ESCROW_CASH, 3_600_00), credit(Category.PARKING_INCOME, 3_600_00)],
                    memo=f"{date.month}月地面停车费",
                    effective_date=date,
                    idempotency_key=f"parking:bench-{i}",
                )
            )
        else:
            amount = 1_200_00 + (i * 131) % 2_400_00
            requests.append(
                PostingRequest(
                    kind=EntryKind.FEE_PAYMENT,
                    legs=[debit(Category.ESCROW_CASH, amount), credit(Category.FEE_INCOME, amount)],
                    memo=f"物业费 {i % 24 + 1}栋{i % 3 + 1}单元{i % 30 + 1:02d}01 银行到账",
                    effective_date=date,
                    idempotency_key=f"bank:bench-{i}",
                )
            )
    results = []
    for offset in range(0, len(requests), BATCH):
        with transaction.atomic(durable=True):
            results += ledger_post_batch(
                compound=compound, requests=requests[offset : offset + BATCH], actor=None
            )
    now = timezone.now()
    # The paid requests, in bulk (volume for a read benchmark; the workflow that leads
    # here — signatures, step-up — is payout_pay's business and bench_payouts').
    PayoutRequest.objects.bulk_create(
        (
            PayoutRequest(
                compound=compound,
                applicant=applicant,
                category=category,
                expense_account=account,
                payee_name=payee,
                payee_account_masked="6217 **** 0123",
                amount_fen=amount,
                purpose=text,
                status=PayoutStatus.PAID,
                content_hash="0" * 64,
                submitted_at=now,
                decided_at=now,
                paid_by=applicant,
                paid_at=now,
                bank_reference=f"BENCH-{compound.pk}-{index}",
                payment_date=date,
                journal_entry=results[index].entry,
            )
            for index, (account, category, payee, text, amount, date) in paid
        ),
        batch_size=1_000,
    )


def _document(report, compound, year: int, quarter: int, label: str) -> dict:
    with report.timer() as t:
        figures = disclosure_figures(compound, year, quarter)
    report.add(f"figures ({label})", t.seconds * 1000, "ms", "disclosure_figures")
    return {
        **figures,
        "digest": figures_digest(figures),
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
    }


def _pages(data: bytes) -> str:
    """The page count by poppler's pdfinfo (when installed)."""
    if not shutil.which("pdfinfo"):
        return "?"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(data)
        file.flush()
        out = subprocess.run(["pdfinfo", file.name], check=True, capture_output=True, text=True).stdout
    match = re.search(r"^Pages:\s+(\d+)$", out, re.M)
    return match.group(1) if match else "?"


def run(report) -> None:
    today = timezone.localdate()
    year, quarter, start, end = _last_full_quarter(today)
    office = services.street_office_create(name="温泉街道(公示基准)", actor=None)
    community = services.community_create(street_office=office, name="潜山社区", actor=None)
    applicant = User.objects.create_user(
        phone="+8613900000901", password="bench-not-secret", display_name="公示基准"
    )
    opened = start - dt.timedelta(days=1)
    mix = _compound(community, "尚城国际(公示基准)", "bench-disclosure-5k", opened)
    small = _compound(community, "银泉广场(公示基准)", "bench-disclosure-50", opened)
    worst = _compound(community, "龙泉花园(公示基准)", "bench-disclosure-worst", opened)

    report.section(f"Disclosures · posting {year} Q{quarter} through ledger_post_batch")
    with report.timer() as t:
        _post_quarter(mix, applicant, entries=ENTRIES, payouts=PAYOUTS, start=start, end=end)
    report.add(
        f"{ENTRIES:,} entries ({PAYOUTS} payouts)", t.seconds, "s", f"{ENTRIES / t.seconds:,.0f} entries/s"
    )
    _post_quarter(
        small,
        applicant,
        entries=SMALL_ENTRIES,
        payouts=SMALL_ENTRIES * PAYOUTS // ENTRIES,
        start=start,
        end=end,
    )
    _post_quarter(worst, applicant, entries=ENTRIES, payouts=ENTRIES, start=start, end=end)

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would after this many inserts
    report.section(f"Disclosures · a compound-quarter of {ENTRIES:,} entries → files")
    with translation.override(settings.LANGUAGE_CODE):
        document = _document(report, mix, year, quarter, f"{ENTRIES:,} entries")
        small_document = _document(report, small, year, quarter, f"{SMALL_ENTRIES} entries")
        assert document["entries_in_period"] == ENTRIES, document["entries_in_period"]
        assert len(document["expense_items"]) == PAYOUTS, len(document["expense_items"])

        with report.timer() as t:
            csv_bytes = render_csv(document)
        report.add(f"CSV, {ENTRIES:,} entries", t.seconds * 1000, "ms", f"{len(csv_bytes) / 1024:,.0f} KiB")
        with report.timer() as html_time:
            html_bytes = render_html(document)
        report.add(
            f"HTML, {ENTRIES:,} entries (baseline)",
            html_time.seconds * 1000,
            "ms",
            f"{len(html_bytes) / 1024:,.0f} KiB",
        )
        with report.timer() as small_pdf_time:
            small_pdf = render_pdf(small_document)
        report.add(
            f"PDF, {SMALL_ENTRIES} entries (baseline)",
            small_pdf_time.seconds,
            "s",
            f"{len(small_pdf) / 1024:,.0f} KiB, {_pages(small_pdf)} pages",
        )
        with report.timer() as pdf_time:
            pdf = render_pdf(document)
        report.add(f"PDF, {ENTRIES:,} entries: time", pdf_time.seconds, "s", f"{PAYOUTS} expense items")
        report.add(f"PDF, {ENTRIES:,} entries: size", len(pdf) / 1024, "KiB", f"{_pages(pdf)} pages")
        report.ratio(
            f"PDF time: {ENTRIES:,} ÷ {SMALL_ENTRIES} entries", pdf_time.seconds, small_pdf_time.seconds
        )
        report.ratio(f"PDF ÷ HTML, {ENTRIES:,} entries", pdf_time.seconds, html_time.seconds)
        with report.timer() as again:
            assert render_pdf(document) == pdf, "the PDF is a pure function of the document"
        report.add("PDF again, same bytes", again.seconds, "s", "stored SHA-256 stays valid")

        report.section(f"Disclosures · worst case: {ENTRIES:,} expense items in one quarter")
        worst_document = _document(report, worst, year, quarter, f"{ENTRIES:,} payouts")
        assert len(worst_document["expense_items"]) == ENTRIES
        with report.timer() as t:
            worst_pdf = render_pdf(worst_document)
        report.add(
            f"PDF, {ENTRIES:,} expense items: time",
            t.seconds,
            "s",
            f"{t.seconds / ENTRIES * 1000:.1f} ms/row",
        )
        report.add(
            f"PDF, {ENTRIES:,} expense items: size",
            len(worst_pdf) / 1024,
            "KiB",
            f"{_pages(worst_pdf)} pages",
        )
        report.ratio(
            f"PDF time: {ENTRIES:,} expense items ÷ {SMALL_ENTRIES} entries",
            t.seconds,
            small_pdf_time.seconds,
        )
