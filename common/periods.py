"""Calendar arithmetic of the scheme, in one place: months (bills, budgets, payout
drafts) and quarters (disclosures, closed books). A month is the date of its first
day; a quarter is ``(year, quarter)`` with quarter 1–4; bounds are inclusive dates."""

from __future__ import annotations

import datetime as dt


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from ``first``'s to ``last``'s, both included (empty if first > last)."""
    out, month = [], month_start(first)
    while month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """First and last day of a quarter."""
    start = dt.date(year, 3 * quarter - 2, 1)
    return start, add_months(start, 3) - dt.timedelta(days=1)


def quarter_end(year: int, quarter: int) -> dt.date:
    return quarter_bounds(year, quarter)[1]


def previous_quarter(day: dt.date) -> tuple[int, int]:
    year, quarter = quarter_of(day)
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def year_or_quarter_bounds(year: int, quarter: int | None) -> tuple[dt.date, dt.date]:
    """A whole year when ``quarter`` is None, else that quarter."""
    if quarter is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    return quarter_bounds(year, quarter)


def ended_quarters(since: dt.date, today: dt.date) -> list[tuple[int, int]]:
    """Every quarter from ``since``'s that has ended before ``today``, oldest first."""
    out = []
    year, quarter = quarter_of(since)
    while quarter_end(year, quarter) < today:
        out.append((year, quarter))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return out
