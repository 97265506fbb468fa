"""Found in review: a new owner never sees the previous owner's payments."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from communities import services as cs
from communities.models import Unit
from communities.testing import make_user
from escrow.fees.services.payments import payment_record
from tests.escrow.ledger.helpers import open_escrow


def test_a_new_owner_does_not_see_the_previous_owners_payments(world):
    open_escrow(world.a, opening_fen=0, opened_on=dt.date(2025, 1, 1))
    neighbour = Unit.objects.get(compound=world.a, number="102")
    payment_record(
        compound=world.a,
        unit=neighbour,
        amount_fen=123_456,
        method="cash",
        received_on=dt.date(2025, 3, 1),
        receipt_no="OLD-1",
        actor=None,
    )
    buyer = make_user(name="新业主")
    cs.unit_owner_add(unit=neighbour, user=buyer, start_date=dt.date(2025, 6, 1), actor=None)
    payment_record(
        compound=world.a,
        unit=neighbour,
        amount_fen=50_00,
        method="cash",
        received_on=dt.date(2025, 7, 1),
        receipt_no="NEW-1",
        actor=None,
    )
    c = Client()
    c.force_login(buyer)
    r = c.get(
        reverse("escrow:my-fee", args=[world.a.slug]), {"date_from": "2025-01-01", "date_to": "2025-12-31"}
    )
    assert r.status_code == 200
    # The buyer's own ¥50.00 counts; the seller's ¥1,234.56 from March does not.
    assert r.context["allocation"].total == 50_00
