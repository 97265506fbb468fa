"""Money at the edges. Inside, money is always an ``int`` number of fen (分).

Yuan appear only in forms, the API and pages; this module is the single place that
converts between the two. No float ever touches money.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from common.errors import ApplicationError

# A single movement above ¥100 million is a typing error in a residential compound.
MAX_AMOUNT_FEN = 100_000_000 * 100

_YUAN_RE = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$|^-?\d+(\.\d+)?$")


class AmountError(ApplicationError):
    """An amount that cannot be money: too many decimals, not a number, out of range."""


def yuan_to_fen(value, *, field: str = "amount", allow_zero: bool = False) -> int:
    """Parse a yuan amount ("1,234.50", Decimal("12.3"), 12) into fen, strictly.

    Refuses floats (binary fractions are not money), more than two decimals,
    zero (unless allowed), negatives, non-numbers and amounts above MAX_AMOUNT_FEN.
    """
    if isinstance(value, float):
        raise AmountError(
            _("%(field)s: give the amount as text or a decimal, not a float.") % {"field": field},
            extra={"fields": {field: [_("Not a valid amount.")]}},
        )
    if isinstance(value, int) and not isinstance(value, bool):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip().replace("¥", "").replace("￥", "").strip()
        if not _YUAN_RE.match(text):
            raise _amount_error(field, _("“%(value)s” is not an amount in yuan.") % {"value": value})
        try:
            amount = Decimal(text.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the regex already guards this
            raise _amount_error(
                field, _("“%(value)s” is not an amount in yuan.") % {"value": value}
            ) from None
    else:
        raise _amount_error(field, _("Not a valid amount."))
    if not amount.is_finite():
        raise _amount_error(field, _("Not a valid amount."))
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise _amount_error(field, _("At most two decimal places (fen)."))
    fen = int(amount * 100)
    if fen < 0:
        raise _amount_error(field, _("The amount must not be negative."))
    if fen == 0 and not allow_zero:
        raise _amount_error(field, _("The amount must be greater than zero."))
    if fen > MAX_AMOUNT_FEN:
        raise _amount_error(
            field, _("The amount is above the ceiling of ¥%(max)s.") % {"max": f"{MAX_AMOUNT_FEN // 100:,}"}
        )
    return fen


def _amount_error(field: str, message: str) -> AmountError:
    return AmountError(f"{field}: {message}", extra={"fields": {field: [message]}})


def fen_to_yuan(fen: int) -> Decimal:
    """Exact yuan value of an integer number of fen."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"fen must be int, not {type(fen).__name__}")
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def format_yuan(fen: int, *, symbol: bool = True) -> str:
    """'¥1,234.50' — for pages and documents."""
    sign = "-" if fen < 0 else ""
    text = f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"
    return f"¥{text}" if symbol else text


def ratio_split(total: int, ratios: Sequence[int | Decimal]) -> list[int]:
    """Split ``total`` fen in proportion to ``ratios`` so the parts sum exactly to ``total``.

    Largest-remainder method: each part gets the floor of its exact share, then the
    fen left over go one by one to the parts with the largest remainders (ties to the
    earlier part), so no fen is lost or invented and the result is deterministic.
    """
    if not isinstance(total, int):
        raise TypeError("total must be int fen")
    if total < 0:
        return [-part for part in ratio_split(-total, ratios)]
    weights = [Decimal(r) for r in ratios]
    if not weights:
        raise ValueError("ratio_split needs at least one ratio")
    if any(w < 0 for w in weights):
        raise ValueError("ratios must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValueError("ratios must not all be zero")
    parts: list[int] = []
    remainders: list[tuple[Decimal, int]] = []
    for index, weight in enumerate(weights):
        exact = Decimal(total) * weight / weight_sum
        floor = int(exact)  # exact >= 0, so int() floors
        parts.append(floor)
        remainders.append((exact - floor, index))
    left = total - sum(parts)
    for _remainder, index in sorted(remainders, key=lambda r: (-r[0], r[1]))[:left]:
        parts[index] += 1
    return parts
