"""Statements written in the banks' real layouts, from a list of transactions: for the
test fixtures, the benchmark and demo data. Independent of the parser on purpose: it
knows the layouts from the research notes (docs/bank-statements.md), writes each line
where the bank would, and returns, beside the file, what a correct parse must find.

Layouts: ``icbc`` (UTF-8 CSV, padded cells, footer), ``cmb`` (GBK CSV, CRLF, footer),
``alipay`` (GBK CSV, 24-line preamble with counts), ``wechat`` (XLSX, or the legacy
UTF-8 CSV with ``¥``), ``ccb`` (XLS), ``abc`` (XLSX, signed amounts), ``bocom`` (XLS),
``boc`` (UTF-16 TSV). XLS needs ``xlwt`` (only to regenerate fixtures; not a dependency).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from dataclasses import dataclass, replace
from decimal import Decimal

INCOME, EXPENSE, NEUTRAL = "income", "expense", "neutral"


@dataclass(frozen=True)
class Tx:
    date: dt.date
    direction: str  # income / expense / neutral
    amount_fen: int  # > 0
    time: dt.time | None = None
    counterparty: str = ""
    counterparty_account: str = ""
    summary: str = ""  # 摘要 / 交易类型 / 交易分类
    detail: str = ""  # 交易详情 / 交易备注 / 商品说明 / 附言
    serial: str = ""
    status: str = ""
    kind: str = ""  # what the line is (the expected kind hint)

    @property
    def signed(self) -> int:
        return {INCOME: self.amount_fen, EXPENSE: -self.amount_fen, NEUTRAL: 0}[self.direction]


def yuan(fen: int, *, thousands: bool = False, sign: bool = False) -> str:
    text = f"{abs(fen) // 100:,}" if thousands else str(abs(fen) // 100)
    text += f".{abs(fen) % 100:02d}"
    if fen < 0:
        return "-" + text
    return ("+" + text) if sign else text


def with_balances(txs: list[Tx], opening_fen: int) -> list[tuple[Tx, int]]:
    """Oldest first → (tx, balance after)."""
    out, balance = [], opening_fen
    for tx in txs:
        balance += tx.signed
        out.append((tx, balance))
    return out


def _memo(*parts: str) -> str:
    seen = [p for p in parts if p and p not in ("/", "-")]
    return " ".join(dict.fromkeys(seen))


def _expected_line(line, tx: Tx, balance, memo, *, serial="", status="", counterparty=None, account=None):
    return {
        "line": line,
        "date": tx.date.isoformat(),
        "time": tx.time.isoformat() if tx.time else None,
        "direction": tx.direction,
        "amount_fen": tx.amount_fen,
        "balance_fen": balance,
        "counterparty": tx.counterparty if counterparty is None else counterparty,
        "counterparty_account": tx.counterparty_account if account is None else account,
        "memo": memo,
        "serial": serial,
        "status": status,
        "kind": tx.kind,
    }


def _csv_text(rows: list[list[str]], *, newline="\r\n", quoting=csv.QUOTE_MINIMAL, delimiter=",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline, quoting=quoting, delimiter=delimiter)
    writer.writerows(rows)
    return buffer.getvalue()


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8-bom":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    if encoding == "utf-16":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    return text.encode(encoding)


def _period(txs):
    return min(t.date for t in txs), max(t.date for t in txs)


# --------------------------------------------------------------------------- ICBC


def _pad(value: str, width: int) -> str:
    """ICBC pads every cell to a width counted in GBK bytes, then appends a TAB."""
    return value + " " * max(0, width - len(value.encode("gbk"))) + "\t"


ICBC_HEADER_V2 = [
    "交易日期",
    "摘要",
    "交易详情",
    "交易场所",
    "交易国家或地区简称",
    "钞/汇",
    "交易金额(收入)",
    "交易金额(支出)",
    "交易币种",
    "记账金额(收入)",
    "记账金额(支出)",
    "记账币种",
    "余额",
    "对方户名",
    "对方账户",
]


def icbc(
    txs: list[Tx],
    opening_fen: int,
    *,
    account="6222****0208",
    encoding="utf-8",
    footer=True,
    period=None,
    omit=(),
) -> tuple[bytes, dict]:
    """ICBC 明细查询文件下载, v2 (15 columns), newest first, LF-free CRLF lines."""
    period = period or _period(txs)
    lines = [
        "明细查询文件下载",
        "",
        f'卡号: {account},"卡别名: 共管账户"',
        "",
        '子账户序号: 00000,子账户类别: 活期,"子账户别名: "',
        "",
        ",".join(ICBC_HEADER_V2),
    ]
    expected = []
    rows = []
    chrono = with_balances(txs, opening_fen)
    kept = [pair for i, pair in enumerate(chrono) if i not in omit]
    for tx, balance in reversed(kept):
        income = yuan(tx.amount_fen, thousands=True) if tx.direction == INCOME else ""
        expense = yuan(tx.amount_fen, thousands=True) if tx.direction == EXPENSE else ""
        cells = [
            _pad(tx.summary, 20),
            _pad(tx.detail, 40),
            _pad("批量业务" if "利息" in tx.summary else "网上银行", 60),
            _pad("CHN", 10),
            _pad("-", 20),
            _pad("-", 20),
            _pad(income, 20),
            _pad(expense, 20),
            _pad(yuan(balance, thousands=True), 20),
            _pad(tx.counterparty, 140),
            _pad(tx.counterparty_account, 40),
        ]
        q = ['"' + c.replace('"', '""') + '"' for c in cells]
        row = ",".join(
            [
                _pad(tx.date.isoformat(), 10),
                q[0],
                q[1],
                q[2],
                q[3],
                _pad("钞", 10),
                q[4],
                q[5],
                _pad("-", 15),
                q[6],
                q[7],
                _pad("人民币", 15),
                q[8],
                q[9],
                q[10],
            ]
        )
        rows.append(row + ",")
        expected.append((tx, balance))
    lines += rows
    total_in = sum(t.amount_fen for t, _b in kept if t.direction == INCOME)
    total_out = sum(t.amount_fen for t, _b in kept if t.direction == EXPENSE)
    if footer:
        lines.append(" ")
        lines.append(
            "人民币合计,,,,,,,,,"
            + f'"{_pad(yuan(total_in, thousands=True), 20)}","{_pad(yuan(total_out, thousands=True), 20)}",'
        )
    text = "\r\n".join(lines) + "\r\n"
    return _encode(text, encoding), {
        "layout": "icbc",
        "file_kind": "csv",
        "encoding": encoding,
        "header_line": 7,
        "account_number": account,
        "stated_period": None,
        "opening_balance_fen": opening_fen,
        "closing_balance_fen": chrono[-1][1] if chrono else None,
        "newest_first": True,
        "lines": [
            _expected_line(8 + i, replace(tx, time=None), bal, _memo(tx.summary, tx.detail))
            for i, (tx, bal) in enumerate(expected)
        ],
    }


# --------------------------------------------------------------------------- CMB


def cmb(txs, opening_fen, *, account="6214********5555", encoding="gbk", footer=True, period=None):
    """招商银行交易记录: GBK, CRLF, 7 preamble lines, TAB inside quotes, newest first."""
    start, end = period or _period(txs)
    preamble = [
        ["# 招商银行交易记录"],
        ["# 导出时间: [            2026-03-22 23:52:22]"],
        [f"# 账    号: [一卡通:{account}   招商银行]"],
        ["# 币    种: [                         人民币]"],
        [f"# 起始日期: [{start:%Y%m%d}]   终止日期: [{end:%Y%m%d}]"],
        ["# 过滤设置:  无"],
        [],
    ]
    header = [["交易日期", "交易时间", "收入", "支出", "余额", "交易类型", "交易备注"]]
    body, expected = [], []
    for tx, balance in reversed(with_balances(txs, opening_fen)):
        body.append(
            [
                f"\t{tx.date:%Y%m%d}",
                f"\t{tx.time:%H:%M:%S}",
                yuan(tx.amount_fen) if tx.direction == INCOME else "",
                yuan(tx.amount_fen) if tx.direction == EXPENSE else "",
                yuan(balance),
                tx.summary,
                f"\t {tx.detail}",
            ]
        )
        expected.append((tx, balance))
    rows = preamble + header + body
    if footer:
        n_in = [t for t in txs if t.direction == INCOME]
        n_out = [t for t in txs if t.direction == EXPENSE]
        rows += [
            [],
            [f"# 收入合计: {len(n_in)} 笔，共 {yuan(sum(t.amount_fen for t in n_in))} 元"],
            [f"# 支出合计: {len(n_out)} 笔，共 {yuan(sum(t.amount_fen for t in n_out))} 元"],
        ]
    text = "".join(_csv_text([row], quoting=csv.QUOTE_ALL) if row else "\r\n" for row in rows)
    return _encode(text, encoding), {
        "layout": "cmb",
        "file_kind": "csv",
        "encoding": encoding,
        "header_line": 8,
        "account_number": account,
        "stated_period": [start.isoformat(), end.isoformat()],
        "opening_balance_fen": opening_fen,
        "closing_balance_fen": with_balances(txs, opening_fen)[-1][1] if txs else None,
        "newest_first": True,
        "lines": [
            _expected_line(9 + i, tx, bal, _memo(tx.summary, tx.detail), counterparty="", account="")
            for i, (tx, bal) in enumerate(expected)
        ],
    }


# --------------------------------------------------------------------------- Alipay

ALIPAY_NOTES = [
    "特别提示：",
    "1.本回单内容可表明支付宝受理了相关交易申请，不代表交易已成功完成；",
    "2.本回单不作为收款方发货依据；",
    "3.本回单交易明细与收付款方交易明细记录一致；",
    "4.本回单支持在支付宝App或网站验真；",
    "5.本回单信息仅供参考；",
    "6.本回单交易时间以支付宝系统时间为准；",
    "7.如有疑问请联系支付宝客服；",
    "8.本回单由支付宝（中国）网络技术有限公司出具；",
    "9.本明细仅供个人对账使用。",
]


def _direction_word(tx, neutral):
    return {INCOME: "收入", EXPENSE: "支出", NEUTRAL: neutral}[tx.direction]


def alipay(txs, *, account="gongguan@example.cn", name="尚城国际业主大会", encoding="gbk"):
    """支付宝 交易明细 (2023+): GBK, 24 preamble lines, header on line 25, trailing commas."""
    start, end = _period(txs)
    by = {d: [t for t in txs if t.direction == d] for d in (INCOME, EXPENSE, NEUTRAL)}

    def total(d):
        return f"{len(by[d])}笔 {yuan(sum(t.amount_fen for t in by[d]))}元"

    preamble = [
        "-" * 84,
        "导出信息：",
        f"姓名：{name}",
        f"支付宝账户：{account}",
        f"起始时间：[{start} 00:00:00]    终止时间：[{end} 23:59:59]",
        "导出交易类型：[全部]",
        "导出时间：[2026-04-01 09:12:52]",
        f"共{len(txs)}笔记录",
        f"收入：{total(INCOME)}",
        f"支出：{total(EXPENSE)}",
        f"不计收支：{total(NEUTRAL)}",
        "",
        *ALIPAY_NOTES,
        "",
        "------------------------支付宝（中国）网络技术有限公司  电子客户回单------------------------",
    ]
    assert len(preamble) == 24
    header = "交易时间,交易分类,交易对方,对方账号,商品说明,收/支,金额,收/付款方式,交易状态,交易订单号,商家订单号,备注,"
    body, expected = [], []
    for i, tx in enumerate(sorted(txs, key=lambda t: (t.date, t.time), reverse=True)):
        cells = [
            f"{tx.date} {tx.time:%H:%M:%S}",
            tx.summary,
            tx.counterparty,
            tx.counterparty_account,
            tx.detail,
            _direction_word(tx, "不计收支"),
            yuan(tx.amount_fen),
            "余额宝",
            tx.status or "交易成功",
            tx.serial + "\t",
            f"M{tx.serial[-8:]}\t",
            "",
        ]
        body.append(_csv_text([cells], newline="").rstrip("\r\n") + ",")
        expected.append(
            _expected_line(
                26 + i,
                tx,
                None,
                _memo(tx.summary, tx.detail),
                serial=tx.serial,
                status=tx.status or "交易成功",
            )
        )
    text = "\r\n".join([*preamble, header, *body]) + "\r\n"
    return _encode(text, encoding), {
        "layout": "alipay",
        "file_kind": "csv",
        "encoding": encoding,
        "header_line": 25,
        "account_number": account,
        "stated_period": [start.isoformat(), end.isoformat()],
        "opening_balance_fen": None,
        "closing_balance_fen": None,
        "newest_first": True,
        "lines": expected,
    }


# --------------------------------------------------------------------------- WeChat Pay

WECHAT_HEADER = [
    "交易时间",
    "交易类型",
    "交易对方",
    "商品",
    "收/支",
    "金额(元)",
    "支付方式",
    "当前状态",
    "交易单号",
    "商户单号",
    "备注",
]


def _wechat_grid(txs, nickname, *, legacy):
    start, end = _period(txs)
    by = {d: [t for t in txs if t.direction == d] for d in (INCOME, EXPENSE, NEUTRAL)}

    def total(d):
        return f"{len(by[d])}笔 {yuan(sum(t.amount_fen for t in by[d]))}元"

    preamble = [
        "微信支付账单明细",
        f"微信昵称：[{nickname}]",
        f"起始时间：[{start} 00:00:00] 终止时间：[{end} 23:59:59]",
        "导出类型：[全部]",
        "导出时间：[2026-04-01 16:05:22]",
        "",
        f"共{len(txs)}笔记录",
        f"收入：{total(INCOME)}",
        f"支出：{total(EXPENSE)}",
        f"中性交易：{total(NEUTRAL)}",
        "注：",
        "1. 充值/提现/理财通购买/零钱通存取/信用卡还款等交易，将计入中性交易",
        "2. 本明细仅展示当前账单中的交易，不包括已删除的记录",
        "3. 本明细仅供个人对账使用",
    ]
    if not legacy:
        preamble.append("4. 本明细中的交易时间以微信支付系统时间为准")  # the 2025+ extra note line
    preamble += ["", "----------------------微信支付账单明细列表--------------------"]
    grid = [[p] + [""] * 10 for p in preamble]
    header_line = len(grid) + 1
    grid.append(list(WECHAT_HEADER))
    expected = []
    for i, tx in enumerate(sorted(txs, key=lambda t: (t.date, t.time), reverse=True)):
        amount = ("¥" if legacy else "") + yuan(tx.amount_fen)
        grid.append(
            [
                f"{tx.date} {tx.time:%H:%M:%S}",
                tx.summary,
                tx.counterparty or "/",
                tx.detail or "/",
                _direction_word(tx, "/"),
                amount,
                "零钱",
                tx.status or "支付成功",
                tx.serial + "\t",
                "/\t",
                "/",
            ]
        )
        expected.append(
            _expected_line(
                header_line + 1 + i,
                tx,
                None,
                _memo(tx.summary, tx.detail),
                serial=tx.serial,
                status=tx.status or "支付成功",
                account="",
            )
        )
    return grid, header_line, expected


def wechat(txs, *, nickname="尚城国际业委会", legacy=False):
    """微信支付账单明细: XLSX since 2025 (header on row 18), or the legacy UTF-8 CSV
    (BOM, header on line 17, amounts with ¥, every preamble line padded to 11 fields)."""
    grid, header_line, expected = _wechat_grid(txs, nickname, legacy=legacy)
    start, end = _period(txs)
    info = {
        "layout": "wechat",
        "header_line": header_line,
        "account_number": nickname,
        "stated_period": [start.isoformat(), end.isoformat()],
        "opening_balance_fen": None,
        "closing_balance_fen": None,
        "newest_first": True,
        "lines": expected,
    }
    if legacy:
        text = _csv_text(grid, newline="\n")
        return _encode(text, "utf-8-bom"), {**info, "file_kind": "csv", "encoding": "utf-8-bom"}
    return _xlsx(grid, sheet="微信支付账单明细"), {**info, "file_kind": "xlsx", "encoding": "xlsx"}


# --------------------------------------------------------------------------- spreadsheets


def _xlsx(grid, *, sheet="Sheet1") -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in grid:
        ws.append([None if c == "" else c for c in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xls(grid, *, sheet="Sheet1") -> bytes:
    import xlwt  # only to regenerate fixtures; see the module docstring

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(sheet)
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if value != "" and value is not None:
                ws.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


CCB_HEADER = [
    "记账日",
    "交易日期",
    "交易时间",
    "支出",
    "收入",
    "账户余额",
    "币种",
    "摘要",
    "对方账号",
    "对方户名",
    "交易地点",
]


def ccb(txs, opening_fen, *, account="6217****0571", fmt="xls"):
    """建设银行 交易明细 XLS: 5 lines above the header, numeric amount cells (the unused
    one 0), text dates, a last line 以上数据仅供参考…; oldest first."""
    grid = [
        ["China Construction Bank"],
        ["开户机构：中国建设银行股份有限公司杭州城西支行"],
        ["币　　种：人民币"],
        [f"账　　号：{account}"],
        [],
        list(CCB_HEADER),
    ]
    expected = []
    for i, (tx, balance) in enumerate(with_balances(txs, opening_fen)):
        grid.append(
            [
                f"{tx.date:%Y%m%d}",
                f"{tx.date:%Y%m%d}",
                f"{tx.time:%H:%M:%S}",
                Decimal(tx.amount_fen) / 100 if tx.direction == EXPENSE else 0,
                Decimal(tx.amount_fen) / 100 if tx.direction == INCOME else 0,
                Decimal(balance) / 100,
                "人民币元",
                tx.summary,
                tx.counterparty_account,
                tx.counterparty,
                "杭州",
            ]
        )
        expected.append(_expected_line(7 + i, tx, balance, _memo(tx.summary)))
    grid.append(["以上数据仅供参考|具体内容请以柜台为准"])
    data = _xls(grid, sheet="交易明细") if fmt == "xls" else _xlsx(grid, sheet="交易明细")
    return data, {
        "layout": "ccb",
        "file_kind": fmt,
        "encoding": fmt,
        "header_line": 6,
        "account_number": account,
        "stated_period": None,
        "opening_balance_fen": opening_fen,
        "closing_balance_fen": with_balances(txs, opening_fen)[-1][1],
        "newest_first": False,
        "lines": expected,
    }


ABC_HEADER = [
    "交易日期",
    "交易时间",
    "交易金额",
    "本次余额",
    "对方户名",
    "对方账号",
    "交易行",
    "交易渠道",
    "交易类型",
    "交易用途",
    "交易摘要",
]


def abc(txs, opening_fen, *, account="6228480000001234", name="尚城国际业主大会"):
    """农业银行 账户明细 XLSX: title, account row, header on row 3, signed text amounts,
    every cell text; newest first."""
    start, end = _period(txs)
    grid = [
        ["账户明细查询"],
        [f"账户：{account}", f"户名：{name}", f"起止日期：{start:%Y%m%d}-{end:%Y%m%d}"],
        list(ABC_HEADER),
    ]
    expected = []
    for i, (tx, balance) in enumerate(reversed(with_balances(txs, opening_fen))):
        grid.append(
            [
                f"{tx.date:%Y%m%d}",
                f"{tx.time:%H%M%S}",
                yuan(tx.signed, sign=True),
                yuan(balance),
                tx.counterparty,
                tx.counterparty_account,
                "农行杭州分行",
                "网银" if tx.counterparty else "柜面",
                tx.summary,
                tx.detail,
                tx.summary,
            ]
        )
        expected.append(_expected_line(4 + i, tx, balance, _memo(tx.summary, tx.detail)))
    return _xlsx(grid, sheet="账户明细"), {
        "layout": "abc",
        "file_kind": "xlsx",
        "encoding": "xlsx",
        "header_line": 3,
        "account_number": account,
        "stated_period": [start.isoformat(), end.isoformat()],
        "opening_balance_fen": opening_fen,
        "closing_balance_fen": with_balances(txs, opening_fen)[-1][1],
        "newest_first": True,
        "lines": expected,
    }


BOCOM_HEADER = [
    "记账日期",
    "交易时间",
    "交易地点",
    "交易方式",
    "支出金额",
    "收入金额",
    "余额",
    "对方户名",
    "对方账户",
    "对方开户行",
    "摘要",
]


def bocom(txs, opening_fen, *, account="6222****5678"):
    """交通银行银行卡交易明细查询表 XLS: title, metadata row, header on row 3; newest first."""
    start, end = _period(txs)
    grid = [
        ["交通银行银行卡交易明细查询表"],
        [f"卡号：{account}", f"查询起止日期：{start} 至 {end}"],
        list(BOCOM_HEADER),
    ]
    expected = []
    for i, (tx, balance) in enumerate(reversed(with_balances(txs, opening_fen))):
        grid.append(
            [
                tx.date.isoformat(),
                f"{tx.time:%H:%M:%S}",
                "杭州",
                tx.detail,
                yuan(tx.amount_fen, thousands=True) if tx.direction == EXPENSE else "",
                yuan(tx.amount_fen, thousands=True) if tx.direction == INCOME else "",
                yuan(balance, thousands=True),
                tx.counterparty,
                tx.counterparty_account,
                "交通银行杭州分行" if tx.counterparty else "",
                tx.summary,
            ]
        )
        expected.append(_expected_line(4 + i, tx, balance, _memo(tx.summary, tx.detail)))
    return _xls(grid, sheet="交易明细列表"), {
        "layout": "bocom",
        "file_kind": "xls",
        "encoding": "xls",
        "header_line": 3,
        "account_number": account,
        "stated_period": [start.isoformat(), end.isoformat()],
        "opening_balance_fen": opening_fen,
        "closing_balance_fen": with_balances(txs, opening_fen)[-1][1],
        "newest_first": True,
        "lines": expected,
    }


BOC_HEADER = [
    "交易日期",
    "交易时间",
    "业务摘要",
    "对方账户名称",
    "对方账户账号",
    "币种",
    "钞/汇",
    "收入金额",
    "支出金额",
    "余额",
    "网点名称",
    "附言",
]


def boc(txs, opening_fen, *, account="6216****9012"):
    """中国银行 网上银行 text export: UTF-16 (LE, BOM), TAB-separated, CRLF. The column
    order is not confirmed (docs/bank-statements.md); recognition is by name."""
    rows = [[f"账号：{account}"], list(BOC_HEADER)]
    expected = []
    for i, (tx, balance) in enumerate(reversed(with_balances(txs, opening_fen))):
        rows.append(
            [
                f"{tx.date:%Y/%m/%d}",
                f"{tx.time:%H:%M:%S}",
                tx.summary,
                tx.counterparty,
                tx.counterparty_account,
                "人民币",
                "钞",
                yuan(tx.amount_fen) if tx.direction == INCOME else "",
                yuan(tx.amount_fen) if tx.direction == EXPENSE else "",
                yuan(balance),
                "中国银行杭州文三路支行",
                tx.detail,
            ]
        )
        expected.append(_expected_line(3 + i, tx, balance, _memo(tx.summary, tx.detail)))
    text = _csv_text(rows, delimiter="\t")
    return _encode(text, "utf-16"), {
        "layout": "boc",
        "file_kind": "tsv",
        "encoding": "utf-16",
        "header_line": 2,
        "account_number": account,
        "stated_period": None,
        "opening_balance_fen": opening_fen,
        "closing_balance_fen": with_balances(txs, opening_fen)[-1][1],
        "newest_first": True,
        "lines": expected,
    }


# --------------------------------------------------------------------------- scenarios


def escrow_quarter(year=2026, month=1) -> list[Tx]:
    """A month of an escrow account: owners' payments (two identical on one day),
    interest, charges, a refund, a payout to a contractor and one outflow nobody explains."""
    d = lambda day: dt.date(year, month, day)  # noqa: E731
    t = lambda h, m=0, s=0: dt.time(h, m, s)  # noqa: E731
    return [
        Tx(
            d(3),
            INCOME,
            125_000,
            t(9, 12, 5),
            "王建国",
            "6222****1111",
            "他行汇入",
            "3栋2单元1502 专项维修资金",
            kind="receipt",
        ),
        Tx(
            d(3),
            INCOME,
            80_000,
            t(10, 1),
            "李秀英",
            "6217****2222",
            "转账存入",
            "5栋1单元0301",
            kind="receipt",
        ),
        Tx(
            d(3),
            INCOME,
            80_000,
            t(10, 1),
            "李秀英",
            "6217****2222",
            "转账存入",
            "5栋1单元0301",
            kind="receipt",
        ),
        Tx(d(5), EXPENSE, 500, t(0, 0, 1), "", "", "手续费", "跨行转账手续费", kind="charge"),
        Tx(
            d(8),
            INCOME,
            1_234_56,
            t(14, 30),
            "陈晓明",
            "6228****3333",
            "他行汇入",
            "2栋3单元1201 2026年1月",
            kind="receipt",
        ),
        Tx(
            d(12),
            EXPENSE,
            80_000,
            t(11, 5),
            "李秀英",
            "6217****2222",
            "退款",
            "重复缴纳 5栋1单元0301",
            kind="refund",
        ),
        Tx(
            d(15),
            EXPENSE,
            3_680_000,
            t(16, 20),
            "杭州安达电梯工程有限公司",
            "3301****7788",
            "转账支出",
            "电梯维修 付款",
            kind="payout",
        ),
        Tx(d(18), EXPENSE, 200, t(2, 0), "", "", "短信费", "短信通知费", kind="charge"),
        Tx(d(20), INCOME, 4_321, t(3, 0), "", "", "利息", "结息", kind="interest"),
        Tx(d(22), EXPENSE, 1_000_000, t(13, 45), "", "", "支取", "", kind="unexplained"),
        Tx(
            d(25),
            INCOME,
            2_000_000,
            t(9, 0),
            "赵丽",
            "6222****4444",
            "他行汇入",
            "9栋1单元0802 维修资金",
            kind="receipt",
        ),
    ]


def wallet_month(year=2026, month=1, *, wechat=False) -> list[Tx]:
    """A month of the fund's wallet: residents pay, a refund, a withdrawal to the escrow
    bank account (neutral), a closed payment (Alipay: money never moved)."""
    d = lambda day: dt.date(year, month, day)  # noqa: E731
    t = lambda h, m=0, s=0: dt.time(h, m, s)  # noqa: E731
    prefix = "4200002" if wechat else "2026"
    serial = lambda n: f"{prefix}{month:02d}{n:010d}"  # noqa: E731
    receipt_kind = "二维码收款" if wechat else "转账红包"
    txs = [
        Tx(
            d(2),
            INCOME,
            12_000,
            t(8, 1, 2),
            "张伟",
            "zha***@qq.com",
            receipt_kind,
            "3栋2单元1502 物业费",
            serial(1),
            kind="receipt",
        ),
        Tx(
            d(2),
            INCOME,
            12_000,
            t(8, 1, 2),
            "张伟",
            "zha***@qq.com",
            receipt_kind,
            "3栋2单元1502 物业费",
            serial(2),
            kind="receipt",
        ),
        Tx(
            d(4),
            INCOME,
            56_000,
            t(20, 15),
            "刘洋",
            "liu***@163.com",
            receipt_kind,
            "7栋1单元0201",
            serial(3),
            kind="receipt",
        ),
        Tx(
            d(6),
            EXPENSE,
            12_000,
            t(9, 30),
            "张伟",
            "zha***@qq.com",
            "退款",
            "退款 3栋2单元1502 重复缴纳",
            serial(4),
            kind="refund",
        ),
        Tx(
            d(10),
            EXPENSE,
            8_800,
            t(15, 0),
            "杭州绿植园艺有限公司",
            "lvz***@alipay.com",
            "商户消费",
            "绿化补种",
            serial(5),
            kind="payout",
        ),
        Tx(
            d(28),
            NEUTRAL,
            48_000,
            t(17, 0),
            "",
            "",
            "零钱提现" if wechat else "提现",
            "提现到招商银行(5555)",
            serial(6),
            kind="withdrawal",
        ),
    ]
    if not wechat:
        txs.append(
            Tx(
                d(29),
                EXPENSE,
                9_900,
                t(11, 11),
                "某商户",
                "shop***@alipay.com",
                "日用百货",
                "未支付订单",
                serial(7),
                status="交易关闭",
                kind="void",
            )
        )
    return txs


def long_statement(n_lines: int, *, seed: int = 1, start=dt.date(2025, 1, 1)) -> list[Tx]:
    """Many lines for the benchmark: several a day, with identical-looking repeats."""
    import random

    rng = random.Random(seed)  # noqa: S311 - sample data, not a secret
    txs, day = [], start
    names = ["王建国", "李秀英", "陈晓明", "赵丽", "张伟", "刘洋"]
    while len(txs) < n_lines:
        for _ in range(rng.randint(1, 40)):
            if len(txs) >= n_lines:
                break
            if rng.random() < 0.85:
                amount = rng.choice([80_000, 125_000, 12_000, 56_000, rng.randint(100, 300_000)])
                name = rng.choice(names)
                txs.append(
                    Tx(
                        day,
                        INCOME,
                        amount,
                        dt.time(rng.randint(8, 20), 0),
                        name,
                        "6222****1111",
                        "他行汇入",
                        f"{rng.randint(1, 20)}栋 缴费",
                        kind="receipt",
                    )
                )
            else:
                txs.append(
                    Tx(
                        day,
                        EXPENSE,
                        rng.choice([500, 200, 1000]),
                        dt.time(23, 0),
                        "",
                        "",
                        "手续费",
                        "汇划费",
                        kind="charge",
                    )
                )
        day += dt.timedelta(days=1)
    return txs


def shift(txs: list[Tx], **changes) -> list[Tx]:
    return [replace(t, **changes) for t in txs]
