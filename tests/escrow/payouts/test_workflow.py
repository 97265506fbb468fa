"""The payout state machine, holds and reserve, bad input, notifications and the scheduled
jobs — through the services (DESIGN.md §5 invariants 3, 4, 6; §6)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Notification
from common.attachments import AttachmentError
from common.errors import ConflictError, PermissionDeniedError
from common.periods import add_months
from communities import services as community_services
from communities.models import AuditEvent
from escrow.errors import InsufficientFundsError
from escrow.ledger.verification import ledger_verify
from escrow.models import (
    EntryKind,
    JournalEntry,
    PayoutAttachment,
    PayoutCategory,
    PayoutRequest,
    PayoutStatus,
)
from escrow.payouts import services
from tests.escrow.payouts.helpers import (
    OPENING_FEN,
    PNG_BYTES,
    SMALL_FEN,
    approve,
    approved_budget,
    file_payout,
    fresh,
    give_email,
    open_escrow,
    pdf,
    png,
    prepare,
    stored_files,
    walk,
)


@pytest.fixture
def pw(world, settings, tmp_path):
    return prepare(world, settings, tmp_path)


@pytest.fixture
def small(world, settings, tmp_path):
    """Compound A with ¥20,000: below the amount that needs a resolution."""
    return prepare(world, settings, tmp_path, balance_fen=SMALL_FEN)


def _audit_actions(payout) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="escrow.PayoutRequest", object_id=str(payout.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def _holds(world) -> int:
    return services.payout_availability(world.a).holds


# --------------------------------------------------------------------------- allowed edges


def test_it_walks_draft_submitted_reviewed_rechecked_paid(pw):
    draft = file_payout(pw, submit=False)
    assert draft.status == PayoutStatus.DRAFT
    assert _holds(pw) == 0

    payout = services.payout_submit(payout=draft, actor=pw.staff)
    assert payout.status == PayoutStatus.SUBMITTED
    assert len(payout.content_hash) == 64
    assert _holds(pw) == payout.amount_fen

    payout = approve(payout, pw.committee)
    assert payout.status == PayoutStatus.SUBMITTED  # one of two committee signatures
    payout = approve(payout, pw.committee2)
    assert payout.status == PayoutStatus.REVIEWED
    payout = approve(payout, pw.official)
    assert payout.status == PayoutStatus.RECHECKED
    assert _holds(pw) == payout.amount_fen

    payout = services.payout_pay(
        payout=payout,
        actor=pw.chair,
        bank_reference="HB-0001",
        payment_date=timezone.localdate(),
        second_factor=fresh(),
    )
    assert payout.status == PayoutStatus.PAID
    assert payout.journal_entry.kind == EntryKind.PAYOUT
    assert _holds(pw) == 0
    assert services.payout_availability(pw.a).cash == OPENING_FEN - payout.amount_fen
    assert [s.content_hash for s in payout.signatures.all()] == [payout.content_hash] * 3
    assert _audit_actions(payout) == [
        "payout.create",
        "payout.submit",
        "payout.approve",
        "payout.approve",
        "payout.approve",
        "payout.pay",
    ]
    assert ledger_verify(pw.a).ok


def test_it_rejects_from_submitted_and_releases_the_hold(pw):
    payout = file_payout(pw)
    payout = services.payout_reject(
        payout=payout, actor=pw.committee, second_factor=fresh(), reason="发票抬头不是本小区"
    )
    assert payout.status == PayoutStatus.REJECTED
    assert payout.rejection_reason == "发票抬头不是本小区"
    assert _holds(pw) == 0


def test_it_rejects_from_reviewed_by_the_community(pw):
    payout = walk(pw, file_payout(pw), to="reviewed")
    payout = services.payout_reject(
        payout=payout, actor=pw.official, second_factor=fresh(), reason="价格偏高"
    )
    assert payout.status == PayoutStatus.REJECTED
    assert _holds(pw) == 0


def test_a_reject_needs_a_reason(pw):
    payout = file_payout(pw)
    with pytest.raises(services.PayoutError) as exc:
        services.payout_reject(payout=payout, actor=pw.committee, second_factor=fresh(), reason="  ")
    assert "reason" in exc.value.extra["fields"]
    assert not payout.signatures.exists()


def test_it_withdraws_a_draft_and_a_submitted_request_before_any_signature(pw):
    draft = file_payout(pw, submit=False)
    assert services.payout_withdraw(payout=draft, actor=pw.staff).status == PayoutStatus.WITHDRAWN
    submitted = file_payout(pw)
    assert _holds(pw) == submitted.amount_fen
    withdrawn = services.payout_withdraw(payout=submitted, actor=pw.staff, reason="重复申请")
    assert withdrawn.status == PayoutStatus.WITHDRAWN
    assert _holds(pw) == 0


# --------------------------------------------------------------------------- refused edges


def test_it_refuses_to_withdraw_after_the_first_signature(pw):
    payout = approve(file_payout(pw), pw.committee)
    with pytest.raises(ConflictError):
        services.payout_withdraw(payout=payout, actor=pw.staff)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.SUBMITTED


def test_only_the_applicant_withdraws(pw):
    payout = file_payout(pw)
    with pytest.raises(PermissionDeniedError):
        services.payout_withdraw(payout=payout, actor=pw.manager)


@pytest.mark.parametrize("to", ["submitted", "reviewed"])
def test_it_refuses_to_pay_before_the_recheck(pw, to):
    payout = file_payout(pw)
    if to == "reviewed":
        payout = walk(pw, payout, to="reviewed")
    with pytest.raises(ConflictError):
        services.payout_pay(
            payout=payout,
            actor=pw.chair,
            bank_reference="HB-1",
            payment_date=timezone.localdate(),
            second_factor=fresh(),
        )
    assert not JournalEntry.objects.filter(kind=EntryKind.PAYOUT).exists()


def test_it_refuses_to_pay_twice(pw):
    payout = walk(pw, file_payout(pw), to="paid")
    for reference in (payout.bank_reference, "HB-OTHER"):
        with pytest.raises(ConflictError):
            services.payout_pay(
                payout=payout,
                actor=pw.official,
                bank_reference=reference,
                payment_date=timezone.localdate(),
                second_factor=fresh(),
            )
    assert JournalEntry.objects.filter(kind=EntryKind.PAYOUT).count() == 1
    assert ledger_verify(pw.a).ok


def test_a_bank_reference_pays_one_request_only(pw):
    first = walk(pw, file_payout(pw), to="paid")
    second = walk(pw, file_payout(pw), to="rechecked")
    with pytest.raises(services.PayoutError) as exc:
        services.payout_pay(
            payout=second,
            actor=pw.chair,
            bank_reference=first.bank_reference,
            payment_date=timezone.localdate(),
            second_factor=fresh(),
        )
    assert "bank_reference" in exc.value.extra["fields"]


def test_only_the_chair_or_an_official_records_a_payment(pw):
    payout = walk(pw, file_payout(pw), to="rechecked")
    for person in (pw.committee, pw.staff, pw.resident, pw.street_admin):
        with pytest.raises(PermissionDeniedError):
            services.payout_pay(
                payout=payout,
                actor=person,
                bank_reference="HB-9",
                payment_date=timezone.localdate(),
                second_factor=fresh(),
            )
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.RECHECKED


@pytest.mark.parametrize("state", ["draft", "rechecked", "paid", "rejected", "withdrawn"])
def test_nobody_signs_a_request_that_does_not_wait_for_a_signature(pw, state):
    payout = file_payout(pw, submit=state != "draft")
    if state in ("rechecked", "paid"):
        payout = walk(pw, payout, to=state)
    elif state == "rejected":
        payout = services.payout_reject(payout=payout, actor=pw.chair, second_factor=fresh(), reason="不同意")
    elif state == "withdrawn":
        payout = services.payout_withdraw(payout=payout, actor=pw.staff)
    signer = pw.official if state in ("rechecked", "paid") else pw.committee
    with pytest.raises(ConflictError):
        approve(payout, signer)
    with pytest.raises(ConflictError):
        services.payout_reject(payout=payout, actor=signer, second_factor=fresh(), reason="x")


def test_a_submitted_request_never_changes(pw):
    payout = file_payout(pw)
    with pytest.raises(ConflictError):
        services.payout_submit(payout=payout, actor=pw.staff)
    with pytest.raises(ConflictError):
        services.payout_update(payout=payout, actor=pw.staff, amount_fen=1)
    with pytest.raises(ConflictError):
        services.payout_attachment_add(payout=payout, actor=pw.staff, upload=pdf("more.pdf"), kind="quote")
    payout.refresh_from_db()
    assert payout.amount_fen == 3_500_00
    assert payout.attachments.count() == 1


def test_a_draft_update_keeps_the_account_unless_a_new_one_is_given(pw):
    payout = file_payout(pw, submit=False)
    updated = services.payout_update(payout=payout, actor=pw.staff, amount_fen=4_000_00)
    assert updated.amount_fen == 4_000_00
    assert updated.payee_account_masked == "6217 **** 0123"
    updated = services.payout_update(payout=payout, actor=pw.staff, payee_account="6228480012345678")
    assert updated.payee_account_masked == "6228 **** 5678"
    updated = services.payout_update(payout=payout, actor=pw.staff, category=PayoutCategory.SPECIAL_PROJECT)
    assert updated.expense_account == "special_projects"


# --------------------------------------------------------------------------- bad input


def _nothing_written(world, tmp_path):
    assert not PayoutRequest.objects.exists()
    assert not PayoutAttachment.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="payout.").exists()
    assert stored_files(tmp_path) == []
    assert _holds(world) == 0
    assert not Notification.objects.exists()


def test_an_amount_above_available_leaves_nothing(small, tmp_path):
    with pytest.raises(InsufficientFundsError) as exc:
        file_payout(small, amount_fen=SMALL_FEN + 1)
    assert exc.value.status_code == 409
    assert "amount" in exc.value.extra["fields"]
    assert exc.value.extra["available_fen"] == SMALL_FEN
    _nothing_written(small, tmp_path)


@pytest.mark.parametrize("amount", [0, -100, 1.5, "12"])
def test_zero_negative_or_non_fen_amounts_are_refused(pw, tmp_path, amount):
    with pytest.raises(services.PayoutError) as exc:
        file_payout(pw, amount_fen=amount)
    assert "amount" in exc.value.extra["fields"]
    _nothing_written(pw, tmp_path)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("purpose", "修" * 501, "purpose: at most 500 characters (it is published for everyone to read)."),
        ("payee_name", "某" * 101, "payee_name: at most 100 characters."),
    ],
)
def test_published_free_text_has_a_ceiling(pw, tmp_path, field, value, message):
    with pytest.raises(services.PayoutError) as exc:
        file_payout(pw, **{field: value})
    assert exc.value.extra["fields"] == {field: [message]}
    _nothing_written(pw, tmp_path)
    assert file_payout(pw, **{field: value[:-1]}).status == PayoutStatus.SUBMITTED  # at the ceiling


def test_a_draft_update_keeps_the_ceiling(pw):
    draft = file_payout(pw, submit=False)
    with pytest.raises(services.PayoutError) as exc:
        services.payout_update(payout=draft, actor=pw.staff, purpose="修" * 501)
    assert list(exc.value.extra["fields"]) == ["purpose"]


def test_a_missing_invoice_is_refused(pw, tmp_path):
    with pytest.raises(services.PayoutError) as exc:
        file_payout(pw, attachments=[("quote", png())])
    assert "attachments" in exc.value.extra["fields"]
    _nothing_written(pw, tmp_path)


def test_a_resolution_is_needed_from_the_threshold(pw, tmp_path):
    threshold = services.payout_policy(pw.a).resolution_threshold_fen
    with pytest.raises(services.PayoutError) as exc:
        file_payout(pw, amount_fen=threshold)
    assert set(exc.value.extra["fields"]) == {"resolution_number", "resolution_date", "minutes"}
    _nothing_written(pw, tmp_path)

    payout = file_payout(
        pw,
        amount_fen=threshold,
        resolution_number="尚城业委〔2026〕3号",
        resolution_date=dt.date(2026, 3, 1),
        attachments=[("invoice", pdf()), ("minutes", pdf("minutes.pdf"))],
    )
    assert payout.status == PayoutStatus.SUBMITTED


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(("invoice.pdf", PNG_BYTES), id="png-named-pdf"),
        pytest.param(("invoice.pdf", b"<html><script>alert(1)</script></html>"), id="html-named-pdf"),
        pytest.param(("invoice.exe", b"MZ\x90\x00" + b"\x00" * 60), id="executable"),
        pytest.param(("invoice.pdf", b""), id="empty"),
    ],
)
def test_an_attachment_that_is_not_what_its_name_says_is_refused(pw, tmp_path, upload):
    from django.core.files.uploadedfile import SimpleUploadedFile

    name, data = upload
    with pytest.raises(AttachmentError) as exc:
        file_payout(pw, attachments=[("invoice", SimpleUploadedFile(name, data))])
    assert "invoice" in exc.value.extra["fields"]
    _nothing_written(pw, tmp_path)


def test_a_too_large_attachment_is_refused(pw, tmp_path, settings):
    settings.PAYOUT_ATTACHMENT_MAX_BYTES = 2048
    big = pdf(data=b"%PDF-1.4\n" + b"0" * 4096)
    with pytest.raises(AttachmentError) as exc:
        file_payout(pw, attachments=[("quote", pdf("ok.pdf")), ("invoice", big)])
    assert "larger than" in exc.value.message
    _nothing_written(pw, tmp_path)


def test_a_refused_submission_removes_the_files_already_stored(small, tmp_path):
    with pytest.raises(InsufficientFundsError):
        file_payout(
            small,
            amount_fen=SMALL_FEN + 1,
            attachments=[("invoice", pdf()), ("quote", png()), ("contract", pdf("c.pdf"))],
        )
    _nothing_written(small, tmp_path)


def test_only_staff_of_the_compound_file_requests(pw, tmp_path):
    for person in (pw.committee, pw.official, pw.resident, pw.outsider):
        with pytest.raises(PermissionDeniedError):
            file_payout(pw, actor=person)
    _nothing_written(pw, tmp_path)


# --------------------------------------------------------------------------- holds & reserve


def test_a_budget_is_signed_like_a_payout_and_a_rejected_one_reserves_nothing(small):
    pw = small
    year = add_months(timezone.localdate(), 1).year
    budget = services.budget_create(
        compound=pw.a,
        year=year,
        actor=pw.staff,
        lines=[
            {
                "expense_account": "nc_security",
                "payee_name": "咸宁安保公司",
                "payee_account": "6222000033334444",
                "monthly_amount_fen": 3_000_00,
            }
        ],
    )
    budget = services.budget_submit(budget=budget, actor=pw.staff)
    with pytest.raises(services.SegregationError):
        services.budget_approve(budget=budget, actor=pw.staff, second_factor=fresh())
    with pytest.raises(services.StepUpRequiredError):
        services.budget_approve(budget=budget, actor=pw.committee, second_factor=None)
    budget = services.budget_approve(budget=budget, actor=pw.committee, second_factor=fresh())
    with pytest.raises(services.SegregationError):
        services.budget_reject(budget=budget, actor=pw.committee, second_factor=fresh(), reason="再议")
    budget = services.budget_reject(
        budget=budget, actor=pw.committee2, second_factor=fresh(), reason="金额偏高"
    )
    assert (budget.status, budget.rejection_reason) == ("rejected", "金额偏高")
    assert services.payout_availability(pw.a).reserve == 0
    assert services.payouts_draft_monthly(period=dt.date(year, 1, 1)) == 0


def test_only_necessary_costs_may_use_the_reserve(small):
    pw = small
    approved_budget(pw, monthly_fen=5_000_00)
    availability = services.payout_availability(pw.a)
    assert availability.reserve == 5_000_00
    assert availability.available == SMALL_FEN - 5_000_00

    with pytest.raises(InsufficientFundsError):
        file_payout(pw, amount_fen=availability.available + 1)
    necessary = file_payout(
        pw,
        amount_fen=availability.available + 1,
        category=PayoutCategory.NECESSARY_COST,
        expense_account="nc_cleaning",
    )
    assert necessary.status == PayoutStatus.SUBMITTED
    after = services.payout_availability(pw.a)
    assert after.holds == availability.available + 1
    assert after.available == -1  # the reserve is being used, as only necessary costs may
    with pytest.raises(InsufficientFundsError):
        file_payout(pw, amount_fen=1)


def test_holds_count_against_the_next_submission_and_are_released(small):
    pw = small
    first = file_payout(pw, amount_fen=SMALL_FEN - 100)
    with pytest.raises(InsufficientFundsError):
        file_payout(pw, amount_fen=101)
    services.payout_reject(payout=first, actor=pw.committee, second_factor=fresh(), reason="重做")
    second = file_payout(pw, amount_fen=SMALL_FEN)
    services.payout_withdraw(payout=second, actor=pw.staff)
    assert _holds(pw) == 0
    paid = walk(pw, file_payout(pw, amount_fen=SMALL_FEN), to="paid")
    assert services.payout_availability(pw.a).cash == 0
    assert paid.journal_entry.lines.count() == 2
    assert ledger_verify(pw.a).ok


# --------------------------------------------------------------------------- notifications


def _inbox(user, kind=None) -> list[str]:
    qs = Notification.objects.filter(user=user)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.values_list("title", flat=True))


def test_next_signers_hear_of_a_submission_only_after_commit(pw, django_capture_on_commit_callbacks):
    give_email(pw.committee, pw.committee2, pw.chair, pw.official, pw.staff, pw.manager)
    draft = file_payout(pw, submit=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.payout_submit(payout=draft, actor=pw.staff)
    assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [pw.committee.email, pw.committee2.email, pw.chair.email]
    )
    for signer in (pw.committee, pw.committee2, pw.chair):
        assert len(_inbox(signer, "payout.waiting")) == 1
    for other in (pw.staff, pw.manager, pw.official, pw.resident, pw.street_admin):
        assert _inbox(other, "payout.waiting") == []


def test_the_applicant_hears_of_each_decision_and_the_community_of_its_turn(
    pw, django_capture_on_commit_callbacks
):
    give_email(pw.staff, pw.official)
    payout = file_payout(pw)
    with django_capture_on_commit_callbacks(execute=True):
        payout = approve(payout, pw.committee)
    assert _inbox(pw.staff, "payout.decision") == []  # no decision yet: one of two signatures
    with django_capture_on_commit_callbacks(execute=True):
        payout = approve(payout, pw.committee2)
    assert len(_inbox(pw.official, "payout.waiting")) == 1
    assert len(_inbox(pw.staff, "payout.decision")) == 1
    assert {m.to[0] for m in mail.outbox} == {pw.staff.email, pw.official.email}
    with django_capture_on_commit_callbacks(execute=True):
        payout = services.payout_reject(
            payout=payout, actor=pw.official, second_factor=fresh(), reason="超预算"
        )
    decisions = Notification.objects.filter(user=pw.staff, kind="payout.decision").order_by("id")
    assert decisions.count() == 2
    assert decisions.last().body == "超预算"
    assert decisions.last().url == f"/c/{pw.a.slug}/payouts/{payout.pk}/"


def test_a_refused_action_notifies_nobody(small, django_capture_on_commit_callbacks):
    give_email(small.committee)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(InsufficientFundsError):
        file_payout(small, amount_fen=SMALL_FEN + 1)
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_people_of_the_payee_company_are_not_asked_to_sign(pw):
    community_services.membership_create(
        user=pw.committee2, role="company_staff", company=pw.company, actor=None
    )
    file_payout(pw)
    assert _inbox(pw.committee2, "payout.waiting") == []
    assert len(_inbox(pw.committee, "payout.waiting")) == 1


# --------------------------------------------------------------------------- scheduled jobs


def test_monthly_drafts_are_idempotent(pw, django_capture_on_commit_callbacks):
    from escrow.tasks import payouts_draft_monthly_task

    budget = approved_budget(pw, monthly_fen=8_000_00)
    period = dt.date(budget.year, 12, 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert payouts_draft_monthly_task.delay(period.isoformat()).get() == 1
    assert services.payouts_draft_monthly(period=period) == 0
    assert payouts_draft_monthly_task.delay(period.isoformat()).get() == 0
    drafts = PayoutRequest.objects.filter(budget_line__budget=budget)
    assert drafts.count() == 1
    draft = drafts.get()
    assert (draft.status, draft.category, draft.amount_fen, draft.period) == (
        PayoutStatus.DRAFT,
        PayoutCategory.NECESSARY_COST,
        8_000_00,
        period,
    )
    assert len(_inbox(pw.staff, "payout.drafted")) == 1
    # The drafted request still needs its invoice and its signatures.
    with pytest.raises(services.PayoutError):
        services.payout_submit(payout=draft, actor=pw.staff)
    services.payout_attachment_add(payout=draft, actor=pw.staff, upload=pdf(), kind="invoice")
    assert services.payout_submit(payout=draft, actor=pw.staff).status == PayoutStatus.SUBMITTED


def test_reminders_after_three_days_and_escalation_after_seven(pw):
    from escrow.tasks import payouts_remind_task

    payout = approve(file_payout(pw), pw.committee)
    assert payouts_remind_task.delay().get() == {"reminded": 0, "escalated": 0}

    PayoutRequest.objects.filter(pk=payout.pk).update(
        waiting_since=timezone.now() - dt.timedelta(days=3, hours=1)
    )
    assert payouts_remind_task.delay().get() == {"reminded": 1, "escalated": 0}
    assert len(_inbox(pw.committee2, "payout.reminder")) == 1
    assert len(_inbox(pw.chair, "payout.reminder")) == 1
    assert _inbox(pw.committee, "payout.reminder") == []  # already signed
    assert _inbox(pw.street_admin, "payout.escalation") == []
    assert services.payouts_remind() == {"reminded": 0, "escalated": 0}  # once per step

    PayoutRequest.objects.filter(pk=payout.pk).update(
        waiting_since=timezone.now() - dt.timedelta(days=7, hours=1)
    )
    assert payouts_remind_task.delay().get() == {"reminded": 0, "escalated": 1}
    assert len(_inbox(pw.street_admin, "payout.escalation")) == 1
    assert _inbox(pw.inspector, "payout.escalation") == []
    assert services.payouts_remind() == {"reminded": 0, "escalated": 0}

    # The next step starts its own clock.
    payout = approve(payout, pw.committee2)
    assert payout.reminded_at is None and payout.escalated_at is None
    PayoutRequest.objects.filter(pk=payout.pk).update(waiting_since=timezone.now() - dt.timedelta(days=4))
    assert services.payouts_remind() == {"reminded": 1, "escalated": 0}
    assert len(_inbox(pw.official, "payout.reminder")) == 1


def test_the_beat_schedule_runs_both_jobs():
    from celery.schedules import crontab
    from django.conf import settings

    from config.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE
    monthly = schedule["payouts-draft-monthly"]
    assert monthly["task"] == "escrow.payouts_draft_monthly"
    assert monthly["schedule"] == crontab(minute=30, hour=0, day_of_month=1)
    assert schedule["payouts-remind-daily"]["task"] == "escrow.payouts_remind"
    app.loader.import_default_modules()
    assert {"escrow.payouts_draft_monthly", "escrow.payouts_remind"} <= set(app.tasks)


# --------------------------------------------------------------------------- other compounds


def test_requests_stay_in_their_compound(pw):
    open_escrow(pw, compound=pw.b)
    staff_b = pw.outsider
    community_services.membership_create(
        user=staff_b, role="company_staff", company=pw.other_company, compound=pw.b, actor=None
    )
    in_b = file_payout(pw, compound=pw.b, actor=staff_b)
    assert services.payout_availability(pw.a).holds == 0
    assert services.payout_availability(pw.b).holds == in_b.amount_fen
    with pytest.raises(PermissionDeniedError):
        approve(in_b, pw.committee)  # A's committee has no role in B
    assert ledger_verify(pw.b).ok


def test_verify_ledger_passes_after_payouts(pw):
    from io import StringIO

    from django.core.management import call_command

    walk(pw, file_payout(pw), to="paid")
    walk(pw, file_payout(pw, amount_fen=1), to="paid")
    out = StringIO()
    call_command("verify_ledger", compound=pw.a.slug, stdout=out)
    assert out.getvalue().startswith(f"OK   {pw.a.slug}: 3 entries")


# --------------------------------------------------------------------------- paying what was signed (issue 11)


@pytest.mark.parametrize(
    ("column", "value"),
    [("amount_fen", 1_400_000), ("payee_account_masked", "6217 **** **** 9999 999"), ("purpose", "别的用途")],
)
def test_payment_re_hashes_the_content_and_posts_nothing_when_it_changed(pw, column, value):
    payout = walk(pw, file_payout(pw, amount_fen=1_400), to="rechecked")
    PayoutRequest.objects.filter(pk=payout.pk).update(**{column: value})
    with pytest.raises(ConflictError, match="no longer matches what its signatures approved"):
        services.payout_pay(
            payout=payout,
            actor=pw.chair,
            bank_reference="HB-1",
            payment_date=timezone.localdate(),
            second_factor=fresh(),
        )
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.RECHECKED
    assert not JournalEntry.objects.filter(kind=EntryKind.PAYOUT).exists()


def test_payment_refuses_when_the_stored_hash_was_rewritten_with_the_content(pw):
    """Rewriting the request's own hash too does not help: the signatures bound the old one."""
    payout = walk(pw, file_payout(pw, amount_fen=1_400), to="rechecked")
    PayoutRequest.objects.filter(pk=payout.pk).update(amount_fen=1_400_000)
    payout.refresh_from_db()
    PayoutRequest.objects.filter(pk=payout.pk).update(content_hash=services.payout_content_hash(payout))
    with pytest.raises(ConflictError):
        services.payout_pay(
            payout=payout,
            actor=pw.chair,
            bank_reference="HB-1",
            payment_date=timezone.localdate(),
            second_factor=fresh(),
        )
    assert not JournalEntry.objects.filter(kind=EntryKind.PAYOUT).exists()


def test_verify_ledger_checks_each_paid_payout_against_its_signatures_and_its_entry(pw):
    from escrow.models import JournalLine

    paid = walk(pw, file_payout(pw), to="paid")
    assert ledger_verify(pw.a).ok
    # The entry's lines changed behind the chain's back and re-hashed is another test's
    # subject; here the request's amount moves while its hash is forged to match.
    PayoutRequest.objects.filter(pk=paid.pk).update(amount_fen=paid.amount_fen + 1)
    paid.refresh_from_db()
    PayoutRequest.objects.filter(pk=paid.pk).update(content_hash=services.payout_content_hash(paid))
    problems = ledger_verify(pw.a).problems
    assert f"paid payout #{paid.pk}: a signature bound a content hash other than its content now" in problems
    entry = paid.journal_entry
    assert any(
        p.startswith(f"paid payout #{paid.pk}: its ledger entry #{entry.sequence} does not post its amount")
        for p in problems
    )
    assert JournalLine.objects.filter(entry=entry).count() == 2
