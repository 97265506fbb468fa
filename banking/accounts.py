"""Does the account a file names belong to the account it is imported into?

Banks print account numbers masked, and not all the same way: ``6214********5555``
(CMB, as long as the number), ``1234****9876`` (ICBC, shorter than the card number),
``6222 0208 1234 5678`` (spaces). A stated number matches a full one when its visible
leading digits start the full number and its visible trailing digits end it.
"""

from __future__ import annotations

import re

_MASK = re.compile(r"[*＊xX]+")


def account_matches(stated: str, full: str) -> bool | None:
    """True/False, or None when the file states no number (nothing to compare)."""
    stated = "".join(stated.split())
    full = "".join(full.split())
    if not stated:
        return None
    if not full:
        return False
    parts = _MASK.split(stated)
    if len(parts) == 1:
        return stated == full
    head, tail = parts[0], parts[-1]
    if len(head) + len(tail) > len(full):
        return False
    if not full.startswith(head) or not full.endswith(tail):
        return False
    middle = [p for p in parts[1:-1] if p]
    return all(p in full[len(head) : len(full) - len(tail)] for p in middle)
