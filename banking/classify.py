"""Kind hints for each line: what the line probably is, for the escrow side to post or
to put in front of a person. Nothing here posts anything.

- money in: ``interest`` (结息, 利息), ``refund`` (退款 back to the fund), else ``receipt``
  (a fee payment, to be matched to a unit or held in suspense);
- money out: ``charge`` (手续费, 工本费, 年费, 短信费, 账户管理费, 汇划费; tax on interest),
  ``refund`` (退款 to an owner), ``withdrawal`` (提现: a wallet's money moving to the bank
  account), ``payout`` (a transfer to a named payee, to be matched to an approved payout
  by amount, date and payee), else ``unexplained``;
- neutral (wallets' 不计收支 and ``/``): ``withdrawal`` for 提现, else ``neutral``;
- a line whose status says the money never moved (Alipay 交易关闭): ``void``.
"""

from __future__ import annotations

import re

RECEIPT = "receipt"
INTEREST = "interest"
CHARGE = "charge"
REFUND = "refund"
WITHDRAWAL = "withdrawal"
PAYOUT = "payout"
UNEXPLAINED = "unexplained"
NEUTRAL = "neutral"
VOID = "void"

KINDS = (RECEIPT, INTEREST, CHARGE, REFUND, WITHDRAWAL, PAYOUT, UNEXPLAINED, NEUTRAL, VOID)

INTEREST_RE = re.compile(r"结息|利息|存息|付息")
CHARGE_RE = re.compile(
    r"手续费|工本费|年费|短信费|短信通知费|账户管理费|账户维护费|汇划费|转账费|利息税|扣税"
)
REFUND_RE = re.compile(r"退款|退还|退费")
WITHDRAWAL_RE = re.compile(r"提现")
TRANSFER_RE = re.compile(r"转账|转支|汇款|汇出|代付|代发|付款|转出|跨行|网银|对公|划款|支付给")


def kind_of(line, *, void_statuses: tuple[str, ...] = ()) -> str:
    """``line`` is a ``banking.statement.StatementLine``; ``void_statuses`` the mapping's."""
    if line.status and line.status in void_statuses:
        return VOID
    text = f"{line.memo} {line.counterparty}"
    if line.direction == "income":
        if INTEREST_RE.search(text):
            return INTEREST
        if REFUND_RE.search(text):
            return REFUND
        return RECEIPT
    if line.direction == "expense":
        if CHARGE_RE.search(text):
            return CHARGE
        if REFUND_RE.search(text):
            return REFUND
        if WITHDRAWAL_RE.search(text):
            return WITHDRAWAL
        if line.counterparty or TRANSFER_RE.search(text):
            return PAYOUT
        return UNEXPLAINED
    if WITHDRAWAL_RE.search(text):
        return WITHDRAWAL
    return NEUTRAL
