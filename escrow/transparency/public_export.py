"""The public ledger export (``ledger.jsonl``): every journal entry of a compound with
exactly the fields its hash covers, so anyone can recompute the chain and the figures
of a disclosure (format: docs/disclosures.md; checker: tools/verify_disclosure.py).

Generated in chunks on the (compound, sequence) key, so memory stays flat however long
the chain is; the view streams it. Nothing here names a person: counterparties are
masked units or payee companies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.db.models import F
from django.utils import timezone

from communities.models import Compound
from escrow.models import GENESIS_HASH, EscrowAccount, JournalEntry, JournalLine, LedgerAccount
from escrow.transparency.ledger_selectors import counterparties_of

LEDGER_EXPORT_FORMAT = "gongguan-ledger/1"
CHUNK = 2000


def canonical_json(obj) -> bytes:
    """The one serialisation every hash of a disclosure is taken over."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def chart_of(compound: Compound) -> list[dict]:
    return [
        {"code": code, "category": category, "kind": kind}
        for code, category, kind in LedgerAccount.objects.filter(compound=compound)
        .order_by("code")
        .values_list("code", "category", "kind")
    ]


def export_through(compound: Compound, through: int | None) -> tuple[int, str]:
    """(entry count, head hash) of the export that ends at entry ``through`` (the whole
    chain when None). Raises ValueError for a sequence past the chain's head."""
    escrow = EscrowAccount.objects.filter(compound=compound).only("entry_count", "head_hash").first()
    if escrow is None:
        return 0, GENESIS_HASH
    if through is None or through == escrow.entry_count:
        return escrow.entry_count, escrow.head_hash
    if through < 0 or through > escrow.entry_count:
        raise ValueError(through)
    if through == 0:
        return 0, GENESIS_HASH
    head = (
        JournalEntry.objects.filter(compound=compound, sequence=through).values_list("hash", flat=True).get()
    )
    return through, head


def iter_export_records(compound: Compound, *, through: int | None = None) -> Iterator[dict]:
    """The header, then one record per entry 1..through, as Python dicts."""
    count, head = export_through(compound, through)
    yield {
        "format": LEDGER_EXPORT_FORMAT,
        "compound": {"id": compound.pk, "slug": compound.slug, "name": compound.name},
        "accounts": chart_of(compound),
        "entry_count": count,
        "head_hash": head,
        "exported_at": timezone.localtime().isoformat(timespec="seconds"),
    }
    last = 0
    while last < count:
        upper = min(last + CHUNK, count)
        entries = list(
            JournalEntry.objects.filter(compound=compound, sequence__gt=last, sequence__lte=upper)
            .order_by("sequence")
            .annotate(reverses_sequence=F("reverses__sequence"))
            .values_list(
                "pk", "sequence", "effective_date", "kind", "memo", "reverses_sequence", "prev_hash", "hash"
            )
        )
        ids = [row[0] for row in entries]
        lines: dict[int, list[list]] = {}
        for entry_id, code, side, amount in (
            JournalLine.objects.filter(entry_id__in=ids)
            .order_by("entry_id", "id")
            .values_list("entry_id", "account__code", "side", "amount")
        ):
            lines.setdefault(entry_id, []).append([code, side, amount])
        counterparties = _counterparties(ids)
        for pk, seq, date, kind, memo, rev, prev, digest in entries:
            yield {
                "seq": seq,
                "date": date.isoformat(),
                "kind": kind,
                "memo": memo,
                "reverses": rev,
                "lines": sorted(lines.get(pk, [])),
                "prev": prev,
                "hash": digest,
                "counterparty": counterparties.get(pk, ""),
            }
        last = upper


def iter_export_lines(compound: Compound, *, through: int | None = None) -> Iterator[bytes]:
    """``iter_export_records`` as JSON Lines, ready to stream."""
    for record in iter_export_records(compound, through=through):
        yield json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _counterparties(entry_ids: list[int]) -> dict[int, str]:
    """Masked unit of a fee payment, payee of a payout — display only, never hashed."""

    return {pk: c.label for pk, c in counterparties_of(entry_ids).items()}
