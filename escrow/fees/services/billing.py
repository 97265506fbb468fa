"""Monthly fee bills (物业费应收).

A unit's bill for month M = its floor area (m², two decimals) × the fee rate (fen per
m² per month) of the contract in force on the first day of M, **rounded half up to
the fen for each unit**. Example: 89.50 m² × 95 fen = 8,502.5 fen → 8,503 fen
(¥85.03); 120.00 m² × 120 fen = 14,400 fen exactly.

"A compound's bills sum exactly" means: the compound's billed total for a month is
the sum of the unit bills stored — nothing is rounded a second time at compound
level, so the total and the bills can never differ by a fen (the tests check it).

The contract in force on day D is the compound's contract with the latest start date
on or before D. A contract past its end date stays in force until a handover starts
the next one (the company keeps serving and billing at the agreed rate — 无缝衔接),
and a handover on the 25th changes the rate from the next month. A month before the
compound's first contract gets no bills.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.audit import audit_record
from communities.models import Compound, ServiceContract, Unit
from escrow.fees.periods import BillingError, parse_period
from escrow.models import FeeBill


@dataclass
class BillRun:
    """What a bill run did: the month, how many bills it created and found, and the compound's
    total (the sum of the stored bills)."""

    period: dt.date
    created: int
    existing: int
    total_fen: int  # the month's billed total = the sum of the stored unit bills
    contract: ServiceContract | None


def bill_amount_fen(floor_area: Decimal, rate_fen: int) -> int:
    """floor area × rate, rounded half up to the fen (per unit, never per compound)."""
    exact = Decimal(floor_area) * Decimal(int(rate_fen))
    return int(exact.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def contract_in_force(compound: Compound, day: dt.date) -> ServiceContract | None:
    """The contract whose rate applies on ``day`` (rule in the module docstring)."""
    return (
        ServiceContract.objects.filter(compound=compound, start_date__lte=day)
        .order_by("-start_date", "-pk")
        .first()
    )


@transaction.atomic(durable=True)
def bills_generate(*, compound: Compound, period, actor=None) -> BillRun:
    """Bill every unit of the compound for one month. Idempotent: units that already
    have a bill for the month keep it unchanged, so a second run creates nothing.

    Runs for one compound are serialised by locking the compound's row, so the
    existence check and the insert cannot interleave with another run; the unique
    (unit, period) constraint stays the last word should anything else insert bills.
    """
    period = parse_period(period)
    today = timezone.localdate()
    if period > today.replace(day=1):
        raise BillingError(
            _("period: %(m)s has not started yet; a month is billed from its first day.")
            % {"m": f"{period:%Y-%m}"},
            extra={"fields": {"period": [_("In the future.")]}},
        )
    Compound.objects.select_for_update().only("pk").get(pk=compound.pk)
    contract = contract_in_force(compound, period)
    existing_units = set(
        FeeBill.objects.filter(compound=compound, period=period).values_list("unit_id", flat=True)
    )
    new_bills = []
    if contract is not None:
        for unit_id, floor_area in (
            Unit.objects.filter(compound=compound).order_by("pk").values_list("pk", "floor_area")
        ):
            amount = bill_amount_fen(floor_area, contract.fee_rate_fen)
            # Only a flat of under 0.5 m² at 1 fen/m² rounds to nothing; it owes nothing.
            if unit_id in existing_units or amount == 0:
                continue
            new_bills.append(
                FeeBill(
                    compound=compound,
                    unit_id=unit_id,
                    contract=contract,
                    period=period,
                    floor_area=floor_area,
                    rate_fen=contract.fee_rate_fen,
                    amount_fen=amount,
                )
            )
        FeeBill.objects.bulk_create(new_bills, batch_size=1000)
    total = sum(FeeBill.objects.filter(compound=compound, period=period).values_list("amount_fen", flat=True))
    run = BillRun(
        period=period,
        created=len(new_bills),
        existing=len(existing_units),
        total_fen=total,
        contract=contract,
    )
    if new_bills:
        audit_record(
            actor=actor,
            action="fee_bills.generate",
            obj=compound,
            compound=compound,
            after={
                "period": period.isoformat(),
                "created": run.created,
                "rate_fen": contract.fee_rate_fen,
                "contract": contract.pk,
                "total_fen": total,
            },
        )
    return run
