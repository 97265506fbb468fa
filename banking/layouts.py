"""Statement layouts as data: the built-in presets and custom mappings.

A ``Mapping`` says which column of the bank's header holds what. It is flat on purpose
(strings, tuples of strings, two flags) so that a Django form can build one and a
JSONField can store it (``Mapping.from_dict(mapping.as_dict())`` round-trips).

Direction comes in three forms (``direction``):

- ``"two_columns"``: an income column and an expense column, one of them empty or 0
  (ICBC 记账金额(收入)/(支出), CMB 收入/支出, CCB, BOCOM, BOC; corporate 贷方/借方发生额);
- ``"signed"``: one amount column, positive = money in (ABC 交易金额, old CMB 收支);
- ``"column"``: a magnitude in ``amount_column`` and a text column whose values are
  listed in ``income_values`` / ``expense_values`` / ``neutral_values`` (Alipay
  收/支 = 收入/支出/不计收支, WeChat Pay 收/支 = 收入/支出//).

The column names of the presets are those of the real exports (see
``docs/bank-statements.md`` and the research notes it cites). A header is recognised as a
preset when it holds every one of the preset's ``required_columns()``; the most specific
match wins.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DIRECTIONS = ("two_columns", "signed", "column")
# Date formats a mapping can name. "auto" reads every one of them (and ISO date-times,
# which is what a date-typed spreadsheet cell becomes).
DATE_FORMATS = ("auto", "%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y%m%d %H:%M:%S")


@dataclass(frozen=True)
class Mapping:
    """Where a statement's facts are. Empty strings mean "the file has no such column"."""

    date_column: str
    direction: str = "two_columns"
    income_column: str = ""
    expense_column: str = ""
    amount_column: str = ""
    direction_column: str = ""
    income_values: tuple[str, ...] = ("收入",)
    expense_values: tuple[str, ...] = ("支出",)
    neutral_values: tuple[str, ...] = ()
    date_format: str = "auto"
    time_column: str = ""
    balance_column: str = ""
    serial_column: str = ""
    counterparty_column: str = ""
    counterparty_account_column: str = ""
    memo_columns: tuple[str, ...] = ()
    status_column: str = ""
    # Statuses of a line whose money never moved (Alipay 交易关闭): kept, never posted.
    void_statuses: tuple[str, ...] = ()
    # Optional columns: read when the header has them (ICBC v1 lacks 交易详情, 对方账户).
    optional_columns: tuple[str, ...] = ()
    # The bank always ends the file with a summary line; a file without it was cut off.
    footer_required: bool = False
    # The order to assume when neither dates, times nor balances tell it.
    newest_first: bool = True
    encoding: str = "auto"
    delimiter: str = ""  # "" = find out ("," or TAB)
    key: str = "custom"
    name: str = ""
    file_kind: str = ""  # what the bank's website gives: "csv", "tsv", "xlsx", "xls" (documentation)

    def __post_init__(self):
        for f in (
            "income_values",
            "expense_values",
            "neutral_values",
            "memo_columns",
            "void_statuses",
            "optional_columns",
        ):
            value = getattr(self, f)
            if isinstance(value, str):
                object.__setattr__(self, f, (value,))
            elif not isinstance(value, tuple):
                object.__setattr__(self, f, tuple(value))

    # ----------------------------------------------------------------- checking

    def problems(self) -> dict[str, str]:
        """What is wrong with this mapping, by field name (for a form's errors)."""
        errors: dict[str, str] = {}
        if not self.date_column:
            errors["date_column"] = _("Name the column that holds the date.")
        if self.direction not in DIRECTIONS:
            errors["direction"] = _("Choose how the file tells money in from money out.")
        elif self.direction == "two_columns":
            if not self.income_column:
                errors["income_column"] = _("Name the column of money received.")
            if not self.expense_column:
                errors["expense_column"] = _("Name the column of money paid out.")
            if self.income_column and self.income_column == self.expense_column:
                errors["expense_column"] = _("Money in and money out must be two different columns.")
        elif self.direction == "signed":
            if not self.amount_column:
                errors["amount_column"] = _("Name the column that holds the signed amount.")
        else:
            if not self.amount_column:
                errors["amount_column"] = _("Name the column that holds the amount.")
            if not self.direction_column:
                errors["direction_column"] = _("Name the column that says income or expense.")
            values = [
                v for group in (self.income_values, self.expense_values, self.neutral_values) for v in group
            ]
            if not self.income_values or not self.expense_values:
                errors["income_values"] = _("List the words the file uses for income and for expense.")
            elif len(values) != len(set(values)):
                errors["neutral_values"] = _("A word cannot mean two directions.")
        if self.date_format not in DATE_FORMATS:
            errors["date_format"] = _("Choose one of the date formats offered.")
        if self.encoding not in ("auto", "utf-8", "gbk", "utf-16"):
            errors["encoding"] = _("Choose one of the encodings offered.")
        if self.delimiter not in ("", ",", "\t"):
            errors["delimiter"] = _("The separator is a comma or a TAB.")
        return errors

    def required_columns(self) -> tuple[str, ...]:
        names = [self.date_column, self.time_column, self.balance_column, self.serial_column]
        if self.direction == "two_columns":
            names += [self.income_column, self.expense_column]
        elif self.direction == "signed":
            names.append(self.amount_column)
        else:
            names += [self.amount_column, self.direction_column]
        names += [
            self.counterparty_column,
            self.counterparty_account_column,
            self.status_column,
            *self.memo_columns,
        ]
        seen: list[str] = []
        for name in names:
            if name and name not in self.optional_columns and name not in seen:
                seen.append(name)
        return tuple(seen)

    def display_name(self) -> str:
        return str(self.name) if self.name else _("Custom mapping")

    # ----------------------------------------------------------------- storage

    def as_dict(self) -> dict:
        data = asdict(self)
        data["name"] = str(self.name)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}

    @classmethod
    def from_dict(cls, data: dict) -> Mapping:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# --------------------------------------------------------------------------- presets
# Sources for every column name: docs/bank-statements.md (from the research notes in
# shared/design/bank-layouts.md). Names are English msgids; banks' names are data.

ICBC = Mapping(
    key="icbc",
    name=gettext_lazy("ICBC (工商银行), account details CSV"),
    file_kind="csv",
    date_column="交易日期",
    date_format="%Y-%m-%d",
    direction="two_columns",
    income_column="记账金额(收入)",
    expense_column="记账金额(支出)",
    balance_column="余额",
    counterparty_column="对方户名",
    counterparty_account_column="对方账户",
    memo_columns=("摘要", "交易详情"),
    optional_columns=("交易详情", "对方账户"),  # the 13-column layout before 2024-09
    footer_required=True,  # 人民币合计,…
)

CMB = Mapping(
    key="cmb",
    name=gettext_lazy("CMB (招商银行), transaction records CSV"),
    file_kind="csv",
    date_column="交易日期",
    date_format="%Y%m%d",
    time_column="交易时间",
    direction="two_columns",
    income_column="收入",
    expense_column="支出",
    balance_column="余额",
    memo_columns=("交易类型", "交易备注"),
    footer_required=True,  # # 收入合计: … / # 支出合计: …
)

# The 2016 layout: one signed 收支 column and date and time in 交易时间.
CMB_2016 = Mapping(
    key="cmb_2016",
    name=gettext_lazy("CMB (招商银行), older CSV with a signed amount"),
    file_kind="csv",
    date_column="交易时间",
    date_format="%Y%m%d %H:%M:%S",
    direction="signed",
    amount_column="收支",
    balance_column="余额",
    memo_columns=("交易类型", "交易备注"),
)

CCB = Mapping(
    key="ccb",
    name=gettext_lazy("CCB (建设银行), account details XLS"),
    file_kind="xls",
    date_column="交易日期",
    date_format="%Y%m%d",
    time_column="交易时间",
    direction="two_columns",
    income_column="收入",
    expense_column="支出",
    balance_column="账户余额",
    counterparty_column="对方户名",
    counterparty_account_column="对方账号",
    memo_columns=("摘要",),
    footer_required=True,  # 以上数据仅供参考|具体内容请以柜台为准
    newest_first=False,
)

ABC = Mapping(
    key="abc",
    name=gettext_lazy("ABC (农业银行), account details XLSX"),
    file_kind="xlsx",
    date_column="交易日期",
    date_format="%Y%m%d",
    time_column="交易时间",
    direction="signed",
    amount_column="交易金额",
    balance_column="本次余额",
    counterparty_column="对方户名",
    counterparty_account_column="对方账号",
    memo_columns=("交易摘要", "交易用途", "交易类型"),
    optional_columns=("交易用途", "交易类型"),
)

BOCOM = Mapping(
    key="bocom",
    name=gettext_lazy("BOCOM (交通银行), transaction details XLS"),
    file_kind="xls",
    date_column="记账日期",
    date_format="%Y-%m-%d",
    time_column="交易时间",
    direction="two_columns",
    income_column="收入金额",
    expense_column="支出金额",
    balance_column="余额",
    counterparty_column="对方户名",
    counterparty_account_column="对方账户",
    memo_columns=("摘要", "交易方式"),
    optional_columns=("交易方式",),
)

BOC = Mapping(
    key="boc",
    name=gettext_lazy("BOC (中国银行), web banking text export (UTF-16)"),
    file_kind="tsv",
    date_column="交易日期",
    date_format="%Y/%m/%d",
    time_column="交易时间",
    direction="two_columns",
    income_column="收入金额",
    expense_column="支出金额",
    balance_column="余额",
    counterparty_column="对方账户名称",
    counterparty_account_column="对方账户账号",
    memo_columns=("业务摘要", "附言"),
    optional_columns=("交易时间", "业务摘要", "对方账户账号"),
)

# BOC's web table copied and saved as CSV ("复制表格"): not a bank file, but what users
# of BOC's web banking often have (docs/bank-statements.md).
BOC_COPY = Mapping(
    key="boc_copy",
    name=gettext_lazy("BOC (中国银行), table copied from web banking"),
    file_kind="csv",
    date_column="交易时间",
    direction="two_columns",
    income_column="收入金额",
    expense_column="支出金额",
    balance_column="余额",
    counterparty_column="对方账户名称",
    counterparty_account_column="对方账户账号",
    memo_columns=("业务摘要", "附言"),
    optional_columns=("附言", "对方账户账号"),
)

# Corporate (对公) exports are NOT confirmed (docs/bank-statements.md). Their common
# vocabulary is 借方发生额 (money out) / 贷方发生额 (money in) with a running balance and a
# transaction serial; a file with exactly these names is read with this preset, any
# other corporate file with a custom mapping.
CORPORATE = Mapping(
    key="corporate",
    name=gettext_lazy("Corporate account (借方/贷方发生额), generic"),
    file_kind="csv",
    date_column="交易日期",
    time_column="交易时间",
    direction="two_columns",
    income_column="贷方发生额",
    expense_column="借方发生额",
    balance_column="余额",
    serial_column="交易流水号",
    counterparty_column="对方户名",
    counterparty_account_column="对方账号",
    memo_columns=("摘要", "用途", "备注"),
    optional_columns=("交易时间", "交易流水号", "对方户名", "对方账号", "摘要", "用途", "备注"),
)

ALIPAY = Mapping(
    key="alipay",
    name=gettext_lazy("Alipay (支付宝), transaction details CSV"),
    file_kind="csv",
    date_column="交易时间",
    date_format="%Y-%m-%d %H:%M:%S",
    direction="column",
    amount_column="金额",
    direction_column="收/支",
    income_values=("收入",),
    expense_values=("支出",),
    neutral_values=("不计收支",),
    serial_column="交易订单号",
    counterparty_column="交易对方",
    counterparty_account_column="对方账号",
    memo_columns=("交易分类", "商品说明", "备注"),
    status_column="交易状态",
    void_statuses=("交易关闭",),
    optional_columns=("交易分类", "备注"),
)

WECHAT = Mapping(
    key="wechat",
    name=gettext_lazy("WeChat Pay (微信支付), bill details (XLSX, or the older CSV)"),
    file_kind="xlsx",
    date_column="交易时间",
    date_format="%Y-%m-%d %H:%M:%S",
    direction="column",
    amount_column="金额(元)",
    direction_column="收/支",
    income_values=("收入",),
    expense_values=("支出",),
    neutral_values=("/",),
    serial_column="交易单号",
    counterparty_column="交易对方",
    memo_columns=("交易类型", "商品", "备注"),
    status_column="当前状态",
    optional_columns=("备注",),
)

PRESETS: dict[str, Mapping] = {
    m.key: m for m in (ICBC, CMB, CMB_2016, CCB, ABC, BOCOM, BOC, BOC_COPY, CORPORATE, ALIPAY, WECHAT)
}


def preset_choices() -> list[tuple[str, str]]:
    """For a form's select: (key, name)."""
    return [(key, str(m.name)) for key, m in PRESETS.items()]


def recognise(header: list[str], candidates: dict[str, Mapping] | None = None) -> Mapping | None:
    """The preset whose required columns are all in this header; the most specific
    (most columns matched) when several are."""
    present = set(header)
    best: tuple[int, Mapping] | None = None
    for mapping in (candidates or PRESETS).values():
        required = mapping.required_columns()
        if not all(name in present for name in required):
            continue
        matched = len(required) + sum(1 for name in mapping.optional_columns if name in present)
        if best is None or matched > best[0]:
            best = (matched, mapping)
    return best[1] if best else None
