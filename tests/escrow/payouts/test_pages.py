"""The payout pages and the notification inbox, through HTTP with Django's test client."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from communities import services as community_services
from communities.models import AuditEvent
from escrow.models import PayoutAttachment, PayoutRequest, PayoutSignature, PayoutStatus
from escrow.payouts import services
from tests.escrow.payouts.helpers import (
    PDF_BYTES,
    PNG_BYTES,
    SMALL_FEN,
    approve,
    enrol_totp,
    file_payout,
    fresh,
    pdf,
    png,
    set_auth_records,
    stored_files,
    totp_code,
    walk,
)


def url(name, world, payout=None, **kwargs):
    kwargs["slug"] = world.a.slug
    if payout is not None:
        kwargs["pk"] = payout.pk
    return reverse(f"escrow:{name}", kwargs=kwargs)


def login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


# --------------------------------------------------------------------------- who sees what


@pytest.mark.parametrize(
    ("persona", "codes"),
    [
        # list, inbox, mine, new, detail. A compound one cannot enter is missing (404); a
        # member whose role lacks the capability is told so (403, CapabilityDenied).
        ("anonymous", (302, 302, 302, 302, 302)),
        ("stranger", (404, 404, 404, 404, 404)),
        ("outsider", (404, 404, 404, 404, 404)),
        ("steward", (403, 403, 403, 403, 403)),
        ("resident", (200, 200, 200, 403, 200)),
        ("staff", (200, 200, 200, 200, 200)),
        ("committee", (200, 200, 200, 403, 200)),
        ("official", (200, 200, 200, 403, 200)),
        ("street_admin", (200, 200, 200, 403, 200)),
    ],
)
def test_pages_answer_by_role(pw, client, persona, codes):
    payout = file_payout(pw)
    if persona != "anonymous":
        login(client, getattr(pw, persona))
    got = tuple(
        client.get(u).status_code
        for u in (
            url("payout-list", pw),
            url("payout-inbox", pw),
            url("payout-mine", pw),
            url("payout-new", pw),
            url("payout-detail", pw, payout),
        )
    )
    assert got == codes


def test_a_request_of_another_compound_is_not_found(pw, client):
    from tests.escrow.payouts.helpers import open_escrow

    open_escrow(pw, compound=pw.b)
    community_services.membership_create(
        user=pw.outsider, role="company_staff", company=pw.other_company, compound=pw.b, actor=None
    )
    in_b = file_payout(pw, compound=pw.b, actor=pw.outsider)
    login(client, pw.committee)
    # Through A's address, and through B's.
    assert client.get(url("payout-detail", pw, in_b)).status_code == 404
    assert client.get(url("payout-sign", pw, in_b)).status_code == 404
    b_detail = reverse("escrow:payout-detail", kwargs={"slug": pw.b.slug, "pk": in_b.pk})
    assert client.get(b_detail).status_code == 404
    login(client, pw.chair)
    assert (
        client.post(
            url("payout-pay", pw, in_b), {"bank_reference": "X", "payment_date": "2026-02-01"}
        ).status_code
        == 404
    )


def test_a_draft_is_seen_by_its_applicant_only(pw, client):
    draft = file_payout(pw, submit=False)
    login(client, pw.committee)
    assert client.get(url("payout-detail", pw, draft)).status_code == 404
    login(client, pw.staff)
    assert client.get(url("payout-detail", pw, draft)).status_code == 200


# --------------------------------------------------------------------------- filing


def _form(**overrides):
    data = {
        "category": "repair",
        "expense_account": "",
        "payee_name": "咸宁市利民水电维修部",
        "payee_account": "6217001234567890123",
        "payee_company": "",
        "amount": "1,250.50",
        "purpose": "2栋电梯井道渗水维修",
        "resolution_number": "",
        "resolution_date": "",
        "submit": "1",
    }
    data.update(overrides)
    return data


def test_staff_file_a_request_with_several_files(pw, client):
    login(client, pw.staff)
    page = client.get(url("payout-new", pw))
    assert page.status_code == 200
    assert page.context["availability"].available == SMALL_FEN
    assert "¥20,000.00" in page.content.decode()

    response = client.post(
        url("payout-new", pw),
        _form(invoices=[pdf("发票1.pdf"), pdf("发票2.pdf")], quotes=[png("报价.png")]),
    )
    payout = PayoutRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("payout-detail", pw, payout)
    assert (payout.status, payout.amount_fen, payout.payee_account_masked) == (
        PayoutStatus.SUBMITTED,
        125050,
        "6217 **** 0123",
    )
    assert sorted(payout.attachments.values_list("kind", "original_name")) == [
        ("invoice", "发票1.pdf"),
        ("invoice", "发票2.pdf"),
        ("quote", "报价.png"),
    ]


def test_a_draft_is_saved_edited_completed_and_submitted(pw, client):
    login(client, pw.staff)
    data = _form(invoices=[])
    data.pop("submit")
    data["draft"] = "1"
    client.post(url("payout-new", pw), data)
    draft = PayoutRequest.objects.get()
    assert draft.status == PayoutStatus.DRAFT

    response = client.post(url("payout-submit", pw, draft), follow=True)
    assert "attach the invoice" in response.content.decode()
    edit = _form(amount="900", payee_account="")
    edit.pop("submit")
    assert client.post(url("payout-edit", pw, draft), edit).status_code == 302
    draft.refresh_from_db()
    assert (draft.amount_fen, draft.payee_account_masked) == (90000, "6217 **** 0123")
    client.post(url("payout-attach", pw, draft), {"kind": "invoice", "file": pdf()})
    client.post(url("payout-submit", pw, draft))
    draft.refresh_from_db()
    assert draft.status == PayoutStatus.SUBMITTED
    assert services.payout_availability(pw.a).holds == 90000


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        pytest.param({"amount": "20000.01"}, "amount", "more than is available", id="above-available"),
        pytest.param({"amount": "0"}, "amount", "greater than zero", id="zero"),
        pytest.param({"amount": "-5"}, "amount", "", id="negative"),
        pytest.param({"amount": "12.345"}, "amount", "two decimal", id="three-decimals"),
        pytest.param({"invoices": []}, "invoices", "invoice", id="missing-invoice"),
        pytest.param(
            {"invoices": [pdf("发票.pdf", PNG_BYTES)]},
            "invoices",
            "not what its name says",
            id="png-named-pdf",
        ),
        pytest.param(
            {"invoices": [pdf("发票.pdf", b"GIF89a....")]}, "invoices", "not a PDF", id="not-a-document"
        ),
        pytest.param({"payee_account": "12345"}, "payee_account", "8 digits", id="short-account"),
    ],
)
def test_the_form_shows_why_and_writes_nothing(pw, client, tmp_path, overrides, field, text):
    login(client, pw.staff)
    data = _form(invoices=[pdf()])
    data.update(overrides)
    response = client.post(url("payout-new", pw), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert text.lower() in " ".join(errors[field]).lower()
    assert f'id="field-{field}"' in response.content.decode()
    assert not PayoutRequest.objects.exists()
    assert not PayoutAttachment.objects.exists()
    assert stored_files(tmp_path) == []


def test_the_form_asks_for_the_resolution_above_the_threshold(pw, client, tmp_path):
    login(client, pw.staff)
    policy = services.payout_policy(pw.a)
    policy.resolution_threshold_fen = 10_000_00
    policy.save()
    response = client.post(url("payout-new", pw), _form(amount="10000", invoices=[pdf()]))
    errors = response.context["form"].errors
    assert {"resolution_number", "resolution_date", "minutes"} <= set(errors)
    assert not PayoutRequest.objects.exists()
    response = client.post(
        url("payout-new", pw),
        _form(
            amount="10000",
            invoices=[pdf()],
            minutes=[pdf("业委会决议.pdf")],
            resolution_number="尚城业委〔2026〕5号",
            resolution_date="2026-03-02",
        ),
    )
    assert response.status_code == 302
    assert PayoutRequest.objects.get().status == PayoutStatus.SUBMITTED


def test_a_too_large_file_is_refused_on_the_form(pw, client, settings, tmp_path):
    settings.PAYOUT_ATTACHMENT_MAX_BYTES = 2048
    login(client, pw.staff)
    response = client.post(url("payout-new", pw), _form(invoices=[pdf(data=PDF_BYTES + b"0" * 4096)]))
    assert "larger than" in " ".join(response.context["form"].errors["invoices"])
    assert not PayoutRequest.objects.exists()
    assert stored_files(tmp_path) == []


# --------------------------------------------------------------------------- inbox & lists


def test_the_inbox_lists_what_waits_for_me(pw, client):
    mine_signed = approve(file_payout(pw, amount_fen=100), pw.committee)
    waiting = [file_payout(pw, amount_fen=100 + i) for i in range(3)]
    reviewed = walk(pw, file_payout(pw, amount_fen=200), to="reviewed")
    to_company = file_payout(pw, amount_fen=300, payee_company=pw.other_company)
    community_services.membership_create(
        user=pw.committee, role="company_staff", company=pw.other_company, actor=None
    )
    login(client, pw.committee)
    rows = list(client.get(url("payout-inbox", pw)).context["page"])
    assert [p.pk for p in rows] == [p.pk for p in reversed(waiting)]
    assert mine_signed not in rows and reviewed not in rows and to_company not in rows
    login(client, pw.official)
    assert [p.pk for p in client.get(url("payout-inbox", pw)).context["page"]] == [reviewed.pk]
    login(client, pw.staff)  # the property company signs nothing
    assert list(client.get(url("payout-inbox", pw)).context["page"]) == []
    assert len(client.get(url("payout-mine", pw)).context["page"]) == 6


def test_the_inbox_is_paginated_in_a_constant_number_of_queries(pw, client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, pw.committee)
    for i in range(3):
        file_payout(pw, amount_fen=100 + i, attachments=[("invoice", pdf())])
    client.get(url("payout-inbox", pw))  # the first request computes and caches the standing
    with CaptureQueriesContext(connection) as few:
        client.get(url("payout-inbox", pw))
    for i in range(22):
        file_payout(pw, amount_fen=200 + i, attachments=[("invoice", pdf())])
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("payout-inbox", pw))
    assert len(many) == len(few)
    page = response.context["page"]
    assert (len(page), page.paginator.count, page.paginator.num_pages) == (20, 25, 2)
    assert len(client.get(url("payout-inbox", pw) + "?page=2").context["page"]) == 5


def test_everyone_with_the_full_ledger_follows_the_trail(pw, client):
    paid = walk(pw, file_payout(pw), to="paid")
    rejected = services.payout_reject(
        payout=file_payout(pw),
        actor=pw.committee2,
        second_factor=fresh(),
        reason="重复",
    )
    login(client, pw.resident)
    listing = client.get(url("payout-list", pw))
    assert {p.pk for p in listing.context["page"]} == {paid.pk, rejected.pk}
    assert [p.pk for p in client.get(url("payout-list", pw) + "?status=rejected").context["page"]] == [
        rejected.pk
    ]
    page = client.get(url("payout-detail", pw, paid)).content.decode()
    for signer in (pw.committee, pw.committee2, pw.official):
        assert signer.display_name in page
    assert page.count("second factor checked: authenticator code (TOTP) at") == 3
    assert f"#{paid.journal_entry.sequence}" in page
    assert paid.journal_entry.hash in page
    assert "Committee member" in page and "Community official" in page
    assert "重复" in client.get(url("payout-detail", pw, rejected)).content.decode()


# --------------------------------------------------------------------------- files


def test_evidence_is_served_only_through_the_checked_view(pw, client, settings):
    payout = file_payout(pw, attachments=[("invoice", pdf("发票 2026.pdf"))])
    attachment = payout.attachments.get()
    download = url("payout-attachment", pw, payout, attachment_pk=attachment.pk)
    login(client, pw.committee)
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E5%8F%91%E7%A5%A8%202026.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert attachment.file.name.startswith(f"private/payouts/{pw.a.pk}/")
    assert "发票" not in attachment.file.name  # stored under a random name
    assert client.get(f"/media/{attachment.file.name}").status_code == 404
    assert client.get(f"/{attachment.file.name}").status_code == 404
    for outsider in (pw.outsider, pw.stranger):
        login(client, outsider)
        assert client.get(download).status_code == 404
    login(client, pw.steward)  # a member whose role may not see payouts is told so
    assert client.get(download).status_code == 403
    client.logout()
    assert client.get(download).status_code == 302
    other = file_payout(pw)
    login(client, pw.committee)
    assert client.get(url("payout-attachment", pw, other, attachment_pk=attachment.pk)).status_code == 404


# --------------------------------------------------------------------------- signing and step-up


def _reauth_target(response) -> str:
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.path == reverse("mfa_reauthenticate")
    return parse_qs(location.query)["next"][0]


def test_without_an_authenticator_the_signer_is_sent_to_enrol(pw, client):
    payout = file_payout(pw)
    login(client, pw.committee)
    sign = url("payout-sign", pw, payout)
    response = client.get(sign, follow=False)
    assert response.status_code == 302
    # …and brought back to the request afterwards (accounts.mfa_return keeps ``next``).
    assert response["Location"] == reverse("mfa_activate_totp") + "?" + urlencode({"next": sign})
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("authenticator app" in m for m in messages)
    client.get(response["Location"])
    from accounts.mfa_return import return_url

    assert return_url(client.get(reverse("mfa_activate_totp")).wsgi_request) == sign


@pytest.mark.parametrize(
    "records",
    [
        pytest.param([], id="no-second-factor"),
        pytest.param([{"method": "mfa", "type": "recovery_codes"}], id="recovery-code"),
        pytest.param([{"method": "password"}], id="password-only"),
        pytest.param([{"method": "mfa", "type": "totp", "age": 301}], id="totp-older-than-5-minutes"),
    ],
)
def test_without_a_fresh_second_factor_the_signer_goes_through_the_code_form(pw, client, records):
    enrol_totp(pw.committee)
    payout = file_payout(pw)
    login(client, pw.committee)
    now = time.time()
    set_auth_records(
        client,
        pw.committee,
        [{k: v for k, v in r.items() if k != "age"} | {"at": now - r.get("age", 0)} for r in records],
    )
    sign = url("payout-sign", pw, payout)
    assert _reauth_target(client.get(sign)) == sign
    assert _reauth_target(client.post(sign, {"decision": "approve"})) == sign
    assert not PayoutSignature.objects.exists()


def test_a_password_login_is_not_a_second_factor(pw, client):
    from accounts.adapter import AccountAdapter

    payout = file_payout(pw)
    AccountAdapter().set_phone_verified(pw.committee2, pw.committee2.phone)
    response = client.post(
        reverse("account_login"), {"login": pw.committee2.phone, "password": "pw-Gongguan-2026"}
    )
    assert response.status_code == 302
    assert client.session["account_authentication_methods"][0]["method"] == "password"
    enrol_totp(pw.committee2)
    sign = url("payout-sign", pw, payout)
    assert _reauth_target(client.get(sign)) == sign


def test_the_signer_confirms_a_code_and_comes_back_to_sign(pw, client):
    secret = enrol_totp(pw.committee)
    payout = file_payout(pw)
    login(client, pw.committee)
    sign = url("payout-sign", pw, payout)

    # A stale proof: what was typed survives the detour.
    set_auth_records(client, pw.committee, [{"method": "mfa", "type": "totp", "at": time.time() - 400}])
    response = client.post(sign, {"decision": "approve", "comment": "发票与报价一致"})
    target = _reauth_target(response)
    reauth = client.get(response["Location"])
    assert reauth.status_code == 200
    back = client.post(response["Location"], {"code": totp_code(secret), "next": target})
    assert back.status_code == 302
    assert back["Location"] == sign

    form_page = client.get(sign)
    assert form_page.status_code == 200
    assert form_page.context["form"].initial == {"decision": "approve", "comment": "发票与报价一致"}
    done = client.post(sign, {"decision": "approve", "comment": "发票与报价一致"})
    assert done.status_code == 302
    assert done["Location"] == url("payout-detail", pw, payout)
    signature = PayoutSignature.objects.get()
    assert (signature.signer, signature.decision, signature.second_factor, signature.comment) == (
        pw.committee,
        "approve",
        "totp",
        "发票与报价一致",
    )
    assert timezone.now() - signature.second_factor_at < dt.timedelta(seconds=30)
    # Signed once: the page now refuses and says why, without a detour.
    again = client.get(sign, follow=True)
    assert "already signed" in again.content.decode()


def test_a_reject_needs_a_comment_on_the_page(pw, client):
    enrol_totp(pw.committee)
    payout = file_payout(pw)
    login(client, pw.committee)
    set_auth_records(client, pw.committee, [{"method": "mfa", "type": "totp", "at": time.time()}])
    sign = url("payout-sign", pw, payout)
    response = client.post(sign, {"decision": "reject", "comment": ""})
    assert response.status_code == 200
    assert "comment" in response.context["form"].errors
    assert client.post(sign, {"decision": "reject", "comment": "金额与发票不符"}).status_code == 302
    payout.refresh_from_db()
    assert (payout.status, payout.rejection_reason) == (PayoutStatus.REJECTED, "金额与发票不符")


@pytest.mark.parametrize("who", ["staff", "resident", "manager"])
def test_people_who_may_not_sign_are_told_why_without_a_detour(pw, client, who):
    payout = file_payout(pw)
    login(client, getattr(pw, who))
    response = client.get(url("payout-sign", pw, payout))
    assert response.status_code == 302
    assert response["Location"] == url("payout-detail", pw, payout)
    detail = client.get(url("payout-detail", pw, payout)).content.decode()
    assert 'id="sign"' not in detail


# --------------------------------------------------------------------------- pay, withdraw


def test_the_chair_records_the_payment_once(pw, client):
    payout = walk(pw, file_payout(pw), to="rechecked")
    pay = url("payout-pay", pw, payout)
    login(client, pw.committee)
    assert client.get(pay)["Location"] == url("payout-detail", pw, payout)
    login(client, pw.chair)
    assert 'id="pay"' in client.get(url("payout-detail", pw, payout)).content.decode()
    # Behind step-up, like a signature: no authenticator yet → set it up, and come back here.
    assert client.get(pay)["Location"] == reverse("mfa_activate_totp") + "?" + urlencode({"next": pay})
    enrol_totp(pw.chair)
    typed = {"bank_reference": "HB-20260301-7", "payment_date": timezone.localdate().isoformat()}
    detour = client.post(pay, typed)  # what was typed survives the detour through the code form
    assert detour["Location"] == reverse("mfa_reauthenticate") + "?" + urlencode({"next": pay})
    assert not PayoutRequest.objects.filter(pk=payout.pk, status=PayoutStatus.PAID).exists()
    set_auth_records(client, pw.chair, [{"method": "mfa", "type": "totp", "at": time.time()}])
    shown = client.get(pay)
    assert shown.status_code == 200
    assert shown.context["form"].initial == typed
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert (
        "payment_date"
        in client.post(pay, {"bank_reference": "HB-1", "payment_date": tomorrow}).context["form"].errors
    )
    response = client.post(
        pay, {"bank_reference": "HB-20260301-7", "payment_date": timezone.localdate().isoformat()}
    )
    assert response.status_code == 302
    payout.refresh_from_db()
    assert (payout.status, payout.bank_reference, payout.paid_by) == (
        PayoutStatus.PAID,
        "HB-20260301-7",
        pw.chair,
    )
    login(client, pw.official)
    set_auth_records(client, pw.official, [{"method": "mfa", "type": "totp", "at": time.time()}])
    again = client.post(pay, {"bank_reference": "HB-OTHER", "payment_date": timezone.localdate().isoformat()})
    assert again.status_code == 302
    payout.refresh_from_db()
    assert payout.bank_reference == "HB-20260301-7"
    event = AuditEvent.objects.get(action="payout.pay", object_id=str(payout.pk))
    assert event.after["second_factor"] == "totp"


def test_a_stale_second_factor_sends_the_payer_back_through_the_code_form(pw, client):
    payout = walk(pw, file_payout(pw), to="rechecked")
    pay = url("payout-pay", pw, payout)
    enrol_totp(pw.chair)
    login(client, pw.chair)
    set_auth_records(client, pw.chair, [{"method": "mfa", "type": "totp", "at": time.time() - 301}])
    response = client.post(pay, {"bank_reference": "HB-9", "payment_date": timezone.localdate().isoformat()})
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.RECHECKED


def test_paying_before_the_recheck_is_refused_on_the_page(pw, client):
    payout = walk(pw, file_payout(pw), to="reviewed")
    login(client, pw.chair)
    response = client.post(
        url("payout-pay", pw, payout),
        {"bank_reference": "HB-1", "payment_date": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REVIEWED


def test_the_applicant_withdraws_before_the_first_signature(pw, client):
    first, second = file_payout(pw), file_payout(pw)
    approve(second, pw.committee)
    login(client, pw.staff)
    assert 'id="withdraw"' in client.get(url("payout-detail", pw, first)).content.decode()
    assert 'id="withdraw"' not in client.get(url("payout-detail", pw, second)).content.decode()
    client.post(url("payout-withdraw", pw, first), {"reason": "金额有误"})
    client.post(url("payout-withdraw", pw, second), {"reason": "晚了"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (PayoutStatus.WITHDRAWN, PayoutStatus.SUBMITTED)
    login(client, pw.committee)
    client.post(url("payout-withdraw", pw, second))
    second.refresh_from_db()
    assert second.status == PayoutStatus.SUBMITTED


# --------------------------------------------------------------------------- notifications


def test_the_notification_inbox_and_the_unread_count(pw, client):
    payout = file_payout(pw)
    login(client, pw.committee)
    home = client.get(url("payout-list", pw)).content.decode()
    assert 'id="unread-count">1<' in home
    inbox = client.get(reverse("notification-list"))
    assert inbox.status_code == 200
    item = Notification.objects.get(user=pw.committee)
    assert item.title in inbox.content.decode()
    followed = client.get(reverse("notification-open", args=[item.pk]))  # a GET changes nothing
    assert followed["Location"] == url("payout-detail", pw, payout)
    item.refresh_from_db()
    assert item.read_at is None
    opened = client.post(reverse("notification-open", args=[item.pk]))  # opening it from the inbox
    assert opened["Location"] == url("payout-detail", pw, payout)
    item.refresh_from_db()
    assert item.read_at is not None
    assert 'id="unread-count"' not in client.get(reverse("notification-list")).content.decode()

    approve(approve(payout, pw.committee), pw.committee2)  # now the community's turn
    login(client, pw.official)
    assert 'id="unread-count">1<' in client.get(reverse("notification-list")).content.decode()
    client.post(reverse("notification-read-all"))
    assert not Notification.objects.filter(user=pw.official, read_at__isnull=True).exists()
    # Someone else's item is not found; a link off the site is not followed.
    assert client.get(reverse("notification-open", args=[item.pk])).status_code == 404
    Notification.objects.create(user=pw.official, kind="x", title="外链", url="https://evil.example/")
    evil = Notification.objects.get(title="外链")
    assert client.get(reverse("notification-open", args=[evil.pk]))["Location"] == reverse(
        "notification-list"
    )
    client.logout()
    assert client.get(reverse("notification-list")).status_code == 302


# --------------------------------------------------------------------------- one place per rule


def test_reading_the_pages_writes_no_policy_row(pw, client):
    """The policy's defaults are read, never written, on a GET."""
    from escrow.models import PayoutPolicy

    payout = file_payout(pw, amount_fen=SMALL_FEN // 2)
    login(client, pw.staff)
    assert client.get(url("payout-new", pw)).status_code == 200
    assert client.get(url("payout-detail", pw, payout)).status_code == 200
    assert not PayoutPolicy.objects.exists()


@pytest.mark.parametrize("persona", ["staff", "committee", "official", "chair", "manager"])
def test_the_page_offers_exactly_what_the_services_accept(pw, client, persona):
    """The detail page's buttons are the services' own predicates: a person sees
    "pay" only if payout_pay would accept them, "withdraw" only if payout_withdraw would."""
    user = getattr(pw, persona)
    rechecked = walk(pw, file_payout(pw, amount_fen=SMALL_FEN // 4), to="rechecked")
    submitted = file_payout(pw, amount_fen=SMALL_FEN // 4)
    login(client, user)
    for payout in (rechecked, submitted):
        context = client.get(url("payout-detail", pw, payout)).context
        assert context["may_pay"] is (services.payout_payment_refusal(payout, user) is None)
        assert context["may_withdraw"] is (services.payout_withdraw_refusal(payout, user) is None)
        assert context["may_edit"] is (services.payout_edit_refusal(payout, user) is None)
    # Not vacuous: the chair may pay the rechecked request, the applicant withdraw the new one.
    assert services.can_pay(rechecked, pw.chair) and not services.can_pay(rechecked, pw.staff)
    assert services.can_withdraw(submitted, pw.staff) and not services.can_withdraw(rechecked, pw.staff)


def test_a_person_of_the_property_company_is_not_offered_the_payment(pw, client):
    """Segregation of duties: the chair who is also employed by the property company may
    not record the payment, and the page no longer offers it (it used to, then refuse)."""
    community_services.membership_create(user=pw.chair, role="company_staff", company=pw.company, actor=None)
    payout = walk(pw, file_payout(pw, amount_fen=SMALL_FEN // 4), to="rechecked")
    login(client, pw.chair)
    assert client.get(url("payout-detail", pw, payout)).context["may_pay"] is False
    response = client.get(url("payout-pay", pw, payout))
    assert response.status_code == 302
    assert isinstance(services.payout_payment_refusal(payout, pw.chair), services.SegregationError)


def test_the_form_warns_that_the_purpose_is_public_and_caps_it(pw, client):
    login(client, pw.staff)
    page = client.get(url("payout-new", pw)).content.decode()
    assert "This text is public: it is published in the ledger, the payment trail and the" in page
    assert 'maxlength="500"' in page
    response = client.post(url("payout-new", pw), _form(invoices=[pdf()], purpose="修" * 501))
    assert response.status_code == 200
    assert "purpose" in response.context["form"].errors
    assert not PayoutRequest.objects.exists()
