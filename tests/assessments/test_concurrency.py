"""Simultaneous writers on PostgreSQL, with real threads and real commits."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from assessments import services
from assessments.models import AssessmentRound, RoundStatus, SurveyAnswer
from common.errors import ConflictError
from communities import services as community_services
from communities.models import AuditEvent
from communities.testing import make_user, make_world
from tests.assessments.helpers import open_round

pytestmark = [pytest.mark.django_db(transaction=True)]


def run_together(funcs):
    barrier = threading.Barrier(len(funcs))
    results: list = [None] * len(funcs)

    def runner(i, func):
        try:
            barrier.wait()
            results[i] = func()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(funcs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_one_survey_answer_per_unit_under_concurrent_submits(postgres_only):
    world = make_world()
    co_owners = [make_user(name=f"共有人{i}") for i in range(5)]
    for owner in co_owners:
        community_services.unit_owner_add(
            unit=world.unit_a, user=owner, start_date=dt.date(2024, 1, 1), actor=None
        )
    rnd = open_round(world)
    people = [world.resident, *co_owners]
    results = run_together(
        [
            (
                lambda who=who, r=rating: services.survey_answer(
                    round=rnd, unit=world.unit_a, actor=who, rating=r
                )
            )
            for who, rating in zip(people * 2, [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2], strict=True)
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)]
    rows = list(SurveyAnswer.objects.filter(round=rnd))
    assert len(rows) == 1
    # The answer standing is one of those submitted, and every submit left its audit event.
    assert rows[0].rating in {1, 2, 3, 4, 5}
    assert AuditEvent.objects.filter(action="assessment.survey_answer").count() == 12


def test_a_round_closes_once_under_concurrent_closes(postgres_only):
    world = make_world()
    rnd = open_round(world)
    results = run_together(
        [
            lambda: services.round_close(round=AssessmentRound(pk=rnd.pk), actor=world.official)
            for _ in range(4)
        ]
    )
    closed = [r for r in results if isinstance(r, AssessmentRound)]
    refused = [r for r in results if isinstance(r, ConflictError)]
    assert (len(closed), len(refused)) == (1, 3)
    assert AssessmentRound.objects.get(pk=rnd.pk).status == RoundStatus.CLOSED
    assert AuditEvent.objects.filter(action="assessment.round_close").count() == 1
