"""Quarterly disclosures: the figures against a hand-computed example, reconciliation,
closed books, idempotent and resumable builds, publication, corrections, refusals."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts.models import Notification
from common.errors import PermissionDeniedError
from escrow.errors import PeriodClosedError
from escrow.ledger.services import credit, debit, ledger_post, ledger_reverse
from escrow.models import (
    Category,
    Disclosure,
    DisclosureFile,
    DisclosureStatus,
    EntryKind,
    EscrowAccount,
    JournalEntry,
    PayoutRequest,
    PayoutStatus,
)
from escrow.transparency import services as svc
from escrow.transparency.services import build as build_steps
from tests.escrow.ledger.helpers import open_escrow, pay_in, pay_out

pytestmark = pytest.mark.django_db

OPENED = dt.date(2026, 1, 1)


def unidentified(compound, fen, on):
    with transaction.atomic():
        return ledger_post(
            compound=compound,
            kind=EntryKind.UNIDENTIFIED_RECEIPT,
            legs=[debit(Category.ESCROW_CASH, fen), credit(Category.SUSPENSE, fen)],
            memo="待查收款",
            effective_date=on,
            actor=None,
        )


def assign(compound, fen, on):
    with transaction.atomic():
        return ledger_post(
            compound=compound,
            kind=EntryKind.SUSPENSE_ASSIGNMENT,
            legs=[debit(Category.SUSPENSE, fen), credit(Category.FEE_INCOME, fen)],
            memo="待查收款认领",
            effective_date=on,
            actor=None,
        )


@pytest.fixture
def example(world):
    """The worked example of docs/disclosures.md's rules, by hand:

    Q1 2026: opening entry ¥1,000.00 (owners' fund) on 01-01; fees ¥500.00 (01-10) and
    ¥250.50 (02-15); cleaning ¥300.00 paid (03-01); ¥99.99 unidentified (03-20).
      opening 0; income 750.50; expenses 300.00; other 1,000.00 + 99.99;
      closing 0 + 750.50 − 300.00 + 1,099.99 = 1,550.49; 5 entries.
    Q2 2026: fee ¥100.00 (04-02); the ¥99.99 assigned to a unit (04-05: suspense →
    fee income); repair ¥50.25 paid (05-05) and reversed (05-06).
      opening 1,550.49; income 199.99; expenses 50.25 − 50.25 = 0; other −99.99;
      closing 1,550.49 + 199.99 − 0 − 99.99 = 1,650.49; 4 entries.
    """
    compound = world.a
    open_escrow(compound, opening_fen=1_000_00, opened_on=OPENED)
    pay_in(compound, 500_00, on=dt.date(2026, 1, 10))
    pay_in(compound, 250_50, on=dt.date(2026, 2, 15))
    pay_out(compound, 300_00, category=Category.NC_CLEANING, on=dt.date(2026, 3, 1))
    unidentified(compound, 99_99, dt.date(2026, 3, 20))
    pay_in(compound, 100_00, on=dt.date(2026, 4, 2))
    assign(compound, 99_99, dt.date(2026, 4, 5))
    repair = pay_out(compound, 50_25, category=Category.REPAIRS, on=dt.date(2026, 5, 5))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.utils.timezone.localdate", lambda *a: dt.date(2026, 5, 6))
        ledger_reverse(entry=repair.entry, reason="重复支付", actor=None)
    return compound


def amounts(rows):
    return {row["category"]: row["amount"] for row in rows if row["amount"]}


def test_figures_match_the_hand_computed_example(example):
    q1 = svc.disclosure_figures(example, 2026, 1)
    assert q1["opening_balance"] == 0
    assert amounts(q1["income"]) == {Category.FEE_INCOME: 750_50}
    assert q1["income_total"] == 750_50
    assert amounts(q1["expenses"]) == {Category.NC_CLEANING: 300_00}
    assert q1["expense_total"] == 300_00
    assert amounts(q1["other_movements"]) == {Category.SUSPENSE: 99_99, Category.OWNERS_FUND: 1_000_00}
    assert q1["closing_balance"] == 1_550_49
    assert q1["entries_in_period"] == 5
    assert [(i["code"], i["amount"], i["kind"]) for i in q1["expense_items"]] == [("5102", 300_00, "payout")]

    q2 = svc.disclosure_figures(example, 2026, 2)
    assert q2["opening_balance"] == 1_550_49
    assert amounts(q2["income"]) == {Category.FEE_INCOME: 199_99}
    assert q2["expense_total"] == 0
    assert [(i["code"], i["amount"]) for i in q2["expense_items"]] == [("5201", 50_25), ("5201", -50_25)]
    assert amounts(q2["other_movements"]) == {Category.SUSPENSE: -99_99}
    assert q2["closing_balance"] == 1_650_49
    assert q2["entries_in_period"] == 4
    # Every chart account is listed, in code order, zero or not.
    assert [r["code"] for r in q2["expenses"]] == sorted(r["code"] for r in q2["expenses"])
    assert len(q2["income"]) == 5


def test_quarters_reconcile_and_chain_one_into_the_next(example):
    previous = None
    for quarter in (1, 2, 3):
        f = svc.disclosure_figures(example, 2026, quarter)
        assert (
            f["opening_balance"] + f["income_total"] - f["expense_total"] + f["other_total"]
            == f["closing_balance"]
        )
        assert sum(i["amount"] for i in f["expense_items"]) == f["expense_total"]
        if previous is not None:
            assert f["opening_balance"] == previous["closing_balance"]
        previous = f
    # The last closing balance is the cash the account holds.
    assert (
        previous["closing_balance"]
        == EscrowAccount.objects.get(compound=example)
        .compound.ledger_accounts.get(category=Category.ESCROW_CASH)
        .balance
    )


def build(compound, year, quarter, **kwargs):
    disclosure, _ = svc.disclosure_ensure(compound=compound, year=year, quarter=quarter)
    svc.disclosure_build(disclosure.pk, **kwargs)
    disclosure.refresh_from_db()
    return disclosure


def test_build_freezes_figures_closes_the_books_and_stores_every_file(example):
    disclosure = build(example, 2026, 1)
    assert disclosure.status == DisclosureStatus.READY
    assert disclosure.figures["closing_balance"] == 1_550_49
    assert disclosure.digest == svc.figures_digest(disclosure.figures)
    escrow = EscrowAccount.objects.get(compound=example)
    assert escrow.closed_through == dt.date(2026, 3, 31)
    assert (disclosure.entry_count, disclosure.head_hash) == (escrow.entry_count, escrow.head_hash)
    files = {f.format: f for f in DisclosureFile.objects.filter(disclosure=disclosure)}
    assert set(files) == {"json", "csv", "html", "pdf"}
    import hashlib
    import json

    for f in files.values():
        assert f.sha256 == hashlib.sha256(bytes(f.content)).hexdigest()
        assert f.size == len(bytes(f.content))
    document = json.loads(bytes(files["json"].content))
    assert document["digest"] == disclosure.digest
    assert svc.figures_digest(document) == disclosure.digest


def test_pdf_embeds_a_cjk_font_and_carries_the_database_totals(example, tmp_path):
    disclosure = build(example, 2026, 1)
    pdf = tmp_path / "d.pdf"
    pdf.write_bytes(bytes(DisclosureFile.objects.get(disclosure=disclosure, format="pdf").content))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line or "Micro" in line]
    assert cjk and all(" yes " in line for line in cjk), fonts
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "1,550.49" in text  # the closing balance in the database
    assert "750.50" in text
    assert disclosure.digest[:16] in text.replace("\n", "")


def test_closed_books_refuse_back_dated_entries_but_replays_still_answer(example):
    earlier = pay_in(example, 1_00, key="bank:LATE-1", on=dt.date(2026, 3, 30))
    build(example, 2026, 1)
    with pytest.raises(PeriodClosedError, match="closed through 2026-03-31"):
        pay_in(example, 2_00, on=dt.date(2026, 3, 31))
    # A replay of an entry posted before the closing returns the first result.
    again = pay_in(example, 1_00, key="bank:LATE-1", on=dt.date(2026, 3, 30))
    assert again.entry.pk == earlier.entry.pk and not again.created
    pay_in(example, 2_00, on=dt.date(2026, 4, 1))  # the next quarter is open


def test_building_again_yields_the_same_figures_and_no_duplicate(example):
    first = build(example, 2026, 1)
    assert svc.disclosure_build(first.pk) is None  # already built: nothing happens
    assert svc.disclosure_ensure(compound=example, year=2026, quarter=1) == (first, False)
    # Postings after the closing (later quarters) do not change the quarter's figures.
    pay_in(example, 7_00, on=dt.date(2026, 6, 30))
    again = svc.disclosure_figures(example, 2026, 1, through=first.entry_count)
    assert svc.figures_digest(again) == first.digest
    assert Disclosure.objects.filter(compound=example, year=2026, quarter=1).count() == 1
    assert DisclosureFile.objects.filter(disclosure=first).count() == 4


class Killed(Exception):
    pass


def test_a_build_killed_between_files_is_finished_by_the_sweep_exactly_once(example):
    disclosure, _ = svc.disclosure_ensure(compound=example, year=2026, quarter=1)

    def die_after_csv(fmt):
        if fmt == "csv":
            raise Killed

    with pytest.raises(Killed):
        svc.disclosure_build(disclosure.pk, after_file=die_after_csv)
    disclosure.refresh_from_db()
    assert disclosure.status == DisclosureStatus.BUILDING
    digest = disclosure.digest
    assert sorted(DisclosureFile.objects.filter(disclosure=disclosure).values_list("format", flat=True)) == [
        "csv",
        "json",
    ]
    # Within the lease nobody takes it over; after it, the sweep does.
    assert svc.disclosures_sweep() == []
    # The worker is gone; time passes beyond the lease.
    Disclosure.objects.filter(pk=disclosure.pk).update(
        claimed_at=disclosure.claimed_at - build_steps.CLAIM_LEASE - dt.timedelta(seconds=1)
    )
    assert svc.disclosures_sweep() == [disclosure.pk]  # eager in tests: built inline
    disclosure.refresh_from_db()
    assert disclosure.status == DisclosureStatus.READY
    assert disclosure.digest == digest
    assert disclosure.attempts == 2
    assert sorted(DisclosureFile.objects.filter(disclosure=disclosure).values_list("format", flat=True)) == [
        "csv",
        "html",
        "json",
        "pdf",
    ]


def test_a_build_whose_heartbeat_stopped_is_taken_over_inside_the_lease(example):
    disclosure, _ = svc.disclosure_ensure(compound=example, year=2026, quarter=1)
    with pytest.raises(Killed):
        svc.disclosure_build(disclosure.pk, after_file=lambda fmt: (_ for _ in ()).throw(Killed()))
    disclosure.refresh_from_db()
    assert disclosure.heartbeat_at is not None
    now = timezone.now()
    # The claim is fresh (well within the lease) but the heartbeat stopped 21 s ago.
    Disclosure.objects.filter(pk=disclosure.pk).update(
        claimed_at=now - dt.timedelta(seconds=21), heartbeat_at=now - dt.timedelta(seconds=21)
    )
    assert svc.disclosures_sweep() == [disclosure.pk]
    disclosure.refresh_from_db()
    assert (disclosure.status, disclosure.attempts) == (DisclosureStatus.READY, 2)


def test_a_build_with_a_live_heartbeat_is_left_alone(example):
    disclosure, _ = svc.disclosure_ensure(compound=example, year=2026, quarter=1)
    with pytest.raises(Killed):
        svc.disclosure_build(disclosure.pk, after_file=lambda fmt: (_ for _ in ()).throw(Killed()))
    now = timezone.now()
    Disclosure.objects.filter(pk=disclosure.pk).update(
        claimed_at=now - dt.timedelta(minutes=5), heartbeat_at=now - dt.timedelta(seconds=10)
    )
    assert svc.disclosures_sweep() == []
    assert build_steps._claim(disclosure.pk, timezone.now()) is None


def test_the_defaults_resume_a_dead_build_within_a_minute(settings):
    from django.conf import settings as live

    from config.settings import base

    sweep = base.CELERY_BEAT_SCHEDULE["escrow-disclosures-sweep"]["schedule"]
    assert not hasattr(live, "DISCLOSURE_HEARTBEAT_STALE_SECONDS")  # the defaults apply
    every, stale = build_steps.heartbeat_every(), build_steps.heartbeat_stale().total_seconds()
    assert every * 3 <= stale  # a few missed beats, not one slow one, mean death
    assert stale + every + sweep <= 60  # worst case: last beat, then stale, then the next sweep


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_while_the_build_runs_and_stops_after(world, settings):
    import time

    settings.DISCLOSURE_HEARTBEAT_SECONDS = 0.2
    open_escrow(world.a, opening_fen=500_00, opened_on=OPENED)
    disclosure, _ = svc.disclosure_ensure(compound=world.a, year=2026, quarter=1)
    token = build_steps._claim(disclosure.pk, timezone.now())
    beats = []
    with build_steps._Heartbeat(disclosure.pk, token):
        for _ in range(3):
            time.sleep(0.5)
            beats.append(Disclosure.objects.get(pk=disclosure.pk).heartbeat_at)
    assert beats[0] < beats[1] < beats[2]
    last = Disclosure.objects.get(pk=disclosure.pk).heartbeat_at
    time.sleep(0.5)
    assert Disclosure.objects.get(pk=disclosure.pk).heartbeat_at == last  # stopped with the build


def test_a_run_whose_lease_was_taken_over_stops_without_writing(example):
    disclosure, _ = svc.disclosure_ensure(compound=example, year=2026, quarter=1)
    slow = build_steps._claim(disclosure.pk, dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    fast = build_steps._claim(
        disclosure.pk, dt.datetime(2026, 11, 1, tzinfo=dt.UTC) + build_steps.CLAIM_LEASE * 2
    )
    assert fast == slow + 1
    with pytest.raises(build_steps.LostClaim):
        build_steps._freeze(disclosure.pk, slow)
    build_steps._freeze(disclosure.pk, fast)
    assert Disclosure.objects.get(pk=disclosure.pk).figures is not None


def test_build_due_queues_the_previous_quarter_once_per_compound(
    example, world, django_capture_on_commit_callbacks
):
    queued = svc.disclosures_build_due(today=dt.date(2026, 4, 1))
    assert len(queued) == 1  # compound B has no escrow account
    d = Disclosure.objects.get(compound=example, year=2026, quarter=1)
    assert d.status == DisclosureStatus.READY  # eager
    assert svc.disclosures_build_due(today=dt.date(2026, 4, 1)) == []
    assert Disclosure.objects.filter(compound=example).count() == 1


@pytest.mark.parametrize(
    ("year", "quarter", "message"),
    [
        (2026, 4, "has not ended yet"),
        (2027, 1, "has not ended yet"),
        (2025, 4, "before the escrow account opened"),
        (2026, 5, "must be 1, 2, 3 or 4"),
        ("x", 1, "give a year and a quarter"),
    ],
)
def test_request_refuses_a_period_that_cannot_be_disclosed(example, world, year, quarter, message):
    with pytest.raises(svc.DisclosureError, match=message):
        svc.disclosure_request(compound=example, year=year, quarter=quarter, actor=world.official)
    assert not Disclosure.objects.exists()


def test_only_officials_request_publish_or_correct(example, world):
    for user in (world.resident, world.committee, world.staff, world.chair, world.inspector):
        with pytest.raises(PermissionDeniedError):
            svc.disclosure_request(compound=example, year=2026, quarter=1, actor=user)
    # The official of another community cannot act on this compound.
    from communities import services as community_services
    from communities.testing import make_user

    other = make_user(name="别的社区书记")
    community_services.membership_create(
        user=other, role="community_official", community=world.other_community, actor=None
    )
    with pytest.raises(PermissionDeniedError):
        svc.disclosure_request(compound=example, year=2026, quarter=1, actor=other)


def test_publication_notifies_members_in_app_and_by_mail(example, world, django_capture_on_commit_callbacks):
    world.resident.email = "resident@example.com"
    world.resident.save()
    with django_capture_on_commit_callbacks(execute=True):
        disclosure = svc.disclosure_request(compound=example, year=2026, quarter=1, actor=world.official)
    disclosure.refresh_from_db()
    assert disclosure.status == DisclosureStatus.READY
    with pytest.raises(PermissionDeniedError):
        svc.disclosure_publish(disclosure=disclosure, actor=world.resident)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        svc.disclosure_publish(disclosure=disclosure, actor=world.official)
    disclosure.refresh_from_db()
    assert disclosure.status == DisclosureStatus.PUBLISHED and disclosure.published_by == world.official
    notes = Notification.objects.filter(kind="disclosure.published", compound=example)
    assert world.resident.pk in set(notes.values_list("user_id", flat=True))
    assert world.outsider.pk not in set(notes.values_list("user_id", flat=True))
    assert [m.to for m in mail.outbox] == [["resident@example.com"]]


def test_unpublished_quarter_is_flagged_to_the_street_office_once(example, world):
    build(example, 2026, 1)
    assert svc.disclosures_flag_overdue(today=dt.date(2026, 4, 15)) == []  # within 15 days
    flagged = svc.disclosures_flag_overdue(today=dt.date(2026, 4, 16))
    assert len(flagged) == 1
    notes = Notification.objects.filter(kind="disclosure.overdue")
    assert list(notes.values_list("user_id", flat=True)) == [world.street_admin.pk]
    assert svc.disclosures_flag_overdue(today=dt.date(2026, 4, 17)) == []
    assert notes.count() == 1


def test_a_correction_is_a_new_version_with_its_reason_and_the_old_one_stays(
    example, world, django_capture_on_commit_callbacks
):
    first = build(example, 2026, 1)
    svc.disclosure_publish(disclosure=first, actor=world.official)
    with pytest.raises(svc.DisclosureError, match="reason"):
        svc.books_reopen(disclosure=first, reason=" ", actor=world.official)
    svc.books_reopen(disclosure=first, reason="漏记一笔3月31日的银行到账", actor=world.official)
    # Q1 is the account's first quarter: reopening it leaves nothing closed.
    assert EscrowAccount.objects.get(compound=example).closed_through is None
    pay_in(example, 10_00, on=dt.date(2026, 3, 31))
    with pytest.raises(svc.DisclosureError, match="reason"):
        svc.disclosure_correct(disclosure=first, reason="", actor=world.official)
    with pytest.raises(svc.DisclosureError) as too_long:  # the reason is published: a ceiling
        svc.disclosure_correct(disclosure=first, reason="改" * 1001, actor=world.official)
    assert too_long.value.extra["fields"] == {
        "reason": ["reason: at most 1000 characters (it is published with the correction)."]
    }
    with django_capture_on_commit_callbacks(execute=True):
        second = svc.disclosure_correct(
            disclosure=first, reason="补记3月31日到账¥10.00", actor=world.official
        )
    second.refresh_from_db()
    assert (second.version, second.status, second.supersedes_id) == (2, DisclosureStatus.READY, first.pk)
    assert second.figures["closing_balance"] == first.figures["closing_balance"] + 10_00
    assert second.figures["correction_reason"] == "补记3月31日到账¥10.00"
    assert second.figures["supersedes_digest"] == first.digest
    first.refresh_from_db()
    assert first.status == DisclosureStatus.PUBLISHED
    assert Disclosure.objects.filter(supersedes=first).get() == second
    with pytest.raises(svc.DisclosureError, match="newest version"):
        svc.disclosure_publish(disclosure=first, actor=world.official)
    with pytest.raises(svc.DisclosureError, match="already been corrected"):
        svc.disclosure_correct(disclosure=first, reason="again", actor=world.official)
    assert EscrowAccount.objects.get(compound=example).closed_through == dt.date(2026, 3, 31)


def test_only_the_latest_closed_quarter_can_be_reopened(example, world):
    q1 = build(example, 2026, 1)
    build(example, 2026, 2)
    with pytest.raises(svc.DisclosureError, match="only the latest disclosed quarter"):
        svc.books_reopen(disclosure=q1, reason="x", actor=world.official)
    assert JournalEntry.objects.filter(compound=example).count() == 9


# Found in review: each of these failed before the fix.


def _aware(day, hour=12):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_an_earlier_quarter_cannot_be_reopened_under_a_later_published_disclosure(example, world):
    q1 = build(example, 2026, 1)
    svc.disclosure_publish(disclosure=q1, actor=world.official)
    q2 = build(example, 2026, 2)
    svc.disclosure_publish(disclosure=q2, actor=world.official)
    svc.books_reopen(disclosure=q2, reason="补记", actor=world.official)
    # Q2's published opening balance depends on Q1: Q1 must stay closed.
    with pytest.raises(svc.DisclosureError, match="A later quarter has been disclosed"):
        svc.books_reopen(disclosure=q1, reason="改一月", actor=world.official)
    # (before the fix the line above passed, and then this posting is accepted,
    # silently changing Q2's published opening balance)
    with pytest.raises(PeriodClosedError):
        pay_in(example, 1_00, on=dt.date(2026, 1, 15))


def test_a_ready_disclosure_cannot_be_published_once_its_quarter_was_reopened(example, world):
    q1 = build(example, 2026, 1)  # ready, not published
    svc.books_reopen(disclosure=q1, reason="漏记一笔", actor=world.official)
    pay_in(example, 10_00, on=dt.date(2026, 3, 31))  # the ledger now differs from q1's figures
    with pytest.raises(svc.DisclosureError, match="reopened after this version was built"):
        svc.disclosure_publish(disclosure=q1, actor=world.official)
    q1.refresh_from_db()
    assert q1.status == DisclosureStatus.READY


def test_a_payout_paid_in_the_quarter_is_not_also_an_open_hold(example, world):
    entry = pay_out(example, 40_00, category=Category.REPAIRS, on=dt.date(2026, 3, 30)).entry
    PayoutRequest.objects.create(
        compound=example,
        applicant=world.official,
        category="repair",
        expense_account=Category.REPAIRS,
        payee_name="某维修公司",
        payee_account_masked="6222 **** 0001",
        amount_fen=40_00,
        purpose="水泵维修",
        status=PayoutStatus.PAID,
        submitted_at=_aware(dt.date(2026, 3, 20)),
        # payout_pay sets decided_at = paid_at = when it was *recorded* (here 2 April),
        # payment_date = the bank transfer's date (30 March, in Q1).
        decided_at=_aware(dt.date(2026, 4, 2)),
        paid_at=_aware(dt.date(2026, 4, 2)),
        payment_date=dt.date(2026, 3, 30),
        bank_reference="TR-1",
        journal_entry=entry,
    )
    f = svc.disclosure_figures(example, 2026, 1)
    assert any(i["entry"] == entry.sequence and i["payout"] for i in f["expense_items"])
    assert f["open_holds"]["amount"] == 0, f["open_holds"]  # before the fix: 4000 (counted twice)


def test_reopen_refuses_while_a_version_of_the_quarter_is_being_built(example, world):
    q1 = build(example, 2026, 1)
    svc.disclosure_publish(disclosure=q1, actor=world.official)
    v2 = svc.disclosure_correct(disclosure=q1, reason="重算", actor=world.official)
    # v2 frozen (books closed again), not yet rendered — e.g. a worker is on the PDF.
    token = build_steps._claim(v2.pk, timezone.now())
    build_steps._freeze(v2.pk, token)
    with pytest.raises(svc.DisclosureError, match="being built"):
        svc.books_reopen(disclosure=q1, reason="again", actor=world.official)
    # (before the fix: reopened; v2 then went ready with figures that ignore what is posted
    # now, and the quarter stays open under v2 once it is published)
    assert EscrowAccount.objects.get(compound=example).closed_through == dt.date(2026, 3, 31)
