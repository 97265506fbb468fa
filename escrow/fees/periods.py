"""Months as the fee pages, the API and the bill runs take them: a month is given as
'YYYY-MM' (or its first day); a bad value is refused naming the field."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.periods import add_months, months_between


class BillingError(ApplicationError):
    """A bill run that cannot happen (a month in the future, a malformed month)."""


def parse_period(value) -> dt.date:
    """A month as the date of its first day, from a date, 'YYYY-MM' or 'YYYY-MM-01'."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        if value.day != 1:
            raise BillingError(
                _("period: a month is given by its first day, not %(d)s.") % {"d": value.isoformat()},
                extra={"fields": {"period": [_("Use the first day of the month.")]}},
            )
        return value
    text = str(value or "").strip()
    try:
        if len(text) == 7:
            return dt.date.fromisoformat(f"{text}-01")
        return parse_period(dt.date.fromisoformat(text))
    except ValueError:
        raise BillingError(
            _("period: “%(v)s” is not a month (YYYY-MM).") % {"v": text},
            extra={"fields": {"period": [_("Not a month.")]}},
        ) from None


def month_range(
    first_text: str | None, last_text: str | None, *, months: int = 12
) -> tuple[dt.date, dt.date]:
    """(first, last) month from 'YYYY-MM' texts, by default the twelve months up to
    this one; at most 120 months. A bad value is refused naming ``from`` or ``to``."""

    def parse(text, name):
        try:
            return parse_period(text)
        except BillingError as exc:
            raise BillingError(
                f"{name}: {exc.message}", extra={"fields": {name: [_("Not a month (YYYY-MM).")]}}
            ) from None

    last = parse(last_text, "to") if last_text else timezone.localdate().replace(day=1)
    first = parse(first_text, "from") if first_text else add_months(last, -(months - 1))
    if first > last or len(months_between(first, last)) > 120:
        raise BillingError(
            _("from: give a range of 1 to 120 months, “from” not after “to”."),
            extra={"fields": {"from": [_("Not a valid range.")]}},
        )
    return first, last
