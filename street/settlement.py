"""The settlement-status column: each compound's latest settlement in force, as a short
label ("not yet available" — None — where the compound has none yet)."""

from __future__ import annotations

from settlements.models import Settlement, SettlementStatus


def settlement_statuses(compound_ids: list[int]) -> dict[int, str | None]:
    """compound id → "<year>: <status label>" of its latest settlement in force, or None.
    One query for every compound on the page."""
    statuses: dict[int, str | None] = dict.fromkeys(compound_ids)
    rows = (
        Settlement.objects.filter(compound_id__in=compound_ids)
        .exclude(status=SettlementStatus.SUPERSEDED)
        .order_by("compound_id", "-year", "-version")
        .values_list("compound_id", "year", "status")
    )
    for compound_id, year, status in rows:
        if statuses[compound_id] is None:
            statuses[compound_id] = f"{year}: {SettlementStatus(status).label}"
    return statuses
