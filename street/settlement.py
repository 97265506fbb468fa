"""The settlement-status column. The annual settlement (issue 13, ``settlements/``) is
being built in parallel; until the coordinator points this one function at
``settlements.selectors``, every compound reads "not yet available"."""

from __future__ import annotations


def settlement_statuses(compound_ids: list[int]) -> dict[int, str | None]:
    """compound id → a short status label, or None for "not yet available"."""
    return dict.fromkeys(compound_ids)
