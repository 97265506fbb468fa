"""The ledger API: chain head (public), balances (members), entries (full-ledger
readers) — permissions for every persona, tenant isolation, keyset pages, filters."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from escrow.ledger.selectors import journal_entry
from escrow.ledger.serializers import JournalEntrySerializer
from escrow.ledger.services import ledger_reverse
from escrow.models import GENESIS_HASH, Category, EntryKind, EscrowAccount, JournalEntry
from tests.escrow.ledger.helpers import open_escrow, pay_in, pay_out

# The API speaks the site's default language to a client that asks for none (tests run
# with LANGUAGE_CODE = "en"; the production default is Chinese).
NOT_FOUND = {"message": "Not found.", "extra": {}}

ENTRY_READERS = ["resident", "company_staff", "committee_member", "community_official", "street_admin"]
NOT_MEMBERS = ["stranger", "outsider"]


@pytest.fixture
def ledgers(world):
    a = world.a
    open_escrow(a, opening_fen=100_000)  # 1
    pay_in(a, 123_450, on=dt.date(2025, 3, 1), key="bank:1")  # 2
    pay_in(a, 20_000, on=dt.date(2025, 4, 1))  # 3
    pay_out(a, 50_000, category=Category.REPAIRS, memo="电梯维修", on=dt.date(2025, 5, 1))  # 4
    pay_in(a, 999, on=dt.date(2025, 6, 1))  # 5
    ledger_reverse(entry=JournalEntry.objects.get(compound=a, sequence=5), reason="重复", actor=None)  # 6
    open_escrow(world.b, opening_fen=7_700)
    return world


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def url(name: str, slug: str) -> str:
    return reverse(f"api:{name}", args=[slug])


def get(user, name, slug, **params):
    return client_for(user).get(url(name, slug), params)


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("persona", ["anonymous", *NOT_MEMBERS, *ENTRY_READERS])
def test_the_chain_head_is_public(ledgers, persona):
    response = get(ledgers.personas()[persona], "ledger-chain-head", ledgers.a.slug)
    escrow = EscrowAccount.objects.get(compound=ledgers.a)
    assert response.status_code == 200, persona
    assert response.json() == {
        "compound": ledgers.a.slug,
        "compound_name": ledgers.a.name,
        "entry_count": 6,
        "head_hash": escrow.head_hash,
        "escrow_opened_on": "2025-01-01",
    }


def test_the_chain_head_of_a_compound_without_escrow_is_genesis(world):
    body = get(None, "ledger-chain-head", world.a.slug).json()
    assert (body["entry_count"], body["head_hash"], body["escrow_opened_on"]) == (0, GENESIS_HASH, None)


def test_the_chain_head_of_a_missing_compound_is_404(ledgers):
    response = get(None, "ledger-chain-head", "no-such-compound")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("endpoint", ["ledger-entry-list", "ledger-balances"])
def test_anonymous_is_refused_without_learning_anything(ledgers, endpoint):
    real = get(None, endpoint, ledgers.a.slug)
    missing = get(None, endpoint, "no-such-compound")
    assert real.status_code == missing.status_code == 403
    assert real.json() == missing.json()


@pytest.mark.parametrize("endpoint", ["ledger-entry-list", "ledger-balances"])
@pytest.mark.parametrize("persona", NOT_MEMBERS)
def test_non_members_get_the_same_404_as_for_a_missing_compound(ledgers, endpoint, persona):
    user = ledgers.personas()[persona]
    real = get(user, endpoint, ledgers.a.slug)
    missing = get(user, endpoint, "no-such-compound")
    assert real.status_code == missing.status_code == 404
    assert real.json() == missing.json() == NOT_FOUND


@pytest.mark.parametrize("persona", ENTRY_READERS)
def test_members_read_entries_and_balances(ledgers, persona):
    user = ledgers.personas()[persona]
    assert get(user, "ledger-entry-list", ledgers.a.slug).status_code == 200, persona
    assert get(user, "ledger-balances", ledgers.a.slug).status_code == 200, persona


def test_a_steward_sees_balances_but_not_the_journal(ledgers):
    assert get(ledgers.steward, "ledger-balances", ledgers.a.slug).status_code == 200
    response = get(ledgers.steward, "ledger-entry-list", ledgers.a.slug)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_slug_guessing_reveals_nothing_across_compounds(ledgers):
    """A's resident asks for B's ledger, and B's owner for A's: both are told exactly
    what they would be told about a compound that does not exist."""
    for user, other in [(ledgers.resident, ledgers.b), (ledgers.outsider, ledgers.a)]:
        for endpoint in ["ledger-entry-list", "ledger-balances"]:
            guessed = get(user, endpoint, other.slug)
            missing = get(user, endpoint, other.slug + "-x")
            assert (guessed.status_code, guessed.json()) == (missing.status_code, missing.json())
            assert guessed.status_code == 404
    # …while their own compound answers.
    assert get(ledgers.outsider, "ledger-entry-list", ledgers.b.slug).json()["results"][0]["sequence"] == 1


# --------------------------------------------------------------------------- content


def test_entries_come_newest_first_with_lines_and_hashes(ledgers):
    body = get(ledgers.resident, "ledger-entry-list", ledgers.a.slug).json()
    results = body["results"]
    assert [e["sequence"] for e in results] == [6, 5, 4, 3, 2, 1]
    assert body["next"] is None and body["previous"] is None
    for newer, older in itertools.pairwise(results):
        assert newer["prev_hash"] == older["hash"]
    assert results[-1]["prev_hash"] == GENESIS_HASH
    assert results[0]["hash"] == EscrowAccount.objects.get(compound=ledgers.a).head_hash
    payment = results[4]
    assert payment == {
        "sequence": 2,
        "kind": "fee_payment",
        "kind_label": str(EntryKind.FEE_PAYMENT.label),
        "memo": "物业费",
        "effective_date": "2025-03-01",
        "posted_at": payment["posted_at"],
        "reverses": None,
        "reversed_by": None,
        "total_fen": 123_450,
        "total_yuan": "1234.50",
        "prev_hash": results[5]["hash"],
        "hash": payment["hash"],
        "lines": [
            {
                "account_code": "1001",
                "category": "escrow_cash",
                "category_label": str(Category.ESCROW_CASH.label),
                "side": "D",
                "amount_fen": 123_450,
                "amount_yuan": "1234.50",
            },
            {
                "account_code": "4001",
                "category": "fee_income",
                "category_label": str(Category.FEE_INCOME.label),
                "side": "C",
                "amount_fen": 123_450,
                "amount_yuan": "1234.50",
            },
        ],
    }
    assert (results[0]["kind"], results[0]["reverses"]) == ("reversal", 5)
    assert results[1]["reversed_by"] == 6


def test_balances_are_on_each_accounts_normal_side(ledgers):
    body = get(ledgers.committee, "ledger-balances", ledgers.a.slug).json()
    accounts = {a["category"]: a for a in body["accounts"]}
    cash = 100_000 + 123_450 + 20_000 - 50_000 + 999 - 999
    assert (body["compound"], body["cash_fen"], body["cash_yuan"]) == (ledgers.a.slug, cash, "1934.50")
    assert accounts["escrow_cash"]["balance_fen"] == cash
    assert accounts["fee_income"]["balance_fen"] == 123_450 + 20_000  # credit-normal, shown positive
    assert accounts["fee_income"]["balance_yuan"] == "1434.50"
    assert accounts["repairs"]["balance_fen"] == 50_000  # debit-normal
    assert accounts["owners_fund"]["balance_fen"] == 100_000
    assert accounts["fee_income"]["version"] == 4  # two payments, a third and its reversal
    assert [a["code"] for a in body["accounts"]] == sorted(a["code"] for a in body["accounts"])
    assert all(Decimal(a["balance_yuan"]) * 100 == a["balance_fen"] for a in body["accounts"])


# --------------------------------------------------------------------------- keyset pages


def sequences(body) -> list[int]:
    return [e["sequence"] for e in body["results"]]


def test_keyset_pages_walk_back_and_forth(ledgers):
    client = client_for(ledgers.resident)
    body = client.get(url("ledger-entry-list", ledgers.a.slug), {"page_size": 2}).json()
    seen = [sequences(body)]
    assert body["previous"] is None
    while body["next"]:
        assert "before=" in body["next"] and "page_size=2" in body["next"]
        body = client.get(body["next"]).json()
        seen.append(sequences(body))
    assert seen == [[6, 5], [4, 3], [2, 1]]
    back = []
    while body["previous"]:
        assert "after=" in body["previous"] and "before=" not in body["previous"]
        body = client.get(body["previous"]).json()
        back.append(sequences(body))
    assert back == [[4, 3], [6, 5]]


def test_cursors_past_either_end(ledgers):
    body = get(ledgers.resident, "ledger-entry-list", ledgers.a.slug, before=1).json()
    assert body["results"] == [] and body["next"] is None
    assert sequences(
        get(ledgers.resident, "ledger-entry-list", ledgers.a.slug, after=body_after(body)).json()
    )
    body = get(ledgers.resident, "ledger-entry-list", ledgers.a.slug, after=6).json()
    assert body["results"] == [] and body["previous"] is None and "before=7" in body["next"]


def body_after(body) -> int:
    # From an empty page before #1, the newer link leads back to #1 onwards.
    return int(body["previous"].split("after=")[1].split("&")[0])


def test_a_page_costs_the_same_queries_and_never_counts_or_offsets(ledgers):
    client = client_for(ledgers.resident)
    client.get(url("ledger-entry-list", ledgers.a.slug))  # warm the session
    counts = []
    for params in [{"page_size": 2}, {"page_size": 2, "before": 5}, {"page_size": 200}]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("ledger-entry-list", ledgers.a.slug), params).status_code == 200
        sql = " ".join(q["sql"].upper() for q in queries.captured_queries)
        assert "COUNT(" not in sql and "OFFSET" not in sql
        counts.append(len(queries))
    assert max(counts) - min(counts) <= 1  # the EXISTS for a newer page is the only extra


# --------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "payout"}, [4]),
        ({"kind": "fee_payment"}, [5, 3, 2]),
        ({"account": "repairs"}, [4]),
        ({"account": "5201"}, [4]),
        ({"account": "owners_fund"}, [1]),
        ({"date_from": "2025-04-01", "date_to": "2025-05-31"}, [4, 3]),
        ({"date_to": "2025-03-01"}, [2, 1]),
        ({"kind": "fee_payment", "account": "1001", "date_from": "2025-04-01"}, [5, 3]),
        ({"category": "repairs"}, [4]),
        ({"category": "fee_income", "date_to": "2025-04-30"}, [3, 2]),
        ({"direction": "income"}, [5, 3, 2, 1]),
        ({"direction": "expense"}, [6, 4]),  # a payout and the reversal of a payment
        ({"q": "维修"}, [4]),
        ({"q": "  物业费 "}, [5, 3, 2]),
        ({"q": ""}, [6, 5, 4, 3, 2, 1]),
        ({"category": "fee_income", "direction": "income", "date_from": "2025-04-01"}, [5, 3]),
    ],
)
def test_filters(ledgers, params, expected):
    body = get(ledgers.resident, "ledger-entry-list", ledgers.a.slug, **params).json()
    assert sequences(body) == expected


def test_filters_survive_paging(ledgers):
    client = client_for(ledgers.resident)
    body = client.get(
        url("ledger-entry-list", ledgers.a.slug), {"kind": "fee_payment", "page_size": 2}
    ).json()
    assert sequences(body) == [5, 3]
    assert "kind=fee_payment" in body["next"]
    assert sequences(client.get(body["next"]).json()) == [2]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "bribe"}, "kind"),
        ({"account": "9999"}, "account"),
        ({"account": "lottery"}, "account"),
        ({"date_from": "2025-13-01"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2025-06-01", "date_to": "2025-05-01"}, "date_to"),
        ({"before": "abc"}, "before"),
        ({"before": "0"}, "before"),
        ({"before": str(2**63)}, "before"),
        ({"after": "-1"}, "after"),
        ({"before": "3", "after": "1"}, "after"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "201"}, "page_size"),
        ({"category": "lottery"}, "category"),
        ({"category": "escrow_cash"}, "category"),
        ({"direction": "sideways"}, "direction"),
        ({"q": "x" * 101}, "q"),
        ({"date_from": "2999-01-01"}, "date_from"),
        ({"date_to": "2999-01-01"}, "date_to"),
        ({"date_from": "2024-12-31"}, "date_from"),
        ({"date_to": "2024-12-31"}, "date_to"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_parameter(ledgers, params, field):
    response = get(ledgers.resident, "ledger-entry-list", ledgers.a.slug, **params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "extra"}
    assert list(body["extra"]["fields"]) == [field]
    assert body["message"].startswith(f"{field}: ")


def test_another_compounds_account_code_is_unknown_here(ledgers):
    """Codes are per compound; B's chart is never consulted for A's filter."""
    assert sequences(get(ledgers.outsider, "ledger-entry-list", ledgers.b.slug, account="3001").json()) == [1]
    response = get(ledgers.resident, "ledger-entry-list", ledgers.a.slug, account=str(ledgers.b.pk) + "x")
    assert response.status_code == 400


# --------------------------------------------------------------------------- schema


def test_the_schema_documents_the_ledger_endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    entries = paths["/api/v1/compounds/{slug}/ledger/entries/"]["get"]
    assert entries["operationId"] == "ledger_entry_list"
    names = {p["name"] for p in entries["parameters"]}
    assert {"slug", "date_from", "date_to", "kind", "account", "before", "after", "page_size"} <= names
    assert {"category", "direction", "q"} <= names
    assert set(entries["responses"]) == {"200", "400", "403", "404"}
    assert paths["/api/v1/compounds/{slug}/ledger/chain-head/"]["get"]["operationId"] == "ledger_chain_head"
    assert paths["/api/v1/compounds/{slug}/ledger/balances/"]["get"]["operationId"] == "ledger_balances"


def test_one_entry_by_sequence_has_its_links(ledgers):
    data = JournalEntrySerializer(journal_entry(ledgers.a, 5)).data
    assert (data["sequence"], data["reversed_by"], data["total_fen"]) == (5, 6, 999)
    assert journal_entry(ledgers.a, 99) is None
    assert journal_entry(ledgers.b, 5) is None
