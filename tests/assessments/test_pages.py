"""The pages as a phone user meets them: forms post to the services, refusals appear
next to the field they name, the public pages name nobody."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assessments import repairs, services
from assessments.models import ItemScore, RepairRequest, RoundScorer, SurveyAnswer
from tests.assessments.helpers import items_of, open_round, small_template

pytestmark = pytest.mark.django_db


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_a_committee_member_scores_on_the_page(world):
    small_template(world)
    rnd = open_round(world)
    url = reverse("assessments:round-score", args=[world.a.slug, rnd.pk])
    page = client_for(world.committee).get(url)
    assert page.status_code == 200
    assert b"Submit my scores" in page.content
    a, b, c = items_of(rnd)
    data = {f"points-{a.pk}": "12", f"points-{b.pk}": "30", f"points-{c.pk}": "20"}
    refused = client_for(world.committee).post(url, data)
    assert refused.status_code == 400
    assert "Item 1: below half the points needs a comment saying why." in refused.content.decode()
    assert not ItemScore.objects.exists()
    data[f"comment-{a.pk}"] = "公示栏缺失"
    done = client_for(world.committee).post(url, data)
    assert done.status_code == 302
    assert RoundScorer.objects.get(round=rnd, user=world.committee).submitted_at is not None


def test_an_owner_answers_the_survey_and_changes_it(world):
    rnd = open_round(world)
    url = reverse("assessments:round-survey", args=[world.a.slug, rnd.pk])
    c = client_for(world.resident)
    assert c.post(url, {"unit": world.unit_a.pk, "rating": "9"}).status_code == 400
    assert c.post(url, {"unit": world.unit_a.pk, "rating": "2"}).status_code == 302
    assert c.post(url, {"unit": world.unit_a.pk, "rating": "4"}).status_code == 302
    assert list(SurveyAnswer.objects.values_list("rating", flat=True)) == [4]
    detail = c.get(reverse("assessments:round-detail", args=[world.a.slug, rnd.pk])).content.decode()
    assert "your unit answered 4 of 5" in detail


def test_reporting_a_leak_on_the_page_names_the_missing_field(world):
    url = reverse("assessments:repair-new", args=[world.a.slug])
    c = client_for(world.resident)
    refused = c.post(url, {"category": "plumbing", "urgency": "urgent", "description": "", "unit": ""})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Describe the problem in a few words." in body
    assert "Give your unit or the common area" in body
    ok = c.post(
        url,
        {"category": "plumbing", "urgency": "urgent", "description": "卫生间漏水", "unit": world.unit_a.pk},
    )
    assert ok.status_code == 302
    assert RepairRequest.objects.get().unit == world.unit_a


def test_public_repair_figures_name_nobody(world):
    req = repairs.repair_report(
        compound=world.a,
        actor=world.resident,
        category="plumbing",
        description="卫生间漏水",
        unit=world.unit_a,
    )
    repairs.repair_done(request=req, actor=world.staff, note="已修")
    repairs.repair_confirm(request=req, actor=world.resident, rating=4)
    body = Client().get(reverse("assessments:public", args=[world.a.slug])).content.decode()
    assert "1栋1单元***" in body
    assert "101" not in body.split("recent-repairs", 1)[1]
    assert world.resident.display_name not in body
    assert world.staff.display_name not in body


def test_api_refusals_name_the_field(world):
    small_template(world)
    rnd = open_round(world)
    a, b, c = items_of(rnd)
    url = reverse("api:assessment-round-scores", args=[world.a.slug, rnd.pk])
    response = client_for(world.official).post(
        url,
        {
            "scores": [
                {"item": a.pk, "points": "41"},
                {"item": b.pk, "points": "1"},
                {"item": c.pk, "points": "1"},
            ]
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    fields = response.json()["extra"]["fields"]
    assert "scores.1.points" in fields and "scores.2.comment" in fields
    response = client_for(world.resident).post(
        reverse("api:repair-list", args=[world.a.slug]),
        {"category": "plumbing", "description": "漏水", "unit": world.unit_b.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "unit" in response.json()["extra"]["fields"]
    survey = reverse("api:assessment-round-survey", args=[world.a.slug, rnd.pk])
    response = client_for(world.resident).post(
        survey, {"unit": world.unit_a.pk, "rating": 0}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "rating" in response.json()["extra"]["fields"]
    assert client_for(world.resident).post(
        survey, {"unit": world.unit_a.pk, "rating": 5}, content_type="application/json"
    ).json() == {"unit": world.unit_a.pk, "rating": 5}


def test_the_openapi_schema_has_the_new_endpoints(world):
    schema = client_for(world.resident).get(reverse("api-schema"), {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/compounds/{slug}/assessments/rounds/{id}/scores/" in paths
    assert "/api/v1/compounds/{slug}/repairs/{id}/{action}/" in paths


def test_services_keep_working_after_a_page_error(world):
    # A refused close (already closed) shows a message and changes nothing.
    rnd = open_round(world)
    services.round_close(round=rnd, actor=world.official)
    response = client_for(world.official).post(
        reverse("assessments:round-close", args=[world.a.slug, rnd.pk]), follow=True
    )
    assert "This round is already closed." in response.content.decode()


def test_the_street_admin_edits_the_template_in_the_browser(world):
    from assessments.models import AssessmentTemplate, WeightPolicy

    url = reverse("assessments:template-edit")
    assert client_for(world.official).get(url).status_code == 404
    assert client_for(world.resident).get(url).status_code == 404
    c = client_for(world.street_admin)
    page = c.get(url).content.decode()
    assert "综合管理 | 服务事项与收费标准公示 | 5 | 8 |" in page  # the default, before any version
    lines = "综合 | A | 60 |  | 说明\n综合 | B | 30 |  | 说明"
    refused = c.post(url, {"what": "template", "title": "t", "lines": lines, "reason": ""})
    assert refused.status_code == 400
    assert "they must add up to 100" in refused.content.decode()
    assert not AssessmentTemplate.objects.filter(street_office=world.office).exists()
    lines = "综合 | A | 60 | 8 | 说明\n环境 | B | 40 |  | 说明"
    assert c.post(url, {"what": "template", "title": "t", "lines": lines, "reason": ""}).status_code == 302
    template = AssessmentTemplate.objects.get(street_office=world.office)
    assert [(i.section.title, i.max_points, i.duty_number) for i in template.items.order_by("number")] == [
        ("综合", 60, 8),
        ("环境", 40, None),
    ]
    weights = {"what": "weights", "community": 25, "committee": 25, "survey": 40, "objective": 10}
    assert c.post(url, {**weights, "reason": ""}).status_code == 400
    assert c.post(url, {**weights, "reason": "业主大会决定"}).status_code == 302
    assert WeightPolicy.objects.get(street_office=world.office).survey == 40


def test_duty_checks_are_recorded_by_officials_and_the_committee(world):
    from assessments.models import DutyCheck
    from communities.selectors import current_duty_list

    url = reverse("assessments:duty-checks", args=[world.a.slug])
    assert client_for(world.resident).get(url).status_code == 403
    assert client_for(world.staff).get(url).status_code == 403
    assert client_for(world.stranger).get(url).status_code == 404
    duty = current_duty_list(world.a).duties.get(number=10)
    c = client_for(world.committee)
    assert c.post(url, {"duty": duty.pk, "checked_on": "2999-01-01", "ok": "yes"}).status_code == 400
    assert c.post(url, {"duty": duty.pk, "checked_on": "bad", "ok": "yes"}).status_code == 400
    assert (
        c.post(
            url, {"duty": duty.pk, "checked_on": "2026-11-30", "ok": "yes", "note": "抽查合格"}
        ).status_code
        == 302
    )
    assert DutyCheck.objects.get().duty == duty


def test_the_public_page_costs_the_same_queries_for_one_round_or_many(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.stepup import SecondFactor
    from tests.assessments.helpers import sheet

    small_template(world)
    url = reverse("assessments:public", args=[world.a.slug])

    def publish(quarter):
        rnd = services.round_open(compound=world.a, year=2026, quarter=quarter, actor=world.official)
        for user in (world.official, world.inspector, world.committee, world.committee2, world.chair):
            services.score_submit(round=rnd, actor=user, scores=sheet(rnd, 30, 30, 20))
        for user in (world.chair, world.official):
            services.round_signoff(round=rnd, actor=user, second_factor=SecondFactor("totp", timezone.now()))

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert Client().get(url).status_code == 200
        return len(ctx.captured_queries)

    publish(1)
    one = queries()
    publish(2)
    publish(3)
    assert queries() == one
    assert one <= 8
