"""Bank statement import: a CSV export of the escrow account, read with the bank's
saved column mapping, posted all at once or not at all.

What happens to a file:

1. **Decode.** UTF-8, UTF-8 with a byte-order mark, then GBK (what Chinese banks'
   exports and Excel "CSV" saves are), in that order, each strictly; a mapping may
   pin one of them. Anything else (UTF-16, a spreadsheet saved as .xlsx, random
   bytes) is refused as a whole with a message that says which encodings were tried.
2. **Check every row** before anything is written: the header must hold the
   mapping's columns (the missing ones are named); each row needs all its columns (a
   short row — typically a truncated last line — is refused), a date in the mapping's
   format, a positive amount in yuan (``1,234.50`` accepted, via
   ``common.money.yuan_to_fen``), a bank reference, and a reference not already used
   by another row of the same file. Every problem is reported with its row number (the
   line number a spreadsheet shows) and column name; nothing is posted if there is
   even one.
3. **Match** each row to a unit by the payment reference in its memo
   (``escrow.fees.selectors.UnitMatcher``: case, full-width characters, separators and
   the words 栋/单元/室 do not matter). Rows matching no unit, or two, are
   unidentified receipts: D escrow cash / C suspense, listed for someone with
   MANAGE_SUSPENSE to assign.
4. **Post** under the compound's lock, in one ``ledger_post_batch``: rows whose bank
   reference was already posted (the same file again, an overlapping statement) are
   skipped and counted — or refused if the bank now reports a different amount or
   date for that reference. One StatementImport row and one audit event record the
   import.

A statement line posts once: its idempotency key is ``bank:<reference>`` (one escrow
account per compound, so a bank reference is unique in the compound), looked up again
under the escrow-account lock before posting (``_posted_before``) and backed by the
unique constraint ``payment_bank_reference_unique``. Reading and checking the file
(steps 1–2) is escrow/fees/services/statements.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from communities.audit import audit_record, snapshot
from communities.models import Compound
from escrow.fees.selectors import UnitMatcher
from escrow.fees.services.payments import escrow_account_of, fee_legs, suspense_legs
from escrow.fees.services.statements import (
    MAX_PROBLEMS,
    Problem,
    StatementImportError,
    StatementRow,
    _refuse,
    decode_statement,
    parse_statement,
)
from escrow.ledger.services import (
    PostingRequest,
    closed_books_message,
    ledger_post_batch,
    lock_escrow_account,
)
from escrow.models import (
    BankStatementMapping,
    EntryKind,
    Payment,
    PaymentMethod,
    PaymentSource,
    StatementImport,
)

LOOKUP_CHUNK = 5000


def max_statement_bytes() -> int:
    """The largest statement file accepted (setting PAYMENTS_STATEMENT_MAX_BYTES, 32 MiB by
    default)."""
    return getattr(settings, "PAYMENTS_STATEMENT_MAX_BYTES", 32 * 1024 * 1024)


def statement_import(
    *, compound: Compound, mapping: BankStatementMapping, file_name: str, data: bytes, actor
) -> StatementImport:
    """Import one statement file, all rows or none (see the module docstring).

    Reading, checking and matching happen before the transaction, so the compound's
    lock is held only while posting. Only rows not posted before are matched to units:
    re-importing a statement costs little more than reading it.
    """
    if mapping.compound_id != compound.pk:
        raise StatementImportError(
            _("mapping: no such bank mapping in this compound."),
            extra={"fields": {"mapping": [_("Unknown mapping.")]}},
        )
    if len(data) > max_statement_bytes():
        raise _refuse(
            [
                Problem(
                    None,
                    None,
                    _("The file is larger than %(mb)s MB; split the statement by month.")
                    % {"mb": max_statement_bytes() // (1024 * 1024)},
                )
            ]
        )
    account = escrow_account_of(compound)
    text, encoding = decode_statement(data, mapping.encoding)
    parsed = parse_statement(text, mapping=mapping, account=account, encoding=encoding)
    if parsed.problems:
        raise _refuse(parsed.problems, truncated=len(parsed.problems) >= MAX_PROBLEMS)
    already = _posted_before(compound, parsed.rows)
    matcher = None
    for row in parsed.rows:
        if row.reference not in already:
            matcher = matcher or UnitMatcher.for_compound(compound)
            row.unit, row.matched = matcher.match(row.memo), True
    return _statement_post(
        compound=compound,
        mapping=mapping,
        file_name=file_name,
        sha256=hashlib.sha256(data).hexdigest(),
        parsed=parsed,
        actor=actor,
    )


def _posted_before(compound: Compound, rows: list[StatementRow]) -> dict[str, tuple[int, dt.date]]:
    """Bank references of these rows already posted: reference → (amount, date).

    One range scan over the statement's dates rather than an IN list of every
    reference: a statement covers a few weeks, and a reference the bank moved to
    another date is still caught by the ledger's idempotency key (and reported).
    """
    if not rows:
        return {}
    wanted = {row.reference for row in rows}
    found = (
        Payment.objects.filter(
            compound=compound,
            received_on__gte=min(row.day for row in rows),
            received_on__lte=max(row.day for row in rows),
            # Not filtered by the mapping's bank name: that is an editable label, and the
            # compound has one escrow account, so its references are unique in the compound.
            source=PaymentSource.IMPORT,
        )
        .values_list("reference", "amount_fen", "received_on")
        .iterator(chunk_size=10_000)
    )
    return {ref: (amount, day) for ref, amount, day in found if ref in wanted}


@transaction.atomic(durable=True)
def _statement_post(
    *, compound: Compound, mapping: BankStatementMapping, file_name: str, sha256: str, parsed, actor
) -> StatementImport:
    bank = mapping.bank_name
    # The compound's ledger lock before looking again for references already posted,
    # so a concurrent import of an overlapping statement waits, then sees this one's rows.
    escrow = lock_escrow_account(compound.pk)
    posted_before = _posted_before(compound, parsed.rows)
    problems = []
    new_rows: list[StatementRow] = []
    skipped = 0
    matcher = None
    for row in parsed.rows:
        before = posted_before.get(row.reference)
        if before is None:
            if not row.matched:  # posted, then reversed away meanwhile? match it now
                matcher = matcher or UnitMatcher.for_compound(compound)
                row.unit, row.matched = matcher.match(row.memo), True
            new_rows.append(row)
        elif before == (row.amount_fen, row.day):
            skipped += 1
        else:
            problems.append(
                Problem(
                    row.line,
                    mapping.reference_column,
                    _(
                        "Reference %(ref)s was imported before with %(amount)s fen on %(d)s; "
                        "this row says %(new_amount)s fen on %(new_d)s. Ask the bank which is right."
                    )
                    % {
                        "ref": row.reference,
                        "amount": before[0],
                        "d": before[1],
                        "new_amount": row.amount_fen,
                        "new_d": row.day,
                    },
                )
            )
    # A new row dated in a disclosed quarter is refused by its date (rows posted before
    # the closing were skipped above, so an overlapping statement still imports).
    closed = escrow.closed_through if escrow is not None else None
    if closed is not None:
        problems.extend(
            Problem(row.line, mapping.date_column, closed_books_message(closed, row.day))
            for row in new_rows
            if row.day <= closed
        )
    if problems:
        raise _refuse(problems)

    requests = []
    for row in new_rows:
        if row.unit is not None:
            kind, legs = EntryKind.FEE_PAYMENT, fee_legs(row.amount_fen)
            memo = f"物业费 银行到账 {bank} {row.reference}"
        else:
            kind, legs = EntryKind.UNIDENTIFIED_RECEIPT, suspense_legs(row.amount_fen)
            memo = f"待查收款 银行到账 {bank} {row.reference}"
        requests.append(
            PostingRequest(
                kind=kind,
                legs=legs,
                memo=memo,
                effective_date=row.day,
                idempotency_key=f"bank:{row.reference}",
            )
        )
    try:
        results = ledger_post_batch(compound=compound, requests=requests, actor=actor)
    except ApplicationError as exc:
        line = _line_of(exc, new_rows, bank)
        if line is not None:
            raise _refuse([Problem(line, mapping.reference_column, exc.message)]) from exc
        raise
    stale = [row.line for row, result in zip(new_rows, results, strict=True) if not result.created]
    if stale:
        # A ledger entry carries this bank key but no payment row: posted by other
        # means. Refuse rather than guess whose money it was.
        raise _refuse(
            [
                Problem(line, mapping.reference_column, _("This reference is already in the ledger."))
                for line in stale
            ]
        )

    user = actor if getattr(actor, "is_authenticated", False) else None
    unidentified = sum(1 for row in new_rows if row.unit is None)
    record = StatementImport.objects.create(
        compound=compound,
        mapping=mapping,
        bank_name=bank,
        file_name=(file_name or "")[:200],
        sha256=sha256,
        encoding=parsed.encoding,
        rows=len(parsed.rows) + parsed.ignored,
        posted=len(new_rows),
        skipped=skipped,
        unidentified=unidentified,
        ignored=parsed.ignored,
        posted_fen=sum(row.amount_fen for row in new_rows),
        created_by=user,
    )
    _payments_insert(
        [
            {
                "compound_id": compound.pk,
                "unit_id": row.unit.pk if row.unit is not None else None,
                "amount_fen": row.amount_fen,
                "method": PaymentMethod.BANK_TRANSFER.value,
                "source": PaymentSource.IMPORT.value,
                "received_on": row.day,
                "receipt_no": "",
                "channel": bank,
                "reference": row.reference,
                # Only an unidentified receipt keeps what the bank said about the payer.
                "payer_name": row.payer if row.unit is None else "",
                "statement_memo": row.memo if row.unit is None else "",
                "entry_id": result.entry.pk,
                "statement_import_id": record.pk,
                "created_by_id": user.pk if user is not None else None,
                "created_at": record.created_at,
            }
            for row, result in zip(new_rows, results, strict=True)
        ]
    )
    audit_record(actor=actor, action="statement.import", obj=record, compound=compound)
    return record


_COPY_FIELDS = (
    "compound_id",
    "unit_id",
    "amount_fen",
    "method",
    "source",
    "received_on",
    "receipt_no",
    "channel",
    "reference",
    "payer_name",
    "statement_memo",
    "entry_id",
    "statement_import_id",
    "created_by_id",
    "created_at",
)


def _payments_insert(rows: list[dict]) -> None:
    """Insert an import's payments (one dict of column values per payment). On
    PostgreSQL through COPY: at 100,000 rows the ORM's per-field preparation of a
    20-column INSERT costs several seconds, COPY a fraction of one
    (bench/bench_import.py). Nothing reads these rows back here, so their ids are
    not needed; every column is given explicitly, defaults included."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql" or len(rows) < 1000:
        Payment.objects.bulk_create((Payment(**row) for row in rows), batch_size=2000)
        return
    columns = ", ".join(_COPY_FIELDS)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY escrow_payment ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(tuple(row[name] for name in _COPY_FIELDS))


def _line_of(exc: ApplicationError, rows: list[StatementRow], bank: str) -> int | None:
    """The file line a ledger refusal is about: by batch row, or by idempotency key."""
    index = exc.extra.get("row")
    if isinstance(index, int) and 0 < index <= len(rows):
        return rows[index - 1].line
    key = exc.extra.get("idempotency_key")
    if isinstance(key, str) and key.startswith("bank:"):
        reference = key.removeprefix("bank:")
        return next((row.line for row in rows if row.reference == reference), None)
    return None


MAPPING_FIELDS = (
    "bank_name",
    "date_column",
    "amount_column",
    "reference_column",
    "memo_column",
    "payer_column",
    "debit_column",
    "date_format",
    "encoding",
    "skip_lines",
)


@transaction.atomic(durable=True)
def statement_mapping_save(
    *, compound: Compound, actor, mapping: BankStatementMapping | None = None, **values
) -> BankStatementMapping:
    """Create a bank's column mapping, or change one (by ``mapping``)."""
    unknown = set(values) - set(MAPPING_FIELDS)
    if unknown:
        raise StatementImportError(
            _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))},
            extra={"fields": {name: [_("Unknown field.")] for name in unknown}},
        )
    if mapping is not None and mapping.compound_id != compound.pk:
        raise StatementImportError(_("mapping: no such bank mapping in this compound."))
    target = (
        BankStatementMapping.objects.select_for_update().get(pk=mapping.pk)
        if mapping is not None
        else BankStatementMapping(compound=compound)
    )
    before = snapshot(target, list(MAPPING_FIELDS)) if mapping is not None else None
    for name, value in values.items():
        setattr(target, name, value.strip() if isinstance(value, str) else value)
    errors: dict[str, list[str]] = {}
    for name in ("bank_name", "date_column", "amount_column", "reference_column", "memo_column"):
        if not getattr(target, name):
            errors[name] = [_("This field is required.")]
    columns = [c for c in (*target.required_columns, target.payer_column, target.debit_column) if c]
    if len(columns) != len(set(columns)):
        errors["columns"] = [_("Each column can be used for one thing only.")]
    try:
        probe = dt.date(2026, 12, 31)
        if (
            "%" not in target.date_format
            or dt.datetime.strptime(probe.strftime(target.date_format), target.date_format).date() != probe
        ):
            raise ValueError
    except ValueError:
        errors["date_format"] = [_("Not a date format (use %Y, %m and %d, e.g. %Y-%m-%d).")]
    if target.encoding not in BankStatementMapping.Encoding.values:
        errors["encoding"] = [_("Unknown encoding.")]
    if not isinstance(target.skip_lines, int) or not 0 <= target.skip_lines <= 50:
        errors["skip_lines"] = [_("Between 0 and 50.")]
    clash = BankStatementMapping.objects.filter(compound=compound, bank_name=target.bank_name)
    if target.pk:
        clash = clash.exclude(pk=target.pk)
    if target.bank_name and clash.exists():
        errors["bank_name"] = [_("This compound already has a mapping for this bank.")]
    if errors:
        first = next(iter(errors.items()))
        raise StatementImportError(f"{first[0]}: {first[1][0]}", extra={"fields": errors})
    if target.pk is None:
        target.created_by = actor if getattr(actor, "is_authenticated", False) else None
        target.save()
        audit_record(actor=actor, action="statement_mapping.create", obj=target, compound=compound)
    else:
        target.save(update_fields=[*values.keys(), "updated_at"])
        audit_record(
            actor=actor,
            action="statement_mapping.update",
            obj=target,
            compound=compound,
            before=before,
            after=snapshot(target, list(MAPPING_FIELDS)),
        )
    return target
