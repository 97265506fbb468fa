"""Reads of the resident's ledger (明细账) on top of the journal: one row per entry with
its category, masked counterparty and signed amount, the totals of a filter, chunked
iteration for exports, and a paid payout's public approval trail. Like the ledger's own
reads, every one is bounded by a page, a chunk or the chart of accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    Max,
    Min,
    Prefetch,
    Q,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from communities.models import Compound, Unit
from escrow.ledger.selectors import (
    EntryFilters,
    LedgerBalances,
    chain_head,
    entries_query,
    filtered_entries,
    ledger_balances,
    load_entry_details,
    net_debit,
)
from escrow.models import (
    AccountKind,
    Category,
    EscrowAccount,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Payment,
    PayoutAttachment,
    PayoutRequest,
    PayoutSignature,
    PayoutStatus,
    Side,
)

# --------------------------------------------------------------------------- the resident's ledger


@dataclass(frozen=True)
class Counterparty:
    """Who was on the other side of an entry, as public pages show it: the masked unit
    of a fee payment ("3栋2单元***"), the payee of a payout (a refund's resident masked
    by ``PayoutRequest.public_payee``). ``payout_id``: the payout request an entry pays."""

    label: str = ""
    payout_id: int | None = None


def counterparties_of(
    entry_ids: list[int], *, payments: bool = True, payouts: bool = True
) -> dict[int, Counterparty]:
    """The counterparty of each entry that has one (the same masking as the public
    ledger export): one query on the payments' unique entry indexes and one on the
    payouts' (each skipped when the caller knows no entry of that sort is there)."""

    found: dict[int, Counterparty] = {}
    if not entry_ids:
        return found
    wanted = set(entry_ids)
    if payments:
        for entry_id, assignment_id, building, entrance in Payment.objects.filter(
            Q(entry_id__in=entry_ids) | Q(assignment_entry_id__in=entry_ids), unit__isnull=False
        ).values_list("entry_id", "assignment_entry_id", "unit__building__name", "unit__entrance"):
            label = Counterparty(Unit.mask(building, entrance))
            for pk in (entry_id, assignment_id):
                if pk in wanted:
                    found[pk] = label
    if payouts:
        for payout in PayoutRequest.objects.filter(journal_entry_id__in=entry_ids).only(
            "id", "journal_entry_id", "payee_name", "category"
        ):
            found[payout.journal_entry_id] = Counterparty(payout.public_payee, payout.pk)
    return found


PAYMENT_KINDS = frozenset({"fee_payment", "unidentified_receipt", "suspense_assignment"})


@dataclass
class LedgerRow:
    """One entry as the resident's ledger shows it.

    ``categories``: the entry's accounts other than escrow cash (income and expense
    accounts first; the rest only when there are none). ``cash_fen``: the cash line,
    signed — positive for money in, negative for money out, ``None`` for an entry
    without a cash line (an unidentified receipt assigned to a unit). ``balance_fen``:
    the cash account's running balance after this entry (``JournalLine.balance_after``)."""

    entry: JournalEntry
    categories: list[str]
    counterparty: str
    cash_fen: int | None
    balance_fen: int | None
    payout_id: int | None

    @property
    def sequence(self) -> int:
        return self.entry.sequence

    @property
    def total_fen(self) -> int:
        return self.entry.total


def _row(entry: JournalEntry, counterparty: Counterparty | None) -> LedgerRow:
    cash_fen = balance = None
    preferred: list[str] = []
    others: list[str] = []
    for line in entry.line_list:
        account = line.account
        if account.category == Category.ESCROW_CASH:
            signed = line.amount if line.side == Side.DEBIT else -line.amount
            cash_fen = signed if cash_fen is None else cash_fen + signed
            balance = line.balance_after  # lines come in id order: the last one is the latest
            continue
        target = preferred if account.kind in (AccountKind.INCOME, AccountKind.EXPENSE) else others
        if account.category not in target:
            target.append(account.category)
    counterparty = counterparty or Counterparty()
    return LedgerRow(
        entry=entry,
        categories=preferred or others,
        counterparty=counterparty.label,
        cash_fen=cash_fen,
        balance_fen=balance,
        payout_id=counterparty.payout_id,
    )


def ledger_rows(entries: list[JournalEntry]) -> list[LedgerRow]:
    """Rows of entries whose details are loaded (``ledger_entry_page`` does it)."""
    kinds = {e.kind for e in entries}
    counterparties = counterparties_of(
        [e.pk for e in entries], payments=bool(kinds & PAYMENT_KINDS), payouts="payout" in kinds
    )
    return [_row(e, counterparties.get(e.pk)) for e in entries]


EXPORT_CHUNK = 2000


def iter_ledger_rows(compound: Compound, filters: EntryFilters, *, chunk: int = EXPORT_CHUNK):
    """Every row that passes ``filters``, oldest first, read in keyset chunks on the
    sequence number: memory stays flat however many rows an export streams."""
    qs = entries_query(compound, filters)
    last = 0
    if filters.date_from is not None or filters.date_to is not None:
        # Walk the sequence index between the period's first and last entries (found
        # on the date index): each chunk then reads only its own rows, where ordering
        # by the period expression would re-read the rest of the period every chunk.
        bounds = filtered_entries(compound, filters).aggregate(first=Min("sequence"), last=Max("sequence"))
        if bounds["first"] is None:
            return
        last = bounds["first"] - 1
        qs = qs.filter(sequence__lte=bounds["last"])
    while True:
        entries = list(qs.filter(sequence__gt=last).order_by("sequence")[:chunk])
        if not entries:
            return
        load_entry_details(entries)
        yield from ledger_rows(entries)
        if len(entries) < chunk:
            return
        last = entries[-1].sequence


def count_entries_up_to(compound: Compound, filters: EntryFilters, cap: int) -> int:
    """How many entries pass ``filters``, counting at most ``cap + 1`` of them: enough to
    refuse an export that is too big without counting a million rows."""
    return filtered_entries(compound, filters).order_by()[: cap + 1].count()


@dataclass(frozen=True)
class LedgerTotals:
    """Totals of the entries that pass a filter: how many, income (credits minus debits
    on income accounts) and expenses (debits minus credits on expense accounts), in fen.
    When the filter names a category or an account, only that account's lines count.

    ``from_cache``: read from the cached account balances (no filter, or only a
    category/account), so they cost the same at any journal length; otherwise summed
    over the matching entries' lines (bounded by the period chosen; a kind, direction or
    text search without a period reads every entry of the compound that matches)."""

    count: int
    income: int
    expense: int
    from_cache: bool


def ledger_totals(
    compound: Compound,
    filters: EntryFilters | None = None,
    *,
    balances: LedgerBalances | None = None,
    entry_count: int | None = None,
) -> LedgerTotals:
    """``balances`` and ``entry_count``: the compound's, when the caller has read them
    already (the ledger page has), to save their queries."""
    filters = filters or EntryFilters()
    chart = (balances or ledger_balances(compound)).accounts
    named = filters.named_accounts
    counted = {a.pk for a in named} if named else {a.pk for a in chart}
    income_ids = [a.pk for a in chart if a.kind == AccountKind.INCOME and a.pk in counted]
    expense_ids = [a.pk for a in chart if a.kind == AccountKind.EXPENSE and a.pk in counted]

    if filters.empty:
        if entry_count is None:
            entry_count = chain_head(compound).entry_count
        return LedgerTotals(
            count=entry_count,
            income=sum(a.balance for a in chart if a.pk in income_ids),  # normal side: credit
            expense=sum(a.balance for a in chart if a.pk in expense_ids),
            from_cache=True,
        )
    only_account = len(named) == 1 and filters == EntryFilters(
        category=filters.category, account=filters.account
    )
    if only_account:
        # Every posting writes one line per account and entry, so the account's version
        # (its number of lines) is the number of entries that touch it.
        account = next(a for a in chart if a.pk == named[0].pk)
        return LedgerTotals(
            count=account.version,
            income=account.balance if account.pk in income_ids else 0,
            expense=account.balance if account.pk in expense_ids else 0,
            from_cache=True,
        )

    entries = filtered_entries(compound, filters).order_by()
    if connection.vendor == "postgresql":
        count, income, expense = _period_sums_lateral(entries, income_ids, expense_ids)
    else:
        count, income, expense = _period_sums(compound, entries, income_ids, expense_ids)
    return LedgerTotals(count=count, income=income, expense=expense, from_cache=False)


_LATERAL_SUMS = """
    SELECT COUNT(*), COALESCE(SUM(t.income), 0), COALESCE(SUM(t.expense), 0)
      FROM (ENTRIES) AS e (id)
     CROSS JOIN LATERAL (
           SELECT SUM(CASE WHEN l.account_id = ANY(%s)
                           THEN CASE WHEN l.side = 'C' THEN l.amount ELSE -l.amount END END) AS income,
                  SUM(CASE WHEN l.account_id = ANY(%s)
                           THEN CASE WHEN l.side = 'D' THEN l.amount ELSE -l.amount END END) AS expense
             FROM escrow_journalline l
            WHERE l.entry_id = e.id) AS t
"""


def _period_sums_lateral(entries, income_ids: list[int], expense_ids: list[int]) -> tuple[int, int, int]:
    """One pass over the matching entries, each reading only its own lines on the
    line (entry_id) index (a LATERAL join, so the planner cannot trade it for a scan
    of every line of the compound): the cost follows the entries matched, not the
    journal's length."""
    # The inner SQL is Django's own compilation with its values kept as parameters.
    entries_sql, params = entries.values("pk").query.sql_with_params()
    sql = _LATERAL_SUMS.replace("(ENTRIES)", f"({entries_sql})")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, income_ids, expense_ids])
        count, income, expense = cursor.fetchone()
    return int(count), int(income), int(expense)


def _period_sums(compound, entries, income_ids: list[int], expense_ids: list[int]) -> tuple[int, int, int]:
    """The same sums through the ORM (SQLite, the embedded mode)."""

    def signed(ids, positive_side):
        return Sum(
            Case(
                When(account_id__in=ids, side=positive_side, then=F("amount")),
                When(account_id__in=ids, then=-F("amount")),
                default=Value(0),
                output_field=BigIntegerField(),
            )
        )

    sums = JournalLine.objects.filter(compound=compound, entry_id__in=entries.values("pk")).aggregate(
        count=Count("entry_id", distinct=True),
        income=signed(income_ids, Side.CREDIT),
        expense=signed(expense_ids, Side.DEBIT),
    )
    return sums["count"] or 0, sums["income"] or 0, sums["expense"] or 0


# --------------------------------------------------------------------------- a payout's public trail


def paid_payout_trail(compound: Compound, pk) -> PayoutRequest | None:
    """A paid payout of the compound (one with its ledger entry) with its signatures and
    evidence, or ``None``: the public trail shows nothing else."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        PayoutRequest.objects.filter(
            compound=compound, pk=pk, status=PayoutStatus.PAID, journal_entry__isnull=False
        )
        .select_related("journal_entry")
        .prefetch_related(
            Prefetch("attachments", queryset=PayoutAttachment.objects.order_by("id")),
            Prefetch("signatures", queryset=PayoutSignature.objects.select_related("signer").order_by("id")),
        )
        .first()
    )


# --------------------------------------------------------------------------- the public page's money block


@dataclass(frozen=True)
class CategoryTotal:
    code: str
    category: str
    amount: int  # fen, on the account's normal side (income: credit − debit; expense: debit − credit)


@dataclass
class PublicFunds:
    """What anyone may know about a compound's escrow account: the cash balance, this
    year's income and expenses by category, and the hash chain's checkpoint."""

    year: int
    cash: int
    income: list[CategoryTotal]
    expenses: list[CategoryTotal]
    entry_count: int
    head_hash: str
    opened_on: object  # datetime.date

    @property
    def income_total(self) -> int:
        return sum(row.amount for row in self.income)

    @property
    def expense_total(self) -> int:
        return sum(row.amount for row in self.expenses)


def public_funds(compound: Compound, *, year: int | None = None) -> PublicFunds | None:
    """None when the compound has no escrow account. Three queries: the account row (chain
    head), the cash balance (cached on its ledger account), and one aggregate of this
    year's income and expense lines grouped by account — its result has one row per
    account of the chart, however long the journal; the rows it reads are found through
    the (compound, effective_date) index of the entries."""
    escrow = (
        EscrowAccount.objects.filter(compound=compound).only("entry_count", "head_hash", "opened_on").first()
    )
    if escrow is None:
        return None
    year = year or timezone.localdate().year
    cash = (
        LedgerAccount.objects.filter(compound=compound, category=Category.ESCROW_CASH)
        .values_list("balance", flat=True)
        .first()
    ) or 0
    rows = (
        JournalLine.objects.filter(
            compound=compound,
            entry__compound=compound,
            entry__effective_date__gte=dt.date(year, 1, 1),
            entry__effective_date__lte=dt.date(year, 12, 31),
            account__kind__in=[AccountKind.INCOME, AccountKind.EXPENSE],
        )
        .values("account__code", "account__category", "account__kind")
        .annotate(net=Sum(net_debit()))
        .order_by("account__code")
    )
    income, expenses = [], []
    for row in rows:
        # On the account's normal side: income is credit-normal, expenses debit-normal.
        if row["account__kind"] == AccountKind.INCOME:
            amount, target = -row["net"], income
        else:
            amount, target = row["net"], expenses
        if amount:
            target.append(
                CategoryTotal(code=row["account__code"], category=row["account__category"], amount=amount)
            )
    return PublicFunds(
        year=year,
        cash=cash,
        income=income,
        expenses=expenses,
        entry_count=escrow.entry_count,
        head_hash=escrow.head_hash,
        opened_on=escrow.opened_on,
    )
