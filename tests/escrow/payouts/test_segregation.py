"""Segregation of duties and step-up (DESIGN.md §5 invariant 7), through the services."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.utils import timezone

from accounts.stepup import SecondFactor, second_factor_from_code, second_factor_from_session
from common.errors import PermissionDeniedError
from communities import services as community_services
from escrow.models import PayoutSignature, PayoutStatus
from escrow.payouts import services
from tests.escrow.payouts.helpers import (
    approve,
    enrol_totp,
    file_payout,
    fresh,
    prepare,
    totp_code,
    walk,
)


@pytest.fixture
def pw(world, settings, tmp_path):
    return prepare(world, settings, tmp_path)


def _signature_count(payout) -> int:
    return PayoutSignature.objects.filter(request=payout).count()


# --------------------------------------------------------------------------- segregation


def test_the_applicant_never_signs(pw):
    # Even when the applicant also sits on the committee (cross-appointment).
    community_services.membership_create(user=pw.staff, role="committee_member", compound=pw.a, actor=None)
    payout = file_payout(pw)
    with pytest.raises(services.SegregationError, match="applicant"):
        approve(payout, pw.staff)
    assert _signature_count(payout) == 0


def test_one_person_signs_once_at_one_step(pw):
    payout = approve(file_payout(pw), pw.committee)
    with pytest.raises(services.SegregationError):
        approve(payout, pw.committee)
    assert _signature_count(payout) == 1


def test_a_cross_appointed_person_signs_the_review_but_not_also_the_recheck(pw):
    both = pw.committee2
    community_services.membership_create(
        user=both, role="community_official", community=pw.community, actor=None
    )
    payout = approve(file_payout(pw), pw.committee)
    payout = approve(payout, both)
    assert payout.status == PayoutStatus.REVIEWED
    with pytest.raises(services.SegregationError, match="once"):
        approve(payout, both)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REVIEWED
    assert _signature_count(payout) == 2
    assert approve(payout, pw.official).status == PayoutStatus.RECHECKED


def test_the_database_refuses_a_second_signature_by_the_same_person(pw):
    payout = approve(file_payout(pw), pw.committee)
    first = payout.signatures.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutSignature.objects.create(
            compound=pw.a,
            request=payout,
            signer=pw.committee,
            step="recheck",
            role="community_official",
            decision="approve",
            content_hash=first.content_hash,
            second_factor="totp",
            second_factor_at=timezone.now(),
        )


def test_a_committee_member_employed_by_the_property_company_does_not_sign(pw):
    community_services.membership_create(
        user=pw.committee2, role="company_staff", company=pw.company, actor=None
    )
    payout = file_payout(pw)
    with pytest.raises(services.SegregationError, match="company"):
        approve(payout, pw.committee2)
    assert _signature_count(payout) == 0


def test_nobody_of_the_payee_company_signs_whatever_their_roles(pw):
    # The payee is another company; its employee sits on A's committee.
    community_services.membership_create(
        user=pw.committee, role="company_manager", company=pw.other_company, actor=None
    )
    payout = file_payout(pw, payee_company=pw.other_company)
    with pytest.raises(services.SegregationError):
        approve(payout, pw.committee)
    # … and the same person may sign a request paid to someone else.
    other = file_payout(pw)
    assert approve(other, pw.committee).signatures.count() == 1


def test_people_of_the_payee_company_do_not_record_its_payment(pw):
    payout = walk(pw, file_payout(pw, payee_company=pw.other_company), to="rechecked")
    community_services.membership_create(
        user=pw.chair, role="company_staff", company=pw.other_company, actor=None
    )
    with pytest.raises(services.SegregationError):
        services.payout_pay(
            payout=payout,
            actor=pw.chair,
            bank_reference="HB-7",
            payment_date=timezone.localdate(),
            second_factor=fresh(),
        )


@pytest.mark.parametrize("who", ["resident", "secretary", "steward", "street_admin", "inspector", "manager"])
def test_a_person_without_the_role_does_not_sign(pw, who):
    payout = file_payout(pw)
    with pytest.raises(PermissionDeniedError):
        approve(payout, getattr(pw, who))
    assert _signature_count(payout) == 0


def test_each_step_needs_its_party(pw):
    payout = file_payout(pw)
    with pytest.raises(PermissionDeniedError, match="committee"):
        approve(payout, pw.official)
    payout = walk(pw, payout, to="reviewed")
    with pytest.raises(PermissionDeniedError, match="community"):
        approve(payout, pw.chair)
    assert _signature_count(payout) == 2


def test_the_signing_check_for_pages_gives_the_same_answers(pw):
    payout = file_payout(pw)
    assert services.payout_signing_refusal(payout, pw.committee) is None
    assert isinstance(services.payout_signing_refusal(payout, pw.staff), services.SegregationError)
    assert isinstance(services.payout_signing_refusal(payout, pw.resident), PermissionDeniedError)
    paid = walk(pw, file_payout(pw), to="paid")
    assert services.payout_signing_refusal(paid, pw.official).status_code == 409


def test_a_signature_binds_the_content_it_saw(pw):
    payout = file_payout(pw)
    # Changing the content outside the services (a raw UPDATE) makes it unsignable.
    type(payout).objects.filter(pk=payout.pk).update(amount_fen=payout.amount_fen + 1)
    from common.errors import ConflictError

    with pytest.raises(ConflictError, match="content"):
        approve(payout, pw.committee)


# --------------------------------------------------------------------------- step-up


@pytest.mark.parametrize(
    "proof",
    [
        pytest.param(None, id="no-second-factor"),
        pytest.param(SecondFactor("recovery_codes", timezone.now()), id="recovery-code"),
        pytest.param(SecondFactor("password", timezone.now()), id="password"),
        pytest.param("stale", id="totp-older-than-5-minutes"),
        pytest.param("future", id="totp-from-the-future"),
    ],
)
def test_signing_without_a_fresh_strong_second_factor_is_refused(pw, proof):
    if proof == "stale":
        proof = SecondFactor("totp", timezone.now() - dt.timedelta(minutes=5, seconds=1))
    elif proof == "future":
        proof = SecondFactor("totp", timezone.now() + dt.timedelta(minutes=2))
    payout = file_payout(pw)
    with pytest.raises(services.StepUpRequiredError) as exc:
        services.payout_approve(payout=payout, actor=pw.committee, second_factor=proof)
    assert exc.value.status_code == 403
    assert exc.value.extra == {"step_up": True}
    with pytest.raises(services.StepUpRequiredError):
        services.payout_reject(payout=payout, actor=pw.committee, second_factor=proof, reason="no")
    assert _signature_count(payout) == 0


@pytest.mark.parametrize(
    "proof",
    [
        pytest.param(None, id="no-second-factor"),
        pytest.param(SecondFactor("recovery_codes", timezone.now()), id="recovery-code"),
        pytest.param(SecondFactor("password", timezone.now()), id="password"),
        pytest.param("stale", id="totp-older-than-5-minutes"),
    ],
)
def test_recording_a_payment_without_a_fresh_strong_second_factor_is_refused(pw, proof):
    from escrow.models import EntryKind, JournalEntry

    if proof == "stale":
        proof = SecondFactor("totp", timezone.now() - dt.timedelta(minutes=5, seconds=1))
    payout = walk(pw, file_payout(pw), to="rechecked")
    with pytest.raises(services.StepUpRequiredError) as exc:
        services.payout_pay(
            payout=payout,
            actor=pw.chair,
            bank_reference="HB-1",
            payment_date=timezone.localdate(),
            second_factor=proof,
        )
    assert exc.value.extra == {"step_up": True}
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.RECHECKED
    assert not JournalEntry.objects.filter(kind=EntryKind.PAYOUT).exists()


@pytest.mark.parametrize("method", ["totp", "webauthn"])
def test_a_fresh_strong_second_factor_signs_and_is_recorded(pw, method):
    at = timezone.now() - dt.timedelta(minutes=4, seconds=50)
    payout = services.payout_approve(
        payout=file_payout(pw), actor=pw.committee, second_factor=SecondFactor(method, at)
    )
    signature = payout.signatures.get()
    assert (signature.second_factor, signature.second_factor_at) == (method, at)
    assert signature.role == "committee_member"


def _request_with_records(user, records):
    from allauth.account.internal.flows import login as login_flow
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    request.session[login_flow.AUTHENTICATION_METHODS_SESSION_KEY] = records
    request.session[login_flow._AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    return request


def test_the_session_proof_is_the_latest_totp_or_webauthn_record(pw):
    now = time.time()
    records = [
        {"method": "password", "at": now},
        {"method": "mfa", "type": "totp", "at": now - 600},
        {"method": "mfa", "type": "recovery_codes", "at": now},
        {"method": "mfa", "type": "totp", "at": now - 30, "reauthenticated": True},
    ]
    proof = second_factor_from_session(_request_with_records(pw.committee, records))
    assert proof.method == "totp"
    assert abs(proof.at.timestamp() - (now - 30)) < 0.01


@pytest.mark.parametrize(
    "records",
    [
        pytest.param([], id="none"),
        pytest.param([{"method": "password", "at": 0}], id="password-only"),
        pytest.param([{"method": "mfa", "type": "recovery_codes", "at": 0}], id="recovery-code"),
    ],
)
def test_the_session_has_no_proof_without_a_strong_factor(pw, records):
    for record in records:
        record["at"] = time.time()
    assert second_factor_from_session(_request_with_records(pw.committee, records)) is None


def test_another_persons_records_are_no_proof(pw):
    request = _request_with_records(pw.committee2, [{"method": "mfa", "type": "totp", "at": time.time()}])
    request.user = pw.committee
    assert second_factor_from_session(request) is None


def test_a_totp_code_is_checked_once_and_guessing_is_limited(pw):
    secret = enrol_totp(pw.committee)
    assert second_factor_from_code(pw.committee, "") is None
    code = totp_code(secret)
    proof = second_factor_from_code(pw.committee, code)
    assert proof.method == "totp"
    assert second_factor_from_code(pw.committee, code) is None  # a code works once
    assert second_factor_from_code(pw.committee2, code) is None  # no authenticator at all

    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _attempt in range(5):
        assert second_factor_from_code(pw.committee, wrong) is None
    from django.core.cache import cache

    cache.delete(f"allauth.mfa.totp.used?user={pw.committee.pk}&code={code}")
    assert second_factor_from_code(pw.committee, code) is None  # locked out for a while


def test_parallel_guesses_cannot_slip_past_the_code_limit(pw, monkeypatch):
    """The attempt is counted before the code is checked: 20 guesses at once reach the
    code check at most CODE_FAILURES_ALLOWED times."""
    import threading
    import time

    from allauth.mfa.totp.internal.auth import TOTP

    from accounts import stepup

    enrol_totp(pw.committee)
    checked = []
    barrier = threading.Barrier(20)

    def wrong(self, code):
        checked.append(code)
        time.sleep(0.05)  # a real check reads the database: the window a race needs
        return False

    class Enrolled:  # threads have their own connections: they don't see the test's rows
        def first(self):
            return object()

    monkeypatch.setattr(TOTP, "validate_code", wrong)
    monkeypatch.setattr(stepup.Authenticator.objects, "filter", lambda **kw: Enrolled())

    def guess(n):
        barrier.wait()
        stepup.second_factor_from_code(pw.committee, f"{n:06d}")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) <= stepup.CODE_FAILURES_ALLOWED
