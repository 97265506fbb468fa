"""Reading a bank statement file, before anything is written: the encoding (UTF-8 with or without BOM, GB18030), the compound's column mapping, one row per credit line with its date, amount in fen, reference, memo and payer; every problem named by line and column, all or nothing."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.money import AmountError, yuan_to_fen
from communities.models import Unit
from escrow.fees.selectors import UnitMatcher
from escrow.models import (
    BankStatementMapping,
    EscrowAccount,
)

REFERENCE_MAX = 64


MEMO_MAX = 200


PAYER_MAX = 100


MAX_PROBLEMS = 200  # a file with more is wrong as a whole; list enough to see why


class StatementImportError(ApplicationError):
    """The file was not imported. ``extra["rows"]`` lists every problem found as
    ``{"row": line number or None, "column": header name or None, "message": …}``."""


@dataclass
class Problem:
    """One thing wrong with a statement file, by line and column, with the message people see."""

    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self):
        where = []
        if self.row is not None:
            where.append(_("row %(n)s") % {"n": self.row})
        if self.column:
            where.append(_("column “%(c)s”") % {"c": self.column})
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass
class StatementRow:
    """One credit line of a statement, checked: date, amount in fen, bank reference, memo, payer."""

    line: int
    day: dt.date
    amount_fen: int
    reference: str
    memo: str
    payer: str
    unit: Unit | None = None
    matched: bool = False  # matching is done only for rows not already posted


@dataclass
class ParsedStatement:
    """A whole statement that passed every check: its rows, encoding and date range."""

    encoding: str
    rows: list[StatementRow] = field(default_factory=list)
    ignored: int = 0
    problems: list[Problem] = field(default_factory=list)


def _refuse(problems: list[Problem], *, truncated: bool = False) -> StatementImportError:
    shown = "; ".join(str(p) for p in problems[:3])
    more = len(problems) - 3
    message = _("The statement was not imported; nothing was posted. %(n)s problem(s): %(shown)s") % {
        "n": f"{len(problems)}{'+' if truncated else ''}",
        "shown": shown,
    }
    if more > 0:
        message += " " + _("(and %(more)s more)") % {"more": more}
    return StatementImportError(
        message,
        extra={
            "rows": [p.as_dict() for p in problems],
            "fields": {"file": [str(p) for p in problems]},
        },
    )


def decode_statement(data: bytes, hint: str = BankStatementMapping.Encoding.AUTO) -> tuple[str, str]:
    """The file's text and the encoding that decoded it ('utf-8', 'utf-8-bom', 'gbk')."""
    if not data:
        raise _refuse([Problem(None, None, _("The file is empty."))])
    tried = {"auto": ["utf-8", "gbk"], "utf-8": ["utf-8"], "gbk": ["gbk"]}.get(hint, ["utf-8", "gbk"])
    for encoding in tried:
        if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
            candidate, label = data[len(codecs.BOM_UTF8) :], "utf-8-bom"
        else:
            candidate, label = data, encoding
        try:
            text = candidate.decode(encoding)
        except UnicodeDecodeError:
            continue
        # NUL never occurs in a text export; it does in UTF-16 and binary files,
        # which GBK would otherwise "decode" into nonsense.
        if "\x00" in text:
            continue
        return text, label
    names = {"utf-8": _("UTF-8 (with or without BOM)"), "gbk": "GBK"}
    raise _refuse(
        [
            Problem(
                None,
                None,
                _(
                    "The file is not text in %(encodings)s. Export the statement as CSV again "
                    "(in Excel: “CSV UTF-8”) and upload that file."
                )
                % {"encodings": _(" or ").join(names[e] for e in tried)},
            )
        ]
    )


def parse_statement(
    text: str,
    *,
    mapping: BankStatementMapping,
    account: EscrowAccount,
    matcher: UnitMatcher | None = None,
    encoding: str = "",
    today: dt.date | None = None,
) -> ParsedStatement:
    """Every row read and checked; problems collected, not raised (the caller decides)."""
    today = today or timezone.localdate()
    parsed = ParsedStatement(encoding=encoding)
    problems = parsed.problems
    stream = io.StringIO(text, newline="")
    for _skipped in range(mapping.skip_lines):
        stream.readline()
    reader = csv.reader(stream, strict=True)
    offset = mapping.skip_lines

    header: list[str] | None = None
    header_line = 0
    index: dict[str, int] = {}
    seen_references: dict[str, int] = {}
    dates: dict[str, dt.date | None] = {}  # a statement has a few hundred distinct dates; strptime is slow
    while len(problems) < MAX_PROBLEMS:
        line = offset + reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(
                Problem(
                    line,
                    None,
                    _("This line cannot be read as CSV (%(e)s) — was the file cut short?") % {"e": exc},
                )
            )
            break
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            header = [cell.strip() for cell in record]
            header_line = line
            for position, name in enumerate(header):
                index.setdefault(name, position)
            missing = [c for c in mapping.required_columns if c not in index]
            missing += [c for c in (mapping.payer_column, mapping.debit_column) if c and c not in index]
            for column in missing:
                problems.append(
                    Problem(
                        header_line,
                        column,
                        _("The header has no column “%(c)s” (found: %(found)s).")
                        % {"c": column, "found": ", ".join(h for h in header if h) or "—"},
                    )
                )
            if missing:
                break
            continue
        row = _parse_row(
            record, line, header, index, mapping, account, today, seen_references, problems, dates
        )
        if row is None:
            continue
        if row == "ignored":
            parsed.ignored += 1
            continue
        if matcher is not None:
            row.unit, row.matched = matcher.match(row.memo), True
        parsed.rows.append(row)
    if header is None and not problems:
        problems.append(Problem(None, None, _("The file has no header line and no rows.")))
    elif header is not None and not problems and not parsed.rows and not parsed.ignored:
        problems.append(Problem(header_line, None, _("The file has a header but no rows.")))
    return parsed


def _parse_row(record, line, header, index, mapping, account, today, seen_references, problems, dates):
    before = len(problems)
    if len(record) < len(header):
        problems.append(
            Problem(
                line,
                header[len(record)],
                _("The row has %(n)s of %(m)s columns — it is cut short (a truncated last line?).")
                % {"n": len(record), "m": len(header)},
            )
        )
        return None
    if any(cell.strip() for cell in record[len(header) :]):
        problems.append(
            Problem(
                line,
                None,
                _("The row has %(n)s columns, more than the header's %(m)s.")
                % {"n": len(record), "m": len(header)},
            )
        )
        return None

    def cell(column: str) -> str:
        return record[index[column]].strip() if column else ""

    amount_text = cell(mapping.amount_column)
    if not amount_text and mapping.debit_column and cell(mapping.debit_column):
        return "ignored"  # money going out of the account: not a fee received

    date_text = cell(mapping.date_column)
    if date_text not in dates:
        try:
            dates[date_text] = dt.datetime.strptime(date_text, mapping.date_format).date()
        except ValueError:
            dates[date_text] = None
    day = dates[date_text]
    if day is None:
        problems.append(
            Problem(
                line,
                mapping.date_column,
                _("“%(v)s” is not a date in the format %(f)s.") % {"v": date_text, "f": mapping.date_format},
            )
        )
    elif day > today:
        problems.append(Problem(line, mapping.date_column, _("%(d)s is in the future.") % {"d": day}))
    elif day < account.opened_on:
        problems.append(
            Problem(
                line,
                mapping.date_column,
                _("%(d)s is before the escrow account opened (%(o)s).") % {"d": day, "o": account.opened_on},
            )
        )

    amount_fen = None
    try:
        amount_fen = yuan_to_fen(amount_text, field=mapping.amount_column)
    except AmountError as exc:
        messages = exc.extra.get("fields", {}).get(mapping.amount_column) or [exc.message]
        problems.append(Problem(line, mapping.amount_column, f"“{amount_text}”: {messages[0]}"))

    reference = cell(mapping.reference_column)
    if not reference:
        problems.append(Problem(line, mapping.reference_column, _("The bank reference is empty.")))
    elif len(reference) > REFERENCE_MAX:
        problems.append(
            Problem(line, mapping.reference_column, _("At most %(n)s characters.") % {"n": REFERENCE_MAX})
        )
    elif reference in seen_references:
        problems.append(
            Problem(
                line,
                mapping.reference_column,
                _(
                    "Reference %(ref)s already appears in row %(first)s: the same transaction twice in one file."
                )
                % {"ref": reference, "first": seen_references[reference]},
            )
        )
    else:
        seen_references[reference] = line

    if len(problems) > before:
        return None
    return StatementRow(
        line=line,
        day=day,
        amount_fen=amount_fen,
        reference=reference,
        memo=cell(mapping.memo_column)[:MEMO_MAX],
        payer=cell(mapping.payer_column)[:PAYER_MAX],
    )
