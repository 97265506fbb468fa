"""The street office's API (templates, weights), duty checks, photos and the beat tasks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments import repairs, services, tasks
from assessments.models import AssessmentRound, AssessmentTemplate, DutyCheck, WeightPolicy
from tests.assessments.helpers import SMALL_TEMPLATE, open_round, sheet, small_template

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_template_and_weights_by_api(world):
    url = reverse("api:assessment-template-publish")
    body = {"street_office": world.office.pk, "title": "细则", "sections": SMALL_TEMPLATE}
    assert client_for(world.official).post(url, body, content_type="application/json").status_code == 404
    response = client_for(world.street_admin).post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json() == {"street_office": world.office.pk, "version": 1}
    body["sections"] = [{"title": "综合", "items": [{"title": "A", "max_points": 99}]}]
    body["reason"] = "调整"
    refused = client_for(world.street_admin).post(url, body, content_type="application/json")
    assert refused.status_code == 400
    assert "sections" in refused.json()["extra"]["fields"]
    assert AssessmentTemplate.objects.filter(street_office=world.office).count() == 1
    weights = {
        "street_office": world.office.pk,
        "community": 40,
        "committee": 20,
        "survey": 30,
        "objective": 10,
    }
    url = reverse("api:assessment-weights-publish")
    refused = client_for(world.street_admin).post(
        url, {**weights, "reason": ""}, content_type="application/json"
    )
    assert "reason" in refused.json()["extra"]["fields"]
    ok = client_for(world.street_admin).post(
        url, {**weights, "reason": "街道决定"}, content_type="application/json"
    )
    assert ok.status_code == 201
    assert WeightPolicy.objects.get(street_office=world.office).community == 40


def test_duty_checks_by_api(world):
    url = reverse("api:assessment-duty-checks", args=[world.a.slug])
    assert client_for(world.staff).post(url, {}, content_type="application/json").status_code == 404
    c = client_for(world.official)
    refused = c.post(url, {"duty": 99, "checked_on": "2026-11-01"}, content_type="application/json")
    assert refused.status_code == 400 and "duty" in refused.json()["extra"]["fields"]
    ok = c.post(
        url, {"duty": 10, "checked_on": "2026-11-01", "note": "抽查"}, content_type="application/json"
    )
    assert ok.status_code == 201
    assert DutyCheck.objects.get().duty.number == 10
    assert c.get(url).json()[0]["duty"] == 10


def test_repair_photos_are_served_only_to_those_who_see_the_request(world):
    req = repairs.repair_report(
        compound=world.a,
        actor=world.resident,
        category="plumbing",
        description="漏水",
        unit=world.unit_a,
        photos=[SimpleUploadedFile("leak.png", PNG)],
    )
    photo = req.photos.get()
    url = reverse("assessments:repair-photo", args=[world.a.slug, req.pk, photo.pk])
    response = client_for(world.resident).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.staff).get(url).status_code == 200


def test_low_scores_and_their_photos_are_shown_to_members_after_closing(world):
    small_template(world)
    rnd = open_round(world)
    services.score_submit(
        round=rnd,
        actor=world.official,
        scores=sheet(rnd, 10, 35, 25, comments={1: "公示栏缺失"}),
        photos={
            sheet(rnd, 1, 1, 1).__iter__().__next__(): [
                SimpleUploadedFile("board.jpg", b"\xff\xd8\xff" + b"0" * 40)
            ]
        },
    )
    detail = reverse("assessments:round-detail", args=[world.a.slug, rnd.pk])
    assert "公示栏缺失" not in client_for(world.resident).get(detail).content.decode()
    services.round_close(round=rnd, actor=world.official)
    page = client_for(world.resident).get(detail).content.decode()
    assert "公示栏缺失" in page and "board.jpg" in page


def test_the_beat_tasks_run_the_services(world):
    assert tasks.repairs_remind_task() == {"reminded": 0, "escalated": 0}
    opened = tasks.rounds_open_due_task()
    assert AssessmentRound.objects.filter(pk__in=opened).count() == len(opened) == 2
    AssessmentRound.objects.filter(pk__in=opened).update(deadline=timezone.now() - dt.timedelta(minutes=1))
    assert sorted(tasks.rounds_close_due_task()) == sorted(opened)


def test_a_request_with_a_photo_by_api_and_the_overdue_filter(world):
    url = reverse("api:repair-list", args=[world.a.slug])
    response = client_for(world.resident).post(
        url,
        {
            "category": "plumbing",
            "urgency": "urgent",
            "description": "漏水",
            "unit": world.unit_a.pk,
            "photos": [SimpleUploadedFile("leak.png", PNG)],
        },
    )
    assert response.status_code == 201, response.content
    req = repairs.RepairRequest.objects.get(pk=response.json()["id"])
    assert req.photos.count() == 1
    page = reverse("assessments:repair-list", args=[world.a.slug])
    assert f"#{req.pk} ".encode() not in client_for(world.official).get(page, {"status": "overdue"}).content
    repairs.RepairRequest.objects.filter(pk=req.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    assert f"#{req.pk} ".encode() in client_for(world.official).get(page, {"status": "overdue"}).content
