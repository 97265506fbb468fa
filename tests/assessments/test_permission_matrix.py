"""Every new page and API endpoint, every persona: the exact answer (200/302, a redirect
to log in, 403 for a member of the compound whose roles may not use the page, 404 for a
compound the user may not see), and tenant isolation:
compound A's people never reach compound B's rounds or requests, not even by id."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.stepup import SecondFactor
from assessments import repairs, services
from assessments.models import RoundStatus
from tests.assessments.helpers import open_round, sheet, small_template

pytestmark = pytest.mark.django_db

OK, LOGIN, NF, REDIRECT, FORBIDDEN, CREATED = 200, "login", 404, 302, 403, 201
P = [
    "anonymous",
    "stranger",
    "outsider",
    "resident",
    "company_staff",
    "committee_member",
    "community_official",
    "street_admin",
]


def row(*answers):
    return dict(zip(P, answers, strict=True))


MEMBERS = row(LOGIN, NF, NF, OK, OK, OK, OK, OK)
PUBLIC = row(OK, OK, OK, OK, OK, OK, OK, OK)


def client_for(user):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def check(world, method, url, expected, data=None):
    failures = []
    for persona, user in world.personas().items():
        response = getattr(client_for(user), method)(url, data or {})
        want = expected[persona]
        if want == LOGIN:
            ok = response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
        else:
            ok = response.status_code == want
        if not ok:
            failures.append(f"{persona}: expected {want}, got {response.status_code}")
    return failures


@pytest.fixture
def scene(world):
    small_template(world)
    rnd = open_round(world)
    req = repairs.repair_report(
        compound=world.a, actor=world.resident, category="plumbing", description="厨房漏水", unit=world.unit_a
    )
    return world, rnd, req


def u(name, w, *args):
    return reverse(f"assessments:{name}", args=[w.a.slug, *args])


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("public", [], PUBLIC),
        ("repair-public", [], PUBLIC),
        ("round-list", [], MEMBERS),
        ("round-detail", ["rnd"], MEMBERS),
        ("round-score", ["rnd"], row(LOGIN, NF, NF, FORBIDDEN, FORBIDDEN, OK, OK, FORBIDDEN)),
        ("round-survey", ["rnd"], row(LOGIN, NF, NF, OK, NF, NF, NF, NF)),
        ("repair-list", [], MEMBERS),
        ("repair-new", [], row(LOGIN, NF, NF, OK, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN)),
        ("repair-detail", ["req"], MEMBERS),
        ("duty-checks", [], row(LOGIN, NF, NF, FORBIDDEN, FORBIDDEN, OK, OK, FORBIDDEN)),
    ],
)
def test_pages_answer_each_persona(scene, name, args, expected):
    world, rnd, req = scene
    objs = {"rnd": rnd.pk, "req": req.pk}
    assert check(world, "get", u(name, world, *[objs[a] for a in args]), expected) == []


def test_only_street_admins_edit_the_template(world):
    url = reverse("assessments:template-edit")
    assert check(world, "get", url, row(LOGIN, NF, NF, NF, NF, NF, NF, OK)) == []


def test_staff_actions_on_a_request(scene):
    world, _rnd, req = scene
    # Only the compound's property staff accept; a member of the compound is told the page
    # is not for their role (403), anyone else gets "not found".
    assert (
        check(
            world,
            "post",
            u("repair-action", world, req.pk, "accept"),
            row(LOGIN, NF, NF, FORBIDDEN, REDIRECT, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        )
        == []
    )
    req.refresh_from_db()
    assert req.status == "accepted"


def test_only_officials_open_and_close_rounds(scene):
    world, rnd, _req = scene
    expected = row(LOGIN, NF, NF, FORBIDDEN, FORBIDDEN, FORBIDDEN, REDIRECT, REDIRECT)
    assert check(world, "post", u("round-close", world, rnd.pk), expected) == []
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.CLOSED
    # Opening: the two officials both reach the service (the second is refused as a duplicate).
    response = client_for(world.committee).post(u("round-open", world), {"year": 2026, "quarter": 2})
    assert response.status_code == FORBIDDEN
    response = client_for(world.official).post(u("round-open", world), {"year": 2026, "quarter": 2})
    assert response.status_code == REDIRECT
    response = client_for(world.street_admin).post(u("round-open", world), {"year": 2026, "quarter": 2})
    assert response.status_code == 400
    assert b"This quarter already has a round." in response.content


def test_sign_and_object_pages_need_their_role(scene):
    world, rnd, _req = scene
    services.round_close(round=rnd, actor=world.official)
    assert client_for(world.committee).post(u("round-sign", world, rnd.pk)).status_code == FORBIDDEN
    assert (
        client_for(world.resident).post(u("round-object", world, rnd.pk), {"reason": "x"}).status_code
        == FORBIDDEN
    )
    assert (
        client_for(world.staff).post(u("round-object", world, rnd.pk), {"reason": "x"}).status_code
        == FORBIDDEN
    )
    assert client_for(world.stranger).post(u("round-sign", world, rnd.pk)).status_code == NF
    # The chair without a fresh second factor is sent to set one up / confirm it.
    response = client_for(world.chair).post(u("round-sign", world, rnd.pk))
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


def test_the_pdf_report_is_public_only_once_published(scene):
    world, rnd, _req = scene
    for user in (world.official, world.inspector, world.committee, world.committee2, world.chair):
        services.score_submit(round=rnd, actor=user, scores=sheet(rnd, 36, 30, 20))
    assert client_for(None).get(u("round-pdf", world, rnd.pk)).status_code == NF
    proof = SecondFactor(method="totp", at=timezone.now())
    services.round_signoff(round=rnd, actor=world.chair, second_factor=proof)
    services.round_signoff(round=rnd, actor=world.official, second_factor=proof)
    response = client_for(None).get(u("round-pdf", world, rnd.pk))
    assert response.status_code == OK
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    rnd.refresh_from_db()
    page = client_for(None).get(u("public", world)).content.decode()
    assert "Latest score" in page and str(rnd.total) in page
    assert world.chair.display_name not in page


def test_tenant_isolation_by_id(scene):
    """Compound B's round and request, asked for through compound A's address (and
    through B's by A's people), are not found."""
    world, _rnd, _req = scene
    b_round = services.round_open(compound=world.b, year=2026, quarter=3, actor=world.street_admin)
    b_req = repairs.repair_report(
        compound=world.b, actor=world.outsider, category="lift", description="电梯异响", unit=world.unit_b
    )
    for user in (world.official, world.committee, world.staff, world.resident):
        c = client_for(user)
        assert c.get(u("round-detail", world, b_round.pk)).status_code == NF
        assert c.get(u("repair-detail", world, b_req.pk)).status_code == NF
        assert c.get(reverse("assessments:round-detail", args=[world.b.slug, b_round.pk])).status_code == NF
        assert (
            c.get(reverse("api:assessment-round-detail", args=[world.a.slug, b_round.pk])).status_code == NF
        )
        assert c.get(reverse("api:repair-detail", args=[world.a.slug, b_req.pk])).status_code == NF
    # The staff of A may not accept B's request even through A's address.
    assert client_for(world.staff).post(u("repair-action", world, b_req.pk, "accept")).status_code == NF


def test_an_owner_sees_the_common_area_and_their_own_requests_only(scene):
    world, _rnd, req = scene
    from tests.assessments.helpers import owners

    ((_unit, neighbour),) = owners(world, 1)
    assert client_for(neighbour).get(u("repair-detail", world, req.pk)).status_code == NF
    common = repairs.repair_report(
        compound=world.a,
        actor=world.resident,
        category="lift",
        description="电梯按钮坏了",
        location="1栋电梯厅",
    )
    assert client_for(neighbour).get(u("repair-detail", world, common.pk)).status_code == OK


API_MEMBERS = row(FORBIDDEN, NF, NF, OK, OK, OK, OK, OK)


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("assessment-round-list", [], API_MEMBERS),
        ("assessment-round-detail", ["rnd"], API_MEMBERS),
        ("assessment-public", [], PUBLIC),
        ("repair-list", [], API_MEMBERS),
        ("repair-stats", [], PUBLIC),
        ("repair-detail", ["req"], API_MEMBERS),
    ],
)
def test_api_reads_answer_each_persona(scene, name, args, expected):
    world, rnd, req = scene
    objs = {"rnd": rnd.pk, "req": req.pk}
    url = reverse(f"api:{name}", args=[world.a.slug, *[objs[a] for a in args]])
    assert check(world, "get", url, expected) == []


def test_api_writes_answer_each_persona(scene):
    world, rnd, req = scene
    url = reverse("api:assessment-round-close", args=[world.a.slug, rnd.pk])
    # Everyone but the officials: 404 (or 403 unauthenticated); the first official closes, the second gets 409.
    assert check(world, "post", url, row(FORBIDDEN, NF, NF, NF, NF, NF, CREATED - 1, 409)) == []
    url = reverse("api:repair-action", args=[world.a.slug, req.pk, "accept"])
    assert check(world, "post", url, row(FORBIDDEN, NF, NF, NF, OK, NF, NF, NF)) == []
