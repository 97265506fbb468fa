"""Reads of the escrow ledger for pages and the API.

Private reads take a compound already checked by ``escrow.ledger.permissions``. Every read
here is bounded by the size of a page or of the chart of accounts, never by the size
of the journal: the entries list pages by keyset on the per-compound sequence number
(no OFFSET, no COUNT), and balances come from the cached, versioned account balances
that the posting service keeps exact.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)

from common.money import MAX_AMOUNT_FEN
from communities.models import Compound
from escrow.models import (
    GENESIS_HASH,
    AccountKind,
    Category,
    EscrowAccount,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Side,
)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Sequence numbers are BIGINT; a larger cursor would overflow the driver instead of matching nothing.
MAX_SEQUENCE = 2**63 - 1


def net_debit(side_field: str = "side") -> Case:
    """A journal line's signed amount: +amount for a debit, −amount for a credit.
    ``Sum(net_debit())`` over lines is their net debit — the one definition every
    figure built from lines (disclosures, "where my fee went", the public page) sums."""
    return Case(
        When(**{side_field: Side.DEBIT}, then=F("amount")),
        default=-F("amount"),
        output_field=BigIntegerField(),
    )


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
    """Already-validated filters of the entries list (see escrow.ledger.serializers).

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
    # Fen, both ends included: entries with a line of an amount in the range.
    amount_min: int | None = None
    amount_max: int | None = None

    @property
    def empty(self) -> bool:
        return not any(
            (self.date_from, self.date_to, self.kind, self.account, self.category, self.direction, self.q)
        ) and (self.amount_min, self.amount_max) == (None, None)

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
        # Text in the memo; a query that reads as an amount ("1234.56", "¥1,234.56") also
        # finds the entries with a line of exactly that amount.
        match = Q(memo__icontains=filters.q)
        fen = amount_in_query(filters.q)
        if fen is not None:
            match |= Exists(JournalLine.objects.filter(entry_id=OuterRef("pk"), amount=fen))
        qs = qs.filter(match)
    if filters.amount_min is not None or filters.amount_max is not None:
        lines = JournalLine.objects.filter(entry_id=OuterRef("pk"))
        if filters.amount_min is not None:
            lines = lines.filter(amount__gte=filters.amount_min)
        if filters.amount_max is not None:
            lines = lines.filter(amount__lte=filters.amount_max)
        qs = qs.filter(Exists(lines))
    return qs


_AMOUNT_QUERY = re.compile(r"^\d{1,3}(,\d{3})+(\.\d{1,2})?$|^\d+(\.\d{1,2})?$")


def amount_in_query(text: str) -> int | None:
    """The fen a search text names when it reads as an amount in yuan, else None."""
    cleaned = text.strip().removesuffix("元").replace("¥", "").replace("￥", "").strip()
    if not _AMOUNT_QUERY.match(cleaned):
        return None
    fen = int(Decimal(cleaned.replace(",", "")) * 100)
    return fen if 0 < fen <= MAX_AMOUNT_FEN else None


def entries_query(compound: Compound, filters: EntryFilters) -> QuerySet[JournalEntry]:
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
    qs = entries_query(compound, filters)
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

    load_entry_details(rows)
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


def load_entry_details(entries: list[JournalEntry]) -> None:
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
    entry = entries_query(compound, EntryFilters()).filter(sequence=sequence).first()
    if entry is not None:
        load_entry_details([entry])
    return entry
