"""The hash chain's canonical form — the one definition the verifier also follows.

For an entry, the hashed bytes are the UTF-8 encoding of this JSON, with keys sorted,
no whitespace (separators "," and ":") and non-ASCII characters kept as they are:

    {"compound": <compound id>, "date": "YYYY-MM-DD", "kind": "<kind>",
     "lines": [["<account code>", "D"|"C", <amount fen>], ...],   # sorted
     "memo": "<memo>", "prev": "<previous entry's hash>",
     "reverses": <sequence of the reversed entry> | null, "seq": <sequence>}

hash = SHA-256 hex digest of those bytes. The first entry's "prev" is 64 zeros.
Lines are sorted by (code, side, amount) so their storage order does not matter.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable


def canonical_entry(
    *,
    compound_id: int,
    sequence: int,
    kind: str,
    memo: str,
    effective_date: dt.date,
    reverses_sequence: int | None,
    lines: Iterable[tuple[str, str, int]],
    prev_hash: str,
) -> bytes:
    body = {
        "compound": compound_id,
        "seq": sequence,
        "kind": kind,
        "memo": memo,
        "date": effective_date.isoformat(),
        "reverses": reverses_sequence,
        "lines": sorted([code, side, int(amount)] for code, side, amount in lines),
        "prev": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(**kwargs) -> str:
    return hashlib.sha256(canonical_entry(**kwargs)).hexdigest()


def content_fingerprint(*, kind: str, memo: str, effective_date: dt.date, lines, reverses_id) -> str:
    """What an idempotency key is bound to: same key + same fingerprint → the first result."""
    body = {
        "kind": kind,
        "memo": memo,
        "date": effective_date.isoformat(),
        "reverses": reverses_id,
        "lines": sorted([code, side, int(amount)] for code, side, amount in lines),
    }
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()
