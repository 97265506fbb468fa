"""Demo money for the five Fushan pilots: escrow accounts, a year of fee bills
(December 2025 → November 2026) and the payments that came in, about ¥1.01 million in
all — the figure in the report — through the same services as real data.

Each compound collects at its own rate. 尚城国际 was a problem compound until the
handover to 华懋物业 on 2025-12-25: its December is poor and its rate climbs month
by month after it. The others are steady at different levels. With the estates
seed_demo builds (≈2,180 flats, ≈¥306,000 billed a month) ¥1.01 million is about 27 %
of a year's bills — a pilot that is still winning residents back — so the levels below
are relative weights, scaled so that the year's receipts come to TARGET_FEN.

How the money arrives (each through its own service, so the demo exercises them):
about 95 % by bank transfer, imported as one bank statement per compound and month
(with memo references written in the ways residents really write them, and a few
transfers without any, which land in suspense; some of those are then assigned);
about 3 % in cash or by card at the property office (numbered receipts); the rest by
WeChat Pay / Alipay notifications. (Receipts and notifications post one by one, each
in its own transaction; statements post in bulk — hence the mix, to stay fast.)

Deterministic (seeded by compound and month, never by database ids) and idempotent:
a second run finds every account, bill, statement, receipt and notification in place
and posts nothing. Payments are dated the 1st–25th, and a payment whose day has not
come yet is left for a later run. Each month's statement is stamped as imported
(``StatementImport.created_at``, which no hash or file covers) 1–5 days after the month
it covers (one whose day has not come yet keeps its real time); its audit event keeps the real time (the audit log is
append-only).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
import sys
import time
import zlib
from collections import defaultdict

from django.db.models import Sum
from django.utils import timezone

from common.money import format_yuan
from common.periods import add_months, months_between
from communities.models import Compound, Unit
from escrow.fees.services.billing import bills_generate
from escrow.fees.services.imports import statement_import, statement_mapping_save
from escrow.fees.services.payments import payment_record, suspense_assign
from escrow.fees.services.webhooks import Notification, webhook_payment_receive
from escrow.ledger.services import escrow_account_open
from escrow.models import (
    BankStatementMapping,
    EscrowAccount,
    FeeBill,
    Payment,
    PaymentSource,
    StatementImport,
)

SLUGS = ["shangcheng", "yinquan", "longquan", "dangui", "ganhe"]
FIRST_MONTH = dt.date(2025, 12, 1)
LAST_MONTH = dt.date(2026, 11, 1)
OPENED_ON = dt.date(2025, 12, 1)
TARGET_FEN = 101_000_000  # ¥1.01 million received across the five pilots

BANK = "中国银行"
HEADER = ["交易日期", "交易时间", "贷方金额", "借方金额", "流水号", "摘要", "对方户名"]

# Relative collection level per compound and month index (0 = December 2025).
PROFILES = {
    "shangcheng": [0.10] + [0.22 + 0.035 * i for i in range(11)],  # low before the handover, then rising
    "longquan": [0.44] * 12,
    "yinquan": [0.34] * 12,
    "ganhe": [0.27] * 12,
    "dangui": [0.21] * 12,
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"


def seed_escrow_demo(*, stdout=None) -> dict:
    """Open the pilots' escrow accounts and fill in a year of bills and payments.
    Returns {slug: (billed_fen, received_fen)}; prints one line per compound."""
    out = stdout or sys.stdout
    started = time.perf_counter()
    today = timezone.localdate()
    compounds = {c.slug: c for c in Compound.objects.filter(slug__in=SLUGS)}
    summary = {}
    plans = {}
    for slug in SLUGS:
        compound = compounds.get(slug)
        if compound is None:
            out.write(f"  escrow demo: no compound “{slug}”, skipped\n")
            continue
        _open_account(compound)
        for month in months_between(FIRST_MONTH, min(LAST_MONTH, today.replace(day=1))):
            bills_generate(compound=compound, period=month)
        plans[slug] = _billed_by_month(compound)
    scale = _scale(plans)
    for slug, billed in plans.items():
        compound = compounds[slug]
        posted = _seed_payments(compound, billed, scale, today)
        totals = _totals(compound)
        summary[slug] = totals
        rate = f"{100 * totals[1] / totals[0]:.1f}%" if totals[0] else "—"
        out.write(
            f"  escrow {compound.name:<6} billed {format_yuan(totals[0]):>15}  received "
            f"{format_yuan(totals[1]):>14}  ({rate})  {posted:>5} new payments\n"
        )
    received = sum(r for _b, r in summary.values())
    out.write(
        f"  escrow demo: {format_yuan(received)} received in all, {time.perf_counter() - started:.1f}s\n"
    )
    return summary


def _open_account(compound: Compound) -> None:
    if not EscrowAccount.objects.filter(compound=compound).exists():
        digits = f"{zlib.crc32(compound.slug.encode()) % 10**12:012d}"
        escrow_account_open(
            compound=compound,
            bank_name="中国银行咸宁分行",
            account_name=f"{compound.name}物业费共管账户",
            account_number=f"6217{digits}853",
            opened_on=OPENED_ON,
            actor=None,
        )
    if not BankStatementMapping.objects.filter(compound=compound, bank_name=BANK).exists():
        statement_mapping_save(
            compound=compound,
            actor=None,
            bank_name=BANK,
            layout={
                "date_column": "交易日期",
                "time_column": "交易时间",
                "direction": "two_columns",
                "income_column": "贷方金额",
                "expense_column": "借方金额",
                "serial_column": "流水号",
                "memo_columns": ["摘要"],
                "counterparty_column": "对方户名",
            },
        )


def _billed_by_month(compound: Compound) -> dict[dt.date, int]:
    rows = FeeBill.objects.filter(compound=compound).values_list("period").annotate(s=Sum("amount_fen"))
    return {period: total for period, total in rows if FIRST_MONTH <= period <= LAST_MONTH}


def _scale(plans: dict[str, dict[dt.date, int]]) -> float:
    weighted = sum(
        PROFILES[slug][_index(month)] * billed
        for slug, months in plans.items()
        for month, billed in months.items()
    )
    return TARGET_FEN / weighted if weighted else 0.0


def _index(month: dt.date) -> int:
    return (month.year - FIRST_MONTH.year) * 12 + month.month - FIRST_MONTH.month


def _totals(compound: Compound) -> tuple[int, int]:
    billed = FeeBill.objects.filter(compound=compound).aggregate(s=Sum("amount_fen"))["s"] or 0
    received = Payment.objects.filter(compound=compound).aggregate(s=Sum("amount_fen"))["s"] or 0
    return billed, received


def _seed_payments(compound: Compound, billed: dict[dt.date, int], scale: float, today: dt.date) -> int:
    """Choose, month by month, which units pay — steady payers first — until the
    month's share of the target is reached; then send each payment its way."""
    slug = compound.slug
    units = sorted(
        Unit.objects.filter(compound=compound).select_related("building", "compound"),
        key=lambda u: (u.building.sort_key, u.building.name, u.entrance, u.number.zfill(6)),
    )
    bills = defaultdict(dict)
    for unit_id, period, amount in FeeBill.objects.filter(compound=compound).values_list(
        "unit_id", "period", "amount_fen"
    ):
        bills[period][unit_id] = amount
    habits = random.Random(zlib.crc32(f"habits:{slug}".encode()))  # noqa: S311 - demo data
    # A unit's willingness to pay: the same every month, so steady payers stay steady.
    willingness = {u.pk: habits.random() for u in units}

    done_receipts = set(
        Payment.objects.filter(compound=compound).exclude(receipt_no="").values_list("receipt_no", flat=True)
    )
    done_webhooks = set(
        Payment.objects.filter(compound=compound, source=PaymentSource.WEBHOOK).values_list(
            "reference", flat=True
        )
    )
    done_files = set(StatementImport.objects.filter(compound=compound).values_list("sha256", flat=True))
    mapping = BankStatementMapping.objects.get(compound=compound, bank_name=BANK)
    posted = 0
    for month in sorted(billed):
        rng = random.Random(zlib.crc32(f"pay:{slug}:{month:%Y-%m}".encode()))  # noqa: S311 - demo data
        target = round(PROFILES[slug][_index(month)] * scale * billed[month])
        order = sorted(units, key=lambda u: willingness[u.pk] + rng.random() * 0.35, reverse=True)
        bank_rows, cash, wallet = [], [], []
        received = 0
        for sequence, unit in enumerate(order, start=1):
            amount = bills[month].get(unit.pk)
            if not amount:
                continue
            if received >= target:
                break
            received += amount
            day = month.replace(day=rng.randint(1, 25))
            channel = rng.random()
            if day > today:
                continue
            if channel < 0.03:
                cash.append((unit, amount, day, f"{slug.upper()}-{month:%Y%m}-{sequence:04d}"))
            elif channel < 0.05:
                wallet.append(
                    (unit, amount, day, f"42000{zlib.crc32(f'{slug}{month}{sequence}'.encode()):010d}")
                )
            else:
                bank_rows.append(
                    (unit, amount, day, f"{month:%Y%m}{zlib.crc32(slug.encode()) % 1000:03d}{sequence:05d}")
                )
        posted += _bank_statement(compound, mapping, month, bank_rows, rng, today, done_files)
        for unit, amount, day, receipt in cash:
            if receipt in done_receipts:
                continue
            payment_record(
                compound=compound,
                unit=unit,
                amount_fen=amount,
                method="cash" if rng.random() < 0.7 else "pos",
                received_on=day,
                receipt_no=receipt,
                actor=None,
            )
            posted += 1
        for unit, amount, day, txn in wallet:
            if txn in done_webhooks:
                continue
            paid_at = timezone.make_aware(
                dt.datetime.combine(day, dt.time(rng.randint(8, 21), rng.randint(0, 59)))
            )
            webhook_payment_receive(
                provider="wechatpay" if rng.random() < 0.6 else "alipay",
                notification=Notification(txn, slug, unit.reference, amount, paid_at),
            )
            posted += 1
    _assign_some_suspense(compound, units)
    _date_imports(compound)
    return posted


def _memo(unit: Unit, rng: random.Random) -> str:
    """What residents write in a transfer memo: the reference, or something close to it."""
    b, e, n = unit.building.name, unit.entrance, unit.number
    forms = [
        unit.reference,
        f"物业费 {unit.reference}",
        f"{unit.compound.slug} {b}{e}单元{n}",
        f"{b}{e}单元{n}室物业费",
        f"{unit.reference.lower()}",
        f"缴{b}-{e}-{n}物业费",
    ]
    return rng.choice(forms)


def _bank_statement(compound, mapping, month, rows, rng, today, done_files) -> int:
    """One month's statement of the escrow account, imported like a real upload."""
    lines = []
    for unit, amount, day, reference in rows:
        payer = f"{rng.choice(SURNAMES)}{rng.choice('先生女士')}" if rng.random() < 0.9 else "财付通"
        memo = _memo(unit, rng)
        if rng.random() < 0.015:  # a transfer without a usable reference → suspense
            memo = rng.choice(["转账", "物业费", "缴费", ""])
        lines.append((day, reference, amount, memo, payer))
    lines.sort()
    if not lines:
        return 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for day, reference, amount, memo, payer in lines:
        seconds = rng.randint(8 * 3600, 20 * 3600)
        writer.writerow(
            [
                day.isoformat(),
                f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}",
                f"{amount // 100:,}.{amount % 100:02d}",
                "",
                reference,
                memo,
                payer,
            ]
        )
    # Chinese banks export GBK; so does the demo.
    data = buffer.getvalue().encode("gbk")
    if hashlib.sha256(data).hexdigest() in done_files:
        return 0
    record = statement_import(
        compound=compound,
        mapping=mapping,
        file_name=f"{BANK}-{compound.slug}-{month:%Y%m}.csv",
        data=data,
        actor=None,
    )
    return record.posted


def imported_on(slug: str, month: dt.date) -> dt.datetime:
    """When the demo says a month's statement was imported: 1–5 days after the month,
    in office hours (deterministic per compound and month)."""
    rng = zlib.crc32(f"import:{slug}:{month:%Y-%m}".encode())
    day = add_months(month, 1) + dt.timedelta(days=rng % 5)
    when = timezone.make_aware(dt.datetime.combine(day, dt.time(9 + rng % 8, rng // 8 % 60)))
    return when


def _date_imports(compound: Compound) -> None:
    """Stamp each demo statement in the days after its month (the same stamp on every run)."""
    prefix = f"{BANK}-{compound.slug}-"
    now = timezone.now()
    for pk, file_name, created_at in StatementImport.objects.filter(
        compound=compound, file_name__startswith=prefix
    ).values_list("pk", "file_name", "created_at"):
        stem = file_name.removeprefix(prefix).removesuffix(".csv")
        try:
            month = dt.datetime.strptime(stem, "%Y%m").date()
        except ValueError:
            continue
        stamp = imported_on(compound.slug, month)
        if stamp <= now and created_at != stamp:
            StatementImport.objects.filter(pk=pk).update(created_at=stamp)


def _assign_some_suspense(compound: Compound, units: list[Unit]) -> None:
    """Two of every three unidentified receipts of past months have been worked out."""
    cutoff = add_months(LAST_MONTH, -1)
    for payment in Payment.objects.filter(
        compound=compound, unit__isnull=True, received_on__lt=cutoff
    ).order_by("reference"):
        rng = random.Random(zlib.crc32(f"suspense:{payment.reference}".encode()))  # noqa: S311 - demo data
        if rng.random() < 2 / 3:
            suspense_assign(payment=payment, unit=rng.choice(units), actor=None)
