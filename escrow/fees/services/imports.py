"""Statement import: a bank or wallet statement of the escrow account, every line
accounted for, posted all at once or not at all.

1. **Read** (statements.py): ``banking`` reads the file in its real layout (a preset
   recognised from the header, or the compound's saved custom mapping), checks footer
   totals and the running balance chain, and gives every line a mapping-independent
   ``identity``; the escrow side checks the account number and the dates.
2. **Plan** (``plan_statement``): lines whose identity this escrow account has seen
   (``BankLine``, unique per account and identity) are skipped; each new line gets an
   outcome:

   - money in: ``fee`` (a unit matched from the memo by ``UnitMatcher``) or
     ``suspense``; ``interest`` → interest income; ``refund_in`` → back to the fund;
     at the bank, money from the fund's wallet (支付宝/财付通/微信 提现) → ``transfer``;
   - money out: ``charge`` → bank charges; ``refund`` to an owner → against that
     owner's earlier payment (same counterparty, at least that amount); a transfer that
     pays a **paid** payout (same amount, within ``PAYOUT_WINDOW`` days of the recorded
     payment, payee by name or account) → ``payout``, posted already by the payout's own
     entry, so nothing is posted again (a different date or payee account is flagged
     on the line); a wallet withdrawal → ``transfer``; anything else → ``unexplained``:
     posted (the cash really left) against "unexplained outflows", notified to the
     committee chair, the community and the street office, and shown on the compound's
     public page until someone explains it (``outflow_explain``, audited);
   - lines that move no money (wallets' 不计收支 other than a withdrawal, 交易关闭) →
     ``not_posted``, kept so they are not shown as new again.

   A wallet withdrawal and its arrival at the bank are one transfer: whichever is
   imported first posts D escrow cash / C wallet; the other is linked to it and posts
   nothing (never income twice).
3. **Post** under the compound's lock, planning again there (a concurrent import of an
   overlapping file waits, then sees the other's lines): one ``ledger_post_batch`` in
   the bank's order, the payments and bank lines (COPY on PostgreSQL for large files),
   one StatementImport row and one audit event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.notifications import notify
from banking import ParsedStatement, Problem, StatementLine, account_matches
from banking.identity import normalise
from common.errors import ApplicationError, ConflictError, NotFoundError
from common.money import format_yuan
from communities.audit import audit_record, snapshot
from communities.models import Compound, Role, Unit
from communities.selectors import users_with_roles
from escrow.fees.selectors import UnitMatcher
from escrow.fees.services.payments import escrow_account_of
from escrow.fees.services.statements import (
    StatementImportError,
    read_escrow_statement,
    refuse,
    source_of,
)
from escrow.ledger.services import (
    PostingRequest,
    closed_books_message,
    credit,
    debit,
    ledger_post,
    ledger_post_batch,
    lock_escrow_account,
)
from escrow.models import (
    BankLine,
    BankLineOutcome,
    BankStatementMapping,
    Category,
    EntryKind,
    EscrowAccount,
    Payment,
    PaymentMethod,
    PaymentSource,
    PayoutRequest,
    PayoutStatus,
    StatementImport,
)

__all__ = [
    "OUTCOMES",
    "Plan",
    "StatementImportError",
    "outflow_explain",
    "plan_statement",
    "statement_import",
    "statement_mapping_save",
    "statement_preview",
]

LOOKUP_CHUNK = 5000
PAYOUT_WINDOW = dt.timedelta(days=7)
TRANSFER_WINDOW = dt.timedelta(days=5)
# Money from the fund's own wallet arriving at the bank: a wallet name and 提现 together.
FROM_WALLET_RE = re.compile(r"(支付宝|财付通|微信).*提现|提现.*(支付宝|财付通|微信)")

Out = BankLineOutcome
# The order of a preview: everything a line can become, then the lines already imported.
OUTCOMES = [o.value for o in Out]

_ENTRY_KIND = {
    Out.FEE: EntryKind.FEE_PAYMENT,
    Out.SUSPENSE: EntryKind.UNIDENTIFIED_RECEIPT,
    Out.INTEREST: EntryKind.INTEREST,
    Out.CHARGE: EntryKind.BANK_CHARGE,
    Out.REFUND_IN: EntryKind.REFUND,
    Out.REFUND: EntryKind.REFUND,
    Out.TRANSFER: EntryKind.WALLET_TRANSFER,
    Out.UNEXPLAINED: EntryKind.UNEXPLAINED_OUTFLOW,
}
_MEMO = {
    Out.FEE: "物业费 到账",
    Out.SUSPENSE: "待查收款 到账",
    Out.INTEREST: "利息收入",
    Out.CHARGE: "银行手续费",
    Out.REFUND_IN: "退回款项",
    Out.REFUND: "退款给业主",
    Out.TRANSFER: "钱包提现至共管账户",
    Out.UNEXPLAINED: "不明支出 待说明",
}


@dataclass
class PlannedLine:
    """A new line of the file and what posting it will do."""

    line: StatementLine
    outcome: str
    unit: Unit | None = None
    payout: PayoutRequest | None = None
    payment_id: int | None = None  # the owner's payment a refund is against
    refund_of: str = ""  # … or the identity of that payment's line, in this same file
    pair: BankLine | None = None  # the other side of a wallet transfer, already imported
    problem: str = ""

    @property
    def posts(self) -> bool:
        return self.outcome not in (Out.PAYOUT, Out.NOT_POSTED) and self.pair is None


@dataclass
class Plan:
    """What importing a file would do (the preview), before anything is written."""

    parsed: ParsedStatement
    source: str  # "bank" or "wallet"
    new: list[PlannedLine] = field(default_factory=list)
    skipped: int = 0

    def summary(self) -> dict[str, list[int]]:
        """outcome → [lines, fen], every outcome listed, plus ``skipped`` (already imported)."""
        out = {outcome: [0, 0] for outcome in OUTCOMES}
        for planned in self.new:
            out[planned.outcome][0] += 1
            out[planned.outcome][1] += planned.line.amount_fen
        out["skipped"] = [self.skipped, 0]
        return out

    def flagged(self) -> list[PlannedLine]:
        return [p for p in self.new if p.problem or p.outcome == Out.UNEXPLAINED]

    def as_dict(self) -> dict:
        parsed = self.parsed
        return {
            "layout": parsed.layout,
            "layout_name": parsed.layout_name,
            "encoding": parsed.encoding,
            "account_number": parsed.account_number,
            "period_start": parsed.period_start.isoformat() if parsed.period_start else None,
            "period_end": parsed.period_end.isoformat() if parsed.period_end else None,
            "opening_balance_fen": parsed.opening_balance_fen,
            "closing_balance_fen": parsed.closing_balance_fen,
            "checks": list(parsed.checks),
            "lines": len(parsed.lines),
            "new": len(self.new),
            "skipped": self.skipped,
            "summary": {k: {"lines": v[0], "fen": v[1]} for k, v in self.summary().items()},
            "flagged": [
                {
                    "line": p.line.line,
                    "date": p.line.date.isoformat(),
                    "amount_fen": p.line.amount_fen,
                    "outcome": p.outcome,
                    "counterparty": p.line.counterparty,
                    "memo": p.line.memo,
                    "problem": p.problem,
                }
                for p in self.flagged()
            ],
        }


# --------------------------------------------------------------------------- planning


def _known_identities(account: EscrowAccount, identities: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(identities), LOOKUP_CHUNK):
        known.update(
            BankLine.objects.filter(
                account=account, identity__in=identities[start : start + LOOKUP_CHUNK]
            ).values_list("identity", flat=True)
        )
    return known


def _payee_matches(payout: PayoutRequest, line: StatementLine) -> bool:
    if line.counterparty and normalise(line.counterparty) == normalise(payout.payee_name):
        return True
    return bool(
        line.counterparty_account
        and account_matches(line.counterparty_account, payout.payee_account_masked) is True
    )


class _Matchers:
    """The lookups planning needs, loaded once per plan and only when needed."""

    def __init__(self, compound: Compound, account: EscrowAccount):
        self.compound = compound
        self.account = account
        self._units: UnitMatcher | None = None
        self._payouts: list[PayoutRequest] | None = None
        self.taken_payouts: set[int] = set()
        self.taken_pairs: set[int] = set()
        # Receipts planned earlier in this file, by counterparty: (identity, amount).
        self.receipts: dict[str, list[tuple[str, int]]] = {}

    def unit(self, line: StatementLine) -> Unit | None:
        self._units = self._units or UnitMatcher.for_compound(self.compound)
        return self._units.match(line.memo) or (
            self._units.match(line.counterparty) if line.counterparty else None
        )

    def payouts(self) -> list[PayoutRequest]:
        if self._payouts is None:
            linked = set(
                BankLine.objects.filter(account=self.account, payout__isnull=False).values_list(
                    "payout_id", flat=True
                )
            )
            self._payouts = [
                p
                for p in PayoutRequest.objects.filter(
                    compound=self.compound, status__in=[PayoutStatus.PAID, PayoutStatus.RECHECKED]
                ).order_by("payment_date", "pk")
                if p.pk not in linked
            ]
        return self._payouts

    def payout_for(self, line: StatementLine) -> tuple[PayoutRequest | None, str]:
        """The paid payout this outgoing line pays, and what disagrees (or '')."""
        candidates = [
            p for p in self.payouts() if p.pk not in self.taken_payouts and p.amount_fen == line.amount_fen
        ]
        for payout in candidates:
            if payout.status != PayoutStatus.PAID or payout.payment_date is None:
                continue
            if abs(payout.payment_date - line.date) > PAYOUT_WINDOW or not _payee_matches(payout, line):
                continue
            self.taken_payouts.add(payout.pk)
            problems = []
            if payout.payment_date != line.date:
                problems.append(
                    _("Payout #%(n)s was recorded as paid on %(recorded)s; the bank paid it on %(d)s.")
                    % {"n": payout.pk, "recorded": payout.payment_date, "d": line.date}
                )
            if (
                line.counterparty_account
                and account_matches(line.counterparty_account, payout.payee_account_masked) is False
            ):
                problems.append(
                    _("Payout #%(n)s names the payee account %(known)s; the bank paid %(paid)s.")
                    % {
                        "n": payout.pk,
                        "known": payout.payee_account_masked,
                        "paid": line.counterparty_account,
                    }
                )
            return payout, " ".join(problems)
        for payout in candidates:
            if payout.status == PayoutStatus.RECHECKED and _payee_matches(payout, line):
                return None, _(
                    "This may be payout #%(n)s (approved, payment not recorded): record its payment, "
                    "then explain this line as that payout."
                ) % {"n": payout.pk}
        return None, ""

    def owner_payment(self, line: StatementLine) -> tuple[int | None, str]:
        """The latest earlier receipt from this counterparty of at least this amount: a
        payment already posted (its id), or a line earlier in this file (its identity)."""
        name = normalise(line.counterparty)
        if not name:
            return None, ""
        for identity, amount in reversed(self.receipts.get(name, [])):
            if amount >= line.amount_fen:
                return None, identity
        found = (
            Payment.objects.filter(
                compound=self.compound,
                source=PaymentSource.IMPORT,
                amount_fen__gte=line.amount_fen,
                received_on__lte=line.date,
                reference__in=BankLine.objects.filter(
                    account=self.account, direction="income", counterparty=line.counterparty
                ).values("identity"),
            )
            .order_by("-received_on", "-pk")
            .values_list("pk", flat=True)
            .first()
        )
        return found, ""

    def transfer_pair(self, line: StatementLine, *, other_source: str) -> BankLine | None:
        for candidate in BankLine.objects.filter(
            account=self.account,
            source=other_source,
            outcome=Out.TRANSFER,
            amount_fen=line.amount_fen,
            date__gte=line.date - TRANSFER_WINDOW,
            date__lte=line.date + TRANSFER_WINDOW,
            transfer_of__isnull=True,
            transfer_pair__isnull=True,
        ).order_by("date", "pk"):
            if candidate.pk not in self.taken_pairs:
                self.taken_pairs.add(candidate.pk)
                return candidate
        return None


def _outcome(line: StatementLine, source: str, m: _Matchers) -> PlannedLine:
    kind = line.kind
    if line.direction == "neutral" or kind == "void":
        if source == "wallet" and kind == "withdrawal":
            return PlannedLine(line, Out.TRANSFER, pair=m.transfer_pair(line, other_source="bank"))
        return PlannedLine(line, Out.NOT_POSTED)
    if line.direction == "income":
        if kind == "interest":
            return PlannedLine(line, Out.INTEREST)
        if kind == "refund":
            return PlannedLine(line, Out.REFUND_IN)
        if source == "bank" and FROM_WALLET_RE.search(f"{line.counterparty} {line.memo}"):
            return PlannedLine(line, Out.TRANSFER, pair=m.transfer_pair(line, other_source="wallet"))
        unit = m.unit(line)
        if line.counterparty:
            m.receipts.setdefault(normalise(line.counterparty), []).append((line.identity, line.amount_fen))
        return PlannedLine(line, Out.FEE if unit is not None else Out.SUSPENSE, unit=unit)
    # money out
    if kind == "charge":
        return PlannedLine(line, Out.CHARGE)
    if kind == "withdrawal" and source == "wallet":
        return PlannedLine(line, Out.TRANSFER, pair=m.transfer_pair(line, other_source="bank"))
    if kind == "refund":
        payment_id, refund_of = m.owner_payment(line)
        if payment_id is not None or refund_of:
            return PlannedLine(line, Out.REFUND, payment_id=payment_id, refund_of=refund_of)
        return PlannedLine(
            line,
            Out.UNEXPLAINED,
            problem=_(
                "A refund to %(who)s, but no earlier payment of theirs of at least this amount was found."
            )
            % {"who": line.counterparty or "—"},
        )
    payout, problem = m.payout_for(line)
    if payout is not None:
        return PlannedLine(line, Out.PAYOUT, payout=payout, problem=problem)
    return PlannedLine(line, Out.UNEXPLAINED, problem=problem)


def plan_statement(compound: Compound, account: EscrowAccount, parsed: ParsedStatement) -> Plan:
    """What importing ``parsed`` would do now (no writes)."""
    plan = Plan(parsed=parsed, source=source_of(parsed))
    lines = parsed.chronological()
    known = _known_identities(account, [line.identity for line in lines])
    matchers = _Matchers(compound, account)
    for line in lines:
        if line.identity in known:
            plan.skipped += 1
            continue
        plan.new.append(_outcome(line, plan.source, matchers))
    return plan


def _parsed(compound: Compound, data: bytes, mapping: BankStatementMapping | None):
    if mapping is not None and mapping.compound_id != compound.pk:
        raise StatementImportError(
            _("mapping: no such bank mapping in this compound."),
            extra={"fields": {"mapping": [_("Unknown mapping.")]}},
        )
    account = escrow_account_of(compound)
    return account, read_escrow_statement(account=account, data=data, mapping=mapping)


def statement_preview(
    *, compound: Compound, data: bytes, mapping: BankStatementMapping | None = None
) -> Plan:
    """Read and plan a file without posting anything (the preview, ``--dry-run``)."""
    account, parsed = _parsed(compound, data, mapping)
    return plan_statement(compound, account, parsed)


# --------------------------------------------------------------------------- posting


def statement_import(
    *,
    compound: Compound,
    file_name: str,
    data: bytes,
    actor,
    mapping: BankStatementMapping | None = None,
) -> StatementImport:
    """Import one statement file, every new line or none (see the module docstring)."""
    account, parsed = _parsed(compound, data, mapping)
    return _statement_post(
        compound=compound,
        account=account,
        mapping=mapping,
        file_name=file_name,
        sha256=hashlib.sha256(data).hexdigest(),
        parsed=parsed,
        actor=actor,
    )


def _legs(planned: PlannedLine, cash: str):
    amount = planned.line.amount_fen
    outcome = planned.outcome
    if outcome == Out.FEE:
        return [debit(cash, amount), credit(Category.FEE_INCOME, amount)]
    if outcome == Out.SUSPENSE:
        return [debit(cash, amount), credit(Category.SUSPENSE, amount)]
    if outcome == Out.INTEREST:
        return [debit(cash, amount), credit(Category.INTEREST_INCOME, amount)]
    if outcome == Out.REFUND_IN:
        return [debit(cash, amount), credit(Category.REFUNDS, amount)]
    if outcome == Out.CHARGE:
        return [debit(Category.BANK_FEES, amount), credit(cash, amount)]
    if outcome == Out.REFUND:
        return [debit(Category.REFUNDS, amount), credit(cash, amount)]
    if outcome == Out.TRANSFER:
        return [debit(Category.ESCROW_CASH, amount), credit(Category.WALLET_CASH, amount)]
    if outcome == Out.UNEXPLAINED:
        return [debit(Category.UNEXPLAINED_OUTFLOW, amount), credit(cash, amount)]
    raise ValueError(outcome)


def _memo(planned: PlannedLine, bank: str) -> str:
    line = planned.line
    who = f" {line.counterparty}" if line.counterparty else ""
    what = f" {line.memo}" if line.memo else ""
    unit = f" {planned.unit.reference}" if planned.unit is not None else ""
    return f"{_MEMO[planned.outcome]}{unit} {bank}{who}{what}"[:200]


@transaction.atomic(durable=True)
def _statement_post(*, compound, account, mapping, file_name, sha256, parsed, actor) -> StatementImport:
    escrow = lock_escrow_account(compound.pk)
    plan = plan_statement(compound, escrow, parsed)
    date_column = parsed.mapping.date_column
    closed = escrow.closed_through
    if closed is not None:
        problems = [
            Problem(p.line.line, date_column, closed_books_message(closed, p.line.date))
            for p in plan.new
            if p.posts and p.line.date <= closed
        ]
        if problems:
            raise refuse(problems)
    bank = (mapping.bank_name if mapping is not None else parsed.layout_name)[:50]
    cash = Category.WALLET_CASH if plan.source == "wallet" else Category.ESCROW_CASH
    posting = [p for p in plan.new if p.posts]
    requests = [
        PostingRequest(
            kind=_ENTRY_KIND[p.outcome],
            legs=_legs(p, cash),
            memo=_memo(p, bank),
            effective_date=p.line.date,
            idempotency_key=f"bank-line:{p.line.identity}",
        )
        for p in posting
    ]
    try:
        results = ledger_post_batch(compound=compound, requests=requests, actor=actor)
    except ApplicationError as exc:
        index = exc.extra.get("row")
        if isinstance(index, int) and 0 < index <= len(posting):
            raise refuse([Problem(posting[index - 1].line.line, None, exc.message)]) from exc
        raise
    stale = [p.line.line for p, r in zip(posting, results, strict=True) if not r.created]
    if stale:
        raise refuse([Problem(line, None, _("This line is already in the ledger.")) for line in stale])
    entries = {id(p): r.entry for p, r in zip(posting, results, strict=True)}

    user = actor if getattr(actor, "is_authenticated", False) else None
    summary = plan.summary()
    record = StatementImport.objects.create(
        compound=compound,
        mapping=mapping,
        bank_name=bank,
        layout=parsed.layout,
        account_number=parsed.account_number[:40],
        period_start=parsed.period_start,
        period_end=parsed.period_end,
        opening_balance_fen=parsed.opening_balance_fen,
        closing_balance_fen=parsed.closing_balance_fen,
        summary=summary,
        file_name=(file_name or "")[:200],
        sha256=sha256,
        encoding=parsed.encoding[:10],
        rows=len(parsed.lines),
        posted=len(posting),
        skipped=plan.skipped,
        unidentified=summary[Out.SUSPENSE][0],
        ignored=summary[Out.NOT_POSTED][0],
        posted_fen=sum(p.line.amount_fen for p in posting),
        created_by=user,
    )
    now = record.created_at
    method = PaymentMethod.BANK_TRANSFER.value
    if plan.source == "wallet":
        method = PaymentMethod.WECHAT_PAY.value if parsed.layout == "wechat" else PaymentMethod.ALIPAY.value
    _copy_insert(
        Payment,
        [
            {
                "compound_id": compound.pk,
                "unit_id": p.unit.pk if p.unit is not None else None,
                "amount_fen": p.line.amount_fen,
                "method": method,
                "source": PaymentSource.IMPORT.value,
                "received_on": p.line.date,
                "receipt_no": "",
                "channel": bank,
                "reference": p.line.identity,
                "payer_name": p.line.counterparty[:100] if p.unit is None else "",
                "statement_memo": p.line.memo[:200] if p.unit is None else "",
                "entry_id": entries[id(p)].pk,
                "statement_import_id": record.pk,
                "created_by_id": user.pk if user is not None else None,
                "created_at": now,
            }
            for p in plan.new
            if p.outcome in (Out.FEE, Out.SUSPENSE)
        ],
    )
    refunded = [p.refund_of for p in plan.new if p.refund_of]
    if refunded:
        ids = dict(
            Payment.objects.filter(
                compound=compound, source=PaymentSource.IMPORT, reference__in=refunded
            ).values_list("reference", "pk")
        )
        for p in plan.new:
            if p.refund_of:
                p.payment_id = ids[p.refund_of]
    _copy_insert(
        BankLine,
        [
            {
                "compound_id": compound.pk,
                "account_id": escrow.pk,
                "statement_import_id": record.pk,
                "identity": p.line.identity,
                "identity_basis": p.line.identity_basis,
                "source": plan.source,
                "line": p.line.line,
                "date": p.line.date,
                "direction": p.line.direction,
                "amount_fen": p.line.amount_fen,
                "balance_fen": p.line.balance_fen,
                "counterparty": p.line.counterparty[:100],
                "counterparty_account": p.line.counterparty_account[:40],
                "memo": p.line.memo[:200],
                "serial": p.line.serial[:64],
                "kind": p.line.kind[:12],
                "outcome": p.outcome,
                "entry_id": entries[id(p)].pk if id(p) in entries else None,
                "payment_id": p.payment_id,
                "payout_id": p.payout.pk if p.payout is not None else None,
                "transfer_of_id": p.pair.pk if p.pair is not None else None,
                "problem": p.problem[:200],
                "explained_at": None,
                "explained_by_id": None,
                "explanation": "",
                "explanation_entry_id": None,
            }
            for p in plan.new
        ],
    )
    audit_record(
        actor=actor,
        action="statement.import",
        obj=record,
        compound=compound,
        after={"layout": parsed.layout, "posted": record.posted, "skipped": record.skipped},
    )
    unexplained = [p for p in plan.new if p.outcome == Out.UNEXPLAINED]
    if unexplained:
        _notify_unexplained(compound, unexplained)
    return record


def _notify_unexplained(compound: Compound, lines: list[PlannedLine]) -> None:
    """Told at once: the committee chair, the community and the street office."""
    total = sum(p.line.amount_fen for p in lines)
    users = users_with_roles(
        compound,
        [Role.COMMITTEE_CHAIR, Role.COMMUNITY_OFFICIAL, Role.COMMUNITY_SECRETARY, Role.STREET_ADMIN],
    )
    body = "\n".join(
        f"{p.line.date} {format_yuan(p.line.amount_fen)} {p.line.counterparty} {p.line.memo}".strip()
        for p in lines[:20]
    )
    try:
        from django.urls import reverse

        url = reverse("escrow:reconciliation", args=[compound.slug])
    except Exception:  # pages not mounted (a worker): the inbox entry still works
        url = ""
    notify(
        users=users,
        kind="escrow.unexplained_outflow",
        compound=compound,
        title=_("%(n)s payment(s) left the escrow account that no payout explains: %(total)s")
        % {"n": len(lines), "total": format_yuan(total)},
        body=body,
        url=url,
    )


_COPY_COLUMNS: dict[type, tuple[str, ...]] = {}


def _copy_insert(model, rows: list[dict]) -> None:
    """Insert rows (dicts of column values). On PostgreSQL through COPY: at 100,000 rows
    the ORM's per-field preparation costs seconds, COPY a fraction of one
    (bench/bench_import.py). Nothing reads these rows back here, so their ids are not
    needed; every column is given explicitly, defaults included."""
    if not rows:
        return
    connection = transaction.get_connection()
    if connection.vendor != "postgresql" or len(rows) < 1000:
        model.objects.bulk_create((model(**row) for row in rows), batch_size=2000)
        return
    names = tuple(rows[0])
    columns = ", ".join(names)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(tuple(row[name] for name in names))


# --------------------------------------------------------------------------- unexplained outflows

EXPLAIN_CATEGORIES = (
    Category.BANK_FEES,
    Category.REFUNDS,
    Category.REPAIRS,
    Category.SPECIAL_PROJECTS,
    Category.NC_STAFF,
    Category.NC_CLEANING,
    Category.NC_GREENING,
    Category.NC_SECURITY,
    Category.NC_UTILITIES,
    Category.NC_ELEVATOR,
    Category.NC_OTHER,
)


@transaction.atomic(durable=True)
def outflow_explain(
    *, line: BankLine, actor, explanation: str, category: str = "", payout: PayoutRequest | None = None
) -> BankLine:
    """Say what an unexplained outflow was: an expense of ``category`` (posts D category /
    C unexplained outflows), or the bank side of a recorded payout (whose own entry
    already took the cash: posts D cash / C unexplained outflows, so it is not counted
    twice). Audited; the line then leaves the public page."""
    explanation = (explanation or "").strip()
    if not explanation:
        raise ApplicationError(
            _("explanation: say what this payment was."), extra={"fields": {"explanation": []}}
        )
    compound = line.compound
    lock_escrow_account(compound.pk)
    current = BankLine.objects.select_for_update().filter(pk=line.pk, compound_id=line.compound_id).first()
    if current is None:
        raise NotFoundError(_("Not found."))
    if current.outcome != Out.UNEXPLAINED or current.explained_at is not None:
        raise ConflictError(_("This line is not an unexplained outflow (or was explained already)."))
    cash = Category.WALLET_CASH if current.source == "wallet" else Category.ESCROW_CASH
    amount = current.amount_fen
    if payout is not None:
        if payout.compound_id != compound.pk or payout.status != PayoutStatus.PAID:
            raise ApplicationError(
                _("payout: choose a paid payout of this compound."), extra={"fields": {"payout": []}}
            )
        if payout.amount_fen != amount:
            raise ApplicationError(
                _("payout: payout #%(n)s is %(a)s, this line %(b)s.")
                % {"n": payout.pk, "a": format_yuan(payout.amount_fen), "b": format_yuan(amount)},
                extra={"fields": {"payout": []}},
            )
        if BankLine.objects.filter(payout=payout).exclude(pk=current.pk).exists():
            raise ApplicationError(
                _("payout: another bank line already pays payout #%(n)s.") % {"n": payout.pk},
                extra={"fields": {"payout": []}},
            )
        legs = [debit(cash, amount), credit(Category.UNEXPLAINED_OUTFLOW, amount)]
        memo = f"不明支出说明：即支出申请#{payout.pk}（已入账）{explanation}"
    else:
        if category not in EXPLAIN_CATEGORIES:
            raise ApplicationError(
                _("category: choose what kind of expense it was."), extra={"fields": {"category": []}}
            )
        legs = [debit(category, amount), credit(Category.UNEXPLAINED_OUTFLOW, amount)]
        memo = f"不明支出说明：{explanation}"
    before = snapshot(current, ["explained_at", "explanation", "payout"])
    result = ledger_post(
        compound=compound,
        kind=EntryKind.OUTFLOW_EXPLAINED,
        legs=legs,
        memo=memo[:200],
        effective_date=timezone.localdate(),
        actor=actor,
        idempotency_key=f"explain:{current.identity}",
    )
    current.explained_at = timezone.now()
    current.explained_by = actor if getattr(actor, "is_authenticated", False) else None
    current.explanation = explanation[:200]
    current.explanation_entry = result.entry
    current.payout = payout
    current.save(update_fields=["explained_at", "explained_by", "explanation", "explanation_entry", "payout"])
    audit_record(
        actor=actor,
        action="bank_line.explain",
        obj=current,
        compound=compound,
        before=before,
        after={
            "explanation": current.explanation,
            "category": category,
            "payout": payout.pk if payout else None,
            "entry": result.entry.sequence,
        },
    )
    return current


# --------------------------------------------------------------------------- mappings

LAYOUT_FIELDS = (
    "date_column",
    "direction",
    "income_column",
    "expense_column",
    "amount_column",
    "direction_column",
    "income_values",
    "expense_values",
    "neutral_values",
    "date_format",
    "time_column",
    "balance_column",
    "serial_column",
    "counterparty_column",
    "counterparty_account_column",
    "memo_columns",
    "status_column",
    "void_statuses",
    "footer_required",
    "encoding",
)


@transaction.atomic(durable=True)
def statement_mapping_save(
    *,
    compound: Compound,
    actor,
    bank_name: str,
    layout: dict,
    mapping: BankStatementMapping | None = None,
) -> BankStatementMapping:
    """Create a custom layout (``banking.Mapping`` fields in ``layout``), or change one."""
    from banking import Mapping

    bank_name = (bank_name or "").strip()
    errors: dict[str, list[str]] = {}
    if not bank_name:
        errors["bank_name"] = [_("This field is required.")]
    if not isinstance(layout, dict):
        layout = {}
        errors["layout"] = [_("Give the layout's fields.")]
    unknown = set(layout) - set(LAYOUT_FIELDS)
    for name in sorted(unknown):
        errors[name] = [_("Unknown field.")]
    values = {k: v for k, v in layout.items() if k in LAYOUT_FIELDS}
    try:
        built = Mapping.from_dict({"date_column": "", **values})
    except (TypeError, ValueError):
        built = None
        errors.setdefault("layout", [_("Give the layout's fields.")])
    if built is not None:
        for name, message in built.problems().items():
            errors.setdefault(name, [message])
    if mapping is not None and mapping.compound_id != compound.pk:
        raise StatementImportError(_("mapping: no such bank mapping in this compound."))
    clash = BankStatementMapping.objects.filter(compound=compound, bank_name=bank_name)
    if mapping is not None:
        clash = clash.exclude(pk=mapping.pk)
    if bank_name and clash.exists():
        errors["bank_name"] = [_("This compound already has a mapping for this bank.")]
    if errors:
        first = next(iter(errors.items()))
        raise StatementImportError(f"{first[0]}: {first[1][0]}", extra={"fields": errors})
    stored = {k: v for k, v in built.as_dict().items() if k in LAYOUT_FIELDS}
    if mapping is None:
        target = BankStatementMapping.objects.create(
            compound=compound,
            bank_name=bank_name,
            layout=stored,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(actor=actor, action="statement_mapping.create", obj=target, compound=compound)
        return target
    target = BankStatementMapping.objects.select_for_update().get(pk=mapping.pk)
    before = snapshot(target, ["bank_name", "layout"])
    target.bank_name, target.layout = bank_name, stored
    target.save(update_fields=["bank_name", "layout", "updated_at"])
    audit_record(
        actor=actor,
        action="statement_mapping.update",
        obj=target,
        compound=compound,
        before=before,
        after=snapshot(target, ["bank_name", "layout"]),
    )
    return target
