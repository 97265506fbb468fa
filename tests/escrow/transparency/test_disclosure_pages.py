"""The disclosure pages /c/<slug>/disclosures/…: the public list, detail and files of
published disclosures (no log-in), the officials' view of unpublished ones, and the
officials' actions (request, publish, correct, reopen) through HTTP, on PostgreSQL.

Disclosures are built by the real services; the build is queued on commit, so the
requests that create one run inside ``django_capture_on_commit_callbacks(execute=True)``
(Celery is eager in tests)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from common.periods import quarter_of
from communities.models import AuditEvent
from escrow.ledger.services import credit, debit, ledger_post
from escrow.models import (
    Category,
    Disclosure,
    DisclosureFile,
    DisclosureStatus,
    EntryKind,
    EscrowAccount,
)
from escrow.transparency import selectors as disclosure_selectors
from escrow.transparency import services as svc
from tests.escrow.ledger.helpers import open_escrow, pay_in
from tests.escrow.transparency.helpers import (
    build,
    fill_quarter,
    last_quarter,
    publish,
    quarter_before,
)

FORMATS = ("pdf", "html", "csv", "json")
# Who may not act on disclosures: every one of them gets the same 404 as for a missing page.
NOT_OFFICIALS = ["stranger", "outsider", "resident", "company_staff", "committee_member"]


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def list_url(compound) -> str:
    return reverse("escrow:disclosure-list", kwargs={"slug": compound.slug})


def d_url(view: str, disclosure: Disclosure, **extra) -> str:
    kwargs = {
        "slug": disclosure.compound.slug,
        "year": disclosure.year,
        "quarter": disclosure.quarter,
        "version": disclosure.version,
        **extra,
    }
    return reverse(f"escrow:disclosure-{view}", kwargs=kwargs)


def file_url(disclosure: Disclosure, fmt: str) -> str:
    name = (
        f"disclosure-{disclosure.compound.slug}-{disclosure.year}Q{disclosure.quarter}-v{disclosure.version}"
    )
    return d_url("file", disclosure, name=name, fmt=fmt)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def dw(world, postgres_only):
    """Compound A with an escrow account (¥1,000.00 opening balance) and one fee and one
    cleaning bill in the last quarter; compound B with an account and nothing else."""
    open_escrow(world.a, opening_fen=1_000_00)
    open_escrow(world.b, opening_fen=500_00)
    world.q = last_quarter()
    fill_quarter(world.a, world.q)
    return world


@pytest.fixture
def ready(dw, django_capture_on_commit_callbacks):
    """A's last quarter, built and ready, not published."""
    return build(django_capture_on_commit_callbacks, dw.a, dw.q, dw.official)


@pytest.fixture
def published(dw, ready, django_capture_on_commit_callbacks):
    return publish(django_capture_on_commit_callbacks, ready, dw.official)


# --------------------------------------------------------------------------- who sees what


@pytest.mark.parametrize("persona", ["anonymous", "stranger", "outsider", "resident", "committee_member"])
def test_an_unpublished_disclosure_does_not_exist_for_others(ready, dw, persona):
    client = client_for(dw.personas()[persona])
    html = client.get(list_url(dw.a)).content.decode()
    assert client.get(list_url(dw.a)).status_code == 200
    assert ready.digest not in html
    assert d_url("detail", ready) not in html
    assert client.get(d_url("detail", ready)).status_code == 404
    for fmt in FORMATS:
        assert client.get(file_url(ready, fmt)).status_code == 404, fmt


@pytest.mark.parametrize("persona", ["community_official", "street_admin"])
def test_officials_see_an_unpublished_disclosure(ready, dw, persona):
    client = client_for(dw.personas()[persona])
    html = client.get(list_url(dw.a)).content.decode()
    assert d_url("detail", ready) in html
    assert "Ready, not yet published" in html
    assert d_url("publish", ready) in html
    detail = client.get(d_url("detail", ready))
    assert detail.status_code == 200
    assert ready.digest in detail.content.decode()
    response = client.get(file_url(ready, "pdf"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_a_published_disclosure_is_public(published, dw):
    client = client_for(None)
    html = client.get(list_url(dw.a)).content.decode()
    assert d_url("detail", published) in html
    assert published.digest in html
    for f in published.files.all():
        assert f.sha256 in html
        assert file_url(published, f.format) in html
    assert "Ready, not yet published" not in html
    assert d_url("publish", published) not in html
    assert 'id="request-form"' not in html
    assert client.get(d_url("detail", published)).status_code == 200


def test_the_list_shows_no_request_form_to_members(published, dw):
    html = client_for(dw.resident).get(list_url(dw.a)).content.decode()
    assert d_url("detail", published) in html
    assert 'id="request-form"' not in html
    official = client_for(dw.official).get(list_url(dw.a)).content.decode()
    assert 'id="request-form"' in official


def test_an_unknown_compound_or_version_is_404(published, dw):
    client = client_for(None)
    assert client.get(reverse("escrow:disclosure-list", kwargs={"slug": "nowhere"})).status_code == 404
    missing = Disclosure(compound=dw.a, year=published.year, quarter=published.quarter, version=9)
    assert client.get(d_url("detail", missing)).status_code == 404
    # B has no disclosure for the quarter: A's is not reachable through B's slug.
    other = Disclosure(compound=dw.b, year=published.year, quarter=published.quarter, version=1)
    assert client.get(d_url("detail", other)).status_code == 404
    assert client.get(file_url(other, "pdf")).status_code == 404


# --------------------------------------------------------------------------- the detail page


def test_the_detail_page_shows_the_figures_and_how_to_verify(published, dw):
    response = client_for(None).get(d_url("detail", published))
    html = response.content.decode()
    figures = published.figures
    assert figures["opening_balance"] == 1_000_00 and figures["closing_balance"] == 1_170_00
    assert "¥1,000.00" in html  # opening
    assert "¥250.00" in html  # fee income
    assert "¥80.00" in html  # cleaning
    assert "¥1,170.00" in html  # closing: 1,000.00 + 250.00 − 80.00
    assert "Property fee income" in html
    assert "Necessary cost: cleaning" in html
    items = response.context["figures"]["expense_items"]
    assert [(i["code"], i["amount"]) for i in items] == [("5102", "¥80.00")]
    assert published.digest in html
    assert published.head_hash in html
    escrow = EscrowAccount.objects.get(compound=dw.a)
    assert published.entry_count == escrow.entry_count == 3  # opening, fee, cleaning
    assert f"/c/{dw.a.slug}/ledger/export.jsonl?through={published.entry_count}" in html
    assert "python3 verify_disclosure.py disclosure.json ledger.jsonl" in html
    assert "tools/" not in html and "docs/" not in html
    assert file_url(published, "json") in html
    # Nobody's name or phone number on a public page.
    for user in (dw.official, dw.resident):
        assert user.display_name not in html
        assert user.phone.removeprefix("+86") not in html


def test_the_links_on_the_detail_page_verify_with_the_stand_alone_verifier(published, dw, tmp_path):
    """Follow the page's own links to disclosure.json and ledger.jsonl, after more entries
    were posted (the export is cut at the disclosed head), and run tools/verify_disclosure.py."""
    pay_in(dw.a, 55_00, on=timezone.localdate())  # after the disclosure: not in the cut export
    client = client_for(None)
    html = client.get(d_url("detail", published)).content.decode()
    json_href = re.search(r'href="([^"]+\.json)"', html).group(1)
    export_href = re.search(r'href="([^"]+/ledger/export\.jsonl\?through=\d+)"', html).group(1)
    (tmp_path / "disclosure.json").write_bytes(client.get(json_href).content)
    export = client.get(export_href)
    assert export.status_code == 200
    (tmp_path / "ledger.jsonl").write_bytes(
        b"".join(export.streaming_content) if export.streaming else export.content
    )
    # The checker itself comes from the page's own download link.
    verifier_href = re.search(r'href="([^"]+/verify_disclosure\.py)"', html).group(1)
    download = client.get(verifier_href)
    assert download["Content-Disposition"] == 'attachment; filename="verify_disclosure.py"'
    source = Path(__file__).resolve().parents[3] / "tools" / "verify_disclosure.py"
    assert download.content == source.read_bytes()
    (tmp_path / "verify_disclosure.py").write_bytes(download.content)
    for args, headline in (([], "VERIFIED"), (["--lang", "zh"], "核验通过")):
        run = subprocess.run(
            [sys.executable, "verify_disclosure.py", *args, "disclosure.json", "ledger.jsonl"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stdout.splitlines()[0] == headline


def test_the_verifier_guide_is_a_page_in_plain_chinese(published, dw):
    from django.conf import settings

    client = client_for(None)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    zh = client.get(reverse("escrow:verifier-guide"))
    assert zh.status_code == 200
    html = zh.content.decode()
    assert "自己核对季度公示" in html
    assert "核验通过" in html
    assert "python3 verify_disclosure.py --lang zh disclosure.json ledger.jsonl" in html
    for developer_text in ("VERIFIED", "tools/", "docs/", "nc_staff"):
        assert developer_text not in html, developer_text
    assert hashlib.sha256(client.get(reverse("escrow:verifier-download")).content).hexdigest() in html
    detail = client.get(d_url("detail", published)).content.decode()
    assert "核验" in detail and "VERIFIED" not in detail and "tools/" not in detail


def test_the_detail_page_offers_officials_their_actions(ready, dw):
    html = client_for(dw.official).get(d_url("detail", ready)).content.decode()
    for action in ("publish", "correct", "reopen"):
        assert d_url(action, ready) in html
    assert 'name="csrfmiddlewaretoken"' in html
    public = client_for(dw.resident).get(d_url("detail", ready))
    assert public.status_code == 404


def test_the_detail_page_offers_only_what_the_services_accept(ready, dw, django_capture_on_commit_callbacks):
    """Reopening is the services' rule (only the latest disclosed quarter): the page of an
    older quarter offers no reopen button, and the service would refuse it too."""
    older = build(django_capture_on_commit_callbacks, dw.a, quarter_before(dw.q), dw.official)
    for disclosure, may_reopen in ((older, False), (ready, True)):
        context = client_for(dw.official).get(d_url("detail", disclosure)).context
        assert context["may_reopen"] is may_reopen
        assert (svc.books_reopen_refusal(disclosure, dw.official) is None) is may_reopen
        assert context["may_publish"] is svc.can_publish(disclosure, dw.official)
        assert context["may_correct"] is svc.can_correct(disclosure, dw.official)


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize(
    ("fmt", "content_type", "disposition"),
    [
        ("pdf", "application/pdf", "inline"),
        ("html", "text/html; charset=utf-8", "inline"),
        ("csv", "text/csv; charset=utf-8", "attachment"),
        ("json", "application/json", "attachment"),
    ],
)
def test_files_are_served_byte_for_byte_with_their_headers(published, fmt, content_type, disposition):
    stored = DisclosureFile.objects.get(disclosure=published, format=fmt)
    response = client_for(None).get(file_url(published, fmt))
    assert response.status_code == 200
    assert response.content == bytes(stored.content)
    assert hashlib.sha256(response.content).hexdigest() == stored.sha256
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith(f"{disposition}; filename=")
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    assert response["ETag"] == f'"{stored.sha256}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("public")
    if fmt == "html":
        csp = response["Content-Security-Policy"]
        assert csp.startswith("sandbox") and "default-src 'none'" in csp
        assert "script-src" not in csp
    if fmt in ("csv", "json"):
        assert response["Content-Security-Policy"] == "default-src 'none'"
    if fmt == "pdf":
        assert response.content.startswith(b"%PDF")
    if fmt == "json":
        assert json.loads(response.content)["digest"] == published.digest


def test_a_file_answers_head_requests(published):
    stored = DisclosureFile.objects.get(disclosure=published, format="json")
    response = client_for(None).head(file_url(published, "json"))
    assert response.status_code == 200
    assert response["ETag"] == f'"{stored.sha256}"'
    assert response["Content-Length"] == str(stored.size)


def test_a_file_is_not_sent_again_when_its_etag_matches(published):
    stored = DisclosureFile.objects.get(disclosure=published, format="pdf")
    response = client_for(None).get(file_url(published, "pdf"), HTTP_IF_NONE_MATCH=f'"{stored.sha256}"')
    assert response.status_code == 304
    assert response.content == b""
    stale = client_for(None).get(file_url(published, "pdf"), HTTP_IF_NONE_MATCH='"' + "0" * 64 + '"')
    assert stale.status_code == 200


def test_a_wrong_file_name_or_format_is_404(published):
    client = client_for(None)
    assert client.get(d_url("file", published, name="other", fmt="pdf")).status_code == 404
    name = f"disclosure-{published.compound.slug}-{published.year}Q{published.quarter}-v1"
    assert client.get(d_url("file", published, name=name, fmt="exe")).status_code == 404


# --------------------------------------------------------------------------- request


def test_an_official_requests_a_past_quarter(dw, django_capture_on_commit_callbacks):
    earlier = quarter_before(dw.q)
    client = client_for(dw.official)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("escrow:disclosure-request", kwargs={"slug": dw.a.slug}), earlier.kwargs
        )
    disclosure = Disclosure.objects.get(compound=dw.a, year=earlier.year, quarter=earlier.quarter)
    assert response.status_code == 302
    assert response["Location"] == d_url("detail", disclosure)
    assert disclosure.status == DisclosureStatus.READY
    assert disclosure.requested_by == dw.official
    follow = client.get(response["Location"])
    assert "requested" in follow.content.decode()


@pytest.mark.parametrize("which", ["current", "next_year", "before_opening"])
def test_a_quarter_that_cannot_be_disclosed_is_refused_on_its_field(dw, which):
    today = timezone.localdate()
    year, quarter = quarter_of(today)
    data = {
        "current": {"year": year, "quarter": quarter},
        "next_year": {"year": year + 1, "quarter": 1},
        "before_opening": {"year": 2024, "quarter": 4},  # the account opened on 2025-01-01
    }[which]
    response = client_for(dw.official).post(
        reverse("escrow:disclosure-request", kwargs={"slug": dw.a.slug}), data
    )
    assert response.status_code == 400
    form = response.context["request_form"]
    assert form.errors.get("quarter"), form.errors
    assert not Disclosure.objects.filter(compound=dw.a).exists()
    assert 'id="request-field-quarter"' in response.content.decode()


def test_a_request_without_an_escrow_account_is_refused(world, postgres_only):
    # World A has no escrow account in this test.
    last = last_quarter()
    response = client_for(world.official).post(
        reverse("escrow:disclosure-request", kwargs={"slug": world.a.slug}), last.kwargs
    )
    assert response.status_code == 400
    assert "no escrow account" in response.content.decode()
    assert not Disclosure.objects.exists()


def test_a_bad_quarter_number_is_a_form_error(dw):
    response = client_for(dw.official).post(
        reverse("escrow:disclosure-request", kwargs={"slug": dw.a.slug}), {"year": dw.q.year, "quarter": 5}
    )
    assert response.status_code == 400
    assert response.context["request_form"].errors["quarter"]


# --------------------------------------------------------------------------- publish


def test_publishing_needs_the_confirmation(ready, dw):
    response = client_for(dw.official).post(d_url("publish", ready), {})
    assert response.status_code == 400
    assert response.context["publish_form"].errors["confirm"]
    ready.refresh_from_db()
    assert ready.status == DisclosureStatus.READY


def test_an_official_publishes_and_members_are_told(ready, dw, django_capture_on_commit_callbacks):
    client = client_for(dw.official)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(d_url("publish", ready), {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == d_url("detail", ready)
    ready.refresh_from_db()
    assert ready.status == DisclosureStatus.PUBLISHED
    assert ready.published_by == dw.official
    assert dw.resident.notifications.filter(kind="disclosure.published").exists()
    assert client_for(None).get(d_url("detail", ready)).status_code == 200
    # Published: no more publish button.
    html = client.get(d_url("detail", ready)).content.decode()
    assert d_url("publish", ready) not in html


def test_publishing_from_the_list(ready, dw, django_capture_on_commit_callbacks):
    html = client_for(dw.official).get(list_url(dw.a)).content.decode()
    assert f'action="{d_url("publish", ready)}"' in html
    with django_capture_on_commit_callbacks(execute=True):
        client_for(dw.official).post(d_url("publish", ready), {"confirm": "on"})
    ready.refresh_from_db()
    assert ready.status == DisclosureStatus.PUBLISHED


def test_a_service_refusal_shows_on_the_form(ready, dw, django_capture_on_commit_callbacks):
    """A superseded version cannot be published: the service says so, the page shows it."""
    with django_capture_on_commit_callbacks(execute=True):
        svc.disclosure_correct(disclosure=ready, reason="漏记一笔保洁费", actor=dw.official)
    response = client_for(dw.official).post(d_url("publish", ready), {"confirm": "on"})
    assert response.status_code == 400
    assert "corrected" in " ".join(response.context["publish_form"].non_field_errors())
    ready.refresh_from_db()
    assert ready.status == DisclosureStatus.READY


# --------------------------------------------------------------------------- correct and reopen


def test_a_correction_needs_a_reason(published, dw):
    response = client_for(dw.official).post(d_url("correct", published), {"confirm": "on", "reason": "  "})
    assert response.status_code == 400
    assert response.context["correct_form"].errors["reason"]
    assert Disclosure.objects.filter(compound=dw.a).count() == 1


def test_a_reopening_needs_a_reason(published, dw):
    response = client_for(dw.official).post(d_url("reopen", published), {"confirm": "on", "reason": ""})
    assert response.status_code == 400
    assert response.context["reopen_form"].errors["reason"]
    assert EscrowAccount.objects.get(compound=dw.a).closed_through == dw.q.end


def test_reopen_post_a_correcting_entry_and_issue_a_corrected_version(
    published, dw, django_capture_on_commit_callbacks
):
    client = client_for(dw.official)
    late_bill = dw.q.start + dt.timedelta(days=20)

    # 1. Reopen the quarter, with a reason.
    response = client.post(d_url("reopen", published), {"confirm": "on", "reason": "漏记一笔保洁费"})
    assert response.status_code == 302
    escrow = EscrowAccount.objects.get(compound=dw.a)
    assert escrow.closed_through == dw.q.start - dt.timedelta(days=1)
    event = AuditEvent.objects.filter(action="books.reopen", compound=dw.a).get()
    assert event.actor == dw.official and event.after["reason"] == "漏记一笔保洁费"

    # 2. The correcting entry can now be dated in the quarter.
    with transaction.atomic():
        ledger_post(
            compound=dw.a,
            kind=EntryKind.PAYOUT,
            legs=[debit(Category.NC_CLEANING, 20_00), credit(Category.ESCROW_CASH, 20_00)],
            memo="保洁服务费（补记）",
            effective_date=late_bill,
            actor=None,
        )

    # 3. Issue the corrected version: built on commit, then published.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(d_url("correct", published), {"confirm": "on", "reason": "漏记一笔保洁费"})
    v2 = Disclosure.objects.get(compound=dw.a, year=dw.q.year, quarter=dw.q.quarter, version=2)
    assert response.status_code == 302
    assert response["Location"] == d_url("detail", v2)
    assert v2.status == DisclosureStatus.READY
    assert v2.figures["expense_total"] == 100_00
    assert v2.supersedes_id == published.pk
    with django_capture_on_commit_callbacks(execute=True):
        client.post(d_url("publish", v2), {"confirm": "on"})

    # 4. The public list: v2 in force, v1 still there, marked superseded, with the reason.
    anonymous = client_for(None)
    response = anonymous.get(list_url(dw.a))
    [quarter] = response.context["quarters"]
    assert quarter["current"]["disclosure"].version == 2
    assert [row["disclosure"].version for row in quarter["superseded"]] == [1]
    html = response.content.decode()
    assert "漏记一笔保洁费" in html
    assert d_url("detail", published) in html
    assert published.digest in html and v2.digest in html

    # 5. The old version's page says it was superseded, by which version, and why.
    old = anonymous.get(d_url("detail", published))
    assert old.status_code == 200
    old_html = old.content.decode()
    assert 'id="superseded-notice"' in old_html
    assert "漏记一笔保洁费" in old_html
    assert d_url("detail", v2) in old_html
    # The corrected one names what it corrects.
    new_html = anonymous.get(d_url("detail", v2)).content.decode()
    assert 'id="correction-notice"' in new_html and "漏记一笔保洁费" in new_html


def test_before_a_correction_is_published_the_public_still_sees_the_old_version(
    published, dw, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        v2 = svc.disclosure_correct(disclosure=published, reason="更正楼栋收缴率", actor=dw.official)
    response = client_for(None).get(list_url(dw.a))
    [quarter] = response.context["quarters"]
    assert quarter["current"]["disclosure"].pk == published.pk
    assert quarter["superseded"] == []
    html = client_for(None).get(d_url("detail", published)).content.decode()
    assert 'id="superseded-notice"' not in html
    assert client_for(None).get(d_url("detail", v2)).status_code == 404
    # The official sees the correction waiting, with the published version below it.
    official = client_for(dw.official).get(list_url(dw.a))
    [quarter] = official.context["quarters"]
    assert quarter["current"]["disclosure"].pk == v2.pk
    assert [row["disclosure"].pk for row in quarter["superseded"]] == [published.pk]


# --------------------------------------------------------------------------- overdue


def test_the_officials_list_flags_an_unpublished_quarter_15_days_after_its_end(
    dw, django_capture_on_commit_callbacks
):
    earlier = quarter_before(dw.q)  # ended at least three months ago
    disclosure = build(django_capture_on_commit_callbacks, dw.a, earlier, dw.official)
    response = client_for(dw.official).get(list_url(dw.a))
    assert 'data-testid="overdue"' in response.content.decode()
    [quarter] = response.context["quarters"]
    assert quarter["overdue"] is True
    publish(django_capture_on_commit_callbacks, disclosure, dw.official)
    response = client_for(dw.official).get(list_url(dw.a))
    assert 'data-testid="overdue"' not in response.content.decode()


def test_the_overdue_flag_counts_15_days_from_the_quarters_end(ready, dw):
    end = dw.q.end
    on_day_15 = disclosure_selectors.official_disclosures(dw.a, today=end + dt.timedelta(days=15))
    on_day_16 = disclosure_selectors.official_disclosures(dw.a, today=end + dt.timedelta(days=16))
    assert [g.overdue for g in on_day_15] == [False]
    assert [g.overdue for g in on_day_16] == [True]


# --------------------------------------------------------------------------- permissions


def _action_posts(disclosure, compound):
    return [
        (reverse("escrow:disclosure-request", kwargs={"slug": compound.slug}), {"year": 2025, "quarter": 1}),
        (d_url("publish", disclosure), {"confirm": "on"}),
        (d_url("correct", disclosure), {"confirm": "on", "reason": "试图更正"}),
        (d_url("reopen", disclosure), {"confirm": "on", "reason": "试图重开"}),
    ]


def _state(compound):
    return (
        list(
            Disclosure.objects.filter(compound=compound).order_by("pk").values_list("pk", "status", "version")
        ),
        EscrowAccount.objects.get(compound=compound).closed_through,
    )


@pytest.mark.parametrize(
    "persona", [*NOT_OFFICIALS, "committee_chair", "secretary", "steward", "manager", "inspector"]
)
def test_only_officials_act_others_are_refused(ready, dw, persona, django_capture_on_commit_callbacks):
    """A member of the compound whose role lacks the capability gets 403 (CapabilityDenied),
    someone outside it 404; nothing changes."""
    user = dw.personas().get(persona) or getattr(dw, {"committee_chair": "chair"}.get(persona, persona))
    client = client_for(user)
    before = _state(dw.a)
    with django_capture_on_commit_callbacks(execute=True):
        codes = [client.post(url, data).status_code for url, data in _action_posts(ready, dw.a)]
    # A compound one cannot enter stays missing (404).
    expected = 404 if persona in {"stranger", "outsider", "anonymous"} else 403
    assert codes == [expected] * 4, persona
    assert _state(dw.a) == before


def test_anonymous_actions_go_to_the_log_in_page(ready, dw):
    client = client_for(None)
    for url, data in _action_posts(ready, dw.a):
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login"))
    ready.refresh_from_db()
    assert ready.status == DisclosureStatus.READY


def test_actions_answer_only_post(ready, dw):
    client = client_for(dw.official)
    for url, _data in _action_posts(ready, dw.a):
        assert client.get(url).status_code == 405, url


def test_a_street_admin_acts_in_every_compound_of_the_office(dw, django_capture_on_commit_callbacks):
    fill_quarter(dw.b, dw.q)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(dw.street_admin).post(
            reverse("escrow:disclosure-request", kwargs={"slug": dw.b.slug}), dw.q.kwargs
        )
    assert response.status_code == 302
    assert Disclosure.objects.get(compound=dw.b).status == DisclosureStatus.READY


def test_an_official_of_compound_a_cannot_act_on_compound_b(dw, django_capture_on_commit_callbacks):
    """The community official's community holds A only; B belongs to another community."""
    fill_quarter(dw.b, dw.q)
    b_disclosure = build(django_capture_on_commit_callbacks, dw.b, dw.q, dw.street_admin)
    before = _state(dw.b)
    client = client_for(dw.official)
    with django_capture_on_commit_callbacks(execute=True):
        codes = [client.post(url, data).status_code for url, data in _action_posts(b_disclosure, dw.b)]
    assert codes == [404, 404, 404, 404]
    assert _state(dw.b) == before
    # Nor does B's unpublished disclosure show anywhere for A's official.
    assert client.get(d_url("detail", b_disclosure)).status_code == 404
    assert b_disclosure.digest not in client.get(list_url(dw.b)).content.decode()
    # And through A's slug, B's quarter is simply A's own (absent) quarter.
    through_a = Disclosure(compound=dw.a, year=dw.q.year, quarter=dw.q.quarter, version=1)
    assert client.post(d_url("publish", through_a), {"confirm": "on"}).status_code == 404
    b_disclosure.refresh_from_db()
    assert b_disclosure.status == DisclosureStatus.READY


def test_a_street_admin_of_another_office_cannot_act(ready, dw, django_capture_on_commit_callbacks):
    from common.errors import PermissionDeniedError
    from communities.testing import make_world
    from escrow.transparency import services as svc

    other = make_world()  # its own street office
    assert other.office != dw.office
    before = _state(dw.a)
    client = client_for(other.street_admin)
    with django_capture_on_commit_callbacks(execute=True):
        codes = [client.post(url, data).status_code for url, data in _action_posts(ready, dw.a)]
    assert codes == [404, 404, 404, 404]
    assert client.get(d_url("detail", ready)).status_code == 404
    for action, kwargs in (
        (svc.disclosure_publish, {}),
        (svc.disclosure_correct, {"reason": "x"}),
        (svc.books_reopen, {"reason": "x"}),
    ):
        with pytest.raises(PermissionDeniedError):
            action(disclosure=ready, actor=other.street_admin, **kwargs)
    assert _state(dw.a) == before
