"""Statements in the banks' real layouts (written by banking.samples) posted to the
escrow ledger: every line accounted for, identities per escrow account, unexplained
outflows on the public page, the command line, reconciliation and its signatures."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Notification
from accounts.stepup import StepUpRequiredError
from banking import PRESETS, samples
from banking.samples import EXPENSE, INCOME, Tx
from common.errors import ApplicationError, ConflictError, PermissionDeniedError
from communities import services as community_services
from communities.permissions import standing_in
from escrow.fees import reconciliation
from escrow.fees.services.imports import (
    StatementImportError,
    outflow_explain,
    statement_import,
    statement_mapping_save,
    statement_preview,
)
from escrow.ledger.services import escrow_account_open
from escrow.models import BankLine, Category, JournalEntry, LedgerAccount, Payment, StatementImport
from tests.escrow.fees.helpers import assert_ledgers_verify, client_for, counts
from tests.escrow.payouts.helpers import fresh

ACCOUNT = "6222****0123"  # the test escrow account: 6222021234567890123


def _month(year=2026, month=1) -> list[Tx]:
    """A month of the escrow account: escrow_quarter's lines (owners' payments, two
    identical on one day, charges, interest, a refund, a transfer to a contractor, an
    outflow nobody explains), after a first payment that names unit 1栋1单元101."""
    first = Tx(
        dt.date(year, month, 2),
        INCOME,
        10_000_000,
        dt.time(9),
        "陈先生",
        "6222****9999",
        "转账存入",
        "1栋1单元101",
    )
    return [first, *samples.escrow_quarter(year, month)]


# What the month posts (the memo of 1栋1单元101 names a unit; the others name units the
# test compound does not have, so they wait in suspense).
EXPECTED = {
    "fee": [1, 10_000_000],
    "suspense": [5, 125_000 + 80_000 + 80_000 + 123_456 + 2_000_000],
    "interest": [1, 4_321],
    "charge": [2, 500 + 200],
    "refund": [1, 80_000],
    "unexplained": [2, 3_680_000 + 1_000_000],
}

LAYOUTS = {
    "icbc": lambda txs, opening: samples.icbc(txs, opening, account=ACCOUNT),
    "cmb": lambda txs, opening: samples.cmb(txs, opening, account="6222********0123"),
    "abc": lambda txs, opening: samples.abc(txs, opening, account="6222021234567890123"),
    "boc": lambda txs, opening: samples.boc(txs, opening, account=ACCOUNT),
}


def _file(layout: str, txs, opening=0) -> bytes:
    data, _expected = LAYOUTS[layout](txs, opening)
    return data


def _import(w, data, name="statement", mapping=None, compound=None):
    return statement_import(
        compound=compound or w.a, file_name=name, data=data, actor=w.staff, mapping=mapping
    )


def _cash(compound) -> int:
    return LedgerAccount.objects.get(compound=compound, category=Category.ESCROW_CASH).balance


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_month_in_each_real_layout_posts_every_line_as_expected(escrow_world, layout):
    w = escrow_world
    txs = _month()
    record = _import(w, _file(layout, txs), name=f"{layout}.csv")
    assert record.layout == layout
    got = {k: v for k, v in record.summary.items() if v[0] and k != "skipped"}
    expected = dict(EXPECTED)
    if layout == "cmb":  # CMB's export names no counterparty: a refund to whom? unexplained
        refund = expected.pop("refund")
        expected["unexplained"] = [expected["unexplained"][0] + 1, expected["unexplained"][1] + refund[1]]
    assert got == expected
    closing = sum(tx.signed for tx in txs)
    assert _cash(w.a) == closing == record.closing_balance_fen  # the ledger's cash is the bank's
    assert BankLine.objects.filter(account__compound=w.a).count() == len(txs)
    balances = {a.category: a.normal_balance for a in LedgerAccount.objects.filter(compound=w.a)}
    assert balances[Category.INTEREST_INCOME] == 4_321
    assert balances[Category.BANK_FEES] == 700
    assert balances[Category.REFUNDS] + balances[Category.UNEXPLAINED_OUTFLOW] == 80_000 + 4_680_000
    if layout != "cmb":
        refund = BankLine.objects.get(outcome="refund")
        assert Payment.objects.get(pk=refund.payment_id).payer_name == "李秀英"  # against her payment
    assert_ledgers_verify(w.a, w.b)


def test_the_same_lines_in_another_layout_encoding_or_overlap_post_nothing_new(escrow_world):
    w = escrow_world
    txs = _month()
    _import(w, _file("icbc", txs))
    before = counts()
    again = [
        samples.cmb(txs, 0, account="6222********0123", encoding="utf-8")[0],
        _file("abc", txs),
        samples.icbc(txs, 0, account=ACCOUNT, encoding="gbk")[0],
        _file("boc", txs[:6]),
    ]
    for data in again:
        record = _import(w, data)
        assert record.posted == 0 and record.skipped > 0
    after = counts()
    assert (after.entries, after.payments) == (before.entries, before.payments)
    assert_ledgers_verify(w.a)


def test_a_different_mapping_of_the_same_file_never_reposts(escrow_world):
    w = escrow_world
    data = samples.cmb(_month(), 0, account="6222********0123")[0]
    _import(w, data)
    layout = {
        k: v
        for k, v in PRESETS["cmb"].as_dict().items()
        if k in ("date_column", "direction", "income_column", "expense_column", "balance_column")
    }
    custom = statement_mapping_save(
        compound=w.a, actor=None, bank_name="招行(自定义)", layout={**layout, "memo_columns": ["交易备注"]}
    )
    record = _import(w, data, mapping=custom)
    assert (record.posted, record.skipped) == (0, len(_month()))


def test_a_statement_of_another_account_is_refused_naming_it(escrow_world):
    w = escrow_world
    before = counts()
    with pytest.raises(StatementImportError) as caught:
        _import(w, samples.icbc(_month(), 0, account="6222****0208")[0])
    assert "6222****0208" in caught.value.message and "6222 **** 0123" in caught.value.message
    assert counts() == before


def test_a_cut_off_file_is_refused_and_posts_nothing(escrow_world):
    w = escrow_world
    data = _file("icbc", _month())
    cut = data[: data.index("人民币合计".encode())]
    before = counts()
    with pytest.raises(StatementImportError):
        _import(w, cut)
    assert counts() == before


def test_an_unexplained_outflow_is_flagged_shown_publicly_and_explained(escrow_world):
    w = escrow_world
    public = reverse("compound-public", args=[w.a.slug])

    def flagged() -> str:
        page = client_for(None).get(public).content.decode()
        if "unexplained-outflows" not in page:
            return ""
        start = page.index("unexplained-outflows")
        return page[start : page.index("</div>", start)]

    assert flagged() == ""
    _import(w, _file("icbc", _month()))
    assert "¥36,800.00" in flagged() and "¥10,000.00" in flagged()
    told = set(
        Notification.objects.filter(kind="escrow.unexplained_outflow").values_list("user_id", flat=True)
    )
    assert {w.chair.pk, w.official.pk, w.street_admin.pk} <= told
    assert w.staff.pk not in told

    line = BankLine.objects.get(outcome="unexplained", amount_fen=1_000_000)
    with pytest.raises(ApplicationError):
        outflow_explain(line=line, actor=w.manager, explanation="", category=Category.REPAIRS)
    outflow_explain(
        line=line, actor=w.manager, explanation="电梯应急维修（发票已补）", category=Category.REPAIRS
    )
    with pytest.raises(ConflictError):
        outflow_explain(line=line, actor=w.manager, explanation="again", category=Category.REPAIRS)
    balances = {a.category: a.normal_balance for a in LedgerAccount.objects.filter(compound=w.a)}
    assert balances[Category.UNEXPLAINED_OUTFLOW] == 3_680_000
    assert balances[Category.REPAIRS] == 1_000_000
    assert "¥36,800.00" in flagged() and "¥10,000.00" not in flagged()
    assert_ledgers_verify(w.a)


def test_a_transfer_paying_a_paid_payout_is_matched_not_posted_twice(world, settings, tmp_path):
    from tests.escrow.payouts.helpers import OPENING_FEN, file_payout, prepare, walk

    prepare(world, settings, tmp_path)
    payout = walk(world, file_payout(world), to="paid")
    today = payout.payment_date
    cash_before = _cash(world.a)
    txs = [
        Tx(
            today,
            EXPENSE,
            payout.amount_fen,
            dt.time(10),
            payout.payee_name,
            "6217****0123",
            "转账支出",
            "维修款",
        ),
        Tx(today, EXPENSE, 12_345, dt.time(11), "", "", "支取", ""),
    ]
    record = statement_import(
        compound=world.a,
        file_name="b.csv",
        data=samples.icbc(txs, OPENING_FEN, account=ACCOUNT)[0],
        actor=world.staff,
    )
    assert (record.summary["payout"], record.summary["unexplained"]) == ([1, payout.amount_fen], [1, 12_345])
    line = BankLine.objects.get(outcome="payout")
    assert line.payout_id == payout.pk and line.entry_id is None and line.problem == ""
    assert _cash(world.a) == cash_before - 12_345 == record.closing_balance_fen
    assert_ledgers_verify(world.a)


def test_a_wallet_withdrawal_and_its_arrival_at_the_bank_are_one_transfer(escrow_world):
    w = escrow_world
    wallet = samples.alipay(samples.wallet_month(2026, 1))[0]
    record = _import(w, wallet, name="alipay.csv")
    assert record.summary["transfer"] == [1, 48_000]
    assert record.summary["not_posted"] == [1, 9_900]  # 交易关闭: money never moved
    arrival = [
        Tx(
            dt.date(2026, 1, 28),
            INCOME,
            48_000,
            dt.time(18),
            "支付宝（中国）网络技术有限公司",
            "",
            "提现",
            "支付宝提现",
        )
    ]
    bank = _import(w, samples.icbc(arrival, 0, account=ACCOUNT)[0])
    assert bank.summary["transfer"] == [1, 48_000] and bank.posted == 0  # linked, not income twice
    assert BankLine.objects.get(source="bank").transfer_of.source == "wallet"
    balances = {a.category: a.normal_balance for a in LedgerAccount.objects.filter(compound=w.a)}
    assert balances[Category.ESCROW_CASH] == 48_000
    assert balances[Category.FEE_INCOME] + balances[Category.SUSPENSE] == 12_000 * 2 + 56_000
    assert_ledgers_verify(w.a)


def test_the_preview_posts_nothing_and_counts_what_the_import_posts(escrow_world):
    w = escrow_world
    data = _file("cmb", _month())
    before = counts()
    plan = statement_preview(compound=w.a, data=data)
    assert counts() == before
    record = _import(w, data)
    assert {k: v for k, v in plan.summary().items()} == record.summary


# --------------------------------------------------------------------------- overlapping downloads


def _compound(n: int, opening: int):
    community = community_services.community_create(
        street_office=_compound.office, name=f"社区{n}", actor=None
    )
    compound = community_services.compound_create(
        community=community, name=f"小区{n}", slug=f"overlap-{n}", actor=None
    )
    escrow_account_open(
        compound=compound,
        bank_name="工商银行",
        account_name="共管账户",
        account_number="6222021234567890123",
        opened_on=dt.date(2024, 12, 1),
        opening_balance_fen=opening,
        actor=None,
    )
    return compound


_counter = iter(range(10**6))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), pieces=st.integers(2, 5))
def test_overlapping_downloads_in_any_order_equal_one_import(escrow_world, seed, pieces):
    w = escrow_world
    _compound.office = w.office
    rng = random.Random(seed)
    opening = 50_000_000
    txs = samples.long_statement(120, seed=seed)
    days = sorted({tx.date for tx in txs})
    once = _compound(next(_counter), opening)
    split = _compound(next(_counter), opening)
    _import(w, samples.icbc(txs, opening, account=ACCOUNT)[0], compound=once)

    windows = []
    for _ in range(pieces):
        a, b = sorted(rng.sample(range(len(days)), 2))
        windows.append((days[a], days[b]))
    windows.append((days[0], days[-1]))  # together they cover everything
    rng.shuffle(windows)
    for start, end in windows:
        before = sum(tx.signed for tx in txs if tx.date < start)
        part = [tx for tx in txs if start <= tx.date <= end]
        layout = rng.choice(sorted(LAYOUTS))
        _import(w, _file(layout, part, opening + before), compound=split)

    def state(compound):
        return (
            sorted(LedgerAccount.objects.filter(compound=compound).values_list("category", "balance")),
            JournalEntry.objects.filter(compound=compound).count(),
            sorted(
                BankLine.objects.filter(compound=compound).values_list(
                    "date", "direction", "amount_fen", "balance_fen", "outcome"
                )
            ),
        )

    assert state(split) == state(once)
    assert_ledgers_verify(once, split)


# --------------------------------------------------------------------------- command line


def test_the_command_previews_imports_and_refuses_with_exit_codes(escrow_world, tmp_path, capsys):
    w = escrow_world
    w.staff.email = "staff@example.cn"
    w.staff.save(update_fields=["email"])
    path = tmp_path / "icbc.csv"
    path.write_bytes(_file("icbc", _month()))
    call_command("import_statement", w.a.slug, str(path), "--as", "staff@example.cn", "--dry-run")
    assert StatementImport.objects.count() == 0
    assert "Dry run" in capsys.readouterr().out
    call_command("import_statement", w.a.slug, str(path), "--as", "staff@example.cn", "--json")
    assert StatementImport.objects.get().posted == len(_month())
    call_command("import_statement", w.a.slug, str(path), "--as", "staff@example.cn")  # nothing new: still 0
    assert StatementImport.objects.order_by("pk").last().posted == 0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(samples.icbc(_month(), 0, account="6222****0208")[0])
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_statement", w.a.slug, str(bad), "--as", "staff@example.cn")
    assert exit_info.value.code == 1
    assert "6222****0208" in capsys.readouterr().err


# --------------------------------------------------------------------------- reconciliation


def test_a_month_is_reconciled_by_two_people_behind_step_up(escrow_world):
    w = escrow_world
    _import(w, _file("icbc", _month(2026, 1)))
    month = dt.date(2026, 1, 1)
    committee = standing_in(w.committee, w.a)
    with pytest.raises(StepUpRequiredError):
        reconciliation.reconciliation_sign(
            compound=w.a, month=month, actor=w.committee, standing=committee, second_factor=None
        )
    with pytest.raises(PermissionDeniedError):
        reconciliation.reconciliation_sign(
            compound=w.a,
            month=month,
            actor=w.staff,
            standing=standing_in(w.staff, w.a),
            second_factor=fresh(),
        )
    record = reconciliation.reconciliation_sign(
        compound=w.a, month=month, actor=w.committee, standing=committee, second_factor=fresh()
    )
    assert not record.signed and record.difference_fen == 0
    with pytest.raises(ConflictError):
        reconciliation.reconciliation_sign(
            compound=w.a,
            month=month,
            actor=w.committee2,
            standing=standing_in(w.committee2, w.a),
            second_factor=fresh(),
        )
    record = reconciliation.reconciliation_sign(
        compound=w.a,
        month=month,
        actor=w.official,
        standing=standing_in(w.official, w.a),
        second_factor=fresh(),
    )
    assert record.signed and record.bank_balance_fen == sum(tx.signed for tx in _month())
    assert reconciliation.reconciliation_at(record.account, dt.date(2026, 3, 31)) == record

    page = client_for(w.resident).get(reverse("escrow:reconciliation", args=[w.a.slug]), {"month": "2026-01"})
    assert page.status_code == 200
    assert page.context["view"].difference_fen == 0
