"""Does the account a file names belong to the account it is imported into?

Banks print account numbers masked, and not all the same way: ``6214********5555``
(CMB, as long as the number), ``1234****9876`` (ICBC, shorter than the card number),
``6222 0208 1234 5678`` (spaces); the escrow account itself may be stored masked
(``6222 **** 1234``). Two numbers match when their visible leading digits agree as far
as both show them, and so do their visible trailing digits.
"""

from __future__ import annotations

import re

_MASK = re.compile(r"[*＊xX]+")


def _parts(number: str) -> tuple[str, str, bool]:
    """(visible head, visible tail, masked?)"""
    pieces = _MASK.split(number)
    if len(pieces) == 1:
        return number, number, False
    return pieces[0], pieces[-1], True


def account_matches(stated: str, known: str) -> bool | None:
    """True or False; None when it cannot be told (the file states no number, or the two
    show no digits in common: one shows only the head, the other only the tail)."""
    stated = "".join(stated.split())
    known = "".join(known.split())
    if not stated or not known:
        return None
    head1, tail1, masked1 = _parts(stated)
    head2, tail2, masked2 = _parts(known)
    if not masked1 and not masked2:
        return stated == known
    if not masked2 and len(head1) + len(tail1) > len(known):
        return False
    if not masked1 and len(head2) + len(tail2) > len(stated):
        return False
    k_head, k_tail = min(len(head1), len(head2)), min(len(tail1), len(tail2))
    if k_head == 0 and k_tail == 0:
        return None
    return head1[:k_head] == head2[:k_head] and tail1[len(tail1) - k_tail :] == tail2[len(tail2) - k_tail :]
