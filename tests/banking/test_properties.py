"""Properties over random input: amounts in every printed form, and any statement written
in each real layout reads back to exactly the lines it was written from."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from banking import account_matches, parse_amount_fen, read_statement, samples
from banking.samples import EXPENSE, INCOME, NEUTRAL, Tx
from common.money import MAX_AMOUNT_FEN

FULL_WIDTH = str.maketrans("0123456789.,+-", "０１２３４５６７８９．，＋－")


@given(
    fen=st.integers(-MAX_AMOUNT_FEN, MAX_AMOUNT_FEN),
    thousands=st.booleans(),
    currency=st.sampled_from(["", "¥", "￥"]),
    plus=st.booleans(),
    pad=st.sampled_from(["", " ", "\t", "  \t", "\u3000"]),
    full_width=st.booleans(),
    suffix=st.sampled_from(["", "元"]),
)
def test_every_printed_form_of_an_amount_reads_back_exactly(
    fen, thousands, currency, plus, pad, full_width, suffix
):
    digits = f"{abs(fen) // 100:,}" if thousands else str(abs(fen) // 100)
    sign = "-" if fen < 0 else ("+" if plus else "")
    text = f"{sign}{currency}{digits}.{abs(fen) % 100:02d}"
    if full_width:
        text = text.translate(FULL_WIDTH)
    text = pad + text + suffix + pad
    assert parse_amount_fen(text) == fen


def _txs(draw_list, wallet: bool) -> list[Tx]:
    day = dt.date(2026, 2, 1)
    txs = []
    for i, (gap, direction, amount, second, name, memo) in enumerate(draw_list):
        day += dt.timedelta(days=gap)
        if not wallet and direction == NEUTRAL:
            direction = INCOME
        txs.append(
            Tx(
                day,
                direction,
                amount,
                dt.time(8 + second % 12, second % 60, 0),
                name,
                "6222****1111" if name else "",
                "转账",
                memo,
                serial=f"2026{i:010d}",
            )
        )
    return sorted(txs, key=lambda t: (t.date, t.time))


raw_lines = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.sampled_from([INCOME, EXPENSE, NEUTRAL]),
        st.integers(1, 99_999_999),
        st.integers(0, 10_000),
        st.sampled_from(["", "王建国", '杭州 安达, 电梯"有限"公司']),
        st.sampled_from(["", "3栋2单元1502", "含,逗号", '有"引号"']),
    ),
    min_size=1,
    max_size=25,
)

RENDER = {
    "icbc": lambda txs: samples.icbc(txs, 123_456_789),
    "icbc-gbk": lambda txs: samples.icbc(txs, 0, encoding="gbk"),
    "cmb": lambda txs: samples.cmb(txs, 5_000_000),
    "ccb-xlsx": lambda txs: samples.ccb(txs, 5_000_000, fmt="xlsx"),
    "abc": lambda txs: samples.abc(txs, 5_000_000),
    "boc": lambda txs: samples.boc(txs, 5_000_000),
    "alipay": samples.alipay,
    "wechat": samples.wechat,
    "wechat-legacy": lambda txs: samples.wechat(txs, legacy=True),
}
WALLETS = {"alipay", "wechat", "wechat-legacy"}


@pytest.mark.parametrize("layout", sorted(RENDER))
@settings(max_examples=25)
@given(raw=raw_lines)
def test_any_statement_in_a_real_layout_reads_back_to_its_lines(layout, raw):
    txs = _txs(raw, wallet=layout in WALLETS)
    data, expected = RENDER[layout](txs)
    parsed = read_statement(data)
    got = [line.as_dict() for line in parsed.lines]
    for line in got:
        line.pop("identity"), line.pop("identity_basis"), line.pop("kind")
    for line in expected["lines"]:
        line.pop("kind")
    assert got == expected["lines"]
    assert (parsed.opening_balance_fen, parsed.closing_balance_fen) == (
        expected["opening_balance_fen"],
        expected["closing_balance_fen"],
    )
    assert len({line.identity for line in parsed.lines}) == len(txs)


@pytest.mark.parametrize(
    ("stated", "full", "result"),
    [
        ("6214********5555", "6214830000005555", True),
        ("1234****9876", "1234567890123459876", True),
        ("6222 0208 1234 5678", "6222020812345678", True),
        ("6214********5555", "6214830000005556", False),
        ("1234****9876", "9234567890123459876", False),
        ("12345678", "12345679", False),
        ("", "6222020812345678", None),
        ("6214********5555", "6214 **** 5555", True),  # the escrow account is stored masked too
        ("6214********5555", "6222 **** 5555", False),
        ("****5555", "6214****", None),  # no digit visible in both
    ],
)
def test_a_masked_account_number_matches_the_full_one(stated, full, result):
    assert account_matches(stated, full) is result
