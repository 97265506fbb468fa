"""The payment-notification webhook: HMAC over timestamp and body, a timestamp
tolerance, exactly once by the provider's transaction id, refusals logged."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from escrow.models import Category, EntryKind, JournalEntry, LedgerAccount, Payment
from tests.escrow.fees.helpers import (
    WEBHOOK_SECRET,
    assert_ledgers_verify,
    counts,
    open_escrow,
    webhook_post,
)


def _body(w, **overrides):
    body = {
        "transaction_id": "4200001234202603051234567890",
        "compound": w.a.slug,
        "unit": w.unit_a.reference,
        "amount_fen": 10740,
        "paid_at": "2026-03-05T23:30:00+08:00",
    }
    body.update(overrides)
    return body


@pytest.fixture
def client():
    # A real provider sends no CSRF token and no session cookie.
    return Client(enforce_csrf_checks=True)


def test_a_signed_notification_posts_once_and_a_replay_returns_the_first_result(
    escrow_world, webhook_secret, client
):
    w = escrow_world
    first = webhook_post(client, _body(w))
    assert first.status_code == 201, first.json()
    payment = Payment.objects.get()
    assert (payment.unit, payment.amount_fen, payment.method, payment.source) == (
        w.unit_a,
        10740,
        "wechat_pay",
        "webhook",
    )
    assert payment.received_on == dt.date(2026, 3, 5)  # local (Asia/Shanghai) date of paid_at
    assert payment.entry.kind == EntryKind.FEE_PAYMENT
    assert payment.entry.idempotency_key == "webhook:wechatpay:4200001234202603051234567890"
    assert first.json()["entry_sequence"] == payment.entry.sequence

    before = counts()
    replay = webhook_post(client, _body(w))  # a new timestamp and signature, the same notification
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert counts() == before
    assert LedgerAccount.objects.get(compound=w.a, category=Category.FEE_INCOME).normal_balance == 10740
    assert_ledgers_verify(w.a, w.b)


def test_the_same_transaction_id_with_other_content_is_a_conflict(escrow_world, webhook_secret, client):
    w = escrow_world
    webhook_post(client, _body(w))
    before = counts()
    response = webhook_post(client, _body(w, amount_fen=99999))
    assert response.status_code == 409
    assert "transaction_id" in response.json()["extra"]["fields"]
    elsewhere = webhook_post(client, _body(w, compound=w.b.slug, unit=w.unit_b.reference))
    assert elsewhere.status_code == 409
    assert counts() == before


def test_a_bad_signature_is_refused_and_logged(escrow_world, webhook_secret, client, caplog):
    w = escrow_world
    before = counts()
    with caplog.at_level(logging.WARNING, logger="escrow.webhooks"):
        wrong_key = webhook_post(client, _body(w), secret="not-the-secret-not-the-secret-000")
        missing = webhook_post(client, _body(w), signature="")
        garbage = webhook_post(client, _body(w), signature="sha256=00")
    for response in (wrong_key, missing, garbage):
        assert response.status_code == 401
        assert set(response.json()) == {"message", "extra"}
    assert counts() == before
    refusals = [r for r in caplog.records if r.name == "escrow.webhooks"]
    assert len(refusals) == 3
    assert "reason=401" in refusals[0].getMessage()


def test_a_body_changed_after_signing_is_refused(escrow_world, webhook_secret, client):
    import json

    from escrow.fees.services.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

    w = escrow_world
    stamp = str(int(time.time()))
    signed = json.dumps(_body(w)).encode()
    tampered = json.dumps(_body(w, amount_fen=1)).encode()
    response = client.post(
        "/api/v1/webhooks/payments/wechatpay/",
        data=tampered,
        content_type="application/json",
        headers={TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(WEBHOOK_SECRET.encode(), stamp, signed)},
    )
    assert response.status_code == 401
    assert not Payment.objects.exists()


@pytest.mark.parametrize("age", [301, -301, 86400])
def test_a_stale_or_future_timestamp_is_refused(escrow_world, webhook_secret, client, age, caplog):
    w = escrow_world
    with caplog.at_level(logging.WARNING, logger="escrow.webhooks"):
        response = webhook_post(client, _body(w), timestamp=int(time.time()) - age)
    assert response.status_code == 400
    assert "X-Gongguan-Timestamp" in response.json()["extra"]["fields"]
    assert not Payment.objects.exists()
    assert any("reason=400" in r.getMessage() for r in caplog.records)


def test_a_timestamp_within_the_tolerance_is_accepted(escrow_world, webhook_secret, client):
    response = webhook_post(client, _body(escrow_world), timestamp=int(time.time()) - 250)
    assert response.status_code == 201


def test_a_missing_timestamp_is_refused(escrow_world, webhook_secret, client):
    from escrow.fees.services.webhooks import SIGNATURE_HEADER

    response = client.post(
        "/api/v1/webhooks/payments/wechatpay/",
        data=b"{}",
        content_type="application/json",
        headers={SIGNATURE_HEADER: "sha256=00"},
    )
    assert response.status_code == 400


def test_an_unknown_provider_or_one_without_a_secret_does_not_exist(escrow_world, settings, client):
    settings.PAYMENT_WEBHOOK_SECRETS = {"alipay": WEBHOOK_SECRET}
    assert webhook_post(client, _body(escrow_world), provider="wechatpay").status_code == 404
    assert webhook_post(client, _body(escrow_world), provider="paypal").status_code == 404
    assert not Payment.objects.exists()


def test_the_alipay_secret_is_separate(escrow_world, webhook_secret, client):
    w = escrow_world
    assert webhook_post(client, _body(w), provider="alipay").status_code == 401
    ok = webhook_post(client, _body(w), provider="alipay", secret=WEBHOOK_SECRET[::-1])
    assert ok.status_code == 201
    assert Payment.objects.get().method == "alipay"


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"compound": "no-such-compound"}, 404, "compound"),
        ({"unit": "SHANGCHENG-9栋-9-909"}, 400, "unit"),
        ({"unit": "b"}, 400, "unit"),  # a unit of compound B, named in A
        ({"amount_fen": 0}, 400, "amount_fen"),
        ({"amount_fen": -100}, 400, "amount_fen"),
        ({"amount_fen": "107.40"}, 400, "amount_fen"),
        ({"amount_fen": 107.4}, 400, "amount_fen"),
        ({"amount_fen": 10_000_000_001}, 400, "amount_fen"),
        ({"transaction_id": ""}, 400, "transaction_id"),
        ({"paid_at": "yesterday"}, 400, "paid_at"),
        ({"paid_at": "2026-03-05T10:00:00"}, 400, "paid_at"),  # no offset
        ({"paid_at": "2099-03-05T10:00:00+08:00"}, 400, "paid_at"),
    ],
)
def test_bad_notifications_are_refused_naming_the_field(
    escrow_world, webhook_secret, client, overrides, status, field
):
    w = escrow_world
    if overrides.get("unit") == "b":
        overrides = {"unit": w.unit_b.reference}
    before = counts()
    response = webhook_post(client, _body(w, **overrides))
    assert response.status_code == status, response.json()
    assert field in response.json()["extra"]["fields"]
    assert counts() == before


def test_a_body_that_is_not_json_is_refused(escrow_world, webhook_secret, client):
    assert webhook_post(client, b"not json").status_code == 400


@pytest.mark.parametrize("field", ["transaction_id", "unit", "compound"])
def test_a_signed_body_with_a_nul_byte_answers_400_in_the_api_shape(
    escrow_world, webhook_secret, client, field
):
    w = escrow_world
    body = _body(w)
    body[field] = body[field][:3] + "\x00" + body[field][3:]
    before = counts()
    response = webhook_post(client, body)
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {field: ["Must not contain a NUL character."]}
    assert counts() == before


def test_a_signed_deeply_nested_body_answers_400_in_the_api_shape(escrow_world, webhook_secret, client):
    response = webhook_post(client, b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 400
    assert response.json()["message"] == "The body is nested too deeply."


def test_the_unit_reference_tolerates_case_and_full_width_only(escrow_world, webhook_secret, client):
    w = escrow_world
    assert (
        webhook_post(client, _body(w, unit=w.unit_a.reference.lower(), transaction_id="T1")).status_code
        == 201
    )
    loose = webhook_post(client, _body(w, unit="1栋-1-101", transaction_id="T2"))
    assert loose.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_notification_post_once(postgres_only, webhook_secret):
    from communities.testing import make_world

    w = make_world()
    open_escrow(w.a)
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def deliver():
        try:
            barrier.wait()
            statuses.append(webhook_post(Client(), _body(w)).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 5 + [201]
    assert Payment.objects.filter(compound=w.a).count() == 1
    assert JournalEntry.objects.filter(compound=w.a, kind=EntryKind.FEE_PAYMENT).count() == 1
    assert_ledgers_verify(w.a)


@pytest.mark.django_db(transaction=True)
def test_one_transaction_delivered_for_two_compounds_at_once_posts_once(postgres_only, webhook_secret):
    """Two simultaneous deliveries of one provider transaction naming different compounds:
    exactly one posts (201), the other is a conflict (409), in whichever order they land."""
    from communities.testing import make_world

    w = make_world()
    open_escrow(w.a)
    open_escrow(w.b)
    bodies = [_body(w), _body(w, compound=w.b.slug, unit=w.unit_b.reference)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def deliver(body):
        try:
            barrier.wait()
            statuses.append(webhook_post(Client(), body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    assert Payment.objects.filter(reference=bodies[0]["transaction_id"]).count() == 1
    assert JournalEntry.objects.filter(kind=EntryKind.FEE_PAYMENT, compound__in=[w.a, w.b]).count() == 1
    assert_ledgers_verify(w.a)
    assert_ledgers_verify(w.b)
