"""Reads of the escrow ledger for pages and the API.

Private reads take a compound already checked by ``escrow.permissions``. Every read
here is bounded by the size of a page or of the chart of accounts, never by the size
of the journal: the entries list pages by keyset on the per-compound sequence number
(no OFFSET, no COUNT), and balances come from the cached, versioned account balances
that the posting service keeps exact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    prefetch_related_objects,
)

from communities.models import Compound, Unit
from escrow.models import (
    GENESIS_HASH,
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

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Sequence numbers are BIGINT; a larger cursor would overflow the driver instead of matching nothing.
MAX_SEQUENCE = 2**63 - 1

# --------------------------------------------------------------------------- chain head


@dataclass(frozen=True)
class ChainHead:
    """What a disclosure publishes so anyone can re-verify the chain: the number of
    entries and the last entry's hash (64 zeros before the first entry)."""

    compound: Compound
    entry_count: int
    head_hash: str
    opened_on: dt.date | None


def chain_head(compound: Compound) -> ChainHead:
    """Read from the escrow account row, which the posting service updates under the
    compound's lock together with every entry — one indexed row, however long the chain."""
    escrow = (
        EscrowAccount.objects.filter(compound=compound).only("entry_count", "head_hash", "opened_on").first()
    )
    if escrow is None:
        return ChainHead(compound=compound, entry_count=0, head_hash=GENESIS_HASH, opened_on=None)
    return ChainHead(
        compound=compound,
        entry_count=escrow.entry_count,
        head_hash=escrow.head_hash,
        opened_on=escrow.opened_on,
    )


def escrow_account_of(compound: Compound) -> EscrowAccount | None:
    return EscrowAccount.objects.filter(compound=compound).first()


# --------------------------------------------------------------------------- balances


@dataclass(frozen=True)
class AccountBalance:
    code: str
    category: str
    category_label: str
    kind: str
    kind_label: str
    balance: int  # fen, on the account's normal side
    version: int  # number of lines posted to the account
    pk: int = 0


@dataclass
class LedgerBalances:
    compound: Compound
    accounts: list[AccountBalance] = field(default_factory=list)

    @property
    def cash(self) -> int:
        return next((a.balance for a in self.accounts if a.category == Category.ESCROW_CASH), 0)

    def total(self, kind: str) -> int:
        return sum(a.balance for a in self.accounts if a.kind == kind)

    @property
    def total_income(self) -> int:
        return self.total(AccountKind.INCOME)

    @property
    def total_expense(self) -> int:
        return self.total(AccountKind.EXPENSE)

    def of_kind(self, kind: str) -> list[AccountBalance]:
        return [a for a in self.accounts if a.kind == kind]


def ledger_balances(compound: Compound) -> LedgerBalances:
    """Every account of the compound's chart with its cached balance on its normal side
    (debit-normal: assets and expenses; credit-normal: the rest). One query over the
    chart, so the cost does not grow with the journal."""
    rows = LedgerAccount.objects.filter(compound=compound).order_by("code")
    return LedgerBalances(
        compound=compound,
        accounts=[
            AccountBalance(
                code=a.code,
                category=a.category,
                category_label=str(Category(a.category).label),
                kind=a.kind,
                kind_label=str(AccountKind(a.kind).label),
                balance=a.normal_balance,
                version=a.version,
                pk=a.pk,
            )
            for a in rows
        ],
    )


def ledger_account_by_reference(compound: Compound, reference: str) -> LedgerAccount | None:
    """The compound's account named by its code ("1001") or its category ("escrow_cash")."""
    reference = (reference or "").strip()
    if not reference:
        return None
    return LedgerAccount.objects.filter(Q(code=reference) | Q(category=reference), compound=compound).first()


# --------------------------------------------------------------------------- journal entries


INCOME, EXPENSE = "income", "expense"  # the direction filter: cash in, cash out
DIRECTIONS = (INCOME, EXPENSE)


@dataclass(frozen=True)
class EntryFilters:
    """Already-validated filters of the entries list (see escrow.serializers).

    ``category``: the account of a ledger category (entries with a line on it, like
    ``account``); ``direction``: ``income`` (a debit on escrow cash: money came in) or
    ``expense`` (a credit on escrow cash: money went out); ``q``: text in the memo."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    kind: str | None = None
    account: LedgerAccount | None = None
    category: LedgerAccount | None = None
    direction: str | None = None
    q: str | None = None

    @property
    def empty(self) -> bool:
        return not any(
            (self.date_from, self.date_to, self.kind, self.account, self.category, self.direction, self.q)
        )

    @property
    def named_accounts(self) -> list[LedgerAccount]:
        """The accounts the filter names (category and/or account), without repeats."""
        out: list[LedgerAccount] = []
        for account in (self.category, self.account):
            if account is not None and all(a.pk != account.pk for a in out):
                out.append(account)
        return out


@dataclass
class EntryPage:
    """One page of entries, newest first, and the keyset cursors around it.

    ``older``: pass as ``before=`` to get the next older page (``None`` at the oldest).
    ``newer``: pass as ``after=`` to get the next newer page (``None`` at the newest).
    """

    entries: list[JournalEntry]
    older: int | None
    newer: int | None


def cash_account_id(compound: Compound) -> int | None:
    return (
        LedgerAccount.objects.filter(compound=compound, category=Category.ESCROW_CASH)
        .values_list("pk", flat=True)
        .first()
    )


def filtered_entries(compound: Compound, filters: EntryFilters) -> QuerySet[JournalEntry]:
    """The compound's entries that pass ``filters`` — no ordering, no annotations.

    A period walks the (compound, effective_date, sequence) index; account, category and
    direction are semi-joins on the line (account, entry) index, so an entry with two
    lines on the account appears once."""
    qs = JournalEntry.objects.filter(compound=compound)
    if filters.date_from is not None:
        qs = qs.filter(effective_date__gte=filters.date_from)
    if filters.date_to is not None:
        qs = qs.filter(effective_date__lte=filters.date_to)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    for account in filters.named_accounts:
        qs = qs.filter(Exists(JournalLine.objects.filter(entry_id=OuterRef("pk"), account_id=account.pk)))
    if filters.direction in DIRECTIONS:
        side = Side.DEBIT if filters.direction == INCOME else Side.CREDIT
        qs = qs.filter(
            Exists(
                JournalLine.objects.filter(
                    entry_id=OuterRef("pk"), account_id=cash_account_id(compound), side=side
                )
            )
        )
    if filters.q:
        qs = qs.filter(memo__icontains=filters.q)
    return qs


def _entries_query(compound: Compound, filters: EntryFilters) -> QuerySet[JournalEntry]:
    # The reversal links come with the entries: one join on the primary key and one
    # lookup on the unique reverses_id index, instead of two more round trips.
    return filtered_entries(compound, filters).annotate(
        reverses_sequence=F("reverses__sequence"),
        reversed_by_sequence=Subquery(
            JournalEntry.objects.filter(reverses_id=OuterRef("pk")).order_by().values("sequence")[:1]
        ),
    )


def ledger_entry_page(
    compound: Compound,
    *,
    filters: EntryFilters | None = None,
    before: int | None = None,
    after: int | None = None,
    size: int = DEFAULT_PAGE_SIZE,
) -> EntryPage:
    """A page of the compound's journal, newest first, by keyset on ``sequence``.

    ``before=N``: the ``size`` newest entries with sequence < N; ``after=N``: the
    ``size`` oldest entries with sequence > N (shown newest first); neither: the
    newest page. Each page costs the same on the (compound, sequence) index whether
    the journal has a hundred entries or a million: it reads ``size + 1`` rows and
    asks one EXISTS for the other direction — no OFFSET, no COUNT.
    """
    if before is not None and after is not None:
        raise ValueError("give before or after, not both")
    size = max(1, min(size, MAX_PAGE_SIZE))
    filters = filters or EntryFilters()
    qs = _entries_query(compound, filters)
    ascending, descending = _sequence_order(filters)

    if after is not None:
        rows = list(qs.filter(sequence__gt=after).order_by(ascending)[: size + 1])
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        newer = rows[0].sequence if more_newer else None
        if rows:
            older = rows[-1].sequence if qs.filter(sequence__lt=rows[-1].sequence).exists() else None
        else:
            older = after + 1 if qs.filter(sequence__lte=after).exists() else None
    else:
        window = qs if before is None else qs.filter(sequence__lt=before)
        rows = list(window.order_by(descending)[: size + 1])
        more_older = len(rows) > size
        rows = rows[:size]
        older = rows[-1].sequence if more_older else None
        if before is None:
            newer = None
        elif rows:
            newer = rows[0].sequence if qs.filter(sequence__gt=rows[0].sequence).exists() else None
        else:
            newer = before - 1 if qs.filter(sequence__gte=before).exists() else None

    _load_entry_details(rows)
    return EntryPage(entries=rows, older=older, newer=newer)


def _sequence_order(filters: EntryFilters):
    """How to order a page. Unfiltered or filtered by anything but a period: on the
    (compound, sequence) index, reading from one end. With a period: an expression
    the sequence index cannot serve, so PostgreSQL takes the period's rows from the
    (compound, effective_date, sequence) index and keeps the top of them — the cost
    follows the period, not how far back in the journal it lies (walking the sequence
    index backwards to a period years ago would read every newer entry first)."""
    if filters.date_from is None and filters.date_to is None:
        return "sequence", "-sequence"
    key = ExpressionWrapper(F("sequence") + Value(0), output_field=BigIntegerField())
    return key.asc(), key.desc()


def _load_entry_details(entries: list[JournalEntry]) -> None:
    """Each entry's lines (with their accounts) as ``line_list`` and its debit total,
    in one query per page."""
    prefetch_related_objects(
        entries,
        Prefetch(
            "lines",
            queryset=JournalLine.objects.select_related("account").order_by("id"),
            to_attr="line_list",
        ),
    )
    for entry in entries:
        entry.total = sum(line.amount for line in entry.line_list if line.side == Side.DEBIT)


def journal_entry(compound: Compound, sequence: int) -> JournalEntry | None:
    """One entry of the compound by its sequence number, with its details."""
    entry = _entries_query(compound, EntryFilters()).filter(sequence=sequence).first()
    if entry is not None:
        _load_entry_details([entry])
    return entry


# --------------------------------------------------------------------------- the resident's ledger


@dataclass(frozen=True)
class Counterparty:
    """Who was on the other side of an entry, as public pages show it: the masked unit
    of a fee payment ("3栋2单元***"), the payee of a payout (a refund's resident masked
    by ``public_payee``). ``payout_id``: the payout request an entry pays."""

    label: str = ""
    payout_id: int | None = None


def counterparties_of(
    entry_ids: list[int], *, payments: bool = True, payouts: bool = True
) -> dict[int, Counterparty]:
    """The counterparty of each entry that has one (the same masking as the public
    ledger export): one query on the payments' unique entry indexes and one on the
    payouts' (each skipped when the caller knows no entry of that sort is there)."""
    from escrow.services.payouts import public_payee  # services import this module

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
            found[payout.journal_entry_id] = Counterparty(public_payee(payout), payout.pk)
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
    qs = _entries_query(compound, filters)
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
        _load_entry_details(entries)
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
