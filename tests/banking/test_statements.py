"""Steps 2, 3, 5, 6: the eight layouts as the banks write them, recognised from the
header, read to the expected parse written beside each fixture; broken files refused
whole, naming the line and the column."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from django.utils import translation

from banking import PRESETS, Mapping, StatementError, read_statement, recognise, samples
from banking.classify import KINDS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOOD = [
    "icbc.csv",
    "cmb.csv",
    "ccb.xls",
    "abc.xlsx",
    "bocom.xls",
    "boc.txt",
    "alipay.csv",
    "wechat.xlsx",
    "wechat_legacy.csv",
]
BROKEN = [
    "icbc_cut_off.csv",
    "icbc_cut_mid_cell.csv",
    "icbc_balance_break.csv",
    "cmb_footer_mismatch.csv",
    "alipay_count_mismatch.csv",
]


def expected_of(name: str) -> dict:
    return json.loads((FIXTURES / (name.rsplit(".", 1)[0] + ".expected.json")).read_text())


def test_every_preset_has_a_fixture():
    layouts = {expected_of(name)["layout"] for name in GOOD}
    assert {"icbc", "cmb", "ccb", "abc", "bocom", "boc", "alipay", "wechat"} <= layouts


@pytest.mark.parametrize("name", GOOD)
def test_each_real_layout_reads_as_downloaded(name):
    expected = expected_of(name)
    parsed = read_statement((FIXTURES / name).read_bytes())
    got = parsed.as_dict()
    lines = got.pop("lines")
    for key in ("layout", "file_kind", "encoding", "header_line", "account_number", "stated_period"):
        assert got[key] == expected[key], key
    for key in ("opening_balance_fen", "closing_balance_fen", "newest_first"):
        assert got[key] == expected[key], key
    assert len(lines) == len(expected["lines"])
    for line, want in zip(lines, expected["lines"], strict=True):
        identity, basis = line.pop("identity"), line.pop("identity_basis")
        assert line == want
        assert len(identity) == 40
        assert basis == ("balance" if expected["opening_balance_fen"] is not None else "serial")
    assert len({line.identity for line in parsed.lines}) == len(parsed.lines)
    assert {line.kind for line in parsed.lines} <= set(KINDS)


@pytest.mark.parametrize("name", GOOD)
def test_what_was_checked_is_reported(name):
    parsed = read_statement((FIXTURES / name).read_bytes())
    expected = expected_of(name)
    if expected["opening_balance_fen"] is not None:
        assert "balance_chain" in parsed.checks
    if parsed.layout in ("icbc", "cmb", "ccb"):
        assert "footer" in parsed.checks
    if parsed.layout in ("icbc", "cmb", "alipay", "wechat"):
        assert "totals" in parsed.checks
    if parsed.layout in ("alipay", "wechat"):
        assert "counts" in parsed.checks


@pytest.mark.parametrize("name", BROKEN)
def test_broken_files_are_refused_whole_naming_line_and_column(name):
    expected = expected_of(name)["refused"]
    with pytest.raises(StatementError) as caught:
        read_statement((FIXTURES / name).read_bytes())
    found = [{"row": p["row"], "column": p["column"]} for p in caught.value.extra["rows"]]
    assert found == expected
    assert caught.value.extra["fields"]["file"]


def test_refusals_are_in_chinese_for_chinese_users():
    with translation.override("zh-hans"), pytest.raises(StatementError) as caught:
        read_statement((FIXTURES / "icbc_balance_break.csv").read_bytes())
    message = caught.value.message
    assert "第 13 行" in message and "余额" in message and "余额中断" in message


def test_the_kinds_of_an_escrow_month():
    parsed = read_statement((FIXTURES / "icbc.csv").read_bytes())
    kinds = [line.kind for line in parsed.chronological()]
    assert kinds == [t.kind for t in samples.escrow_quarter(2026, 1)]
    assert kinds.count("unexplained") == 1 and "payout" in kinds and "interest" in kinds


def test_two_identical_lines_on_one_day_are_two_lines():
    parsed = read_statement((FIXTURES / "cmb.csv").read_bytes())
    twins = [line for line in parsed.lines if line.date.day == 3 and line.amount_fen == 80_000]
    assert len(twins) == 2
    assert twins[0].memo == twins[1].memo and twins[0].time == twins[1].time
    assert twins[0].balance_fen != twins[1].balance_fen
    assert twins[0].identity != twins[1].identity


# --------------------------------------------------------------------------- recognition


def test_icbc_13_column_layout_is_recognised_too():
    v1 = [c for c in samples.ICBC_HEADER_V2 if c not in ("交易详情", "对方账户")]
    assert recognise(v1).key == "icbc"
    assert recognise(samples.ICBC_HEADER_V2).key == "icbc"


@pytest.mark.parametrize(
    ("header", "key"),
    [
        (["交易日期", "交易时间", "收入", "支出", "余额", "交易类型", "交易备注"], "cmb"),
        (["交易时间", "收支", "余额", "交易类型", "交易备注"], "cmb_2016"),
        (samples.CCB_HEADER, "ccb"),
        (samples.ABC_HEADER, "abc"),
        (samples.BOCOM_HEADER, "bocom"),
        (samples.BOC_HEADER, "boc"),
        (samples.WECHAT_HEADER, "wechat"),
        (
            [
                "交易时间",
                "交易分类",
                "交易对方",
                "对方账号",
                "商品说明",
                "收/支",
                "金额",
                "收/付款方式",
                "交易状态",
                "交易订单号",
                "商家订单号",
                "备注",
                "",
            ],
            "alipay",
        ),
        (["日期", "金额"], None),
    ],
)
def test_presets_are_recognised_from_the_header(header, key):
    found = recognise(list(header))
    assert (found.key if found else None) == key


def test_an_unknown_file_is_refused_with_the_known_layouts_named():
    with pytest.raises(StatementError) as caught:
        read_statement("日期,金额\n2026-01-01,5.00\n".encode())
    assert "ICBC" in caught.value.message and "WeChat" in caught.value.message


def test_the_header_is_found_wherever_it_is_and_the_preamble_is_read():
    data, _expected = samples.cmb(samples.escrow_quarter(2026, 1), 100_000)
    parsed = read_statement(data)
    assert parsed.header_line == 8
    assert parsed.account_number == "6214********5555"
    assert str(parsed.stated_period[0]) == "2026-01-03"


def test_icbc_with_a_bom_and_in_gbk_reads_the_same():
    txs = samples.escrow_quarter(2026, 1)
    plain = read_statement(samples.icbc(txs, 0)[0])
    bom = read_statement(samples.icbc(txs, 0, encoding="utf-8-bom")[0])
    gbk = read_statement(samples.icbc(txs, 0, encoding="gbk")[0])
    assert (bom.encoding, gbk.encoding) == ("utf-8-bom", "gbk")
    assert [line.as_dict() for line in plain.lines] == [line.as_dict() for line in bom.lines]
    assert [line.as_dict() for line in plain.lines] == [line.as_dict() for line in gbk.lines]


# --------------------------------------------------------------------------- custom mappings

BANK_CSV = (
    "账号：3301040160000123456\n"
    "起止日期：2026-01-01 至 2026-01-31\n"
    "\n"
    "流水号,日期,借方发生额,贷方发生额,余额,对方户名,用途\n"
    'S001,2026-01-05,,"1,000.00",11000.00,王建国,3栋1502 维修资金\n'
    "S002,2026-01-06,5.00,,10995.00,,手续费\n"
    "S003,2026-01-07,995.00,,10000.00,安达电梯,电梯维修\n"
    '合计,,"1,000.00","1,000.00",,,\n'
)


def test_custom_two_column_mapping_with_a_serial_and_corporate_words():
    mapping = Mapping(
        date_column="日期",
        direction="two_columns",
        income_column="贷方发生额",
        expense_column="借方发生额",
        balance_column="余额",
        serial_column="流水号",
        counterparty_column="对方户名",
        memo_columns=("用途",),
        footer_required=True,
    )
    assert mapping.problems() == {}
    parsed = read_statement(BANK_CSV.encode("gbk"), mapping=mapping)
    assert parsed.layout == "custom" and parsed.header_line == 4
    assert parsed.account_number == "3301040160000123456"
    assert [(line.serial, line.signed_fen, line.kind) for line in parsed.lines] == [
        ("S001", 100_000, "receipt"),
        ("S002", -500, "charge"),
        ("S003", -99_500, "payout"),
    ]
    assert parsed.opening_balance_fen == 1_000_000 and parsed.closing_balance_fen == 1_000_000
    assert "totals" in parsed.checks and "footer" in parsed.checks and "period" in parsed.checks


def test_the_footer_total_of_a_custom_mapping_is_checked_under_its_column():
    broken = BANK_CSV.replace('合计,,"1,000.00","1,000.00"', '合计,,"1,000.00","2,000.00"')
    mapping = Mapping(
        date_column="日期", income_column="贷方发生额", expense_column="借方发生额", balance_column="余额"
    )
    with pytest.raises(StatementError) as caught:
        read_statement(broken.encode(), mapping=mapping)
    assert [(p.line, p.column) for p in caught.value.problems] == [(8, "贷方发生额")]


def test_custom_signed_mapping():
    text = "日期,金额,余额,摘要\n2026-02-01,+300.00,300.00,转账存入\n2026-02-02,-0.50,299.50,短信费\n"
    mapping = Mapping(
        date_column="日期",
        direction="signed",
        amount_column="金额",
        balance_column="余额",
        memo_columns=("摘要",),
    )
    parsed = read_statement(text.encode(), mapping=mapping)
    assert [(line.direction, line.amount_fen, line.kind) for line in parsed.lines] == [
        ("income", 30_000, "receipt"),
        ("expense", 50, "charge"),
    ]
    assert parsed.newest_first is False


def test_custom_direction_column_with_its_own_three_values():
    text = "时间,方向,金额,对方,说明\n2026-03-02 10:00:00,进账,¥50.00,张三,物业费\n2026-03-01 09:00:00,出账,¥5.00,李四,退款\n2026-03-01 08:00:00,其他,¥9.00,/,提现\n"
    mapping = Mapping(
        date_column="时间",
        direction="column",
        amount_column="金额",
        direction_column="方向",
        income_values=("进账",),
        expense_values=("出账",),
        neutral_values=("其他",),
        counterparty_column="对方",
        memo_columns=("说明",),
    )
    parsed = read_statement(text.encode(), mapping=mapping)
    assert [(line.direction, line.kind, line.counterparty) for line in parsed.lines] == [
        ("income", "receipt", "张三"),
        ("expense", "refund", "李四"),
        ("neutral", "withdrawal", ""),
    ]
    assert parsed.newest_first is True
    assert {line.identity_basis for line in parsed.lines} == {"occurrence"}
    bad = text.replace("其他", "不知道")
    with pytest.raises(StatementError) as caught:
        read_statement(bad.encode(), mapping=mapping)
    assert [(p.line, p.column) for p in caught.value.problems] == [(4, "方向")]
    assert "“进账”" in caught.value.problems[0].message


def test_a_mapping_round_trips_through_a_dict_and_reports_its_own_problems():
    for preset in PRESETS.values():
        assert Mapping.from_dict(json.loads(json.dumps(preset.as_dict()))).as_dict() == preset.as_dict()
        assert preset.problems() == {}
    assert set(Mapping(date_column="", direction="two_columns").problems()) == {
        "date_column",
        "income_column",
        "expense_column",
    }
    assert set(Mapping(date_column="d", direction="signed").problems()) == {"amount_column"}
    assert set(
        Mapping(
            date_column="d",
            direction="column",
            income_values=("a",),
            expense_values=("a",),
            amount_column="x",
            direction_column="y",
        ).problems()
    ) == {"neutral_values"}


def test_a_mapping_whose_columns_are_missing_names_them():
    mapping = Mapping(date_column="日期", income_column="贷方", expense_column="借方发生额")
    with pytest.raises(StatementError) as caught:
        read_statement(BANK_CSV.encode(), mapping=mapping)
    assert [(p.line, p.column) for p in caught.value.problems] == [(4, "贷方")]


# --------------------------------------------------------------------------- line-level refusals


def _icbc_text(**kwargs) -> str:
    return samples.icbc(samples.escrow_quarter(2026, 1), 100_000, **kwargs)[0].decode("utf-8")


def test_a_line_cut_at_a_cell_boundary_names_the_first_missing_column():
    lines = _icbc_text().split("\r\n")
    lines[8] = lines[8].split(",")[0] + "," + lines[8].split(",")[1]
    with pytest.raises(StatementError) as caught:
        read_statement("\r\n".join(lines).encode())
    assert [(p.line, p.column) for p in caught.value.problems] == [(9, "交易详情")]


def test_a_bad_amount_names_its_line_and_column():
    text = _icbc_text().replace('"1,234.56  ', '"1,2x4.56  ')
    with pytest.raises(StatementError) as caught:
        read_statement(text.encode())
    assert caught.value.problems[0].column == "记账金额(收入)"
    assert "1,2x4.56" in caught.value.problems[0].message


def test_a_stray_line_below_the_table_is_not_taken_for_a_summary():
    text = _icbc_text().rstrip("\r\n") + "\r\n随便写的一行,,,\r\n"
    with pytest.raises(StatementError) as caught:
        read_statement(text.encode())
    assert caught.value.problems[0].column == "交易日期"


def test_a_transaction_line_after_the_footer_is_refused():
    lines = _icbc_text().rstrip("\r\n").split("\r\n")
    with pytest.raises(StatementError) as caught:
        read_statement("\r\n".join([*lines, lines[8]]).encode())
    assert "after the summary line" in caught.value.problems[0].message


def test_a_line_outside_the_stated_period_is_refused():
    data, _e = samples.cmb(samples.escrow_quarter(2026, 1), 0)
    text = data.decode("gbk").replace("起始日期: [20260103]", "起始日期: [20260104]")
    with pytest.raises(StatementError) as caught:
        read_statement(text.encode("gbk"))
    assert {p.column for p in caught.value.problems} == {"交易日期"}
    assert len(caught.value.problems) == 3  # the three lines of 3 January


def test_an_alipay_closed_payment_is_void_and_a_wechat_withdrawal_is_neutral():
    alipay = read_statement((FIXTURES / "alipay.csv").read_bytes())
    assert [line.kind for line in alipay.lines if line.status == "交易关闭"] == ["void"]
    wechat = read_statement((FIXTURES / "wechat.xlsx").read_bytes())
    withdrawal = next(line for line in wechat.lines if line.kind == "withdrawal")
    assert withdrawal.direction == "neutral" and withdrawal.signed_fen == 0


def test_a_utf16_file_without_its_mark_is_refused():
    data = (FIXTURES / "boc.txt").read_bytes()
    assert data.startswith(codecs.BOM_UTF16_LE)
    with pytest.raises(StatementError):
        read_statement(data[2:])


def test_an_incomplete_mapping_is_refused_before_the_file_is_read():
    with pytest.raises(StatementError) as caught:
        read_statement(BANK_CSV.encode(), mapping=Mapping(date_column="日期", direction="signed"))
    assert "amount_column" in caught.value.problems[0].message


def test_a_wechat_name_with_an_unquoted_comma_is_refused_not_guessed():
    """WeChat's legacy CSV does not quote a name holding a comma. Joining the extra cell
    back cannot be done safely: a comma in the next column (商品) gives an equally
    well-formed row with the text in the wrong column, so the line is refused."""
    data, _expected = samples.wechat(samples.wallet_month(2026, 1, wechat=True), legacy=True)
    text = data.decode("utf-8-sig")
    for broken in (
        text.replace("杭州绿植园艺有限公司", "杭州绿植,园艺有限公司"),
        text.replace("绿化补种", "绿化,补种"),
    ):
        with pytest.raises(StatementError) as caught:
            read_statement(broken.encode("utf-8"))
        assert "more than the header" in caught.value.problems[0].message
        assert caught.value.problems[0].line == 19


def test_a_header_repeated_on_every_page_is_skipped():
    text = BANK_CSV.replace("S002,", "流水号,日期,借方发生额,贷方发生额,余额,对方户名,用途\nS002,")
    mapping = Mapping(
        date_column="日期", income_column="贷方发生额", expense_column="借方发生额", balance_column="余额"
    )
    assert len(read_statement(text.encode(), mapping=mapping).lines) == 3


def test_the_boc_table_copied_from_web_banking():
    text = (
        "交易时间,业务摘要,对方账户名称,对方账户账号,币种,钞/汇,收入金额,支出金额,余额,交易渠道/场所,附言\n"
        "2026-01-06 10:00:00,转账汇款,王建国,6222****1111,人民币,钞,800.00,,10800.00,网上银行,3栋1502\n"
        "2026-01-05 09:00:00,利息,,,人民币,钞,12.00,,10000.00,,结息\n"
    )
    parsed = read_statement(text.encode())
    assert parsed.layout == "boc_copy" and parsed.newest_first
    assert [(line.kind, line.time.hour) for line in parsed.lines] == [("receipt", 10), ("interest", 9)]
    assert parsed.opening_balance_fen == 998_800


def test_a_header_missing_one_column_of_a_preset_names_the_preset_and_the_column():
    text = _icbc_text().replace(",余额,", ",结余,", 1)
    with pytest.raises(StatementError) as caught:
        read_statement(text.encode())
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (7, "余额")
    assert "ICBC" in problem.message


def test_the_preview_counts_lines_by_kind():
    parsed = read_statement((FIXTURES / "icbc.csv").read_bytes())
    kinds = parsed.by_kind()
    assert kinds["charge"] == (2, 700)
    assert kinds["interest"] == (1, 4_321)
    assert kinds["unexplained"] == (1, 1_000_000)
    assert sum(n for n, _fen in kinds.values()) == len(parsed.lines)


def test_a_corporate_file_in_the_usual_vocabulary_is_read_without_a_mapping():
    text = (
        "账号：3301040160000123456\n"
        "交易日期,交易时间,交易流水号,借方发生额,贷方发生额,余额,对方户名,对方账号,摘要,用途\n"
        '20260105,09:01:02,T0001,,"1,000.00","11,000.00",王建国,6222****1111,转账,3栋1502 维修资金\n'
        '20260105,09:01:02,T0002,,"1,000.00","12,000.00",王建国,6222****1111,转账,3栋1502 维修资金\n'
        '20260106,16:00:00,T0003,2.00,,"11,998.00",,,手续费,\n'
    )
    parsed = read_statement(text.encode("gbk"))
    assert parsed.layout == "corporate" and not parsed.newest_first
    assert [(line.serial, line.signed_fen, line.kind) for line in parsed.lines] == [
        ("T0001", 100_000, "receipt"),
        ("T0002", 100_000, "receipt"),
        ("T0003", -200, "charge"),
    ]
    assert parsed.opening_balance_fen == 1_000_000
    assert {line.identity_basis for line in parsed.lines} == {"balance"}


def test_a_web_page_saved_as_xls_is_named_for_what_it_is():
    with pytest.raises(StatementError, match="web page"):
        read_statement("<html><body><table><tr><td>交易日期</td></tr></table></body></html>".encode())


def test_the_bank_balance_at_the_end_of_each_day():
    expected = expected_of("icbc.csv")
    parsed = read_statement((FIXTURES / "icbc.csv").read_bytes())
    by_day = {}
    for line in sorted(expected["lines"], key=lambda x: -x["line"]):  # the file is newest first
        by_day[line["date"]] = line["balance_fen"]
    assert [(d.isoformat(), b) for d, b in parsed.daily_balances()] == list(by_day.items())
    assert parsed.daily_balances()[-1][1] == parsed.closing_balance_fen
    assert read_statement((FIXTURES / "alipay.csv").read_bytes()).daily_balances() == []


def test_the_2016_cmb_layout_with_date_and_time_in_one_cell_and_a_signed_amount():
    text = (
        '"# 招商银行交易记录"\r\n'
        '"# 账    号: [一卡通:6214********5555   招商银行]"\r\n'
        "\r\n"
        '"交易时间","收支","余额","交易类型","交易备注"\r\n'
        '"\t20160207  00:18:29","\t-500.00","\t9500.00","转账汇款","\t 王五"\r\n'
        '"\t20160205  10:00:00","\t+10000.00","\t10000.00","汇入汇款","\t 张*三"\r\n'
    )
    parsed = read_statement(text.encode("gbk"))
    assert parsed.layout == "cmb_2016" and parsed.newest_first
    assert [(str(line.date), str(line.time), line.signed_fen) for line in parsed.lines] == [
        ("2016-02-07", "00:18:29", -50_000),
        ("2016-02-05", "10:00:00", 1_000_000),
    ]
    assert parsed.opening_balance_fen == 0 and parsed.account_number == "6214********5555"
