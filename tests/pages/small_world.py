"""A small world with money in it, for the page walks (no tests here): compound A's
escrow account, two months of bills, a payment, a submitted payout."""

from __future__ import annotations

import datetime as dt

from communities.testing import make_world
from escrow.fees.services.billing import bills_generate
from escrow.fees.services.payments import payment_record
from tests.escrow.payouts.helpers import SMALL_FEN, file_payout, open_escrow


def small_world():
    world = make_world()
    open_escrow(world, balance_fen=SMALL_FEN)
    for month in (dt.date(2026, 1, 1), dt.date(2026, 2, 1)):
        bills_generate(compound=world.a, period=month, actor=None)
    payment_record(
        compound=world.a,
        unit=world.unit_a,
        amount_fen=107_40,
        method="cash",
        received_on=dt.date(2026, 1, 5),
        receipt_no="R-0001",
        actor=world.staff,
    )
    world.payout = file_payout(world, amount_fen=1_000_00)
    return world


def page_paths(world) -> dict[str, str]:
    """Every page of compound A a person may have a reason to open, by name."""
    a = world.a.slug
    return {
        "home": "/",
        "public": f"/c/{a}/",
        "members": f"/c/{a}/members/",
        "ledger": f"/c/{a}/ledger/",
        "my_fee": f"/c/{a}/my-fee/",
        "disclosures": f"/c/{a}/disclosures/",
        "payouts": f"/c/{a}/payouts/",
        "payout_inbox": f"/c/{a}/payouts/inbox/",
        "payout_mine": f"/c/{a}/payouts/mine/",
        "payout_detail": f"/c/{a}/payouts/{world.payout.pk}/",
        "unit_statement": f"/c/{a}/escrow/units/{world.unit_a.pk}/statement/",
        "arrears": f"/c/{a}/escrow/arrears/",
        "collection": f"/c/{a}/escrow/collection/",
        "statements": f"/c/{a}/escrow/statements/",
        "payment_record": f"/c/{a}/escrow/payments/new/",
        "suspense": f"/c/{a}/escrow/suspense/",
        "notifications": "/notifications/",
        "duties_edit": f"/c/{a}/duties/edit/",
        "settlements": f"/c/{a}/settlements/",
        "reauthenticate_by_code": "/accounts/reauthenticate/code/",
    }
