"""The assessment demo on the seed's pilots and people (the seed's escrow stages are
left out: they are slow and the demo does not need them)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from assessments.demo import seed_assessments_demo
from assessments.models import AssessmentRound, RepairRequest, RoundStatus, SurveyAnswer
from assessments.selectors import frozen_scores, public_scores
from portal.management.commands.seed_demo import Seeder

pytestmark = pytest.mark.django_db

PEOPLE_STAGES = [
    "_seed_organisations",
    "_seed_companies",
    "_seed_compounds",
    "_seed_units",
    "_seed_contracts",
    "_seed_party_units",
    "_seed_logins",
    "_seed_memberships",
    "_seed_other_compounds_people",
]


def test_four_published_rounds_per_pilot_and_shangcheng_goes_from_62_to_93():
    seeder = Seeder(out=io.StringIO())
    for stage in PEOPLE_STAGES:
        getattr(seeder, stage)()
    made = seed_assessments_demo(stdout=io.StringIO())
    assert made["rounds"] == 20
    shangcheng = seeder.compounds["shangcheng"]
    rounds = public_scores(shangcheng)["rounds"]
    assert [(r.year, r.quarter) for r in rounds] == [(2025, 4), (2026, 1), (2026, 2), (2026, 3)]
    first, last = rounds[0].total, rounds[-1].total
    assert Decimal("58") <= first <= Decimal("66"), first
    assert Decimal("90") <= last <= Decimal("96"), last
    assert rounds[0].company.name == "鑫鼎物业"  # before the handover: the outgoing company
    assert rounds[-1].company.name == "华懋物业"
    assert all(r.status == RoundStatus.PUBLISHED for r in rounds)
    assert len(frozen_scores(shangcheng, 2026)) == 3
    assert SurveyAnswer.objects.filter(round__compound=shangcheng).exists()
    assert RepairRequest.objects.filter(compound=shangcheng, rating__isnull=False).count() > 50
    leak = RepairRequest.objects.get(compound=shangcheng, reported_by__phone="+8613800000001")
    assert (leak.category, leak.rating, leak.done_at <= leak.due_at) == ("plumbing", 5, True)
    # Idempotent: a second run makes nothing.
    again = seed_assessments_demo(stdout=io.StringIO())
    assert again == {"owners": 0, "repairs": 0, "rounds": 0}
    assert AssessmentRound.objects.count() == 20
