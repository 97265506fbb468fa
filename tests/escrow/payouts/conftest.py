"""Fixtures of the payout tests."""

from __future__ import annotations

import pytest

from tests.escrow.payouts.helpers import SMALL_FEN, prepare


@pytest.fixture
def pw(world, settings, tmp_path):
    """The test world with evidence files under ``tmp_path`` and compound A's escrow
    account holding ``SMALL_FEN`` (tests that need the full balance override this)."""
    return prepare(world, settings, tmp_path, balance_fen=SMALL_FEN)
