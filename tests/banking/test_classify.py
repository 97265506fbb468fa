"""Step 5: each line's kind hint (nothing is posted here)."""

from __future__ import annotations

import datetime as dt

import pytest

from banking.classify import kind_of
from banking.statement import StatementLine


def line(direction, memo="", counterparty="", status=""):
    return StatementLine(
        1, dt.date(2026, 1, 5), None, direction, 100, None, counterparty, "", memo, "", status
    )


@pytest.mark.parametrize(
    ("direction", "memo", "counterparty", "kind"),
    [
        ("income", "他行汇入 3栋2单元1502", "王建国", "receipt"),
        ("income", "账户结息 结息：2.50扣税：0", "", "interest"),
        ("income", "利息", "", "interest"),
        ("income", "退款 商户退回", "某商户", "refund"),
        ("expense", "跨行转账手续费", "", "charge"),
        ("expense", "工本费", "", "charge"),
        ("expense", "年费", "", "charge"),
        ("expense", "短信费", "", "charge"),
        ("expense", "小额账户管理费", "", "charge"),
        ("expense", "利息税", "", "charge"),
        ("expense", "退款 重复缴纳", "李秀英", "refund"),
        ("expense", "提现到招商银行(5555)", "", "withdrawal"),
        ("expense", "转账支出 电梯维修", "杭州安达电梯工程有限公司", "payout"),
        ("expense", "网银转出", "", "payout"),
        ("expense", "支取", "", "unexplained"),
        ("expense", "银联ATM取款", "", "unexplained"),
        ("expense", "物业管理费", "", "unexplained"),  # not a bank charge: a payment nobody named
        ("neutral", "零钱提现 提现到招商银行", "", "withdrawal"),
        ("neutral", "零钱通转入", "", "neutral"),
    ],
)
def test_kind_hints(direction, memo, counterparty, kind):
    assert kind_of(line(direction, memo, counterparty)) == kind


def test_a_void_status_wins_over_everything():
    closed = line("expense", "未支付订单", "某商户", status="交易关闭")
    assert kind_of(closed, void_statuses=("交易关闭",)) == "void"
    assert kind_of(closed) == "payout"
