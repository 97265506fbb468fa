"""The one posting service: everything that moves money calls ``ledger_post`` or
``ledger_post_batch`` (or ``ledger_reverse``), inside its own transaction.

What a posting guarantees (DESIGN.md §5):
- balanced, positive, integer-fen lines on accounts of the entry's own compound;
- escrow cash never negative;
- exactly once per idempotency key: same key + same content → the first entry,
  same key + other content → IdempotencyConflictError;
- the compound's hash chain extended and its cached balances kept exact.

Concurrency: the compound's EscrowAccount row is locked (SELECT … FOR UPDATE) for the
whole posting, so sequence numbers, the chain head and balances are computed without
races, and two compounds never wait on each other. Account rows are locked too (in
primary-key order) because their cached balances are read-modify-write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from common.money import MAX_AMOUNT_FEN, format_yuan
from communities.audit import audit_record
from communities.models import Compound
from escrow.errors import IdempotencyConflictError, InsufficientFundsError, LedgerError, PeriodClosedError
from escrow.ledger.hashing import content_fingerprint, entry_hash
from escrow.models import (
    DEFAULT_CHART,
    Category,
    EntryKind,
    EscrowAccount,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Side,
)


@dataclass(frozen=True)
class Leg:
    """One side of a posting: ``category`` names the compound's ledger account."""

    category: str
    side: str
    amount: int


def debit(category: str, amount: int) -> Leg:
    """A debit leg of ``amount`` fen on the account of ``category``."""
    return Leg(category, Side.DEBIT, amount)


def credit(category: str, amount: int) -> Leg:
    """A credit leg of ``amount`` fen on the account of ``category``."""
    return Leg(category, Side.CREDIT, amount)


@dataclass
class PostingRequest:
    """One entry to post: kind, legs, memo, effective date and an optional idempotency key."""

    kind: str
    legs: list[Leg]
    memo: str
    effective_date: dt.date
    idempotency_key: str | None = None
    reverses: JournalEntry | None = None


@dataclass
class PostingResult:
    """The posted entry, and whether this call created it (False: its idempotency key was posted
    before with the same content)."""

    entry: JournalEntry
    created: bool


@dataclass
class _Plan:
    request: PostingRequest
    fingerprint: str
    lines: list[tuple[LedgerAccount, str, int]] = field(default_factory=list)


# --------------------------------------------------------------------------- opening


@transaction.atomic(durable=True)
def escrow_account_open(
    *,
    compound: Compound,
    bank_name: str,
    account_name: str,
    account_number: str,
    opened_on: dt.date,
    opening_balance_fen: int = 0,
    actor,
) -> EscrowAccount:
    """Open the compound's escrow account with the default chart of accounts and, if the
    money already held is not zero, an opening-balance entry (cash ↔ owners' fund)."""
    if EscrowAccount.objects.filter(compound=compound).exists():
        raise LedgerError(
            _("This compound already has an escrow account."), extra={"fields": {"compound": []}}
        )
    if not isinstance(opening_balance_fen, int) or opening_balance_fen < 0:
        raise LedgerError(
            _("opening_balance: must be zero or a positive amount."),
            extra={"fields": {"opening_balance": [_("Must not be negative.")]}},
        )
    account = EscrowAccount.objects.create(
        compound=compound,
        bank_name=bank_name,
        account_name=account_name,
        account_number_masked=mask_account_number(account_number),
        opened_on=opened_on,
    )
    LedgerAccount.objects.bulk_create(
        LedgerAccount(compound=compound, code=code, category=category, kind=kind)
        for code, category, kind in DEFAULT_CHART
    )
    audit_record(actor=actor, action="escrow_account.open", obj=account, compound=compound)
    if opening_balance_fen:
        ledger_post(
            compound=compound,
            kind=EntryKind.OPENING_BALANCE,
            legs=[
                debit(Category.ESCROW_CASH, opening_balance_fen),
                credit(Category.OWNERS_FUND, opening_balance_fen),
            ],
            memo=memo_text(gettext_noop("Opening balance")),
            effective_date=opened_on,
            actor=actor,
            idempotency_key="opening-balance",
        )
    return account


def closed_books_message(closed_through: dt.date, day: dt.date) -> str:
    """Why an entry dated ``day`` cannot be posted while the books are closed through
    ``closed_through``."""
    return _(
        "The books are closed through %(closed)s (that quarter has been disclosed), so an entry "
        "dated %(d)s cannot be posted. Date it later, or ask a community official to reopen "
        "the quarter and issue a corrected disclosure."
    ) % {"closed": closed_through, "d": day}


def memo_text(message: str, **values) -> str:
    """A memo in the site's default language, whoever posts it: the memo is hashed into
    the chain and into the idempotency fingerprint, so it must not follow the language
    of the request that happened to post it."""
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(message)
    return text % values if values else text


def mask_account_number(number: str) -> str:
    """'6222021234567890123' → '6222 **** 0123'. Only this form is stored."""
    digits = "".join(ch for ch in str(number) if ch.isdigit())
    if len(digits) < 8:
        raise LedgerError(
            _("account_number: a bank account number has at least 8 digits."),
            extra={"fields": {"account_number": [_("Too short.")]}},
        )
    return f"{digits[:4]} **** {digits[-4:]}"


# --------------------------------------------------------------------------- posting


def lock_escrow_account(compound_id: int) -> EscrowAccount | None:
    """The compound's write lock: its escrow account row, ``FOR UPDATE``, inside the
    caller's transaction. Every service that moves or closes money (postings, payments,
    statement imports, payouts, budgets, a disclosure's freeze, publication, reopening)
    takes it first and the row it changes second, so they serialise per compound in one
    order and cannot deadlock each other. None when the compound has no account yet."""
    return EscrowAccount.objects.select_for_update().filter(compound_id=compound_id).first()


def ledger_post(
    *,
    compound: Compound,
    kind: str,
    legs: list[Leg],
    memo: str,
    effective_date: dt.date,
    actor,
    idempotency_key: str | None = None,
    reverses: JournalEntry | None = None,
) -> PostingResult:
    """Post one entry. Call inside the caller's transaction (its audit event goes with it)."""
    request = PostingRequest(
        kind=kind,
        legs=legs,
        memo=memo,
        effective_date=effective_date,
        idempotency_key=idempotency_key,
        reverses=reverses,
    )
    return ledger_post_batch(compound=compound, requests=[request], actor=actor)[0]


def ledger_post_batch(*, compound: Compound, requests: list[PostingRequest], actor) -> list[PostingResult]:
    """Post many entries of one compound under one lock (a bank statement import).

    All or nothing: if any request is refused, nothing is posted. Results come back in
    request order; a request whose idempotency key was already posted returns that
    entry with ``created=False``.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_post must run inside the calling service's transaction")
    if not requests:
        return []

    escrow = lock_escrow_account(compound.pk)
    if escrow is None:
        raise LedgerError(_("This compound has no escrow account yet."))

    categories = {leg.category for request in requests for leg in request.legs}
    accounts = {
        account.category: account
        for account in LedgerAccount.objects.select_for_update()
        .filter(compound_id=compound.pk, category__in=categories)
        .order_by("pk")
    }
    cash = accounts.get(Category.ESCROW_CASH) or LedgerAccount.objects.get(
        compound_id=compound.pk, category=Category.ESCROW_CASH
    )

    plans = [_plan(request, accounts, escrow, index, len(requests)) for index, request in enumerate(requests)]

    # Idempotency: keys already posted (by an earlier call) and keys repeated in this batch.
    keys = [p.request.idempotency_key for p in plans if p.request.idempotency_key]
    existing: dict[str, JournalEntry] = {}
    # In chunks: SQLite caps the number of parameters of one statement.
    for start in range(0, len(keys), 5000):
        existing.update(
            (entry.idempotency_key, entry)
            for entry in JournalEntry.objects.filter(
                compound_id=compound.pk, idempotency_key__in=keys[start : start + 5000]
            )
        )
    results: list[PostingResult | None] = [None] * len(plans)
    seen_in_batch: dict[str, tuple[int, str]] = {}
    to_post: list[tuple[int, _Plan]] = []
    for index, plan in enumerate(plans):
        key = plan.request.idempotency_key
        if key and key in existing:
            entry = existing[key]
            if entry.fingerprint != plan.fingerprint:
                raise IdempotencyConflictError(
                    _("Idempotency key “%(key)s” was already used for different content (entry #%(seq)s).")
                    % {"key": key, "seq": entry.sequence},
                    extra={"idempotency_key": key, "entry": entry.sequence},
                )
            results[index] = PostingResult(entry=entry, created=False)
            continue
        if key and key in seen_in_batch:
            first_index, fingerprint = seen_in_batch[key]
            if fingerprint != plan.fingerprint:
                raise IdempotencyConflictError(
                    _("Idempotency key “%(key)s” appears twice in this batch with different content.")
                    % {"key": key},
                    extra={"idempotency_key": key, "row": index + 1},
                )
            results[index] = ("same-as", first_index)  # type: ignore[assignment]
            continue
        if key:
            seen_in_batch[key] = (index, plan.fingerprint)
        to_post.append((index, plan))

    # Closed books: a disclosed quarter's figures never change under it. Checked after the
    # idempotency lookup, so a replay of an entry posted before the closing still answers
    # with the first result.
    if escrow.closed_through is not None:
        for index, plan in to_post:
            if plan.request.effective_date <= escrow.closed_through:
                raise PeriodClosedError(
                    closed_books_message(escrow.closed_through, plan.request.effective_date)
                    + _where(index, len(plans)),
                    extra={"fields": {"effective_date": []}, "row": index + 1},
                )

    # Reversals: an entry is reversed at most once, and a reversal is not reversed.
    reversed_ids = [p.request.reverses.pk for _index, p in to_post if p.request.reverses is not None]
    if len(reversed_ids) != len(set(reversed_ids)):
        raise LedgerError(_("The same entry is reversed twice in one batch."))
    if reversed_ids and JournalEntry.objects.filter(reverses_id__in=reversed_ids).exists():
        raise LedgerError(_("This entry has already been reversed."), extra={"fields": {"reverses": []}})

    # Running balances, cash check, chain.
    balances = {account.pk: account.balance for account in accounts.values()}
    versions = {account.pk: account.version for account in accounts.values()}
    sequence = escrow.entry_count
    prev_hash = escrow.head_hash
    new_entries: list[JournalEntry] = []
    new_lines: list[list[JournalLine]] = []
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    for index, plan in to_post:
        request = plan.request
        sequence += 1
        lines: list[JournalLine] = []
        for account, side, amount in plan.lines:
            balances[account.pk] += amount if side == Side.DEBIT else -amount
            versions[account.pk] += 1
            lines.append(
                JournalLine(
                    compound_id=compound.pk,
                    account=account,
                    side=side,
                    amount=amount,
                    account_version=versions[account.pk],
                    balance_after=balances[account.pk],
                )
            )
        if balances.get(cash.pk, cash.balance) < 0:
            raise InsufficientFundsError(
                _("Refused: this would overdraw the escrow account by %(short)s (entry %(row)s: %(memo)s).")
                % {"short": format_yuan(-balances[cash.pk]), "row": index + 1, "memo": request.memo},
                extra={"row": index + 1, "shortfall_fen": -balances[cash.pk]},
            )
        reverses_sequence = request.reverses.sequence if request.reverses is not None else None
        digest = entry_hash(
            compound_id=compound.pk,
            sequence=sequence,
            kind=request.kind,
            memo=request.memo,
            effective_date=request.effective_date,
            reverses_sequence=reverses_sequence,
            lines=[(account.code, side, amount) for account, side, amount in plan.lines],
            prev_hash=prev_hash,
        )
        new_entries.append(
            JournalEntry(
                compound_id=compound.pk,
                sequence=sequence,
                kind=request.kind,
                memo=request.memo,
                effective_date=request.effective_date,
                created_by_id=actor_id,
                reverses=request.reverses,
                idempotency_key=request.idempotency_key,
                fingerprint=plan.fingerprint,
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        new_lines.append(lines)
        prev_hash = digest

    if new_entries:
        JournalEntry.objects.bulk_create(new_entries, batch_size=2000)
        flat: list[JournalLine] = []
        for entry, lines in zip(new_entries, new_lines, strict=True):
            for line in lines:
                line.entry = entry
                flat.append(line)
        JournalLine.objects.bulk_create(flat, batch_size=5000)
        for account in accounts.values():
            if versions[account.pk] != account.version:
                LedgerAccount.objects.filter(pk=account.pk).update(
                    balance=balances[account.pk], version=versions[account.pk]
                )
                account.balance, account.version = balances[account.pk], versions[account.pk]
        EscrowAccount.objects.filter(pk=escrow.pk).update(entry_count=sequence, head_hash=prev_hash)
        escrow.entry_count, escrow.head_hash = sequence, prev_hash

    for (index, _unused_plan), entry in zip(to_post, new_entries, strict=True):
        results[index] = PostingResult(entry=entry, created=True)
    for index, result in enumerate(results):
        if isinstance(result, tuple):  # same key twice in the batch → the first one's entry
            results[index] = PostingResult(entry=results[result[1]].entry, created=False)  # type: ignore[union-attr]
    return results  # type: ignore[return-value]


_ENTRY_KINDS = frozenset(EntryKind.values)


def _where(index: int, total: int) -> str:
    """' (row 12)' in a batch's error messages; built only when a message is."""
    return _(" (row %(row)s)") % {"row": index + 1} if total > 1 else ""


def _plan(request: PostingRequest, accounts: dict, escrow: EscrowAccount, index: int, total: int) -> _Plan:
    """Validate one request and resolve its legs to accounts. Errors name the row when batched."""
    if request.kind not in _ENTRY_KINDS:
        raise LedgerError(
            _("Unknown entry kind “%(kind)s”%(where)s.")
            % {"kind": request.kind, "where": _where(index, total)}
        )
    memo = (request.memo or "").strip()
    if not memo:
        raise LedgerError(
            _("memo: an entry needs a memo%(where)s.") % {"where": _where(index, total)},
            extra={"fields": {"memo": []}},
        )
    if len(memo) > 200:
        raise LedgerError(_("memo: at most 200 characters%(where)s.") % {"where": _where(index, total)})
    request.memo = memo
    if not isinstance(request.effective_date, dt.date) or isinstance(request.effective_date, dt.datetime):
        raise LedgerError(_("effective_date: not a date%(where)s.") % {"where": _where(index, total)})
    if request.effective_date < escrow.opened_on:
        raise LedgerError(
            _("effective_date: %(d)s is before the escrow account opened (%(o)s)%(where)s.")
            % {"d": request.effective_date, "o": escrow.opened_on, "where": _where(index, total)},
            extra={"fields": {"effective_date": []}, "row": index + 1},
        )
    if request.effective_date > timezone.localdate():
        raise LedgerError(
            _("effective_date: %(d)s is in the future%(where)s.")
            % {"d": request.effective_date, "where": _where(index, total)},
            extra={"fields": {"effective_date": []}, "row": index + 1},
        )
    if request.reverses is not None:
        if request.reverses.compound_id != escrow.compound_id:
            raise LedgerError(_("The reversed entry belongs to another compound."))
        if request.reverses.kind == EntryKind.REVERSAL:
            raise LedgerError(_("A reversal cannot be reversed; post a new entry instead."))
    if len(request.legs) < 2:
        raise LedgerError(
            _("An entry needs at least one debit and one credit%(where)s.") % {"where": _where(index, total)}
        )
    debits = credits = 0
    lines = []
    for leg in request.legs:
        if not isinstance(leg.amount, int) or isinstance(leg.amount, bool):
            raise LedgerError(_("Amounts are integer fen%(where)s.") % {"where": _where(index, total)})
        if leg.amount <= 0 or leg.amount > MAX_AMOUNT_FEN:
            raise LedgerError(
                _("amount: %(a)s fen is not a valid line amount%(where)s.")
                % {"a": leg.amount, "where": _where(index, total)},
                extra={"fields": {"amount": []}, "row": index + 1},
            )
        if leg.side not in (Side.DEBIT, Side.CREDIT):
            raise LedgerError(_("Unknown side “%(s)s”.") % {"s": leg.side})
        account = accounts.get(leg.category)
        if account is None:
            raise LedgerError(
                _("No ledger account for category “%(c)s” in this compound.") % {"c": leg.category},
                extra={"fields": {"category": []}},
            )
        if any(account is seen for seen, _side, _amount in lines):
            # One line per account and entry: an account's line count is then its
            # number of entries, which the ledger's totals read from the cache.
            raise LedgerError(
                _("Two lines on account %(code)s in one entry; post one line per account%(where)s.")
                % {"code": account.code, "where": _where(index, total)}
            )
        if leg.side == Side.DEBIT:
            debits += leg.amount
        else:
            credits += leg.amount
        lines.append((account, leg.side, leg.amount))
    if debits != credits or debits == 0:
        raise LedgerError(
            _("Unbalanced entry%(where)s: debits %(d)s ≠ credits %(c)s.")
            % {"where": _where(index, total), "d": format_yuan(debits), "c": format_yuan(credits)}
        )
    fingerprint = content_fingerprint(
        kind=request.kind,
        memo=memo,
        effective_date=request.effective_date,
        lines=[(a.code, s, amt) for a, s, amt in lines],
        reverses_id=request.reverses.pk if request.reverses is not None else None,
    )
    return _Plan(request=request, fingerprint=fingerprint, lines=lines)


def reversal_request(
    entry: JournalEntry,
    *,
    memo: str = "",
    effective_date: dt.date | None = None,
    idempotency_key: str | None = None,
) -> PostingRequest:
    """The request that reverses ``entry``: every line on the other side."""
    legs = [
        Leg(line.account.category, Side.CREDIT if line.side == Side.DEBIT else Side.DEBIT, line.amount)
        for line in entry.lines.select_related("account").order_by("id")
    ]
    return PostingRequest(
        kind=EntryKind.REVERSAL,
        legs=legs,
        memo=memo
        or memo_text(gettext_noop("Reversal of #%(seq)s: %(memo)s"), seq=entry.sequence, memo=entry.memo),
        effective_date=effective_date or timezone.localdate(),
        idempotency_key=idempotency_key,
        reverses=entry,
    )


@transaction.atomic(durable=True)
def ledger_reverse(
    *, entry: JournalEntry, reason: str, actor, idempotency_key: str | None = None
) -> JournalEntry:
    """Correct a posted entry the only allowed way: a new entry with every line reversed."""
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("reason: say why the entry is reversed."), extra={"fields": {"reason": []}})
    memo = memo_text(gettext_noop("Reversal of #%(seq)s: %(reason)s"), seq=entry.sequence, reason=reason)
    request = reversal_request(
        entry,
        memo=memo[:200],
        idempotency_key=idempotency_key,
    )
    result = ledger_post_batch(compound=entry.compound, requests=[request], actor=actor)[0]
    if result.created:
        audit_record(
            actor=actor,
            action="ledger.reverse",
            obj=result.entry,
            compound=entry.compound,
            after={"reverses": entry.sequence, "reason": reason},
        )
    return result.entry


def balances_by_category(compound: Compound) -> dict[str, int]:
    """Cached balances on each account's normal side, by category (O(accounts))."""
    return {a.category: a.normal_balance for a in LedgerAccount.objects.filter(compound=compound)}


def cash_balance(compound: Compound) -> int:
    """The escrow cash balance in fen, from the cached account row (exact under the compound lock)."""
    return (
        LedgerAccount.objects.filter(compound=compound, category=Category.ESCROW_CASH)
        .values_list("balance", flat=True)
        .first()
        or 0
    )
