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
            statuses[compound_id] = settlement_label(year, status)
    return statuses


def settlement_subqueries(compound_column: str) -> str:
    """SQL for the year and the status of a compound's latest settlement in force (two
    columns; params: ``settlement_params()``), for the dashboard's one query of rows."""
    table = Settlement._meta.db_table
    latest = (
        f"FROM {table} s WHERE s.compound_id = {compound_column} AND s.status <> %s "
        "ORDER BY s.year DESC, s.version DESC LIMIT 1"
    )
    return f"(SELECT s.year {latest}), (SELECT s.status {latest})"


def settlement_params() -> list:
    return [SettlementStatus.SUPERSEDED, SettlementStatus.SUPERSEDED]


def settlement_label(year, status) -> str | None:
    """ "<year>: <status label>", or None (not yet available)."""
    return None if year is None else f"{year}: {SettlementStatus(status).label}"
