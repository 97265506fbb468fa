"""Fixtures shared by the escrow tests (each part's helpers live in its helpers.py)."""

from __future__ import annotations

import pytest

from communities.testing import World, make_world
from tests.escrow.fees.helpers import WEBHOOK_SECRET, open_escrow


@pytest.fixture(name="escrow_world")
def escrow_world_fixture(db) -> World:
    """The test world with both compounds' escrow accounts open since 2025-12-01."""
    world = make_world()
    open_escrow(world.a)
    open_escrow(world.b)
    return world


@pytest.fixture(name="webhook_secret")
def webhook_secret_fixture(settings):
    settings.PAYMENT_WEBHOOK_SECRETS = {"wechatpay": WEBHOOK_SECRET, "alipay": WEBHOOK_SECRET[::-1]}
    settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS = 300
    return WEBHOOK_SECRET
