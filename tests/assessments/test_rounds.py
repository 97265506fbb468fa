"""Rounds through the services: opening fixes the scorers, the worked example end to end,
closing once, sign-off behind step-up, objections, bad input naming the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.stepup import SecondFactor
from assessments import selectors, services
from assessments.models import (
    AssessmentRound,
    DutyCheck,
    ItemScore,
    ObjectionDecision,
    RoundScorer,
    RoundStatus,
    SurveyAnswer,
)
from common.errors import ConflictError, PermissionDeniedError
from communities import services as community_services
from communities.models import AuditEvent
from communities.selectors import current_duty_list
from communities.testing import make_user
from tests.assessments.helpers import open_round, owners, sheet, small_template

pytestmark = pytest.mark.django_db


def strong():
    return SecondFactor(method="totp", at=timezone.now())


def test_opening_fixes_the_scorers_by_party(world):
    rnd = open_round(world)
    scorers = {s.user_id: s.party for s in RoundScorer.objects.filter(round=rnd)}
    assert scorers == {
        world.committee.pk: "committee",
        world.committee2.pk: "committee",
        world.chair.pk: "committee",
        world.official.pk: "community",
        world.inspector.pk: "community",
    }
    # A committee member appointed later does not join this round.
    late = make_user()
    community_services.membership_create(user=late, role="committee_member", compound=world.a, actor=None)
    assert not RoundScorer.objects.filter(round=rnd, user=late).exists()
    assert AuditEvent.objects.filter(action="assessment.round_open", object_id=str(rnd.pk)).exists()


def test_the_street_office_default_template_sums_to_100(world):
    rnd = open_round(world)
    assert rnd.template.version == 1
    assert sum(i.max_points for i in rnd.template.items.all()) == 100
    assert rnd.template.sections.count() == 7
    assert (rnd.policy.community, rnd.policy.committee, rnd.policy.survey, rnd.policy.objective) == (
        30,
        30,
        30,
        10,
    )


def test_a_quarter_opens_once(world):
    open_round(world)
    with pytest.raises(ConflictError) as exc:
        open_round(world)
    assert "quarter" in exc.value.extra["fields"]


def test_only_officials_open_rounds(world):
    with pytest.raises(PermissionDeniedError):
        services.round_open(compound=world.a, year=2026, quarter=3, actor=world.committee)


def test_worked_example_end_to_end(world):
    """docs/assessments.md, second example: objective data 100 → total 84.225 → 84.23."""
    small_template(world)
    third = make_user(name="第三位社区干部")
    community_services.membership_create(
        user=third, role="community_official", community=world.community, actor=None
    )
    rnd = open_round(world)
    services.score_submit(round=rnd, actor=world.official, scores=sheet(rnd, 36, 30, 20))
    services.score_submit(round=rnd, actor=world.inspector, scores=sheet(rnd, "34.5", 28, 22))
    services.score_submit(round=rnd, actor=world.committee, scores=sheet(rnd, 30, 25, 15))
    services.score_submit(round=rnd, actor=world.committee2, scores=sheet(rnd, 35, "31.5", 21))
    services.score_submit(round=rnd, actor=world.chair, scores=sheet(rnd, 32, 29, 18))
    units = owners(world, 5)
    ratings = [5, 4, 4, 3, 5, 4]
    services.survey_answer(round=rnd, unit=world.unit_a, actor=world.resident, rating=ratings[0])
    for (unit, owner), rating in zip(units, ratings[1:], strict=True):
        services.survey_answer(round=rnd, unit=unit, actor=owner, rating=rating)
    # Every company duty checked in the quarter: objective data = 100 (no repairs, no escrow).
    for duty in current_duty_list(world.a).duties.filter(by_company=True):
        DutyCheck.objects.create(
            compound=world.a, duty=duty, checked_on=dt.date(2026, 8, 1), checked_by=world.official
        )
    services.round_close(round=rnd, actor=world.official)
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.CLOSED
    assert rnd.result["parties"] == {
        "community": "85.25",
        "committee": "78.83",
        "survey": "83.33",
        "objective": "100.00",
    }
    assert rnd.total == Decimal("84.23")
    assert rnd.result["scorers"]["community"] == {"fixed": 3, "scored": 2}
    assert rnd.result["items"][0]["community"] == "35.25"


def test_the_last_scorer_closes_the_round(world):
    small_template(world)
    rnd = open_round(world)
    for user in (world.official, world.inspector, world.committee, world.committee2):
        services.score_submit(round=rnd, actor=user, scores=sheet(rnd, 40, 35, 25))
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.OPEN
    services.score_submit(round=rnd, actor=world.chair, scores=sheet(rnd, 40, 35, 25))
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.CLOSED
    assert rnd.close_reason == "all_scored"


def test_a_round_cannot_close_twice(world):
    rnd = open_round(world)
    services.round_close(round=rnd, actor=world.official)
    with pytest.raises(ConflictError):
        services.round_close(round=rnd, actor=world.official)
    assert services.rounds_close_due(timezone.now() + dt.timedelta(days=30)) == []
    assert AuditEvent.objects.filter(action="assessment.round_close", object_id=str(rnd.pk)).count() == 1


def test_the_deadline_closes_it(world):
    rnd = open_round(world)
    assert services.rounds_close_due(timezone.now()) == []
    assert services.rounds_close_due(rnd.deadline + dt.timedelta(minutes=1)) == [rnd.pk]
    rnd.refresh_from_db()
    assert rnd.close_reason == "deadline"


@pytest.mark.parametrize(
    ("points", "comments", "field"),
    [
        ((41, 35, 25), {}, "scores.1.points"),
        ((-1, 35, 25), {}, "scores.1.points"),
        (("abc", 35, 25), {}, "scores.1.points"),
        (("10.25", 35, 25), {}, "scores.1.points"),
        ((19, 35, 25), {}, "scores.1.comment"),
    ],
)
def test_bad_scores_are_refused_naming_the_field_and_nothing_is_written(world, points, comments, field):
    small_template(world)
    rnd = open_round(world)
    with pytest.raises(ValidationError) as exc:
        services.score_submit(round=rnd, actor=world.official, scores=sheet(rnd, *points, comments=comments))
    assert field in exc.value.message_dict
    assert not ItemScore.objects.filter(round=rnd).exists()
    assert RoundScorer.objects.get(round=rnd, user=world.official).submitted_at is None


def test_below_half_with_a_comment_is_accepted(world):
    small_template(world)
    rnd = open_round(world)
    services.score_submit(
        round=rnd, actor=world.official, scores=sheet(rnd, 19, 35, 25, comments={1: "公示栏缺失"})
    )
    assert ItemScore.objects.get(round=rnd, item__number=1).comment == "公示栏缺失"


def test_scoring_twice_or_outside_the_round_is_refused(world):
    small_template(world)
    rnd = open_round(world)
    services.score_submit(round=rnd, actor=world.official, scores=sheet(rnd, 40, 35, 25))
    with pytest.raises(ValidationError) as exc:
        services.score_submit(round=rnd, actor=world.official, scores=sheet(rnd, 1, 1, 1))
    assert "scores" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.score_submit(round=rnd, actor=world.staff, scores=sheet(rnd, 40, 35, 25))
    assert "round" in exc.value.message_dict
    services.round_close(round=rnd, actor=world.official)
    with pytest.raises(ValidationError) as exc:
        services.score_submit(round=rnd, actor=world.committee, scores=sheet(rnd, 40, 35, 25))
    assert "round" in exc.value.message_dict


def test_survey_one_answer_per_unit_changeable_until_close(world):
    rnd = open_round(world)
    services.survey_answer(round=rnd, unit=world.unit_a, actor=world.resident, rating=2)
    services.survey_answer(round=rnd, unit=world.unit_a, actor=world.resident, rating=5, comment="好多了")
    answer = SurveyAnswer.objects.get(round=rnd)
    assert (answer.rating, answer.comment) == (5, "好多了")
    services.round_close(round=rnd, actor=world.official)
    with pytest.raises(ValidationError) as exc:
        services.survey_answer(round=rnd, unit=world.unit_a, actor=world.resident, rating=1)
    assert "round" in exc.value.message_dict
    assert SurveyAnswer.objects.get(round=rnd).rating == 5


@pytest.mark.parametrize(
    ("who", "unit", "rating", "field"),
    [
        ("outsider", "unit_a", 4, "unit"),
        ("committee", "unit_a", 4, "unit"),
        ("outsider", "unit_b", 4, "unit"),
        ("resident", "unit_a", 6, "rating"),
        ("resident", "unit_a", "x", "rating"),
    ],
)
def test_survey_bad_input(world, who, unit, rating, field):
    rnd = open_round(world)
    with pytest.raises(ValidationError) as exc:
        services.survey_answer(round=rnd, unit=getattr(world, unit), actor=getattr(world, who), rating=rating)
    assert field in exc.value.message_dict
    assert not SurveyAnswer.objects.exists()


def test_template_items_must_sum_to_100(world):
    sections = [
        {"title": "综合", "items": [{"title": "A", "max_points": 60}, {"title": "B", "max_points": 30}]}
    ]
    with pytest.raises(ValidationError) as exc:
        services.assessment_template_publish(
            street_office=world.office, title="x", sections=sections, reason="", actor=world.street_admin
        )
    assert "sections" in exc.value.message_dict
    sections[0]["items"][1]["duty_number"] = 99
    sections[0]["items"][1]["max_points"] = 40
    with pytest.raises(ValidationError) as exc:
        services.assessment_template_publish(
            street_office=world.office, title="x", sections=sections, reason="", actor=world.street_admin
        )
    assert "sections.1.items.2.duty_number" in exc.value.message_dict


def test_template_revision_is_a_new_version_and_old_rounds_keep_theirs(world):
    rnd = open_round(world)
    v2 = services.assessment_template_publish(
        street_office=world.office,
        title="x",
        sections=[{"title": "综合", "items": [{"title": "A", "max_points": 100}]}],
        reason="简化",
        actor=world.street_admin,
    )
    assert v2.version == 2
    rnd.refresh_from_db()
    assert rnd.template.version == 1
    with pytest.raises(PermissionDeniedError):
        services.assessment_template_publish(
            street_office=world.office, title="x", sections=[], reason="r", actor=world.official
        )


def test_weights_must_sum_to_100(world):
    with pytest.raises(ValidationError) as exc:
        services.weight_policy_publish(
            street_office=world.office,
            reason="r",
            actor=world.street_admin,
            community=30,
            committee=30,
            survey=30,
            objective=20,
        )
    assert "objective" in exc.value.message_dict


def _closed(world):
    small_template(world)
    rnd = open_round(world)
    for user in (world.official, world.inspector, world.committee, world.committee2, world.chair):
        services.score_submit(round=rnd, actor=user, scores=sheet(rnd, 36, 30, 20))
    rnd.refresh_from_db()
    return rnd


def test_signoff_by_chair_and_official_behind_step_up_publishes(world):
    rnd = _closed(world)
    with pytest.raises(PermissionDeniedError) as exc:
        services.round_signoff(round=rnd, actor=world.chair, second_factor=None)
    assert exc.value.extra.get("step_up")
    with pytest.raises(PermissionDeniedError):
        services.round_signoff(round=rnd, actor=world.committee, second_factor=strong())
    services.round_signoff(round=rnd, actor=world.chair, second_factor=strong())
    with pytest.raises(ValidationError):
        services.round_signoff(round=rnd, actor=world.chair, second_factor=strong())
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.CLOSED
    services.round_signoff(round=rnd, actor=world.official, second_factor=strong())
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PUBLISHED
    assert selectors.public_scores(world.a)["latest"] == rnd
    scores = selectors.frozen_scores(world.a, 2026)
    # 86 from both scoring parties, no survey, objective 0 (no company duty checked):
    # (30×86 + 30×86 + 10×0) / 70 = 73.714… → 73.71
    assert [(s.quarter, s.total) for s in scores] == [(3, Decimal("73.71"))]


def test_objection_once_within_7_days_upheld_makes_a_new_version(world):
    rnd = _closed(world)
    services.round_signoff(round=rnd, actor=world.chair, second_factor=strong())
    services.round_signoff(round=rnd, actor=world.official, second_factor=strong())
    rnd.refresh_from_db()
    with pytest.raises(PermissionDeniedError):
        services.objection_lodge(round=rnd, actor=world.staff, reason="不服")
    with pytest.raises(ValidationError) as exc:
        services.objection_lodge(round=rnd, actor=world.manager, reason=" ")
    assert "reason" in exc.value.message_dict
    objection = services.objection_lodge(round=rnd, actor=world.manager, reason="第3项评分与事实不符")
    with pytest.raises(ValidationError) as exc:
        services.objection_lodge(round=rnd, actor=world.manager, reason="再次")
    assert "round" in exc.value.message_dict
    with pytest.raises(PermissionDeniedError):
        services.objection_decide(objection=objection, actor=world.official, uphold=True, reason="r")
    services.objection_decide(
        objection=objection, actor=world.street_admin, uphold=True, reason="照片证明已整改"
    )
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.SUPERSEDED
    new = AssessmentRound.objects.get(supersedes=rnd)
    assert (new.version, new.status, new.rescore_reason) == (2, RoundStatus.OPEN, "照片证明已整改")
    assert new.scorers.count() == rnd.scorers.count()
    objection.refresh_from_db()
    assert objection.decision == ObjectionDecision.UPHELD


def test_objection_after_7_days_is_refused(world):
    rnd = _closed(world)
    services.round_signoff(round=rnd, actor=world.chair, second_factor=strong())
    services.round_signoff(round=rnd, actor=world.official, second_factor=strong())
    AssessmentRound.objects.filter(pk=rnd.pk).update(
        published_at=timezone.now() - dt.timedelta(days=7, minutes=1)
    )
    with pytest.raises(ValidationError) as exc:
        services.objection_lodge(round=rnd, actor=world.manager, reason="晚了")
    assert "round" in exc.value.message_dict


def test_rounds_open_due_opens_last_quarter_once(world):
    opened = services.rounds_open_due(dt.date(2026, 10, 1))
    assert len(opened) == 2  # compounds A and B both have a contract
    assert services.rounds_open_due(dt.date(2026, 10, 1)) == []
    assert AssessmentRound.objects.filter(compound=world.a, year=2026, quarter=3).count() == 1


def test_owners_are_asked_and_late_scorers_reminded_once(world):
    from accounts.models import Notification

    small_template(world)
    rnd = open_round(world)
    assert Notification.objects.filter(user=world.resident, kind="assessment.survey").count() == 1
    assert Notification.objects.filter(user=world.committee, kind="assessment.open").count() == 1
    services.score_submit(round=rnd, actor=world.committee, scores=sheet(rnd, 40, 35, 25))
    assert services.rounds_remind_scorers(rnd.deadline - dt.timedelta(days=4)) == 0
    assert services.rounds_remind_scorers(rnd.deadline - dt.timedelta(days=2)) == 1
    assert services.rounds_remind_scorers(rnd.deadline - dt.timedelta(days=1)) == 0
    reminded = set(Notification.objects.filter(kind="assessment.reminder").values_list("user_id", flat=True))
    assert reminded == {
        world.committee2.pk,
        world.chair.pk,
        world.official.pk,
        world.inspector.pk,
    }
