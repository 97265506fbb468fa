"""Line identity: the same bank line gets the same identity in every file that holds it,
whatever mapping, column choice, encoding or file format read it.

The identity is a hash of what the *bank* says about the line, never of column names,
positions or the mapping:

- **balance** (every bank layout): (date, signed amount, running balance after the line).
  Two identical-looking lines on one day differ by their balance. The running balance
  is checked to chain before identities are made, so a wrong balance column cannot pass.
- **serial** (files without a balance but with the bank's transaction number: Alipay
  交易订单号, WeChat Pay 交易单号): (serial, signed amount).
- **occurrence** (neither): (date, time, signed amount, counterparty, memo).

The key is completed by its **occurrence index**: how many lines with the same key came
before it on the same day (serial: in the file), in chronological order. Bank downloads
cover whole days (起止日期), and a download made during a day holds that day's first
lines, so the count agrees between any two files that hold the line. Everything is
scoped by ``account_key``: the caller's name for the bank account.

See docs/bank-statements.md for why this is sound and what risk remains.
"""

from __future__ import annotations

import hashlib
import unicodedata

VERSION = "gg-bank-line/1"
SEP = "\x1f"


def normalise(text: str) -> str:
    """Full-width → half-width, whitespace collapsed: Alipay turns a comma in a name into
    a full-width one in some exports, and padding differs between formats."""
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


def key_of(line) -> tuple[str, tuple[str, ...]]:
    """(basis, key) of a ``StatementLine`` before its occurrence index."""
    signed = str(line.signed_fen if line.direction != "neutral" else f"n{line.amount_fen}")
    if line.balance_fen is not None:
        return "balance", (line.date.isoformat(), signed, str(line.balance_fen))
    if line.serial:
        return "serial", (normalise(line.serial), signed)
    return "occurrence", (
        line.date.isoformat(),
        line.time.isoformat() if line.time else "",
        signed,
        normalise(line.counterparty),
        normalise(line.memo),
    )


def assign(chronological: list, *, account_key: str = "") -> None:
    """Set ``identity`` and ``identity_basis`` on lines given oldest first."""
    seen: dict[str, int] = {}
    prefix = f"{VERSION}{SEP}{normalise(account_key)}{SEP}"
    blake2b = hashlib.blake2b
    balance_basis = prefix + "balance" + SEP
    for line in chronological:
        if line.balance_fen is not None and line.direction != "neutral":  # the common case, inline
            basis = "balance"
            text = f"{balance_basis}{line.date}{SEP}{line.signed_fen}{SEP}{line.balance_fen}"
        else:
            basis, key = key_of(line)
            text = prefix + basis + SEP + SEP.join(key)
        occurrence = seen.get(text, 0)
        seen[text] = occurrence + 1
        line.identity = blake2b(f"{text}{SEP}{occurrence}".encode(), digest_size=20).hexdigest()
        line.identity_basis = basis
