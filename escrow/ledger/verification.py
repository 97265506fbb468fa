"""Recompute a compound's ledger from its lines and compare with everything cached.

Checks, from genesis: sequence numbers 1..N without gaps; every entry balanced; the
hash chain (each hash recomputed from the canonical form, each prev = the previous
hash); each line's account version and running balance; each account's cached
balance and version; the escrow account's chain head. Reports the first bad
sequence number, so a tampered row is named.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from communities.models import Compound
from escrow.ledger.hashing import entry_hash
from escrow.models import GENESIS_HASH, EscrowAccount, JournalLine, LedgerAccount, Side


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
    return result
