"""The payout API: every action of the pages, one error shape, 404 across compounds."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from communities import services as community_services
from escrow.ledger.verification import ledger_verify
from escrow.models import JournalEntry, PayoutRequest, PayoutStatus
from tests.escrow.payouts.helpers import (
    PNG_BYTES,
    SMALL_FEN,
    approve,
    enrol_totp,
    file_payout,
    open_escrow,
    pdf,
    set_auth_records,
    totp_code,
    walk,
)


@pytest.fixture
def api():
    return APIClient()


def as_(api, user):
    api.force_authenticate(user=None)
    api.logout()
    if user is not None:
        api.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return api


def u(name, world, payout=None, **kwargs):
    kwargs.setdefault("slug", world.a.slug)
    if payout is not None:
        kwargs["pk"] = payout.pk
    return reverse(f"api:{name}", kwargs=kwargs)


def assert_error(response, code, field=None):
    assert response.status_code == code, response.content
    body = response.json()
    assert set(body) == {"message", "extra"}
    assert body["message"]
    if field:
        assert field in body["extra"]["fields"], body
    return body


BODY = {
    "category": "repair",
    "payee_name": "咸宁市利民水电维修部",
    "payee_account": "6217001234567890123",
    "amount": "1234.56",
    "purpose": "5栋消防管道维修",
}


# --------------------------------------------------------------------------- who sees what


@pytest.mark.parametrize(
    ("persona", "code"),
    [
        ("anonymous", 403),
        ("stranger", 404),
        ("outsider", 404),
        ("steward", 404),
        ("resident", 200),
        ("committee", 200),
        ("staff", 200),
        ("street_admin", 200),
    ],
)
def test_reads_answer_by_role(pw, api, persona, code):
    payout = file_payout(pw)
    as_(api, None if persona == "anonymous" else getattr(pw, persona))
    for name, args in [
        ("payout-list", {}),
        ("payout-inbox", {}),
        ("payout-availability", {}),
        ("payout-detail", {"payout": payout}),
        ("payout-signatures", {"payout": payout}),
        ("payout-attachments", {"payout": payout}),
    ]:
        response = api.get(u(name, pw, **args))
        if code == 200:
            assert response.status_code == 200, (name, response.content)
        else:
            assert_error(response, code)


def test_another_compounds_request_is_not_found_on_every_endpoint(pw, api):
    open_escrow(pw, compound=pw.b)
    community_services.membership_create(
        user=pw.outsider, role="company_staff", company=pw.other_company, compound=pw.b, actor=None
    )
    in_b = file_payout(pw, compound=pw.b, actor=pw.outsider)
    as_(api, pw.chair)
    for name in ("payout-detail", "payout-signatures", "payout-attachments", "payout-order"):
        assert_error(api.get(u(name, pw, in_b)), 404)
        assert_error(api.get(u(name, pw, in_b, slug=pw.b.slug)), 404)
    for name in ("payout-submit", "payout-withdraw", "payout-approve", "payout-reject", "payout-pay"):
        assert_error(api.post(u(name, pw, in_b), {}, format="json"), 404)
    assert_error(api.patch(u("payout-detail", pw, in_b), {"amount": "1"}, format="json"), 404)
    in_b.refresh_from_db()
    assert in_b.status == PayoutStatus.SUBMITTED


# --------------------------------------------------------------------------- filing


def test_staff_file_upload_and_submit_through_the_api(pw, api):
    as_(api, pw.staff)
    created = api.post(u("payout-list", pw), BODY, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["status"], data["amount"], data["amount_fen"], data["payee_account_masked"]) == (
        "draft",
        "1234.56",
        123456,
        "6217 **** 0123",
    )
    payout = PayoutRequest.objects.get(pk=data["id"])

    changed = api.patch(u("payout-detail", pw, payout), {"amount": "1000"}, format="json")
    assert changed.json()["amount_fen"] == 100000

    bad = api.post(u("payout-attachments", pw, payout), {"kind": "invoice", "file": pdf("x.pdf", PNG_BYTES)})
    assert_error(bad, 400, "file")
    up = api.post(u("payout-attachments", pw, payout), {"kind": "invoice", "file": pdf("发票.pdf")})
    assert up.status_code == 201, up.content
    attachment = up.json()
    assert len(attachment["sha256"]) == 64
    download = api.get(attachment["download_url"])
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"

    submitted = api.post(u("payout-submit", pw, payout))
    assert submitted.json()["status"] == "submitted"
    assert api.get(u("payout-availability", pw)).json()["holds_fen"] == 100000
    assert_error(api.patch(u("payout-detail", pw, payout), {"amount": "1"}, format="json"), 409)
    assert_error(api.post(u("payout-submit", pw, payout)), 409)
    mine = api.get(u("payout-list", pw) + "?mine=true").json()
    assert [row["id"] for row in mine["results"]] == [payout.pk]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"amount": 12.5}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"category": "bribe"}, "category"),
        ({"payee_account": "123"}, "payee_account"),
        ({"purpose": ""}, "purpose"),
        ({"purpose": "修" * 501}, "purpose"),
        ({"payee_name": "某" * 101}, "payee_name"),
        ({"expense_account": "nc_staff"}, "expense_account"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(pw, api, change, field):
    as_(api, pw.staff)
    assert_error(api.post(u("payout-list", pw), {**BODY, **change}, format="json"), 400, field)
    assert not PayoutRequest.objects.exists()


def test_above_available_is_a_conflict_that_holds_nothing(pw, api):
    payout = file_payout(pw, submit=False, amount_fen=SMALL_FEN + 1)
    as_(api, pw.staff)
    body = assert_error(api.post(u("payout-submit", pw, payout)), 409, "amount")
    assert body["extra"]["available_fen"] == SMALL_FEN
    assert api.get(u("payout-availability", pw)).json()["holds_fen"] == 0


def test_only_staff_file(pw, api):
    as_(api, pw.committee)
    assert_error(api.post(u("payout-list", pw), BODY, format="json"), 403)


# --------------------------------------------------------------------------- signing


def test_the_whole_workflow_through_the_api(pw, api):
    secrets = {
        user.pk: enrol_totp(user, secret)
        for user, secret in [
            (pw.committee, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXA"),
            (pw.committee2, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXB"),
            (pw.official, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXC"),
        ]
    }
    payout = file_payout(pw)
    for signer in (pw.committee, pw.committee2, pw.official):
        as_(api, signer)
        assert [row["id"] for row in api.get(u("payout-inbox", pw)).json()["results"]] == [payout.pk]
        response = api.post(
            u("payout-approve", pw, payout),
            {"totp": totp_code(secrets[signer.pk]), "comment": "同意"},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert api.get(u("payout-inbox", pw)).json()["results"] == []
    assert response.json()["status"] == "rechecked"

    as_(api, pw.official)
    assert_error(api.get(u("payout-order", pw, payout)), 404)
    assert_error(
        api.post(u("payout-pay", pw, payout), {"bank_reference": "", "payment_date": "x"}, format="json"), 400
    )
    unproven = api.post(
        u("payout-pay", pw, payout),
        {"bank_reference": "HB-API-1", "payment_date": timezone.localdate().isoformat()},
        format="json",
    )  # recording the payment is behind step-up, like a signature
    assert assert_error(unproven, 403)["extra"] == {"step_up": True}
    set_auth_records(api, pw.official, [{"method": "mfa", "type": "totp", "at": time.time()}])
    paid = api.post(
        u("payout-pay", pw, payout),
        {"bank_reference": "HB-API-1", "payment_date": timezone.localdate().isoformat()},
        format="json",
    )
    assert paid.status_code == 200, paid.content
    data = paid.json()
    assert data["status"] == "paid"
    entry = JournalEntry.objects.get(payout__pk=payout.pk)
    assert data["journal_entry"]["sequence"] == entry.sequence
    assert data["journal_entry"]["hash"] == entry.hash
    assert_error(
        api.post(
            u("payout-pay", pw, payout),
            {"bank_reference": "HB-API-2", "payment_date": timezone.localdate().isoformat()},
            format="json",
        ),
        409,
    )
    trail = api.get(u("payout-signatures", pw, payout)).json()
    assert [(s["signer"], s["step"], s["second_factor"]) for s in trail] == [
        (str(pw.committee), "review", "totp"),
        (str(pw.committee2), "review", "totp"),
        (str(pw.official), "recheck", "totp"),
    ]
    pdf_response = api.get(data["order_pdf_url"])
    assert pdf_response.status_code == 200
    assert pdf_response["Content-Type"] == "application/pdf"
    assert pdf_response.content.startswith(b"%PDF")
    assert ledger_verify(pw.a).ok


def test_signing_needs_a_valid_code_or_a_fresh_session_check(pw, api):
    secret = enrol_totp(pw.committee)
    payout = file_payout(pw)
    as_(api, pw.committee)
    body = assert_error(api.post(u("payout-approve", pw, payout), {}, format="json"), 403)
    assert body["extra"] == {"step_up": True}
    assert_error(api.post(u("payout-approve", pw, payout), {"totp": "000000"}, format="json"), 403)
    set_auth_records(api, pw.committee, [{"method": "mfa", "type": "recovery_codes", "at": time.time()}])
    assert_error(api.post(u("payout-approve", pw, payout), {}, format="json"), 403)
    set_auth_records(api, pw.committee, [{"method": "mfa", "type": "totp", "at": time.time() - 301}])
    assert_error(api.post(u("payout-approve", pw, payout), {}, format="json"), 403)
    assert not payout.signatures.exists()
    set_auth_records(api, pw.committee, [{"method": "mfa", "type": "totp", "at": time.time() - 10}])
    assert api.post(u("payout-approve", pw, payout), {}, format="json").status_code == 200
    assert payout.signatures.get().second_factor == "totp"
    # A second try by the same person, even with a good code, is refused for segregation.
    body = assert_error(
        api.post(u("payout-approve", pw, payout), {"totp": totp_code(secret)}, format="json"), 403
    )
    assert "once" in body["message"]


def test_reject_and_withdraw_through_the_api(pw, api):
    enrol_totp(pw.committee)
    first, second = file_payout(pw, amount_fen=100), file_payout(pw, amount_fen=200)
    as_(api, pw.committee)
    set_auth_records(api, pw.committee, [{"method": "mfa", "type": "totp", "at": time.time()}])
    assert_error(api.post(u("payout-reject", pw, first), {"reason": ""}, format="json"), 400, "reason")
    rejected = api.post(u("payout-reject", pw, first), {"reason": "报价过高"}, format="json")
    assert (rejected.json()["status"], rejected.json()["rejection_reason"]) == ("rejected", "报价过高")
    assert_error(api.post(u("payout-withdraw", pw, second)), 403)  # only the applicant
    approve(second, pw.committee2)
    as_(api, pw.staff)
    assert_error(api.post(u("payout-withdraw", pw, second)), 409)  # after the first signature
    third = file_payout(pw, amount_fen=300)
    assert (
        api.post(u("payout-withdraw", pw, third), {"reason": "重复"}, format="json").json()["status"]
        == "withdrawn"
    )
    assert api.get(u("payout-availability", pw)).json()["holds_fen"] == 200


def test_paying_before_the_recheck_is_a_conflict(pw, api):
    payout = walk(pw, file_payout(pw), to="reviewed")
    as_(api, pw.chair)
    body = {"bank_reference": "HB-1", "payment_date": timezone.localdate().isoformat()}
    assert_error(api.post(u("payout-pay", pw, payout), body, format="json"), 409)
    as_(api, pw.committee)
    walk_to = approve(payout, pw.official)
    assert_error(api.post(u("payout-pay", pw, walk_to), body, format="json"), 403)


def test_the_schema_describes_every_payout_action(client):
    schema = client.get(reverse("api-schema") + "?format=json").json()
    paths = {p for p in schema["paths"] if "/payouts/" in p}
    for suffix in (
        "/payouts/",
        "/payouts/inbox/",
        "/payouts/availability/",
        "/payouts/{id}/",
        "/payouts/{id}/attachments/",
        "/payouts/{id}/submit/",
        "/payouts/{id}/withdraw/",
        "/payouts/{id}/approve/",
        "/payouts/{id}/reject/",
        "/payouts/{id}/pay/",
        "/payouts/{id}/signatures/",
        "/payouts/{id}/order.pdf",
    ):
        assert f"/api/v1/compounds/{{slug}}{suffix}" in paths, suffix
    approve_op = schema["paths"]["/api/v1/compounds/{slug}/payouts/{id}/approve/"]["post"]
    assert "totp" in str(approve_op) or "SignRequest" in str(approve_op)


@pytest.mark.parametrize("persona", ["staff", "committee", "official", "chair"])
def test_the_detail_says_what_the_caller_may_do_as_the_page_does(pw, api, client, persona):
    """The API's ``actions`` and the page's buttons are the same predicates."""
    user = getattr(pw, persona)
    rechecked = walk(pw, file_payout(pw, amount_fen=SMALL_FEN // 4), to="rechecked")
    as_(api, user)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    actions = api.get(u("payout-detail", pw, rechecked)).json()["actions"]
    page = client.get(reverse("escrow:payout-detail", kwargs={"slug": pw.a.slug, "pk": rechecked.pk})).context
    assert actions == {
        "edit": page["may_edit"],
        "withdraw": page["may_withdraw"],
        "sign": page["may_sign"],
        "pay": page["may_pay"],
    }
    assert actions["pay"] is (persona in {"official", "chair"})
