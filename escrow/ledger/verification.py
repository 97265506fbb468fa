"""Recompute a compound's ledger from its lines and compare with everything cached.

Checks, from genesis: sequence numbers 1..N without gaps; every entry balanced; the
hash chain (each hash recomputed from the canonical form, each prev = the previous
hash); each line's account version and running balance; each account's cached
balance and version; the escrow account's chain head. Reports the first bad
sequence number, so a tampered row is named.

Then against what is outside the chain: every *published* disclosure froze the chain's
head and entry count when it was built — a history rewritten afterwards (even with every
hash recomputed, as the tables' owner could) no longer passes through those heads; and
every paid payout's content, re-hashed now, must be what each of its signatures bound,
and its ledger entry must post exactly its amount to its expense account (issue 11).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from communities.models import Compound
from escrow.ledger.hashing import entry_hash
from escrow.models import (
    GENESIS_HASH,
    Category,
    Disclosure,
    DisclosureStatus,
    EscrowAccount,
    JournalLine,
    LedgerAccount,
    PayoutRequest,
    PayoutStatus,
    Side,
)


@dataclass
class VerificationResult:
    compound: Compound
    entries: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[str] = field(default_factory=list)
    first_bad_sequence: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, sequence: int | None, message: str) -> None:
        if sequence is not None and (self.first_bad_sequence is None or sequence < self.first_bad_sequence):
            self.first_bad_sequence = sequence
        self.problems.append(message)


def ledger_verify(compound: Compound, *, chunk_size: int = 5000) -> VerificationResult:
    result = VerificationResult(compound=compound)
    escrow = EscrowAccount.objects.filter(compound=compound).first()
    if escrow is None:
        return result
    accounts = {a.pk: a for a in LedgerAccount.objects.filter(compound=compound)}
    sums = dict.fromkeys(accounts, 0)
    versions = dict.fromkeys(accounts, 0)

    rows = (
        JournalLine.objects.filter(compound=compound)
        .order_by("entry__sequence", "id")
        .values_list(
            "entry__sequence",
            "entry__kind",
            "entry__memo",
            "entry__effective_date",
            "entry__reverses__sequence",
            "entry__prev_hash",
            "entry__hash",
            "account_id",
            "account__code",
            "side",
            "amount",
            "account_version",
            "balance_after",
        )
        .iterator(chunk_size=chunk_size)
    )

    # Heads frozen by published disclosures: {entry_count: [(label, head_hash), ...]}.
    frozen: dict[int, list[tuple[str, str]]] = {}
    for d in Disclosure.objects.filter(compound=compound, status=DisclosureStatus.PUBLISHED).exclude(
        entry_count=None
    ):
        frozen.setdefault(d.entry_count, []).append((f"{d.year}Q{d.quarter} v{d.version}", d.head_hash))
    heads_seen: dict[int, str] = {0: GENESIS_HASH}

    expected_prev = GENESIS_HASH
    expected_sequence = 1
    current = None
    lines: list[tuple[str, str, int]] = []

    def close_entry():
        nonlocal expected_prev, expected_sequence
        seq, kind, memo, date, rev_seq, prev_hash, stored_hash = current
        if seq != expected_sequence:
            result.fail(expected_sequence, f"entry #{expected_sequence} is missing (next found: #{seq})")
            expected_sequence = seq
        debits = sum(a for _c, s, a in lines if s == Side.DEBIT)
        credits = sum(a for _c, s, a in lines if s == Side.CREDIT)
        if debits != credits or debits <= 0 or len(lines) < 2:
            result.fail(seq, f"entry #{seq} is unbalanced: debits {debits}, credits {credits}")
        if prev_hash != expected_prev:
            result.fail(seq, f"entry #{seq} does not link to the previous entry's hash")
        recomputed = entry_hash(
            compound_id=compound.pk,
            sequence=seq,
            kind=kind,
            memo=memo,
            effective_date=date,
            reverses_sequence=rev_seq,
            lines=lines,
            prev_hash=prev_hash,
        )
        if recomputed != stored_hash:
            result.fail(seq, f"entry #{seq}: its content does not match its hash (altered after posting)")
        if seq in frozen:
            heads_seen[seq] = stored_hash
        expected_prev = stored_hash
        expected_sequence = seq + 1
        result.entries += 1
        result.head_hash = stored_hash

    for row in rows:
        (
            seq,
            kind,
            memo,
            date,
            rev_seq,
            prev_hash,
            stored_hash,
            account_id,
            code,
            side,
            amount,
            version,
            after,
        ) = row
        if current is None or current[0] != seq:
            if current is not None:
                close_entry()
            current = (seq, kind, memo, date, rev_seq, prev_hash, stored_hash)
            lines = []
        lines.append((code, side, amount))
        sums[account_id] += amount if side == Side.DEBIT else -amount
        versions[account_id] += 1
        if version != versions[account_id] or after != sums[account_id]:
            result.fail(seq, f"entry #{seq}: account {code}'s running balance or version does not add up")
    if current is not None:
        close_entry()

    for account_id, account in accounts.items():
        if account.balance != sums[account_id] or account.version != versions[account_id]:
            result.fail(
                None,
                f"account {account.code}: cached balance {account.balance} (v{account.version}) "
                f"≠ sum of lines {sums[account_id]} (v{versions[account_id]})",
            )
    if escrow.entry_count != result.entries or escrow.head_hash != result.head_hash:
        result.fail(
            None,
            f"chain head: escrow account says {escrow.entry_count} entries ending {escrow.head_hash[:12]}…, "
            f"the journal has {result.entries} ending {result.head_hash[:12]}…",
        )
    _check_published_heads(result, frozen, heads_seen)
    _check_paid_payouts(result, compound, accounts)
    return result


def _check_published_heads(result: VerificationResult, frozen, heads_seen: dict[int, str]) -> None:
    for count, published in sorted(frozen.items()):
        for label, head in published:
            if count not in heads_seen:
                result.fail(
                    None,
                    f"published disclosure {label}: the chain had {count} entries ending {head[:12]}…; "
                    f"the journal no longer has entry #{count}",
                )
            elif heads_seen[count] != head:
                result.fail(
                    count,
                    f"published disclosure {label}: the chain's head after {count} entries was {head[:12]}…, "
                    f"the journal now says {heads_seen[count][:12]}… (history rewritten after publication)",
                )


def _check_paid_payouts(result: VerificationResult, compound: Compound, accounts) -> None:
    cash_ids = {pk for pk, a in accounts.items() if a.category == Category.ESCROW_CASH}
    paid = (
        PayoutRequest.objects.filter(compound=compound, status=PayoutStatus.PAID)
        .select_related("journal_entry")
        .order_by("pk")
    )
    for payout in paid:
        where = f"paid payout #{payout.pk}"
        problem = payout.signed_content_problem()
        if problem:
            result.fail(None, f"{where}: {problem}")
        entry = payout.journal_entry
        if entry is None:
            result.fail(None, f"{where}: no ledger entry")
            continue
        if entry.idempotency_key != f"payout:{payout.pk}":
            result.fail(
                entry.sequence, f"{where}: its ledger entry #{entry.sequence} was posted for another key"
            )
        lines = sorted(
            (accounts[a].category if a in accounts else "?", side, amount)
            for a, side, amount in entry.lines.values_list("account_id", "side", "amount")
        )
        expected = sorted(
            [
                (payout.expense_account, Side.DEBIT, payout.amount_fen),
                (Category.ESCROW_CASH, Side.CREDIT, payout.amount_fen),
            ]
        )
        if not cash_ids or lines != expected:
            result.fail(
                entry.sequence,
                f"{where}: its ledger entry #{entry.sequence} does not post its amount "
                f"({payout.amount_fen} fen) from escrow cash to {payout.expense_account}",
            )
