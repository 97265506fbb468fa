"""The members' ledger page /c/<slug>/ledger/ and the read-only admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.models import User
from escrow.models import Category, EntryKind, EscrowAccount, JournalEntry, JournalLine, LedgerAccount
from escrow.services.ledger import PostingRequest, credit, debit, ledger_post_batch
from tests.escrow.test_ledger_support import open_escrow, pay_in, pay_out

ENTRY_READERS = ["resident", "company_staff", "committee_member", "community_official", "street_admin"]


@pytest.fixture
def ledgers(world):
    open_escrow(world.a, opening_fen=100_000)  # 1
    pay_in(world.a, 123_450, on=dt.date(2025, 3, 1))  # 2
    pay_out(world.a, 50_000, category=Category.REPAIRS, memo="电梯维修", on=dt.date(2025, 5, 1))  # 3
    open_escrow(world.b, opening_fen=7_700)
    return world


def page(user, slug, **params):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(reverse("escrow:ledger", args=[slug]), params)


def test_anonymous_is_sent_to_log_in(ledgers):
    response = page(None, ledgers.a.slug)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("persona", ["stranger", "outsider"])
def test_non_members_get_a_404_like_a_missing_compound(ledgers, persona):
    user = ledgers.personas()[persona]
    assert page(user, ledgers.a.slug).status_code == 404
    assert page(user, "no-such-compound").status_code == 404


@pytest.mark.parametrize("persona", ENTRY_READERS)
def test_members_see_balances_and_the_journal(ledgers, persona):
    response = page(ledgers.personas()[persona], ledgers.a.slug)
    assert response.status_code == 200, persona
    html = response.content.decode()
    assert "¥1,734.50" in html  # cash: 1,000.00 + 1,234.50 − 500.00
    assert "电梯维修" in html and "#3" in html
    assert EscrowAccount.objects.get(compound=ledgers.a).head_hash in html
    assert ledgers.b.name not in html


def test_a_steward_sees_balances_but_not_the_journal(ledgers):
    response = page(ledgers.steward, ledgers.a.slug)
    assert response.status_code == 200
    html = response.content.decode()
    assert "¥1,734.50" in html
    assert "电梯维修" not in html
    assert response.context["entries"] == []


def test_the_page_is_in_chinese_by_default_and_english_on_request(ledgers, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the real default (tests otherwise read English msgids)
    client = Client()
    client.force_login(ledgers.resident)
    response = client.get(reverse("escrow:ledger", args=[ledgers.a.slug]))
    assert '<html lang="zh-hans">' in response.content.decode()
    assert "共管账户账本" in response.content.decode()
    response = client.get(reverse("escrow:ledger", args=[ledgers.a.slug]), headers={"accept-language": "en"})
    assert '<html lang="en">' in response.content.decode()
    assert "Escrow ledger" in response.content.decode()


def test_older_and_newer_links_page_by_sequence(ledgers):
    a = ledgers.a
    with transaction.atomic():
        ledger_post_batch(
            compound=a,
            requests=[
                PostingRequest(
                    kind=EntryKind.OTHER_INCOME,
                    legs=[debit(Category.ESCROW_CASH, 100 + n), credit(Category.PARKING_INCOME, 100 + n)],
                    memo=f"停车费 {n}",
                    effective_date=dt.date(2025, 6, 1),
                )
                for n in range(22)
            ],
            actor=None,
        )
    first = page(ledgers.resident, a.slug)
    rows = [e["sequence"] for e in first.context["entries"]]
    assert rows == list(range(25, 5, -1))  # 20 a page, newest first
    assert first.context["newer_url"] is None
    assert first.context["older_url"] == "?before=6"
    second = page(ledgers.resident, a.slug, before=6)
    assert [e["sequence"] for e in second.context["entries"]] == [5, 4, 3, 2, 1]
    assert second.context["older_url"] is None
    assert second.context["newer_url"] == "?after=5"
    back = page(ledgers.resident, a.slug, after=5)
    assert [e["sequence"] for e in back.context["entries"]][:1] == [25]


def test_filters_narrow_the_list_and_stay_on_the_links(ledgers):
    response = page(ledgers.resident, ledgers.a.slug, kind="payout")
    assert [e["sequence"] for e in response.context["entries"]] == [3]
    response = page(ledgers.resident, ledgers.a.slug, account="4001", date_from="2025-01-01", date_to="")
    assert [e["sequence"] for e in response.context["entries"]] == [2]
    assert response.context["chosen"]["account"] == "4001"
    assert 'value="4001" selected' in response.content.decode()


def test_a_bad_filter_is_shown_naming_the_field(ledgers):
    response = page(ledgers.resident, ledgers.a.slug, kind="bribe", date_from="2025-02-30")
    assert response.status_code == 400
    assert set(response.context["errors"]) == {"kind", "date_from"}
    html = response.content.decode()
    assert "kind: " in html and "date_from: " in html
    assert response.context["entries"] == []


# --------------------------------------------------------------------------- admin


@pytest.fixture
def admin_client(ledgers):
    superuser = User.objects.create_superuser(phone="+8613900009999", password="pw-Gongguan-2026")
    client = Client()
    client.force_login(superuser)
    return client


@pytest.mark.parametrize("model", [EscrowAccount, LedgerAccount, JournalEntry, JournalLine])
def test_the_admin_shows_the_ledger_read_only(admin_client, ledgers, model):
    name = model._meta.model_name
    assert admin_client.get(reverse(f"admin:escrow_{name}_changelist")).status_code == 200
    obj = model.objects.first()
    change = admin_client.get(reverse(f"admin:escrow_{name}_change", args=[obj.pk]))
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert admin_client.get(reverse(f"admin:escrow_{name}_add")).status_code == 403
    assert admin_client.get(reverse(f"admin:escrow_{name}_delete", args=[obj.pk])).status_code == 403
    assert admin_client.post(reverse(f"admin:escrow_{name}_change", args=[obj.pk]), {}).status_code == 403


def test_the_admin_offers_no_delete_action(admin_client):
    response = admin_client.get(reverse("admin:escrow_journalentry_changelist"))
    assert b"delete_selected" not in response.content
