"""Helpers of the billing, payments, import and webhook tests (no tests here; their
fixtures ``escrow_world`` and ``webhook_secret`` are in tests/escrow/conftest.py).
Everything is built through the real services."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass

from django.test import Client

from communities import services as community_services
from communities.models import AuditEvent
from communities.testing import World
from escrow.fees.services.imports import statement_mapping_save
from escrow.fees.services.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from escrow.ledger.services import escrow_account_open
from escrow.ledger.verification import ledger_verify
from escrow.models import BankStatementMapping, JournalEntry, JournalLine, Payment, StatementImport

OPENED_ON = dt.date(2025, 12, 1)
JAN = dt.date(2026, 1, 1)
FEB = dt.date(2026, 2, 1)
MAR = dt.date(2026, 3, 1)
WEBHOOK_SECRET = "test-webhook-secret-0123456789abcdef"

# The header line of the test bank's export (中国银行-style names).
HEADER = ["交易日期", "贷方金额", "借方金额", "流水号", "摘要", "对方户名"]


def open_escrow(compound, *, opened_on: dt.date = OPENED_ON):
    return escrow_account_open(
        compound=compound,
        bank_name="中国银行咸宁分行",
        account_name=f"{compound.name}共管账户",
        account_number="6222021234567890123",
        opened_on=opened_on,
        actor=None,
    )


def make_mapping(compound, *, bank_name: str = "中国银行", **overrides) -> BankStatementMapping:
    """A custom layout for the test bank's export (HEADER): money in and out in two
    columns, the bank's serial, memo and payer; no running balance."""
    layout = {
        "date_column": "交易日期",
        "direction": "two_columns",
        "income_column": "贷方金额",
        "expense_column": "借方金额",
        "serial_column": "流水号",
        "memo_columns": ["摘要"],
        "counterparty_column": "对方户名",
    }
    layout.update(overrides)
    return statement_mapping_save(compound=compound, actor=None, bank_name=bank_name, layout=layout)


def csv_text(rows: list[list[str]], *, header: list[str] | None = None, preamble: str = "") -> str:
    import csv
    import io

    out = io.StringIO()
    out.write(preamble)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return out.getvalue()


def row(day: str, amount: str, ref: str, memo: str, payer: str = "陈先生", debit: str = "") -> list[str]:
    return [day, amount, debit, ref, memo, payer]


@dataclass
class Counts:
    entries: int
    lines: int
    payments: int
    imports: int
    audit: int


def counts() -> Counts:
    return Counts(
        entries=JournalEntry.objects.count(),
        lines=JournalLine.objects.count(),
        payments=Payment.objects.count(),
        imports=StatementImport.objects.count(),
        audit=AuditEvent.objects.count(),
    )


def assert_ledgers_verify(*compounds) -> None:
    for compound in compounds:
        result = ledger_verify(compound)
        assert result.ok, result.problems


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def webhook_post(
    client: Client,
    body: dict | bytes,
    *,
    provider: str = "wechatpay",
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
):
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature if signature is not None else sign(secret.encode(), stamp, raw),
    }
    return client.post(
        f"/api/v1/webhooks/payments/{provider}/",
        data=raw,
        content_type="application/json",
        headers=headers,
    )


def add_unit(world: World, number: str, area: str, *, building=None, entrance: str = "1"):
    return community_services.unit_create(
        building=building or world.building_a, entrance=entrance, number=number, floor_area=area, actor=None
    )


def payment_of(serial: str) -> Payment:
    """The payment an imported line with this bank serial posted (payments carry the
    line's identity as their reference)."""
    from escrow.models import BankLine

    return Payment.objects.get(source="import", reference=BankLine.objects.get(serial=serial).identity)


def serial_of(payment: Payment) -> str:
    """The bank serial of the line that posted an imported payment."""
    from escrow.models import BankLine

    return BankLine.objects.get(identity=payment.reference, compound=payment.compound).serial
