"""Shared set-up of the payout tests (no tests here): an escrow account with money in it,
evidence files, TOTP enrolment and a fresh second factor, and requests walked along
the workflow through the real services."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.stepup import SecondFactor
from common.pdf import minimal_pdf
from common.periods import add_months
from escrow.ledger.services import escrow_account_open
from escrow.models import PayoutCategory, PayoutRequest
from escrow.payouts import services

OPENING_FEN = 1_000_000_00  # ¥1,000,000.00
OPENED_ON = dt.date(2026, 1, 1)


PDF_BYTES = minimal_pdf("Invoice 2026-001")
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def pdf(name: str = "invoice.pdf", data: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def png(name: str = "quote.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def open_escrow(world, *, balance_fen: int = OPENING_FEN, compound=None):
    return escrow_account_open(
        compound=compound or world.a,
        bank_name="湖北银行咸安支行",
        account_name="尚城国际小区共管账户",
        account_number="6222021234567890123",
        opened_on=OPENED_ON,
        opening_balance_fen=balance_fen,
        actor=None,
    )


def fresh(at: dt.datetime | None = None, method: str = "totp") -> SecondFactor:
    return SecondFactor(method=method, at=at or timezone.now())


def enrol_totp(user, secret: str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP") -> str:
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, step: int = 0) -> str:
    """The code for now (``step`` periods later, for a second code in the same period)."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    counter = next(yield_hotp_counters_from_time()) + step
    return format_hotp_value(hotp_value(secret, counter))


def payout_fields(**overrides) -> dict:
    fields = {
        "category": PayoutCategory.REPAIR,
        "expense_account": "",
        "payee_name": "咸宁市利民水电维修部",
        "payee_account": "6217 0012 3456 7890 123",
        "amount_fen": 3_500_00,
        "purpose": "3栋屋面防水维修",
    }
    fields.update(overrides)
    return fields


def file_payout(world, *, submit: bool = True, attachments=None, actor=None, compound=None, **overrides):
    """A request filed by the staff member of compound A (evidence: one invoice)."""
    if attachments is None:
        attachments = [("invoice", pdf())]
    return services.payout_file(
        compound=compound or world.a,
        actor=actor or world.staff,
        attachments=attachments,
        submit=submit,
        **payout_fields(**overrides),
    )


def approve(payout, user, comment: str = "") -> PayoutRequest:
    return services.payout_approve(payout=payout, actor=user, second_factor=fresh(), comment=comment)


def walk(world, payout, *, to: str) -> PayoutRequest:
    """Move a submitted request along the workflow: 'reviewed', 'rechecked' or 'paid'."""
    payout = approve(payout, world.committee)
    payout = approve(payout, world.committee2)
    if to == "reviewed":
        return payout
    payout = approve(payout, world.official)
    if to == "rechecked":
        return payout
    return services.payout_pay(
        payout=payout,
        actor=world.chair,
        bank_reference=f"HBBANK-{payout.pk:08d}",
        payment_date=timezone.localdate(),
        second_factor=fresh(),
    )


SMALL_FEN = 20_000_00  # below the default resolution threshold (¥50,000)


def prepare(world, settings, tmp_path, *, balance_fen: int = OPENING_FEN):
    """Evidence files under a temporary MEDIA_ROOT, an empty cache (TOTP codes are
    marked used there) and compound A's escrow account with ``balance_fen`` in it."""
    from django.core.cache import cache

    settings.MEDIA_ROOT = str(tmp_path)
    cache.clear()
    open_escrow(world, balance_fen=balance_fen)
    return world


def set_auth_records(client, user, records: list[dict]) -> None:
    """Put allauth authentication records into a test client's session, as allauth's
    login and reauthentication flows write them."""
    from allauth.account.internal.flows import login as login_flow

    session = client.session
    session[login_flow.AUTHENTICATION_METHODS_SESSION_KEY] = records
    session[login_flow._AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


def stored_files(root) -> list:
    import pathlib

    return [p for p in pathlib.Path(root).rglob("*") if p.is_file()]


def give_email(*users) -> None:
    """The test world's users have no e-mail; notification mail needs one."""
    from accounts.models import User

    for user in users:
        user.email = f"u{user.pk}@example.cn"
        User.objects.filter(pk=user.pk).update(email=user.email)


def approved_budget(world, monthly_fen: int, *, expense_account: str = "nc_cleaning"):
    """Next month's necessary-cost budget of compound A, filed by staff and signed by
    two committee members and the community (so next month's reserve is ``monthly_fen``)."""
    year = add_months(timezone.localdate(), 1).year
    budget = services.budget_create(
        compound=world.a,
        year=year,
        actor=world.staff,
        lines=[
            {
                "expense_account": expense_account,
                "payee_name": "咸宁洁美保洁公司",
                "payee_account": "6222000011112222",
                "monthly_amount_fen": monthly_fen,
            }
        ],
    )
    budget = services.budget_submit(budget=budget, actor=world.staff)
    for signer in (world.committee, world.committee2, world.official):
        budget = services.budget_approve(budget=budget, actor=signer, second_factor=fresh())
    assert budget.status == "approved"
    return budget
