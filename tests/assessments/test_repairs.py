"""Repair requests through the services: the workflow, who may do what, bad input, and
the time limits with a frozen clock (reminder and escalation exactly once)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Notification
from assessments import repairs, selectors
from assessments.models import EvidencePhoto, RepairRequest, RepairStatus
from common.errors import ApplicationError, PermissionDeniedError

pytestmark = pytest.mark.django_db

# After the test world's memberships start (today): a frozen clock before them would
# make everybody a stranger.
T0 = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@contextmanager
def clock(at):
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def report(world, **kw):
    args = {
        "compound": world.a,
        "actor": world.resident,
        "category": "plumbing",
        "description": "卫生间天花板漏水",
        "unit": world.unit_a,
        "urgency": "urgent",
    }
    args.update(kw)
    return repairs.repair_report(**args)


def test_the_leak_story(world):
    with clock(T0):
        req = report(world, photos=[SimpleUploadedFile("leak.png", PNG)])
    assert req.due_at == T0 + dt.timedelta(hours=24)
    assert EvidencePhoto.objects.filter(repair=req).count() == 1
    assert Notification.objects.filter(user=world.staff, kind="repair.new").exists()
    with clock(T0 + dt.timedelta(hours=2)):
        repairs.repair_accept(request=req, actor=world.staff)
        repairs.repair_start(request=req, actor=world.staff)
    with clock(T0 + dt.timedelta(hours=6)):
        repairs.repair_done(request=req, actor=world.staff, note="更换楼上防水层")
    assert Notification.objects.filter(user=world.resident, kind="repair.done").exists()
    repairs.repair_confirm(request=req, actor=world.resident, rating=5, comment="及时")
    req.refresh_from_db()
    assert (req.status, req.rating) == (RepairStatus.CONFIRMED, 5)
    with clock(T0 + dt.timedelta(days=1)):
        stats = selectors.repair_stats(world.a)
    assert (stats.total, stats.fixed, stats.open) == (1, 1, 0)
    assert stats.median_hours == Decimal("6.00")
    assert stats.mean_rating == Decimal("5.00")
    assert stats.on_time_rate == Decimal("100.00")
    assert stats.recent[0]["place"] == "1栋1单元***"


def test_reminder_and_escalation_exactly_once_with_a_frozen_clock(world):
    with clock(T0):
        req = report(world)  # urgent: due T0 + 24 h; reminder with 6 h left
    assert repairs.repairs_remind(T0 + dt.timedelta(hours=17)) == {"reminded": 0, "escalated": 0}
    assert repairs.repairs_remind(T0 + dt.timedelta(hours=18)) == {"reminded": 1, "escalated": 0}
    assert repairs.repairs_remind(T0 + dt.timedelta(hours=19)) == {"reminded": 0, "escalated": 0}
    assert repairs.repairs_remind(T0 + dt.timedelta(hours=24)) == {"reminded": 0, "escalated": 0}
    assert repairs.repairs_remind(T0 + dt.timedelta(hours=24, seconds=1)) == {"reminded": 0, "escalated": 1}
    assert repairs.repairs_remind(T0 + dt.timedelta(hours=48)) == {"reminded": 0, "escalated": 0}
    assert Notification.objects.filter(kind="repair.reminder", user=world.staff).count() == 1
    escalated_to = set(
        Notification.objects.filter(kind="repair.escalation").values_list("user_id", flat=True)
    )
    assert escalated_to == {world.official.pk, world.secretary.pk}
    req.refresh_from_db()
    assert req.reminded_at == T0 + dt.timedelta(hours=18)


def test_a_request_fixed_in_time_is_never_escalated(world):
    with clock(T0):
        req = report(world, urgency="normal")
    with clock(T0 + dt.timedelta(hours=10)):
        repairs.repair_done(request=req, actor=world.staff, note="已修")
    assert repairs.repairs_remind(T0 + dt.timedelta(hours=100)) == {"reminded": 0, "escalated": 0}


def test_reopen_gives_a_new_time_limit_and_new_reminders(world):
    with clock(T0):
        req = report(world)
    repairs.repairs_remind(T0 + dt.timedelta(hours=25))
    with clock(T0 + dt.timedelta(hours=26)):
        repairs.repair_done(request=req, actor=world.staff, note="已修")
    t1 = T0 + dt.timedelta(hours=30)
    with clock(t1):
        repairs.repair_reopen(request=req, actor=world.resident, reason="还在漏")
    req.refresh_from_db()
    assert (req.status, req.due_at, req.escalated_at) == (
        RepairStatus.REPORTED,
        t1 + dt.timedelta(hours=24),
        None,
    )
    assert repairs.repairs_remind(t1 + dt.timedelta(hours=25)) == {"reminded": 0, "escalated": 1}


def test_rating_a_request_not_done_is_refused(world):
    req = report(world)
    with pytest.raises(ValidationError) as exc:
        repairs.repair_confirm(request=req, actor=world.resident, rating=5)
    assert "rating" in exc.value.message_dict
    repairs.repair_done(request=req, actor=world.staff, note="已修")
    with pytest.raises(ValidationError) as exc:
        repairs.repair_confirm(request=req, actor=world.resident, rating=6)
    assert "rating" in exc.value.message_dict
    req.refresh_from_db()
    assert req.rating is None


def test_only_staff_handle_and_only_the_reporter_confirms(world):
    req = report(world)
    for who in (world.resident, world.committee, world.official):
        with pytest.raises(PermissionDeniedError):
            repairs.repair_accept(request=req, actor=who)
    repairs.repair_done(request=req, actor=world.staff, note="已修")
    with pytest.raises(PermissionDeniedError):
        repairs.repair_confirm(request=req, actor=world.staff, rating=1)
    with pytest.raises(PermissionDeniedError):
        repairs.repair_confirm(request=req, actor=world.outsider, rating=1)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"category": "nope"}, "category"),
        ({"urgency": "later"}, "urgency"),
        ({"description": " "}, "description"),
        ({"unit": None, "location": ""}, "location"),
        ({"from_patrol": True}, "from_patrol"),
    ],
)
def test_bad_reports_name_the_field(world, kw, field):
    with pytest.raises(ValidationError) as exc:
        report(world, **kw)
    assert field in exc.value.message_dict
    assert not RepairRequest.objects.exists()


def test_an_owner_reports_only_for_their_own_unit(world):
    from communities.models import Unit

    other = Unit.objects.get(compound=world.a, number="102")
    with pytest.raises(ValidationError) as exc:
        report(world, unit=other)
    assert "unit" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        report(world, unit=world.unit_b)
    assert "unit" in exc.value.message_dict


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_written(world):
    with pytest.raises(ApplicationError) as exc:
        report(world, photos=[SimpleUploadedFile("leak.png", b"%PDF-1.4 not an image")])
    assert "photos" in exc.value.extra["fields"]
    assert not RepairRequest.objects.exists()


def test_stewards_record_patrol_findings_for_their_buildings(world):
    req = repairs.repair_report(
        compound=world.a,
        actor=world.steward,
        category="safety",
        description="消防通道被占用",
        building=world.building_a,
        location="消防通道",
        from_patrol=True,
    )
    assert req.from_patrol and req.unit is None
    repairs.repair_done(request=req, actor=world.staff, note="已清理")
    repairs.repair_confirm(request=req, actor=world.steward, rating=4)


def test_objective_components_of_a_period(world):
    with clock(T0):
        a = report(world)
        b = report(world, urgency="normal")
    with clock(T0 + dt.timedelta(hours=5)):
        repairs.repair_done(request=a, actor=world.staff, note="ok")
    with clock(T0 + dt.timedelta(hours=80)):
        repairs.repair_done(request=b, actor=world.staff, note="late")
    repairs.repair_confirm(request=a, actor=world.resident, rating=5)
    repairs.repair_confirm(request=b, actor=world.resident, rating=2)
    comps = dict(
        (c.key, (c, text))
        for c, text in selectors.objective_components(world.a, dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    )
    assert comps["repairs_on_time"][0].score == 50
    assert comps["repair_rating"][0].score == 70  # mean 3.5 × 20
    assert "1" in comps["repairs_on_time"][1] and "2" in comps["repairs_on_time"][1]
    assert comps["duties_checked"][0].score == 0
    assert "disclosure_on_time" not in comps  # no escrow account in this world
    assert timezone.now()  # the clock is real again


def test_disclosure_on_time_is_judged_only_once_its_15_days_have_passed(world):
    from escrow.ledger.services import escrow_account_open

    escrow_account_open(
        compound=world.a,
        bank_name="湖北银行",
        account_name="共管账户",
        account_number="6222020000000001",
        opened_on=dt.date(2026, 1, 1),
        actor=None,
    )
    start, end = dt.date(2026, 7, 1), dt.date(2026, 9, 30)
    tz = timezone.get_current_timezone()
    within = dt.datetime(2026, 10, 15, 23, 0, tzinfo=tz)
    after = dt.datetime(2026, 10, 16, 0, 0, tzinfo=tz)
    assert selectors.disclosure_on_time(world.a, start, end, now=within) is None
    assert selectors.disclosure_on_time(world.a, start, end, now=after) is False
