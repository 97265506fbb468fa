"""seed_demo builds the Fushan pilot through the services, once: the organisations and
people, a year of fees in, a year of payouts out through the real workflow, and every
past quarter disclosed — and a resident can follow a payout into the public ledger and
the quarter's disclosure, which the stand-alone verifier confirms.

Seeding is slow (thousands of service calls), so this module seeds once, in a
module-scoped fixture that commits to the test database and flushes it afterwards; each
test reads that data inside its own rolled-back transaction."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.test import Client, override_settings
from django.utils import timezone

from accounts.models import UsedTotpCode
from common.periods import ended_quarters, quarter_bounds
from communities import selectors
from communities.models import (
    Compound,
    Party,
    PartyUnit,
    Role,
    ServiceContract,
    StewardAssignment,
    StreetOffice,
)
from communities.permissions import Capability, standing_in
from escrow.demo.fees import FIRST_MONTH
from escrow.demo.payouts import Q3_REPAIR_PAID, Q3_REPAIR_SUBMITTED
from escrow.models import (
    Category,
    Disclosure,
    DisclosureStatus,
    EscrowAccount,
    Payment,
    PayoutCategory,
    PayoutRequest,
    PayoutStatus,
    SignatureStep,
)
from escrow.transparency.public_export import iter_export_lines
from portal.demo_signers import current_code
from portal.management.commands.seed_demo import COMPOUNDS, DEMO_PASSWORD, LOGINS

ROOT = Path(__file__).resolve().parents[2]
SLUGS = [p.slug for p in COMPOUNDS]


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in ("communities", "accounts", "account", "escrow")
        for model in apps.get_app_config(app).get_models()
    }


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@dataclass(frozen=True)
class Seeded:
    first: str
    second: str
    if_empty: str
    before_second: dict
    after_second: dict
    media: Path


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seed twice (the second run must change nothing) and once more with --if-empty."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        try:
            with override_settings(DEBUG=False):
                first = _seed("--force")
                before = _counts()
                second = _seed("--force")
                after = _counts()
            # `make run` seeds only an empty database, and DEBUG on needs no --force.
            with override_settings(DEBUG=True):
                if_empty = _seed("--if-empty")
            assert _counts() == after
            yield Seeded(first, second, if_empty, before, after, media)
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
def test_it_refuses_without_force_when_debug_is_off(settings):
    settings.DEBUG = False
    offices = StreetOffice.objects.count()
    with pytest.raises(CommandError, match=r"DEBUG.*--force"):
        _seed()
    assert StreetOffice.objects.count() == offices


@pytest.mark.django_db
def test_it_builds_the_pilot_once(seeded):
    first = seeded.first

    # 浮山街道 → two communities → five pilot compounds, each with 19 duties and a few hundred flats.
    office = StreetOffice.objects.get(name="浮山街道")
    assert (office.district, office.city) == ("咸安区", "咸宁市")
    assert office.communities.count() == 2
    compounds = Compound.objects.filter(community__street_office=office)
    assert {c.slug for c in compounds} == {p.slug for p in COMPOUNDS}
    assert {"shangcheng", "yinquan", "longquan"} <= {c.slug for c in compounds}
    assert Compound.objects.get(slug="shangcheng").community.name == "书台社区"
    for compound in compounds:
        duties = selectors.current_duty_list(compound)
        assert [d.number for d in duties.duties.all()] == list(range(1, 20)), compound.slug
        assert compound.units.count() >= 200, compound.slug
        areas = list(compound.units.values_list("floor_area", flat=True))
        assert all(60 <= area <= 180 for area in areas)
        assert selectors.active_contract(compound) is not None
        assert 95 <= selectors.active_contract(compound).fee_rate_fen <= 150
        branch = PartyUnit.objects.get(compound=compound, level=PartyUnit.Level.COMPOUND_BRANCH)
        assert branch.parent.level == PartyUnit.Level.COMMUNITY_ORGANISATION
        assert branch.children.count() == compound.buildings.count()
        assert StewardAssignment.objects.filter(compound=compound).count() >= compound.buildings.count()
        assert selectors.committee_seats(compound)

    # 华懋物业 took over 尚城国际 on 2025-12-25 from the old company, without a gap.
    old, new = ServiceContract.objects.filter(compound__slug="shangcheng").order_by("start_date")
    assert (new.company.name, new.start_date, new.status) == ("华懋物业", dt.date(2025, 12, 25), "active")
    assert (old.status, old.end_date) == ("ended", dt.date(2025, 12, 24))

    # One log-in per role, printed; the cross-appointed person holds both roles.
    for login in LOGINS:
        assert login.phone in first and login.email in first
    assert DEMO_PASSWORD in first
    users = {x.key: apps.get_model("accounts", "User").objects.get(phone=x.phone) for x in LOGINS}
    shangcheng = Compound.objects.get(slug="shangcheng")
    assert users["admin"].is_superuser
    cross = standing_in(users["cross"], shangcheng)
    assert {Role.COMMITTEE_MEMBER, Role.COMMUNITY_OFFICIAL} <= cross.roles
    assert {Capability.REVIEW_PAYOUT, Capability.RECHECK_PAYOUT} <= cross.capabilities
    expected = {
        "resident": Role.OWNER,
        "owner_rep": Role.OWNER_REP,
        "staff": Role.COMPANY_STAFF,
        "manager": Role.COMPANY_MANAGER,
        "committee": Role.COMMITTEE_MEMBER,
        "committee2": Role.COMMITTEE_MEMBER,
        "chair": Role.COMMITTEE_CHAIR,
        "official": Role.COMMUNITY_OFFICIAL,
        "secretary": Role.COMMUNITY_SECRETARY,
        "steward": Role.STEWARD,
        "street_admin": Role.STREET_ADMIN,
        "inspector": Role.STREET_INSPECTOR,
    }
    for key, role in expected.items():
        assert role in standing_in(users[key], shangcheng).roles, key
    assert StewardAssignment.objects.filter(membership__user=users["steward"]).count() == 3

    # Every pilot has someone to file payouts and an official to recheck them, and its
    # committee was in office for the whole year that the payouts replay.
    for compound in compounds:
        people = selectors.users_with_roles(compound, [Role.COMPANY_STAFF, Role.COMMUNITY_OFFICIAL])
        roles = {r for user in people for r in standing_in(user, compound).roles}
        assert {Role.COMPANY_STAFF, Role.COMMUNITY_OFFICIAL} <= roles, compound.slug
        for user in selectors.users_with_roles(compound, [Role.COMMITTEE_MEMBER, Role.COMMITTEE_CHAIR]):
            assert standing_in(user, compound, on=FIRST_MONTH).can(Capability.REVIEW_PAYOUT), compound.slug

    # Log-in by phone (as typed) and by e-mail with the documented password; a signer
    # then gives the code of the demo's authenticator app (DEMO_TOTP_SECRET).
    for login in ("13800000005", "committee@example.com"):
        client = Client()
        response = client.post("/accounts/login/", {"login": login, "password": DEMO_PASSWORD})
        assert response.status_code == 302, login
        assert response["Location"] == "/accounts/2fa/authenticate/", login
        response = client.post(response["Location"], {"code": current_code(users["committee"])})
        assert response.status_code == 302, login
        assert client.get("/").context["user"] == users["committee"]
        # A code counts once, in every worker (accounts.stepup keeps used codes in the
        # database); forget it so the second log-in may give the same code.
        UsedTotpCode.objects.all().delete()
        cache.clear()


@pytest.mark.django_db
def test_a_second_run_creates_and_posts_nothing(seeded):
    assert seeded.after_second == seeded.before_second
    assert seeded.before_second["escrow.JournalEntry"] > 0
    assert seeded.before_second["escrow.PayoutRequest"] > 0
    assert "Nothing to do" in seeded.second
    assert "already has compounds" in seeded.if_empty
    # The seed output tells per compound what went out and what was disclosed.
    for name in ("尚城国际", "淦河家园"):
        assert any(
            name in line and "paid" in line and "in flight" in line for line in seeded.first.splitlines()
        )
        assert any(name in line and "published 4" in line for line in seeded.first.splitlines())


def _expected_quarters(compound) -> list[tuple[int, int]]:
    escrow = EscrowAccount.objects.get(compound=compound)
    return ended_quarters(escrow.opened_on, timezone.localdate())


def _assert_pdf_reads_in_chinese(disclosure, pdf: bytes, folder: Path) -> None:
    """The PDF embeds the CJK font and its text carries the compound's Chinese name and
    the payees and purposes of the quarter's payouts."""
    path = folder / f"{disclosure.compound.slug}-{disclosure.year}Q{disclosure.quarter}.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "WenQuanYi" in fonts, fonts
    text = "".join(
        subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert disclosure.compound.name in text
    item = next(i for i in disclosure.figures["expense_items"] if i["payout"])
    assert item["payout"]["payee"] in text and item["payout"]["purpose"] in text


@pytest.mark.django_db
def test_every_pilot_has_its_past_quarters_disclosed(seeded):
    for slug in SLUGS:
        compound = Compound.objects.get(slug=slug)
        quarters = _expected_quarters(compound)
        assert quarters[:4] == [(2025, 4), (2026, 1), (2026, 2), (2026, 3)]
        disclosures = list(
            Disclosure.objects.filter(compound=compound).order_by("year", "quarter").prefetch_related("files")
        )
        assert [(d.year, d.quarter) for d in disclosures] == quarters, slug
        closing = 0
        for disclosure in disclosures:
            assert disclosure.status == DisclosureStatus.PUBLISHED, disclosure
            assert disclosure.published_by is not None
            assert Role.COMMUNITY_OFFICIAL in standing_in(disclosure.published_by, compound).roles
            files = {f.format: bytes(f.content) for f in disclosure.files.all()}
            assert set(files) == {"json", "csv", "html", "pdf"}, disclosure
            assert files["pdf"].startswith(b"%PDF-"), disclosure
            figures = disclosure.figures
            # Money went out every quarter, and no quarter ends in the red.
            assert figures["expense_total"] > 0 and figures["closing_balance"] > 0, disclosure
            assert figures["opening_balance"] == closing, "a quarter opens where the last one closed"
            closing = figures["closing_balance"]
        if slug == "shangcheng" and shutil.which("pdftotext") and shutil.which("pdffonts"):
            _assert_pdf_reads_in_chinese(disclosures[-1], files["pdf"], seeded.media)
        # The books are closed through the last disclosed quarter.
        assert EscrowAccount.objects.get(compound=compound).closed_through == quarter_bounds(*quarters[-1])[1]


@pytest.mark.django_db
def test_payouts_went_through_the_workflow_and_some_are_still_in_flight(seeded):
    statuses = set(PayoutRequest.objects.values_list("status", flat=True))
    assert {PayoutStatus.SUBMITTED, PayoutStatus.REVIEWED, PayoutStatus.PAID} <= statuses
    assert not statuses & {PayoutStatus.DRAFT, PayoutStatus.REJECTED, PayoutStatus.WITHDRAWN}
    shangcheng = PayoutRequest.objects.filter(compound__slug="shangcheng")
    assert shangcheng.filter(status=PayoutStatus.SUBMITTED).exists(), "the committee's queue"
    assert shangcheng.filter(status=PayoutStatus.REVIEWED).exists(), "the community's queue"
    assert shangcheng.filter(status=PayoutStatus.PAID).first().applicant.phone == "+8613800000003"  # 段家小
    for slug in SLUGS:
        compound = Compound.objects.get(slug=slug)
        requests = PayoutRequest.objects.filter(compound=compound)
        paid = requests.filter(status=PayoutStatus.PAID)
        assert 40 <= paid.count() <= 60, slug
        assert requests.filter(status__in=(PayoutStatus.SUBMITTED, PayoutStatus.REVIEWED)).exists(), slug
        assert {a for (a,) in paid.values_list("expense_account")} == {
            Category.NC_STAFF,
            Category.NC_CLEANING,
            Category.NC_SECURITY,
            Category.NC_UTILITIES,
            Category.REPAIRS,
            Category.SETTLEMENT_RELEASE,  # the first year's settlement (settlements/demo.py)
        }
        # The third quarter's repair was submitted before the quarter ended and paid after.
        q3 = paid.get(
            category=PayoutCategory.REPAIR,
            submitted_at__date__gte=Q3_REPAIR_SUBMITTED,
            submitted_at__date__lte=Q3_REPAIR_SUBMITTED + dt.timedelta(days=1),
        )
        assert timezone.localtime(q3.submitted_at).date() == Q3_REPAIR_SUBMITTED
        assert q3.payment_date == Q3_REPAIR_PAID
        # Necessary costs are a share of what came in that month: cash never runs short.
        month = dt.date(2026, 6, 1)
        received = Payment.objects.filter(
            compound=compound, received_on__gte=month, received_on__lt=dt.date(2026, 7, 1)
        ).aggregate(s=Sum("amount_fen"))["s"]
        spent = paid.filter(category=PayoutCategory.NECESSARY_COST, payment_date__month=6).aggregate(
            s=Sum("amount_fen")
        )["s"]
        assert 0.5 * received <= spent <= 0.7 * received, slug

    # Each paid request: an invoice on disk, two committee reviews and a community recheck
    # by distinct people, none of them the applicant or of the payee company, then paid.
    company_staff = {
        m.user_id for m in apps.get_model("communities", "Membership").objects.filter(party=Party.COMPANY)
    }
    sample = PayoutRequest.objects.filter(status=PayoutStatus.PAID).prefetch_related(
        "signatures", "attachments"
    )
    for payout in sample.order_by("pk")[::25]:
        (invoice,) = payout.attachments.all()
        assert invoice.kind == "invoice" and Path(invoice.file.path).is_file()
        assert str(seeded.media) in invoice.file.path
        signatures = list(payout.signatures.all())
        assert sorted(s.step for s in signatures) == [
            SignatureStep.RECHECK,
            SignatureStep.REVIEW,
            SignatureStep.REVIEW,
        ]
        signers = {s.signer_id for s in signatures} | {payout.paid_by_id}
        assert len({s.signer_id for s in signatures}) == 3
        assert payout.applicant_id not in signers and not signers & company_staff
        assert all(s.second_factor == "totp" and s.second_factor_at == s.signed_at for s in signatures)
        # Replayed on the day: submitted, signed and paid in that order, on historical dates.
        times = [payout.submitted_at, *sorted(s.signed_at for s in signatures), payout.paid_at]
        assert times == sorted(times)
        assert timezone.localtime(payout.paid_at).date() == payout.payment_date
        assert payout.payment_date <= timezone.localdate()
        assert payout.journal_entry.effective_date == payout.payment_date


def _disclosure(slug: str, year: int, quarter: int) -> Disclosure:
    return Disclosure.objects.get(compound__slug=slug, year=year, quarter=quarter, version=1)


@pytest.mark.django_db
def test_a_payout_can_be_followed_into_the_public_ledger_and_the_disclosure(seeded):
    disclosure = _disclosure("shangcheng", 2026, 3)
    start, end = quarter_bounds(2026, 3)
    payout = (
        PayoutRequest.objects.filter(
            compound=disclosure.compound,
            status=PayoutStatus.PAID,
            category=PayoutCategory.NECESSARY_COST,
            payment_date__gte=start,
            payment_date__lte=end,
        )
        .select_related("journal_entry")
        .order_by("pk")
        .first()
    )
    seq = payout.journal_entry.sequence

    # The public export (what anyone downloads) carries the entry, with the payee.
    lines = [
        json.loads(line) for line in iter_export_lines(disclosure.compound, through=disclosure.entry_count)
    ]
    header, entries = lines[0], lines[1:]
    assert header["entry_count"] == disclosure.entry_count == len(entries)
    (entry,) = [e for e in entries if e["seq"] == seq]
    assert entry["kind"] == "payout" and entry["date"] == payout.payment_date.isoformat()
    assert entry["counterparty"] == payout.payee_name
    codes = {a["category"]: a["code"] for a in header["accounts"]}
    assert sorted(entry["lines"]) == sorted(
        [
            [codes[payout.expense_account], "D", payout.amount_fen],
            [codes["escrow_cash"], "C", payout.amount_fen],
        ]
    )
    assert "+86" not in json.dumps(lines, ensure_ascii=False), "no phone number in the export"

    # The quarter's disclosure itemizes it: entry sequence, request, payee and purpose.
    items = [i for i in disclosure.figures["expense_items"] if i["entry"] == seq]
    assert len(items) == 1
    assert items[0]["code"] == codes[payout.expense_account]
    assert items[0]["amount"] == payout.amount_fen
    assert items[0]["payout"] == {
        "request": payout.pk,
        "category": "necessary_cost",
        "payee": payout.payee_name,
        "purpose": payout.purpose,
    }
    # And the repair submitted on 2026-09-28 is an open hold at the quarter's end.
    repair = PayoutRequest.objects.get(
        compound=disclosure.compound, category=PayoutCategory.REPAIR, payment_date=Q3_REPAIR_PAID
    )
    holds = disclosure.figures["open_holds"]
    assert {
        "request": repair.pk,
        "category": "repair",
        "amount": repair.amount_fen,
        "submitted_on": "2026-09-28",
    } in holds["items"]
    assert repair.pk not in {
        i["payout"]["request"] for i in disclosure.figures["expense_items"] if i["payout"]
    }
    # …which is paid in the fourth quarter (its entry is dated 2026-10-08).
    assert repair.journal_entry.effective_date == Q3_REPAIR_PAID


@pytest.mark.django_db
def test_the_verifier_confirms_a_third_quarter_disclosure(seeded, tmp_path):
    disclosure = _disclosure("yinquan", 2026, 3)
    document = tmp_path / "disclosure.json"
    export = tmp_path / "ledger.jsonl"
    document.write_bytes(bytes(disclosure.files.get(format="json").content))
    export.write_bytes(b"".join(iter_export_lines(disclosure.compound, through=disclosure.entry_count)))
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "verify_disclosure.py"), str(document), str(export)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERIFIED" in result.stdout


@pytest.mark.django_db
def test_the_ledgers_verify(seeded):
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    report = out.getvalue()
    assert "FAIL" not in report
    assert sorted(
        line.split()[1].rstrip(":") for line in report.splitlines() if line.startswith("OK")
    ) == sorted(SLUGS)
