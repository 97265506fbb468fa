"""Reading a statement file of the escrow account, before anything is written.

The file is read by ``banking.read_statement`` (every real layout, footers, totals, the
running balance chain, line identities; see docs/bank-statements.md), with a saved custom
mapping or, without one, the preset recognised from the header. Then the escrow side
checks what only it can: the account the file states is the escrow account, and no
line is dated before the account opened or in the future. A refusal is one
``StatementImportError`` naming every problem by line and column; nothing is posted.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from banking import ParsedStatement, Problem, StatementError, account_matches, read_statement
from common.errors import ApplicationError
from escrow.models import BankStatementMapping, EscrowAccount

WALLET_LAYOUTS = frozenset({"alipay", "wechat"})


class StatementImportError(ApplicationError):
    """The file was not imported. ``extra["rows"]`` lists every problem found as
    ``{"row": line number or None, "column": header name or None, "message": …}``."""


def refuse(problems: list[Problem]) -> StatementImportError:
    """One error naming every problem (the message lists the first three)."""
    shaped = StatementError(problems)
    return StatementImportError(shaped.message, extra=shaped.extra)


def max_statement_bytes() -> int:
    """The largest statement file accepted (setting PAYMENTS_STATEMENT_MAX_BYTES, 64 MiB by
    default: ICBC's padded cells make 100,000 lines about 53 MB)."""
    return getattr(settings, "PAYMENTS_STATEMENT_MAX_BYTES", 64 * 1024 * 1024)


def account_key(account: EscrowAccount) -> str:
    """What scopes line identities: the escrow account (its bank account and its wallets)."""
    return f"escrow-account:{account.pk}"


def source_of(parsed: ParsedStatement) -> str:
    """'wallet' for Alipay and WeChat Pay statements, 'bank' for every other layout."""
    return "wallet" if parsed.layout in WALLET_LAYOUTS else "bank"


def read_escrow_statement(
    *, account: EscrowAccount, data: bytes, mapping: BankStatementMapping | None = None
) -> ParsedStatement:
    """The statement read and checked, or ``StatementImportError``."""
    if not data:
        raise refuse([Problem(None, None, _("The file is empty."))])
    if len(data) > max_statement_bytes():
        raise refuse(
            [
                Problem(
                    None,
                    None,
                    _("The file is larger than %(mb)s MB; split the statement by month.")
                    % {"mb": max_statement_bytes() // (1024 * 1024)},
                )
            ]
        )
    try:
        parsed = read_statement(
            data,
            mapping=mapping.as_mapping() if mapping is not None else None,
            account_key=account_key(account),
        )
    except StatementError as exc:
        raise StatementImportError(exc.message, extra=exc.extra) from None
    problems: list[Problem] = []
    if (
        source_of(parsed) == "bank"
        and account_matches(parsed.account_number, account.account_number_masked) is False
    ):
        problems.append(
            Problem(
                None,
                None,
                _(
                    "This is a statement of account %(stated)s, not of the escrow account %(known)s "
                    "(%(bank)s). Download the escrow account's statement."
                )
                % {
                    "stated": parsed.account_number,
                    "known": account.account_number_masked,
                    "bank": account.bank_name,
                },
            )
        )
    date_column = parsed.mapping.date_column
    today = timezone.localdate()
    for line in parsed.lines:
        if len(problems) >= 200:
            break
        if line.date < account.opened_on:
            problems.append(
                Problem(
                    line.line,
                    date_column,
                    _("%(d)s is before the escrow account opened (%(o)s).")
                    % {"d": line.date, "o": account.opened_on},
                )
            )
        elif line.date > today:
            problems.append(Problem(line.line, date_column, _("%(d)s is in the future.") % {"d": line.date}))
    if problems:
        raise refuse(problems)
    return parsed
