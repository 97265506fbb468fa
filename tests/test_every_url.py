"""Every named URL of the URLconf against every persona, as the registry in
tests/url_matrix/ says. A URL with no row fails the test: a new view cannot ship without
saying who may reach it. Third-party URL sets (the admin, allauth, i18n, the OpenAPI
schema) are outside the matrix and listed in ``OUTSIDE``."""

from __future__ import annotations

import datetime as dt
import html
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.stepup import SecondFactor
from assessments import repairs
from assessments import services as assessments
from assessments.models import EvidencePhoto, RoundStatus
from communities.permissions import role_labels, standing_in
from escrow.models import BankStatementMapping, DisclosureFile
from meetings import services as meetings
from meetings import votes
from meetings.models import Ballot, MeetingStatus, TopicPhoto
from tests.assessments.helpers import open_round, sheet, small_template
from tests.escrow.fees.helpers import make_mapping
from tests.escrow.payouts.helpers import file_payout, prepare, walk
from tests.escrow.transparency.helpers import build, fill_quarter, last_quarter, publish
from tests.meetings.helpers import decided_topic
from tests.pages.helpers import client_for
from tests.url_matrix import PERSONAS, rows

# URL sets that are not the project's views, by namespace or by the view's module.
OUTSIDE_NAMESPACES = {"admin"}
OUTSIDE_MODULES = ("allauth.", "django.", "drf_spectacular.")
MISSING = 2**31 - 7  # an id no row has: only the gate in front of the lookup answers
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff" + b"0" * 40


def _named_patterns(resolver=None, namespace: str = ""):
    """(name with its namespaces, view module) of every named pattern, depth first."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace in OUTSIDE_NAMESPACES:
                continue
            yield from _named_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            module = getattr(pattern.callback, "__module__", "")
            if not module.startswith(OUTSIDE_MODULES):
                yield f"{namespace}{pattern.name}", module


def test_every_view_has_a_row_in_the_matrix():
    listed = set(rows())
    missing = sorted(f"{name} ({module})" for name, module in _named_patterns() if name not in listed)
    assert missing == [], "views without a row in tests/url_matrix/: " + ", ".join(missing)


def test_every_row_names_a_url():
    named = {name for name, _module in _named_patterns()}
    assert sorted(set(rows()) - named) == []


@pytest.fixture
def things(world, settings, tmp_path, postgres_only, django_capture_on_commit_callbacks):
    """Compound A with one of everything a URL can name: a paid payout with its invoice,
    a published disclosure, a statement mapping, a notification of the staff member, and
    the assessment and meeting objects below (all built through the apps' services)."""
    prepare(world, settings, tmp_path)
    payout = walk(world, file_payout(world), to="paid")
    quarter = last_quarter()
    fill_quarter(world.a, quarter)
    disclosure = publish(
        django_capture_on_commit_callbacks,
        build(django_capture_on_commit_callbacks, world.a, quarter, world.official),
        world.official,
    )
    stored = DisclosureFile.objects.get(disclosure=disclosure, format="csv")
    mapping = make_mapping(world.a)
    assert BankStatementMapping.objects.filter(pk=mapping.pk).exists()
    notification = Notification.objects.filter(user=world.staff).order_by("pk").first()
    assert notification is not None
    return {
        **_assessment_things(world),
        **_meeting_things(world),
        "world": world,
        "payout": payout,
        "attachment": payout.attachments.first(),
        "disclosure": disclosure,
        "file": stored,
        "mapping": mapping,
        "notification": notification,
    }


def _assessment_things(world) -> dict:
    """A published assessment round (every scorer scored, a low score with a photo, signed
    off by the chair and an official) and a repair request with a photo, filed by the
    resident for their unit."""
    small_template(world)
    rnd = open_round(world)
    first_item = next(iter(sheet(rnd, 1, 1, 1)))
    assessments.score_submit(
        round=rnd,
        actor=world.official,
        scores=sheet(rnd, 10, 35, 25, comments={1: "公示栏缺失"}),
        photos={first_item: [SimpleUploadedFile("board.jpg", JPEG)]},
    )
    for user in (world.inspector, world.committee, world.committee2, world.chair):
        assessments.score_submit(round=rnd, actor=user, scores=sheet(rnd, 36, 30, 20))
    proof = SecondFactor(method="totp", at=timezone.now())
    assessments.round_signoff(round=rnd, actor=world.chair, second_factor=proof)
    assessments.round_signoff(round=rnd, actor=world.official, second_factor=proof)
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PUBLISHED
    score_photo = EvidencePhoto.objects.get(compound=world.a, score__round=rnd)
    repair = repairs.repair_report(
        compound=world.a,
        actor=world.resident,
        category="plumbing",
        description="厨房漏水",
        unit=world.unit_a,
        photos=[SimpleUploadedFile("leak.png", PNG)],
    )
    return {"round": rnd, "score_photo": score_photo, "repair": repair, "repair_photo": repair.photos.get()}


def _meeting_things(world) -> dict:
    """A topic with a photo; a joint meeting that decided another topic (an agenda item, a
    resolution with an action item), closed and published; an open owners' vote with a
    paper ballot waiting for its second person, and a vote already counted."""
    with_photo = meetings.topic_raise(
        compound=world.a,
        actor=world.resident,
        title="路灯不亮",
        body="5栋门口的路灯坏了。",
        photos=[SimpleUploadedFile("lamp.png", PNG)],
    )
    topic, meeting, resolution, item = decided_topic(world)
    meetings.meeting_close(meeting=meeting, actor=world.secretary)
    for user in (world.official, world.committee, world.staff):
        meetings.minutes_confirm(meeting=meeting, actor=user)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PUBLISHED
    vote = votes.vote_open(
        compound=world.a,
        actor=world.chair,
        title="续聘物业",
        matter=4,
        closes_at=timezone.now() + dt.timedelta(days=3),
    )
    ballot = votes.ballot_enter_paper(
        vote=vote, unit=world.unit_a, choice="agree", owner=world.resident, actor=world.committee
    )
    counted = votes.vote_open(
        compound=world.a,
        actor=world.chair,
        title="使用维修资金",
        matter=6,
        closes_at=timezone.now() + dt.timedelta(seconds=1),
    )
    votes.ballot_cast(vote=counted, unit=world.unit_a, choice="agree", actor=world.resident)
    time.sleep(max(0.0, (counted.closes_at - timezone.now()).total_seconds()) + 0.05)
    votes.vote_close(vote=counted, actor=world.chair)
    return {
        "topic": topic,
        "topic_photo": TopicPhoto.objects.get(topic=with_photo),
        "meeting": meeting,
        "agenda_item": meeting.agenda.get(topic=topic),
        "resolution": resolution,
        "action_item": item,
        "vote": vote,
        "ballot": Ballot.objects.get(pk=ballot.pk),
        "counted_vote": counted,
    }


def _kwargs(objects: str, t: dict) -> dict:
    world, payout, disclosure = t["world"], t["payout"], t["disclosure"]
    slug = {"slug": world.a.slug}
    quarter = {"year": disclosure.year, "quarter": disclosure.quarter, "version": disclosure.version}
    return {
        "none": {},
        "compound": slug,
        "payout": {**slug, "pk": payout.pk},
        "attachment": {**slug, "pk": payout.pk, "attachment_pk": t["attachment"].pk},
        "disclosure": {**slug, **quarter},
        "disclosure_file": {
            **slug,
            **quarter,
            "name": f"disclosure-{world.a.slug}-{disclosure.year}Q{disclosure.quarter}-v{disclosure.version}",
            "fmt": "csv",
        },
        "mapping": {**slug, "mapping_id": t["mapping"].pk},
        "payment": {**slug, "payment_id": MISSING},
        "bank_line": {**slug, "line_id": MISSING},
        "unit": {**slug, "unit_id": world.unit_a.pk},
        "building": {**slug, "building_id": world.building_a.pk},
        "membership": {**slug, "membership_id": world.a.memberships.order_by("pk").first().pk},
        "duty_version": {**slug, "version": 1},
        "notification": {"pk": t["notification"].pk},
        "provider": {"provider": "wechatpay"},
        "role_grant": {**slug, "grant_id": MISSING},
        # assessments
        "round": {**slug, "pk": t["round"].pk},
        "score_photo": {**slug, "pk": t["round"].pk, "photo_pk": t["score_photo"].pk},
        "repair": {**slug, "pk": t["repair"].pk},
        "repair_photo": {**slug, "pk": t["repair"].pk, "photo_pk": t["repair_photo"].pk},
        "repair_action": {**slug, "pk": t["repair"].pk, "action": "accept"},
        # meetings
        "topic": {**slug, "pk": t["topic"].pk},
        "topic_photo": {**slug, "pk": t["topic_photo"].pk},
        "meeting": {**slug, "pk": t["meeting"].pk},
        "meeting_step": {**slug, "pk": t["meeting"].pk, "step": "close"},
        "agenda_item": {**slug, "pk": t["meeting"].pk, "item": t["agenda_item"].pk},
        "resolution": {**slug, "pk": t["resolution"].pk},
        "action": {**slug, "pk": t["action_item"].pk},
        "action_step": {**slug, "pk": t["action_item"].pk, "step": "claim"},
        "resolution_action": {**slug, "pk": t["resolution"].pk, "item": t["action_item"].pk},
        "vote": {**slug, "pk": t["vote"].pk},
        "vote_ballot": {**slug, "pk": t["vote"].pk, "kind": "paper"},
        "paper_ballot": {**slug, "pk": t["vote"].pk, "ballot": t["ballot"].pk},
        "counted_vote": {**slug, "pk": t["counted_vote"].pk},
        "settlement": {**slug, "year": 2025},
        "settlement_file": {**slug, "year": 2025, "fmt": "json"},
        "street": {"slug": street_slug(world)},
        "street_export": {"slug": street_slug(world), "fmt": "csv"},
        "street_flag": {"slug": street_slug(world), "pk": MISSING},
        "budget": {**slug, "pk": MISSING},
        "year": {**slug, "year": 2026},
    }[objects]


def street_slug(world) -> str:
    from tests.street.helpers import dashboard_for

    return dashboard_for(world).slug


# Cells where a view disagrees with the rule of issue 16 (a member of the compound whose
# roles may not use a page gets a 403 naming who may; no standing, or no compound, 404).
# The matrix keeps the answer the rule asks for; here is what the view answers today and
# why that is a bug. The test fails if such a cell answers anything else (when the view is
# fixed: remove its lines here) and is marked xfail, listing them, while any remain.
# Owners-only pages (the owners' survey, "where my fee went") answer 404 to a member who
# owns no unit there: ownership is not a role anyone can be given, so there is no one to
# ask and nothing to name; they are listed as 404 in the matrix on purpose.
KNOWN_BUGS: dict[tuple[str, str], tuple[object, str]] = {}


def test_known_bugs_name_rows_of_the_matrix():
    listed = rows()
    for (name, persona), (today, _reason) in KNOWN_BUGS.items():
        assert name in listed and persona in PERSONAS, (name, persona)
        assert listed[name][1][persona] != today, f"{name} {persona}: the matrix must keep the rule's answer"


def _answer(response) -> object:
    if response.status_code == 302 and response["Location"].startswith(reverse("account_login")):
        return "L"
    return response.status_code


_ROLES_NEEDED = re.compile(r'<ul class="roles-needed">(.*?)</ul>', re.S)
_BADGE = re.compile(r'<span class="badge">([^<]+)</span>')


def _error_page_problem(response, url: str, held: set[str]) -> str | None:
    """A page's 403 names the roles that may use it, none of them the person's own; a 404
    names none (a compound you may not see looks exactly like a missing one)."""
    if url.startswith("/api/") or response.status_code not in (403, 404):
        return None
    found = _ROLES_NEEDED.search(response.content.decode())
    if response.status_code == 404:
        return "the 404 page lists roles" if found else None
    needed = {html.unescape(b) for b in _BADGE.findall(found.group(1))} if found else set()
    if not needed:
        return "the 403 page names no role that may use the page"
    if needed & held:
        return f"the 403 page names {sorted(needed & held)}, roles the person holds"
    return None


def test_each_persona_gets_what_the_matrix_says(things):
    """One world for the whole matrix (it is built through every workflow once)."""
    world = things["world"]
    clients = {persona: client_for(user) for persona, user in world.personas().items()}
    assert list(clients) == PERSONAS
    held = {
        p: set(role_labels(standing_in(u, world.a).roles)) if u else set()
        for p, u in world.personas().items()
    }
    failures, known = [], []
    for name, (objects, expected) in sorted(rows().items()):
        url = reverse(name, kwargs=_kwargs(objects, things))
        for persona in PERSONAS:
            response = clients[persona].get(url)
            got = _answer(response)
            problem = _error_page_problem(response, url, held[persona])
            if problem:
                failures.append(f"{name} {persona}: {problem}")
            bug = KNOWN_BUGS.get((name, persona))
            if bug is not None and got == bug[0]:
                known.append(f"{name} {persona}: expected {expected[persona]}, got {got} ({bug[1]})")
            elif bug is not None and got == expected[persona]:
                failures.append(f"{name} {persona}: fixed, answers {got}: remove it from KNOWN_BUGS")
            elif got != expected[persona]:
                failures.append(f"{name} {persona}: expected {expected[persona]}, got {got}")
    # A compound that does not exist answers like one the person may not see: 404 for
    # every URL under a slug (405 first where only a POST is taken), even to the street
    # office's admin, who reaches every compound of the office.
    admin = clients["street_admin"]
    for name, (objects, expected) in sorted(rows().items()):
        kwargs = _kwargs(objects, things)
        if "slug" not in kwargs:
            continue
        url = reverse(name, kwargs={**kwargs, "slug": "no-such-compound"})
        response = admin.get(url)
        got = _answer(response)
        want = 405 if expected["street_admin"] == 405 else 404
        problem = f"expected {want}, got {got}" if got != want else _error_page_problem(response, url, set())
        if problem:
            failures.append(f"{name} street_admin, no such compound: {problem}")
    assert failures == [], "\n".join(failures)
    if known:
        pytest.xfail("known view bugs, every other cell as the matrix says:\n" + "\n".join(known))
