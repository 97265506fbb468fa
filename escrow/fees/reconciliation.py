"""Reconciliation (对账) of the escrow account with its bank: reads and the monthly signing.

The bank's end-of-day balance comes from the imported bank lines' running balances; the
ledger's cash from the escrow-cash account's journal lines by effective date. Their
difference on a day is explained by bank lines that posted nothing (a payout's own
entry carries a different date) and by ledger entries the bank has not shown (cash at
the office, payment notifications not yet settled, payouts not yet seen on a statement).
A month is reconciled when a committee member and a community official, two different
people, have signed its figures behind step-up (``accounts.stepup.check_second_factor``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.stepup import SecondFactor, check_second_factor
from common.errors import ApplicationError, ConflictError, PermissionDeniedError
from common.periods import add_months
from communities.audit import audit_record
from communities.models import Compound
from communities.permissions import Capability, Standing
from escrow.ledger.services import lock_escrow_account
from escrow.models import (
    BankLine,
    BankLineOutcome,
    Category,
    EscrowAccount,
    JournalEntry,
    JournalLine,
    PayoutRequest,
    Reconciliation,
    Side,
)


@dataclass
class Day:
    day: dt.date
    bank_fen: int | None
    ledger_fen: int

    @property
    def difference_fen(self) -> int | None:
        return None if self.bank_fen is None else self.bank_fen - self.ledger_fen


@dataclass
class MonthView:
    month: dt.date
    days: list[Day] = field(default_factory=list)
    bank_end_fen: int | None = None
    ledger_end_fen: int = 0
    not_booked: list[BankLine] = field(default_factory=list)  # bank lines that posted nothing
    not_at_bank: list[JournalEntry] = field(default_factory=list)  # cash entries no bank line shows
    unexplained: list[BankLine] = field(default_factory=list)
    record: Reconciliation | None = None

    @property
    def difference_fen(self) -> int | None:
        return None if self.bank_end_fen is None else self.bank_end_fen - self.ledger_end_fen


def _month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def bank_balance_on(account: EscrowAccount, day: dt.date) -> int | None:
    """The bank's balance at the end of ``day`` (the last imported bank line on or before it)."""
    line = (
        BankLine.objects.filter(account=account, source="bank", balance_fen__isnull=False, date__lte=day)
        .order_by("-date", "-id")
        .first()
    )
    return line.balance_fen if line is not None else None


def ledger_cash_on(compound: Compound, day: dt.date) -> int:
    """Escrow cash (fen) after every entry dated on or before ``day``."""
    rows = (
        JournalLine.objects.filter(
            compound=compound, account__category=Category.ESCROW_CASH, entry__effective_date__lte=day
        )
        .values("side")
        .annotate(total=Sum("amount"))
    )
    return sum(r["total"] if r["side"] == Side.DEBIT else -r["total"] for r in rows)


def months_with_lines(account: EscrowAccount) -> list[dt.date]:
    dates = BankLine.objects.filter(account=account, source="bank").dates("date", "month", order="DESC")
    return list(dates)


def month_view(compound: Compound, account: EscrowAccount, month: dt.date) -> MonthView:
    """The month's days side by side, the explaining lines and the signing record."""
    start, end = month, _month_end(month)
    view = MonthView(month=month)
    bank_by_day: dict[dt.date, int] = {}
    for line in BankLine.objects.filter(
        account=account, source="bank", balance_fen__isnull=False, date__gte=start, date__lte=end
    ).order_by("date", "id"):
        bank_by_day[line.date] = line.balance_fen
    cash_moves: dict[dt.date, int] = {}
    for day, side, total in (
        JournalLine.objects.filter(
            compound=compound,
            account__category=Category.ESCROW_CASH,
            entry__effective_date__gte=start,
            entry__effective_date__lte=end,
        )
        .values_list("entry__effective_date", "side")
        .annotate(total=Sum("amount"))
    ):
        cash_moves[day] = cash_moves.get(day, 0) + (total if side == Side.DEBIT else -total)
    ledger = ledger_cash_on(compound, start - dt.timedelta(days=1))
    bank = bank_balance_on(account, start - dt.timedelta(days=1))
    for day in sorted(set(bank_by_day) | set(cash_moves)):
        ledger += cash_moves.get(day, 0)
        bank = bank_by_day.get(day, bank)
        view.days.append(Day(day, bank, ledger))
    view.ledger_end_fen = ledger
    view.bank_end_fen = bank_balance_on(account, end)
    month_lines = BankLine.objects.filter(account=account, date__gte=start, date__lte=end)
    view.not_booked = list(
        month_lines.filter(entry__isnull=True)
        .exclude(outcome=BankLineOutcome.NOT_POSTED)
        .select_related("payout")
        .order_by("date", "id")
    )
    seen_entries = set(month_lines.filter(entry__isnull=False).values_list("entry_id", flat=True))
    seen_entries |= set(
        PayoutRequest.objects.filter(bank_lines__account=account, journal_entry__isnull=False).values_list(
            "journal_entry_id", flat=True
        )
    )
    seen_entries |= set(
        BankLine.objects.filter(account=account, transfer_of__isnull=False, source="bank")
        .values_list("transfer_of__entry_id", flat=True)
        .exclude(transfer_of__entry_id=None)
    )
    view.not_at_bank = [
        entry
        for entry in JournalEntry.objects.filter(
            compound=compound,
            effective_date__gte=start,
            effective_date__lte=end,
            lines__account__category=Category.ESCROW_CASH,
        ).order_by("effective_date", "sequence")
        if entry.pk not in seen_entries
    ][:200]
    view.unexplained = list(unexplained_outflows(compound))
    view.record = (
        Reconciliation.objects.filter(account=account, month=month)
        .select_related("committee_signer", "community_signer")
        .first()
    )
    return view


def unexplained_outflows(compound: Compound):
    """Money that left the escrow account and no payout explains, not yet explained:
    shown to residents on the compound's public page until someone explains it."""
    return BankLine.objects.filter(
        compound=compound, outcome=BankLineOutcome.UNEXPLAINED, explained_at__isnull=True
    ).order_by("-date", "-id")


def reconciliation_at(account: EscrowAccount, day: dt.date) -> Reconciliation | None:
    """The signed reconciliation of the month ending on or before ``day`` (for disclosures)."""
    return (
        Reconciliation.objects.filter(
            account=account,
            month__lte=day,
            committee_signed_at__isnull=False,
            community_signed_at__isnull=False,
        )
        .select_related("committee_signer", "community_signer")
        .order_by("-month")
        .first()
    )


def last_bank_line_date(account: EscrowAccount) -> dt.date | None:
    return BankLine.objects.filter(account=account, source="bank").aggregate(d=Max("date"))["d"]


# --------------------------------------------------------------------------- signing


@transaction.atomic(durable=True)
def reconciliation_sign(
    *,
    compound: Compound,
    month: dt.date,
    actor,
    standing: Standing,
    second_factor: SecondFactor | None,
) -> Reconciliation:
    """Sign a month's reconciliation as the committee (REVIEW_PAYOUT) or the community
    (RECHECK_PAYOUT), behind step-up. The figures are computed now; if they differ from
    those the other party signed, that signature is void and must be given again."""
    if standing.can(Capability.REVIEW_PAYOUT):
        party = "committee"
    elif standing.can(Capability.RECHECK_PAYOUT):
        party = "community"
    else:
        raise PermissionDeniedError(_("A committee member or a community official signs a reconciliation."))
    month = month.replace(day=1)
    end = _month_end(month)
    if end >= timezone.localdate():
        raise ApplicationError(
            _("month: a month is reconciled once it has ended."), extra={"fields": {"month": []}}
        )
    proof = check_second_factor(second_factor)
    escrow = lock_escrow_account(compound.pk)
    if escrow is None:
        raise ApplicationError(_("This compound has no escrow account yet."))
    bank = bank_balance_on(escrow, end)
    if bank is None:
        raise ApplicationError(
            _("month: import the bank's statement of this month before reconciling it."),
            extra={"fields": {"month": []}},
        )
    ledger = ledger_cash_on(compound, end)
    record, _created = Reconciliation.objects.select_for_update().get_or_create(
        account=escrow,
        month=month,
        defaults={"compound": compound, "bank_balance_fen": bank, "ledger_balance_fen": ledger},
    )
    if record.signed:
        raise ConflictError(_("This month is reconciled already."))
    if (record.bank_balance_fen, record.ledger_balance_fen) != (bank, ledger):
        record.bank_balance_fen, record.ledger_balance_fen = bank, ledger
        record.committee_signer = record.community_signer = None
        record.committee_signed_at = record.community_signed_at = None
    mine = record.committee_signer_id if party == "committee" else record.community_signer_id
    if mine is not None:
        raise ConflictError(
            _("The committee has signed this month already.")
            if party == "committee"
            else _("The community has signed this month already.")
        )
    other = record.community_signer_id if party == "committee" else record.committee_signer_id
    if other == actor.pk:
        raise PermissionDeniedError(
            _("The committee's and the community's signatures must be two different people.")
        )
    now = timezone.now()
    if party == "committee":
        record.committee_signer, record.committee_signed_at = actor, now
    else:
        record.community_signer, record.community_signed_at = actor, now
    record.save()
    audit_record(
        actor=actor,
        action="reconciliation.sign",
        obj=record,
        compound=compound,
        after={
            "month": month.isoformat(),
            "party": party,
            "bank_balance_fen": bank,
            "ledger_balance_fen": ledger,
            "second_factor": proof.method,
        },
    )
    return record
