"""Tests the suite lacked (issue 11, item 8): each would catch a deliberate one-line bug.

Where escrow is wrong today the test is a strict xfail naming the bug (fixed in escrow,
phase 2: the xfail then turns into a failure that says "remove the mark")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.stepup import SecondFactor
from common.errors import ApplicationError, ConflictError
from common.pdf import minimal_pdf
from communities import services as community_services
from communities.models import Membership, Role
from communities.permissions import standing_in
from escrow.fees import selectors as billing_selectors
from escrow.fees.services.billing import bills_generate
from escrow.fees.services.imports import StatementImportError, statement_import, statement_mapping_save
from escrow.fees.services.payments import payment_record, suspense_assign
from escrow.fees.services.webhooks import WebhookSignatureError, sign, verify
from escrow.ledger.services import escrow_account_open
from escrow.ledger.verification import ledger_verify
from escrow.models import EscrowAccount, Payment, PayoutCategory, PayoutRequest, PayoutStatus
from escrow.models.payouts import PayoutAttachment
from escrow.payouts import services as payouts

JAN = dt.date(2026, 1, 1)


def _fresh() -> SecondFactor:
    return SecondFactor(method="totp", at=timezone.now())


def _open(compound, opened_on=dt.date(2025, 12, 1)):
    return escrow_account_open(
        compound=compound,
        bank_name="中国银行咸宁分行",
        account_name=f"{compound.name}共管账户",
        account_number="6222021234567890123",
        opened_on=opened_on,
        opening_balance_fen=1_000_000_00,
        actor=None,
    )


@pytest.fixture
def money(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    _open(world.a)
    _open(world.b)
    return world


def _file(world, **overrides):
    fields = {
        "category": PayoutCategory.REPAIR,
        "expense_account": "",
        "payee_name": "咸宁市利民水电维修部",
        "payee_account": "6217 0012 3456 7890 123",
        "amount_fen": 3_500_00,
        "purpose": "3栋屋面防水维修",
    }
    fields.update(overrides)
    invoice = SimpleUploadedFile("i.pdf", minimal_pdf("Invoice 1"), content_type="application/pdf")
    return payouts.payout_file(
        compound=world.a, actor=world.staff, attachments=[("invoice", invoice)], submit=True, **fields
    )


def _rechecked(world):
    payout = _file(world)
    for signer in (world.committee, world.committee2, world.official):
        payout = payouts.payout_approve(payout=payout, actor=signer, second_factor=_fresh())
    assert payout.status == PayoutStatus.RECHECKED
    return payout


# --------------------------------------------------------------------------- content hash


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("payee_account_masked", "6217 **** **** 9999 999"),
        ("payee_name", "另一家维修部"),
        ("purpose", "3栋屋面防水维修（改）"),
        ("expense_account", "expense_other"),
        ("amount_fen", 3_500_01),
    ],
)
def test_the_content_hash_covers_each_field_a_signature_binds(money, field, value):
    payout = _file(money)
    before = payouts.payout_content_hash(payout)
    assert before == payout.content_hash
    setattr(payout, field, value)
    assert payouts.payout_content_hash(payout) != before


def test_the_content_hash_covers_the_payee_company(money):
    payout = _file(money)
    before = payouts.payout_content_hash(payout)
    payout.payee_company = money.other_company
    assert payouts.payout_content_hash(payout) != before


def test_the_content_hash_covers_each_attachment_s_sha256(money):
    payout = _file(money)
    before = payouts.payout_content_hash(payout)
    PayoutAttachment.objects.filter(request=payout).update(sha256="0" * 64)
    assert payouts.payout_content_hash(payout) != before


# --------------------------------------------------------------------------- webhooks


@pytest.fixture
def webhook_secret(settings):
    settings.PAYMENT_WEBHOOK_SECRETS = {"wechatpay": "test-webhook-secret-0123456789abcdef"}
    return b"test-webhook-secret-0123456789abcdef"


def _flip_last(signature: str) -> str:
    return signature[:-1] + ("0" if signature[-1] != "0" else "1")


def test_a_webhook_signature_is_compared_on_its_full_length(webhook_secret):
    body, stamp = b'{"transaction_id": "T1"}', str(int(timezone.now().timestamp()))
    good = sign(webhook_secret, stamp, body)
    verify(provider="wechatpay", timestamp=stamp, signature=good, body=body)
    for bad in (_flip_last(good), good[:-1], good[:20], good + "0"):
        with pytest.raises(WebhookSignatureError):
            verify(provider="wechatpay", timestamp=stamp, signature=bad, body=body)


# --------------------------------------------------------------------------- collection rate


def test_a_collection_rate_tie_rounds_half_up():
    # 1 fen received of 400 billed = 0.25 % → 0.3 (half up), not 0.2 (half even)
    assert billing_selectors.RateRow(period=JAN, billed_fen=400, received_fen=1).rate == Decimal("0.3")
    assert billing_selectors.RateRow(period=JAN, billed_fen=400, received_fen=3).rate == Decimal("0.8")


def test_a_payment_on_the_first_day_of_the_range_counts_and_the_day_before_does_not(money):
    w = money
    bills_generate(compound=w.a, period=JAN)
    for day, amount, receipt in ((dt.date(2025, 12, 31), 7, "R0"), (JAN, 100, "R1")):
        payment_record(
            compound=w.a, unit=w.unit_a, amount_fen=amount, method="cash", received_on=day, receipt_no=receipt,
            actor=w.staff,
        )  # fmt: skip
    table = billing_selectors.collection_rates(w.a, first=JAN, last=JAN)
    assert table.compound[0].received_fen == 100


# --------------------------------------------------------------------------- segregation


def test_an_applicant_who_left_the_company_still_never_signs_their_own_request(money):
    w = money
    payout = _file(w)
    # The applicant left the company last week (backdated: membership_end cannot end a
    # role before it started, and the world's roles start today) and joined the committee.
    Membership.objects.filter(user=w.staff, role=Role.COMPANY_STAFF).update(
        start_date=timezone.localdate() - dt.timedelta(days=30),
        end_date=timezone.localdate() - dt.timedelta(days=7),
    )
    community_services.membership_create(user=w.staff, role=Role.COMMITTEE_MEMBER, compound=w.a, actor=None)
    assert standing_in(w.staff, w.a).company_ids == set()
    with pytest.raises(payouts.SegregationError, match=r"The applicant never signs their own request\."):
        payouts.payout_approve(payout=payout, actor=w.staff, second_factor=_fresh())
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.SUBMITTED


# --------------------------------------------------------------------------- another compound's unit


def test_payment_record_refuses_another_compound_s_unit(money):
    w = money
    before = Payment.objects.count()
    with pytest.raises(ApplicationError) as exc_info:
        payment_record(
            compound=w.a, unit=w.unit_b, amount_fen=100, method="cash", received_on=JAN, receipt_no="X1",
            actor=w.staff,
        )  # fmt: skip
    assert exc_info.value.extra["fields"] == {"unit": ["No such unit in this compound."]}
    assert Payment.objects.count() == before


def _suspense_payment(w):
    mapping = statement_mapping_save(
        compound=w.a,
        actor=None,
        bank_name="中国银行",
        layout={
            "date_column": "交易日期",
            "direction": "two_columns",
            "income_column": "贷方金额",
            "expense_column": "借方金额",
            "serial_column": "流水号",
            "memo_columns": ["摘要"],
        },
    )
    data = "交易日期,贷方金额,借方金额,流水号,摘要,对方户名\r\n2026-01-05,10.00,,S1,转账,陈先生\r\n"
    statement_import(compound=w.a, mapping=mapping, file_name="s.csv", data=data.encode(), actor=w.staff)
    return mapping, Payment.objects.get(source="import", statement_memo="转账", amount_fen=1000)


def test_suspense_assign_refuses_another_compound_s_unit(money):
    w = money
    _mapping, payment = _suspense_payment(w)
    with pytest.raises(ApplicationError) as exc_info:
        suspense_assign(payment=payment, unit=w.unit_b, actor=w.manager)
    assert exc_info.value.extra["fields"] == {"unit": ["No such unit in this compound."]}
    payment.refresh_from_db()
    assert payment.unit_id is None


# --------------------------------------------------------------------------- closed books


def test_a_statement_row_dated_exactly_on_the_closed_through_day_names_the_date_column(money):
    w = money
    mapping, _payment = _suspense_payment(w)
    EscrowAccount.objects.filter(compound=w.a).update(closed_through=dt.date(2026, 3, 31))
    data = "交易日期,贷方金额,借方金额,流水号,摘要,对方户名\r\n2026-03-31,20.00,,S2,转账,陈先生\r\n"
    with pytest.raises(StatementImportError) as exc_info:
        statement_import(compound=w.a, mapping=mapping, file_name="t.csv", data=data.encode(), actor=w.staff)
    [problem] = exc_info.value.extra["rows"]
    assert (problem["row"], problem["column"]) == (2, mapping.layout["date_column"])
    assert "closed through 2026-03-31" in problem["message"]


# --------------------------------------------------------------------------- paying what was signed


def test_pay_refuses_a_request_whose_content_changed_after_the_signatures(money):
    w = money
    payout = _rechecked(w)
    # ¥3,500 signed; ¥7,000 in the row (within the balance, so only a re-hash can refuse it)
    PayoutRequest.objects.filter(pk=payout.pk).update(amount_fen=payout.amount_fen * 2)
    with pytest.raises(ConflictError):
        payouts.payout_pay(
            payout=payout,
            actor=w.chair,
            bank_reference="HB-1",
            payment_date=timezone.localdate(),
            second_factor=_fresh(),
        )
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.RECHECKED


def test_verify_ledger_reports_a_paid_payout_whose_content_no_longer_matches_its_signatures(money):
    w = money
    payout = payouts.payout_pay(
        payout=_rechecked(w),
        actor=w.chair,
        bank_reference="HB-2",
        payment_date=timezone.localdate(),
        second_factor=_fresh(),
    )
    assert ledger_verify(w.a).ok
    PayoutRequest.objects.filter(pk=payout.pk).update(payee_name="别人")
    assert not ledger_verify(w.a).ok


# --------------------------------------------------------------------------- webhook bodies (item 6)


def _signed_post(secret: bytes, body: bytes):
    from django.test import Client

    from escrow.fees.services.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER

    stamp = str(int(timezone.now().timestamp()))
    return Client(raise_request_exception=False).post(
        "/api/v1/webhooks/payments/wechatpay/",
        data=body,
        content_type="application/json",
        headers={TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, stamp, body)},
    )


def test_a_signed_webhook_with_a_nul_byte_is_refused_as_bad_input(money, webhook_secret):
    import json

    notification = {
        "transaction_id": "T\x001",
        "compound": money.a.slug,
        "unit": money.unit_a.reference,
        "amount_fen": 100,
        "paid_at": "2026-01-05T10:00:00+08:00",
    }
    body = json.dumps(notification).encode()  # the NUL travels as \u0000
    response = _signed_post(webhook_secret, body)
    assert response.status_code == 400, response.content[:200]


def test_a_signed_deeply_nested_webhook_body_is_refused_as_bad_input(money, webhook_secret):
    response = _signed_post(webhook_secret, b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 400, response.content[:200]


# --------------------------------------------------------------------------- unit statements (item 6)


def test_another_owner_s_unit_statement_is_missing_like_a_missing_unit(money):
    from rest_framework.test import APIClient

    w = money
    other_unit = w.building_a.units.exclude(pk=w.unit_a.pk).first()
    client = APIClient()
    client.force_login(w.resident)
    base = f"/api/v1/compounds/{w.a.slug}/escrow/units"
    assert client.get(f"{base}/{w.unit_a.pk}/statement/").status_code == 200
    missing = client.get(f"{base}/2000000000/statement/")
    not_mine = client.get(f"{base}/{other_unit.pk}/statement/")
    assert missing.status_code == 404
    assert (not_mine.status_code, not_mine.json()) == (404, missing.json())
