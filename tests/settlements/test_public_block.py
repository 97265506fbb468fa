"""The include for the compound's public page."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from settlements.models import SettlementStatus
from tests.settlements.helpers import settled_world
from tests.settlements.test_confirm import confirm
from tests.settlements.test_settlement import run

pytestmark = pytest.mark.django_db
TAG = Template("{% load settlement_tags %}{% compound_settlements compound %}")


def test_public_block_shows_only_confirmed_settlements(world, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    assert "No year has been settled yet." in TAG.render(Context({"compound": world.a}))
    settled_world(world, capture)
    settlement = run(capture, world)
    assert "No year has been settled yet." in TAG.render(Context({"compound": world.a}))
    for who in (world.committee, world.committee2, world.official):
        confirm(capture, settlement, who)
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.RELEASED
    html = TAG.render(Context({"compound": world.a}))
    assert "score 88.96, release rate 95 %" in html
    assert "¥212,251.87" in html and "¥11,171.16" in html
