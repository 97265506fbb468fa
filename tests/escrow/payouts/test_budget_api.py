"""The yearly necessary-cost budget through the API: filed by the company, signed like
a payout behind step-up, and budget against actual per month and category (issue 16)."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django.utils import timezone

from escrow.models import BudgetStatus, NecessaryCostBudget
from escrow.payouts import selectors, services
from tests.escrow.ledger.helpers import pay_out
from tests.escrow.payouts.helpers import fresh, prepare, set_auth_records


@pytest.fixture
def pw(world, settings, tmp_path):
    return prepare(world, settings, tmp_path)


def as_(client, user):
    client.logout()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def u(name, world, **kwargs):
    return reverse(f"api:{name}", kwargs={"slug": world.a.slug, **kwargs})


BODY = {
    "year": 2027,
    "lines": [
        {
            "expense_account": "nc_cleaning",
            "payee_name": "咸宁洁美保洁公司",
            "payee_account": "6222000011112222",
            "monthly_amount": "8,000.00",
        },
        {
            "expense_account": "nc_security",
            "payee_name": "咸宁安保公司",
            "payee_account": "6222000011113333",
            "monthly_amount": "12000",
        },
    ],
}


def test_the_company_files_a_budget_and_it_is_signed_behind_step_up(pw, client):
    as_(client, pw.staff)
    filed = client.post(u("budget-list", pw), BODY, content_type="application/json")
    assert filed.status_code == 201, filed.content
    budget = filed.json()
    assert (budget["status"], budget["monthly_total_fen"]) == ("submitted", 20_000_00)
    assert [line["category"] for line in budget["lines"]] == [
        "Necessary cost: cleaning",
        "Necessary cost: order and security",
    ]
    as_(client, pw.committee)
    unproven = client.post(u("budget-approve", pw, pk=budget["id"]), {}, content_type="application/json")
    assert unproven.status_code == 403 and unproven.json()["extra"] == {"step_up": True}
    for signer in (pw.committee, pw.committee2, pw.official):
        as_(client, signer)
        set_auth_records(client, signer, [{"method": "mfa", "type": "totp", "at": time.time()}])
        signed = client.post(u("budget-approve", pw, pk=budget["id"]), {}, content_type="application/json")
        assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "approved"
    assert [s["step"] for s in signed.json()["signatures"]] == [
        "Committee review",
        "Committee review",
        "Community recheck",
    ]
    assert NecessaryCostBudget.objects.get(pk=budget["id"]).status == BudgetStatus.APPROVED


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [{**BODY["lines"][0], "expense_account": "repairs"}]}, "lines"),
        ({"lines": [{**BODY["lines"][0], "monthly_amount": "1.001"}]}, "lines"),
        ({"year": 1999}, "year"),
    ],
)
def test_bad_budgets_are_refused_naming_the_field(pw, client, change, field):
    as_(client, pw.staff)
    response = client.post(u("budget-list", pw), {**BODY, **change}, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["extra"]["fields"]
    assert not NecessaryCostBudget.objects.exists()


def test_only_staff_file_and_outsiders_see_nothing(pw, client):
    as_(client, pw.committee)
    assert client.post(u("budget-list", pw), BODY, content_type="application/json").status_code == 403
    as_(client, pw.outsider)
    assert client.get(u("budget-list", pw)).status_code == 404
    client.logout()
    assert client.get(u("budget-list", pw)).status_code == 403


def _approved(world, year: int, lines: list[dict]):
    budget = services.budget_create(compound=world.a, year=year, actor=world.staff, lines=lines)
    budget = services.budget_submit(budget=budget, actor=world.staff)
    for signer in (world.committee, world.committee2, world.official):
        budget = services.budget_approve(budget=budget, actor=signer, second_factor=fresh())
    return budget


def test_budget_against_actual_per_month_and_category(pw, client):
    today = timezone.localdate()
    line = {"payee_name": "咸宁洁美保洁公司", "payee_account": "6222000011112222"}
    budget = _approved(
        pw,
        today.year,
        [
            {**line, "expense_account": "nc_cleaning", "monthly_amount_fen": 300_00},
            {**line, "expense_account": "nc_staff", "monthly_amount_fen": 1_000_00},
        ],
    )
    pay_out(pw.a, 280_00, category="nc_cleaning", memo="保洁", on=today)
    pay_out(pw.a, 50_00, category="nc_cleaning", memo="保洁补", on=today)
    pay_out(pw.a, 999_00, category="repairs", memo="维修", on=today)  # not a necessary cost
    report = selectors.budget_vs_actual(pw.a, today.year)
    assert report.budget == budget
    assert [m.budget_fen for m in report.months] == [1_300_00] * 12
    month = report.months[today.month - 1]
    assert (month.key, month.actual_fen, month.difference_fen) == (f"{today:%Y-%m}", 330_00, 970_00)
    assert sum(m.actual_fen for m in report.months) == 330_00
    by_category = {c.key: (c.budget_fen, c.actual_fen) for c in report.categories}
    assert by_category == {"nc_staff": (12 * 1_000_00, 0), "nc_cleaning": (12 * 300_00, 330_00)}
    as_(client, pw.resident)
    body = client.get(u("budget-vs-actual", pw, year=today.year)).json()
    assert (body["budget_total_fen"], body["actual_total_fen"]) == (12 * 1_300_00, 330_00)
    assert [c["label"] for c in body["categories"]] == [
        "Necessary cost: service staff",
        "Necessary cost: cleaning",
    ]
    # Next year has no approved budget: nothing budgeted.
    assert selectors.budget_vs_actual(pw.a, today.year + 1).budget_total == 0


def test_the_members_ledger_shows_budget_against_actual(pw, client):
    today = timezone.localdate()
    line = {"payee_name": "咸宁洁美保洁公司", "payee_account": "6222000011112222"}
    page_url = reverse("escrow:ledger", args=[pw.a.slug])
    as_(client, pw.resident)
    empty = client.get(page_url).content.decode()
    assert "No approved necessary-cost budget for this year yet." in empty
    _approved(pw, today.year, [{**line, "expense_account": "nc_cleaning", "monthly_amount_fen": 300_00}])
    pay_out(pw.a, 280_00, category="nc_cleaning", memo="保洁", on=today)
    response = client.get(page_url)
    html = response.content.decode()
    assert f"Necessary costs {today.year}: budget and actual" in html
    months = response.context["budget"]["months"]
    assert months[today.month - 1] == {
        "key": f"{today:%Y-%m}",
        "label": f"{today:%Y-%m}",
        "budget": "¥300.00",
        "actual": "¥280.00",
        "difference": "¥20.00",
    }
    assert response.context["budget"]["categories"][0]["label"] == "Necessary cost: cleaning"
    section = html[html.index('id="budget"') : html.index("</section>", html.index('id="budget"'))]
    assert "nc_cleaning" not in section and "Necessary cost: cleaning" in section
    as_(client, pw.steward)  # balances only: no journal, no budget table
    assert "budget-months" not in client.get(page_url).content.decode()


def test_budget_pages_file_and_sign_behind_step_up(pw, client):
    as_(client, pw.staff)
    new = reverse("escrow:budget-new", args=[pw.a.slug])
    assert client.get(new).status_code == 200
    data = {
        "year": "2027",
        "line-TOTAL_FORMS": "6",
        "line-INITIAL_FORMS": "0",
        "line-0-expense_account": "nc_cleaning",
        "line-0-payee_name": "咸宁洁美保洁公司",
        "line-0-payee_account": "6222000011112222",
        "line-0-monthly_amount": "8,000.00",
    }
    half = {**data, "line-1-expense_account": "nc_staff"}  # a line half filled in
    assert client.post(new, half).status_code == 400
    assert not NecessaryCostBudget.objects.exists()
    response = client.post(new, data)
    budget = NecessaryCostBudget.objects.get()
    assert response["Location"] == reverse("escrow:budget-detail", args=[pw.a.slug, budget.pk])
    assert (budget.year, budget.status, budget.lines.get().monthly_amount_fen) == (
        2027,
        "submitted",
        8_000_00,
    )
    detail = reverse("escrow:budget-detail", args=[pw.a.slug, budget.pk])
    as_(client, pw.committee)
    page = client.get(detail).content.decode()
    assert "Necessary cost: cleaning" in page and 'id="budget-sign"' in page
    detour = client.post(detail, {"decision": "approve"})
    assert detour.status_code == 302 and "2fa" in detour["Location"]
    set_auth_records(client, pw.committee, [{"method": "mfa", "type": "totp", "at": time.time()}])
    assert client.post(detail, {"decision": "approve"}).status_code == 302
    assert budget.signatures.count() == 1
    listing = client.get(reverse("escrow:budget-list", args=[pw.a.slug])).content.decode()
    assert "2027" in listing and "Waiting for committee review" in listing
    as_(client, pw.resident)
    assert client.get(new).status_code == 403  # a member whose role may not file
    assert 'id="budget-sign"' not in client.get(detail).content.decode()
