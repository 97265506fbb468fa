"""A statement file → ``ParsedStatement``: every line read, checked for completeness,
identified and given a kind hint; or the whole file refused (``StatementError``).

Steps (see docs/bank-statements.md for the reasons):

1. ``reading``: bytes → rows of cells with their file line numbers.
2. The header is the first row (within ``HEADER_SEARCH`` rows) that holds every required
   column of the mapping given, or of a preset (the layout is then recognised from it).
   The rows above it are the preamble: the account number, the period and the bank's
   own counts and sums (Alipay, WeChat Pay) are read from it.
3. Below the header, a row whose date cell is a date is a transaction line; blank rows
   are skipped; the rest must be a summary line the banks write (``人民币合计…``,
   ``# 收入合计…``, ``共N笔``, ``----``, ``导出时间…``, ``以上数据仅供参考…``) and must come
   after the last transaction line. Anything else is refused, naming the line.
4. Completeness: a layout whose bank always writes a closing summary must have one (a
   file cut off at a line end has none); every count and sum the bank states must equal
   the lines'; the running balance must chain line by line, in the file's order, either
   direction; dates must lie in the period the bank states.
5. Identity (``banking.identity``) and kind hints (``banking.classify``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from itertools import pairwise
from operator import itemgetter

from django.utils.translation import gettext as _

from banking import classify, identity
from banking.amounts import _PLAIN_RE, PAD, clean, fen_text, parse_amount_fen
from banking.errors import MAX_PROBLEMS, CellError, Problem, StatementError
from banking.layouts import PRESETS, Mapping, recognise
from banking.reading import Row, csv_rows, read_source, refuse

HEADER_SEARCH = 80  # the header is on line 7 (ICBC), 8 (CMB), 17 (WeChat), 25 (Alipay)

INCOME, EXPENSE, NEUTRAL = "income", "expense", "neutral"
PLAIN_AMOUNT = _PLAIN_RE.match
NOTHING = frozenset({"/", "-", "--"})  # what wallets and banks write in an empty cell


@dataclass(slots=True)
class StatementLine:
    line: int  # 1-based line (or spreadsheet row) in the file
    date: dt.date
    time: dt.time | None
    direction: str  # "income", "expense" or "neutral"
    amount_fen: int  # the magnitude, > 0
    balance_fen: int | None  # the bank's running balance after this line
    counterparty: str = ""
    counterparty_account: str = ""
    memo: str = ""
    serial: str = ""
    status: str = ""
    kind: str = ""  # banking.classify: receipt, interest, charge, refund, withdrawal, payout, unexplained, neutral, void
    identity: str = ""  # banking.identity: the same bank line has the same identity in every file
    identity_basis: str = ""  # "balance", "serial" or "occurrence"

    @property
    def signed_fen(self) -> int:
        """Money into the account positive, out negative, neutral lines 0."""
        if self.direction == INCOME:
            return self.amount_fen
        if self.direction == EXPENSE:
            return -self.amount_fen
        return 0

    @property
    def moves_money(self) -> bool:
        return self.direction != NEUTRAL and self.kind != classify.VOID

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "date": self.date.isoformat(),
            "time": self.time.isoformat() if self.time else None,
            "direction": self.direction,
            "amount_fen": self.amount_fen,
            "balance_fen": self.balance_fen,
            "counterparty": self.counterparty,
            "counterparty_account": self.counterparty_account,
            "memo": self.memo,
            "serial": self.serial,
            "status": self.status,
            "kind": self.kind,
            "identity": self.identity,
            "identity_basis": self.identity_basis,
        }


@dataclass
class ParsedStatement:
    layout: str  # a preset's key, or "custom"
    layout_name: str
    mapping: Mapping
    file_kind: str  # "csv", "tsv", "xlsx", "xls"
    encoding: str  # "utf-8", "utf-8-bom", "utf-16", "gbk", "gb18030", "xlsx", "xls"
    header_line: int
    account_number: str = ""  # as the file gives it (often masked: 6214********5555)
    stated_period: tuple[dt.date, dt.date] | None = None  # the period the file says it covers
    period_start: dt.date | None = None  # stated, else the first line's date
    period_end: dt.date | None = None
    opening_balance_fen: int | None = None  # before the oldest line (files with a running balance)
    closing_balance_fen: int | None = None  # after the newest line
    newest_first: bool = False
    lines: list[StatementLine] = field(default_factory=list)  # in the file's order
    checks: list[str] = field(default_factory=list)  # "footer", "totals", "counts", "balance_chain", "period"

    def totals(self) -> dict[str, tuple[int, int]]:
        """direction → (number of lines, sum of amounts in fen)."""
        out = {INCOME: [0, 0], EXPENSE: [0, 0], NEUTRAL: [0, 0]}
        for line in self.lines:
            out[line.direction][0] += 1
            out[line.direction][1] += line.amount_fen
        return {k: (v[0], v[1]) for k, v in out.items()}

    def by_kind(self) -> dict[str, tuple[int, int]]:
        """kind hint → (number of lines, sum of amounts in fen), for a preview."""
        out: dict[str, list[int]] = {}
        for line in self.lines:
            entry = out.setdefault(line.kind, [0, 0])
            entry[0] += 1
            entry[1] += line.amount_fen
        return {k: (v[0], v[1]) for k, v in out.items()}

    def daily_balances(self) -> list[tuple[dt.date, int]]:
        """The bank's balance at the end of each day that has lines, oldest first (files
        with a running balance): what the reconciliation puts beside the ledger's cash."""
        if self.opening_balance_fen is None:
            return []
        days: dict[dt.date, int] = {}
        for line in self.chronological():
            days[line.date] = line.balance_fen
        return list(days.items())

    def chronological(self) -> list[StatementLine]:
        return list(reversed(self.lines)) if self.newest_first else list(self.lines)

    def as_dict(self) -> dict:
        return {
            "layout": self.layout,
            "file_kind": self.file_kind,
            "encoding": self.encoding,
            "header_line": self.header_line,
            "account_number": self.account_number,
            "stated_period": [d.isoformat() for d in self.stated_period] if self.stated_period else None,
            "period_start": self.period_start.isoformat() if self.period_start else None,
            "period_end": self.period_end.isoformat() if self.period_end else None,
            "opening_balance_fen": self.opening_balance_fen,
            "closing_balance_fen": self.closing_balance_fen,
            "newest_first": self.newest_first,
            "checks": list(self.checks),
            "lines": [line.as_dict() for line in self.lines],
        }


# --------------------------------------------------------------------------- dates

_DATE_RE = re.compile(
    r"^(\d{4})(?:([-/.])(\d{1,2})\2(\d{1,2})|(\d{2})(\d{2}))"
    r"(?:(?:\s+|T)(\d{1,2}):?(\d{2}):?(\d{2})?(?:\.\d+)?)?$"
)
_TIME_RE = re.compile(r"^(\d{1,2}):?(\d{2}):?(\d{2})?$")


def parse_date(text: str, fmt: str = "auto") -> tuple[dt.date, dt.time | None]:
    """``2026-01-12``, ``20260112``, ``2026/01/12``, each optionally followed by a time
    (``2026-01-12 18:45:20``, CMB 2016's ``20160207  00:18:29``)."""
    match = _DATE_RE.match(text)
    try:
        if match is None:
            if fmt != "auto":
                moment = dt.datetime.strptime(text, fmt)
                return moment.date(), (moment.time() if "%H" in fmt else None)
            raise ValueError(text)
        year, _sep, m1, d1, m2, d2, hh, mm, ss = match.groups()
        day = dt.date(int(year), int(m1 or m2), int(d1 or d2))
        moment = dt.time(int(hh), int(mm), int(ss or 0)) if hh is not None else None
        return day, moment
    except ValueError:
        raise CellError(_("“%(value)s” is not a date.") % {"value": text}) from None


def parse_time(text: str) -> dt.time | None:
    if not text:
        return None
    match = _TIME_RE.match(text)
    if match is not None:
        try:
            return dt.time(int(match[1]), int(match[2]), int(match[3] or 0))
        except ValueError:
            pass
    raise CellError(_("“%(value)s” is not a time of day.") % {"value": text})


# --------------------------------------------------------------------------- preamble and footer

_FOOTER_RE = re.compile(
    r"^(#|人民币合计|合计|总计|本页合计|共\s*\d+\s*笔|-{3,}|导出时间|以上数据仅供参考|收入合计|支出合计|"
    r"借方合计|贷方合计|(收入|支出|不计收支|中性交易)\s*[:：]|打印时间|制表|注[:：])"
)
_DIRECTION_SUM_RE = re.compile(
    r"(收入|支出|不计收支|中性交易)\s*(?:合计)?\s*[:：]\s*(\d+)\s*笔\s*[，,]?\s*(?:共\s*)?[¥￥]?\s*(\d[\d,]*(?:\.\d+)?)\s*元"
)
_COUNT_RE = re.compile(r"共\s*(\d+)\s*笔")
_SUMMARY_WORDS = {"收入": INCOME, "支出": EXPENSE, "不计收支": NEUTRAL, "中性交易": NEUTRAL}
_ACCOUNT_RE = re.compile(
    r"(?:卡\s*号|账\s*号|帐\s*号|账\s*户|支付宝账户)\s*[:：]\s*\[?\s*(?:[^\d\s:：\[\]]{1,6}[:：])?\s*([0-9A-Za-z*@._\-]{4,})"
)
_WECHAT_ACCOUNT_RE = re.compile(r"微信昵称\s*[:：]\s*\[([^\]]*)\]")
_D = r"(\d{4}[-/.]?\d{1,2}[-/.]?\d{1,2})"
_PERIOD_RANGE_RE = re.compile(
    r"(?:起止日期|查询期间|交易期间|起止时间)\s*[:：]\s*\[?\s*" + _D + r"[^\d]{1,12}?" + _D
)
_PERIOD_START_RE = re.compile(r"(?:起始日期|起始时间|开始日期|开始时间|查询起始日期)\s*[:：]\s*\[?\s*" + _D)
_PERIOD_END_RE = re.compile(
    r"(?:终止日期|终止时间|结束日期|结束时间|截止日期|查询终止日期)\s*[:：]\s*\[?\s*" + _D
)


def _row_text(cells: list[str]) -> str:
    return " ".join(c for c in (clean(x) for x in cells) if c)


def _summary_of(text: str) -> tuple[dict[str, tuple[int, int]], int | None]:
    """The per-direction (count, fen) and the total count a summary line states."""
    sums: dict[str, tuple[int, int]] = {}
    for word, count, amount in _DIRECTION_SUM_RE.findall(text):
        try:
            fen = parse_amount_fen(amount) or 0
        except CellError:
            continue
        sums[_SUMMARY_WORDS[word]] = (int(count), fen)
    total = None
    if not sums:
        match = _COUNT_RE.search(text)
        if match:
            total = int(match[1])
    return sums, total


def _date_of(text: str) -> dt.date | None:
    try:
        return parse_date(re.sub(r"[^\d]", "", text))[0]
    except CellError:
        return None


# --------------------------------------------------------------------------- the parser


def read_statement(
    data: bytes,
    *,
    mapping: Mapping | None = None,
    account_key: str = "",
) -> ParsedStatement:
    """Read, check and identify a statement file; ``StatementError`` if it is refused.

    ``mapping``: a custom mapping, or None to recognise a preset from the header.
    ``account_key``: the caller's stable name of the bank account the file belongs to
    (e.g. the escrow account's number); it scopes line identities.
    """
    if mapping is not None and (errors := mapping.problems()):
        raise StatementError([Problem(None, None, f"{name}: {message}") for name, message in errors.items()])
    source = read_source(data, encoding=mapping.encoding if mapping else "auto")
    if source.kind == "text":
        delimiters = [mapping.delimiter] if mapping and mapping.delimiter else [",", "\t"]
        if source.encoding == "utf-16" and len(delimiters) == 2:
            delimiters.reverse()
        found = None
        for delimiter in delimiters:
            head = csv_rows(source.text, delimiter, limit=HEADER_SEARCH)
            found = _find_header(head, mapping)
            if found is not None:
                break
        if found is None:
            if source.text.lstrip()[:200].lower().startswith(("<html", "<!doctype", "<table", "<?xml")):
                raise refuse(
                    _(
                        "This file is a web page or XML saved under a spreadsheet's name, not a statement "
                        "file. Download the statement again as CSV or Excel."
                    )
                )
            raise _no_header(csv_rows(source.text, delimiters[0], limit=HEADER_SEARCH), mapping)
        rows = csv_rows(source.text, delimiter)
        file_kind = "tsv" if delimiter == "\t" else "csv"
    else:
        rows = source.rows or []
        found = _find_header(rows[:HEADER_SEARCH], mapping)
        if found is None:
            raise _no_header(rows[:HEADER_SEARCH], mapping)
        file_kind = source.kind
    header_index, layout = found
    if mapping is not None:
        layout = _facts_from_known_layout(rows[header_index][1], mapping)
    return _Parser(
        rows, header_index, layout, source.kind != "text", file_kind, source.encoding, account_key
    ).run()


# Where the money facts are: for a known layout these come from the preset whatever a
# custom mapping says, so that identity never depends on the mapping chosen.
_FACTS = (
    "date_column",
    "date_format",
    "time_column",
    "direction",
    "income_column",
    "expense_column",
    "amount_column",
    "direction_column",
    "income_values",
    "expense_values",
    "neutral_values",
    "balance_column",
    "serial_column",
    "status_column",
    "void_statuses",
    "footer_required",
    "newest_first",
)


def _facts_from_known_layout(header_cells: list[str], mapping: Mapping) -> Mapping:
    """A custom mapping of a file in a known layout chooses only the descriptive columns
    (memo, counterparty); the date, amounts, direction, balance and serial are read where
    the preset says. Two mappings of one file then read the same bank lines, and the
    same identities, whichever columns they name."""
    preset = recognise([clean(c) for c in header_cells])
    if preset is None:
        return mapping
    return replace(
        mapping,
        key=preset.key,
        name=preset.name,
        optional_columns=tuple(dict.fromkeys([*mapping.optional_columns, *preset.optional_columns])),
        **{name: getattr(preset, name) for name in _FACTS},
    )


def _find_header(rows: list[Row], mapping: Mapping | None) -> tuple[int, Mapping] | None:
    for position, (_line, cells) in enumerate(rows):
        header = [clean(c) for c in cells]
        if mapping is not None:
            required = mapping.required_columns()
            if required and all(name in header for name in required):
                return position, mapping
        else:
            preset = recognise(header)
            if preset is not None:
                return position, preset
    return None


def _no_header(rows: list[Row], mapping: Mapping | None) -> StatementError:
    if mapping is None:
        near = _nearest_preset(rows)
        if near is not None:
            line, preset, missing = near
            return StatementError(
                [
                    Problem(
                        line,
                        name,
                        _(
                            "This looks like the header of “%(layout)s”, but it has no column “%(c)s”. "
                            "Upload the file as the bank gave it, or set up a mapping of its columns."
                        )
                        % {"layout": preset.name, "c": name},
                    )
                    for name in missing
                ]
            )
        names = ", ".join(str(m.name) for m in PRESETS.values())
        return refuse(
            _(
                "No header line of a known statement layout was found in the first %(n)s lines "
                "(known layouts: %(names)s). Upload the file as the bank gave it, or set up a mapping of its columns."
            )
            % {"n": HEADER_SEARCH, "names": names}
        )
    required = mapping.required_columns()
    best_line, best_missing = None, list(required)
    for line, cells in rows:
        header = {clean(c) for c in cells}
        missing = [name for name in required if name not in header]
        if len(missing) < len(best_missing):
            best_line, best_missing = line, missing
    return StatementError(
        [
            Problem(
                best_line,
                name,
                _(
                    "The header has no column “%(c)s”: no line in the first %(n)s has all the mapping's columns."
                )
                % {"c": name, "n": HEADER_SEARCH},
            )
            for name in best_missing
        ]
    )


def _nearest_preset(rows: list[Row]) -> tuple[int, Mapping, list[str]] | None:
    """(line, preset, missing columns) for a header that has most of a preset's columns."""
    best = None
    for line, cells in rows:
        header = {clean(c) for c in cells}
        for preset in PRESETS.values():
            required = preset.required_columns()
            missing = [name for name in required if name not in header]
            if len(missing) <= len(required) // 3 and (best is None or len(missing) < len(best[2])):
                best = (line, preset, missing)
    return best


class _Parser:
    def __init__(self, rows, header_index, mapping: Mapping, spreadsheet, file_kind, encoding, account_key):
        self.rows = rows
        self.header_index = header_index
        self.mapping = mapping
        self.spreadsheet = spreadsheet
        self.file_kind = file_kind
        self.encoding = encoding
        self.account_key = account_key
        self.problems: list[Problem] = []
        header_line, header_cells = rows[header_index]
        self.header_line = header_line
        self.header = [clean(c) for c in header_cells]
        while self.header and not self.header[-1]:
            self.header.pop()  # ICBC data rows end with a comma the header does not have
        self.times: dict[str, dt.time | None | CellError] = {}
        self.index: dict[str, int] = {}
        for position, name in enumerate(self.header):
            if name:
                self.index.setdefault(name, position)
        self._prepare_extraction()

    def problem(self, line, column, message):
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(line, column, message))

    def col(self, name: str) -> int | None:
        return self.index.get(name) if name else None

    # ------------------------------------------------------------------ run

    def run(self) -> ParsedStatement:
        m = self.mapping
        parsed = ParsedStatement(
            layout=m.key,
            layout_name=m.display_name(),
            mapping=m,
            file_kind=self.file_kind,
            encoding=self.encoding,
            header_line=self.header_line,
        )
        summaries: list[tuple[int, dict, int | None]] = []  # (line, per-direction, total count)
        for _line, cells in self.rows[: self.header_index]:
            self._read_preamble(parsed, _line, _row_text(cells), summaries)

        lines = parsed.lines
        footer_lines: list[tuple[int, list[str]]] = []
        i_date = self.col(m.date_column)
        width = len(self.header)
        dates: dict[str, tuple[dt.date, dt.time | None] | None] = {}
        for line, cells in self.rows[self.header_index + 1 :]:
            if len(self.problems) >= MAX_PROBLEMS:
                break
            date_text = cells[i_date].strip(PAD) if i_date < len(cells) else ""
            if not date_text and not any(clean(c) for c in cells):
                continue  # blank or space-only line
            when = dates.get(date_text, False)
            if when is False:
                when = dates[date_text] = self._when(date_text, dates)
            if when is None:
                if date_text == self.header[i_date] and [clean(c) for c in cells[:width]] == self.header:
                    continue  # the header again (exports printed page by page repeat it)
                text = _row_text(cells)
                if _FOOTER_RE.match(text):
                    footer_lines.append((line, cells))
                    continue
                self.problem(
                    line,
                    m.date_column,
                    _(
                        "“%(value)s” is not a date, and the line is not one of the summary lines banks write "
                        "below their statements."
                    )
                    % {"value": date_text or text[:40]},
                )
                continue
            if footer_lines:
                self.problem(
                    line,
                    None,
                    _(
                        "A transaction line after the summary line %(n)s: the file was put together from pieces."
                    )
                    % {"n": footer_lines[0][0]},
                )
                continue
            if len(cells) < width:
                if not self.spreadsheet:
                    self.problem(
                        line,
                        self.header[len(cells)],
                        _("The line has %(n)s of the header's %(m)s cells: it was cut off.")
                        % {"n": len(cells), "m": width},
                    )
                    continue
                cells = cells + [""] * (width - len(cells))
            elif len(cells) > width and any(clean(c) for c in cells[width:]):
                self.problem(
                    line,
                    None,
                    _(
                        "The line has %(n)s cells, more than the header's %(m)s (a comma inside a name "
                        "that the bank did not put in quotes?)."
                    )
                    % {"n": len(cells), "m": width},
                )
                continue
            parsed_line = self._read_line(line, cells, when)
            if parsed_line is not None:
                lines.append(parsed_line)

        for line, cells in footer_lines:
            text = _row_text(cells)
            sums, total = _summary_of(text)
            if sums or total is not None:
                summaries.append((line, sums, total))
        if self.problems:
            raise StatementError(self.problems)

        self._check_footer(parsed, footer_lines, summaries)
        self._check_summaries(parsed, summaries, footer_lines)
        self._order_and_chain(parsed)
        self._check_period(parsed)
        if self.problems:
            raise StatementError(self.problems)
        if lines:
            chrono = parsed.chronological()
            parsed.period_start = parsed.stated_period[0] if parsed.stated_period else chrono[0].date
            parsed.period_end = parsed.stated_period[1] if parsed.stated_period else chrono[-1].date
        elif parsed.stated_period:
            parsed.period_start, parsed.period_end = parsed.stated_period
        kinds: dict[tuple, str] = {}  # memos repeat: classify each distinct one once
        for line in lines:
            key = (line.direction, line.memo, line.counterparty, line.status)
            kind = kinds.get(key)
            if kind is None:
                kind = kinds[key] = classify.kind_of(line, void_statuses=m.void_statuses)
            line.kind = kind
        identity.assign(parsed.chronological(), account_key=self.account_key)
        return parsed

    def _when(self, text, dates):
        """The (date, time) of a date cell. A date-time (wallets: one per line) is read
        as its date and its time, each remembered, rather than the whole text."""
        head, space, tail = text.partition(" ")
        if space and tail.strip():
            day = dates.get(head, False)
            if day is False:
                day = dates[head] = self._when(head, dates)
            if day is None or day[1] is not None:
                return None
            moment = self.times.get(tail, False)
            if moment is False:
                try:
                    moment = parse_time(tail.strip())
                except CellError:
                    moment = None
                self.times[tail] = moment
            if moment is None:
                return self._parse_when(text)  # an unusual form: the full parser decides
            return day[0], moment
        return self._parse_when(text)

    def _parse_when(self, text):
        try:
            return parse_date(text, self.mapping.date_format)
        except CellError:
            return None

    # ------------------------------------------------------------------ preamble

    def _read_preamble(self, parsed, line, text, summaries):
        if not text:
            return
        if not parsed.account_number:
            match = _ACCOUNT_RE.search(text) or _WECHAT_ACCOUNT_RE.search(text)
            if match:
                parsed.account_number = match[1].strip()
        start = end = None
        match = _PERIOD_RANGE_RE.search(text)
        if match:
            start, end = _date_of(match[1]), _date_of(match[2])
        else:
            s, e = _PERIOD_START_RE.search(text), _PERIOD_END_RE.search(text)
            start = _date_of(s[1]) if s else None
            end = _date_of(e[1]) if e else None
        if start or end:
            old = parsed.stated_period or (None, None)
            parsed.stated_period = (start or old[0], end or old[1])
        sums, total = _summary_of(text)
        if sums or total is not None:
            summaries.append((line, sums, total))

    # ------------------------------------------------------------------ one line

    def _prepare_extraction(self):
        """One ``itemgetter`` pulls every cell a line needs in a single call."""
        m = self.mapping
        names = {
            "time": m.time_column,
            "income": m.income_column,
            "expense": m.expense_column,
            "amount": m.amount_column,
            "direction": m.direction_column,
            "balance": m.balance_column,
            "serial": m.serial_column,
            "counterparty": m.counterparty_column,
            "counterparty_account": m.counterparty_account_column,
            "status": m.status_column,
        }
        positions: list[int] = []
        self.slot: dict[str, int] = {}
        for key, name in names.items():
            if name and name in self.index:
                self.slot[key] = len(positions)
                positions.append(self.index[name])
        self.memo_slots = []
        for name in m.memo_columns:
            if name in self.index:
                self.memo_slots.append(len(positions))
                positions.append(self.index[name])
        positions += [0, 0]  # itemgetter of two or more positions returns a tuple
        self.getter = itemgetter(*positions)

    def _read_line(self, line, cells, when) -> StatementLine | None:
        m = self.mapping
        slot = self.slot
        values = [c.strip(PAD) for c in self.getter(cells)]
        day, moment = when
        before = len(self.problems)
        if "time" in slot:
            text = values[slot["time"]]
            times = self.times
            if text not in times:
                try:
                    times[text] = parse_time(text)
                except CellError as exc:
                    times[text] = exc
            found = times[text]
            if isinstance(found, CellError):
                self.problem(line, m.time_column, found.message)
            else:
                moment = found or moment

        def amount_in(key, column):
            text = values[slot[key]]
            if not text:
                return None
            plain = PLAIN_AMOUNT(text)  # the common 1,234.56, exactly, without the general path
            if plain is not None:
                sign, whole, fraction = plain.groups()
                if "," in whole:
                    whole = whole.replace(",", "")
                if len(whole) <= 8:  # below the ceiling (¥100,000,000) whatever the fraction
                    fen = int(whole) * 100 + (int(fraction.ljust(2, "0")) if fraction else 0)
                    return -fen if sign == "-" else fen
            try:
                return parse_amount_fen(text, ceiling=key != "balance")
            except CellError as exc:
                self.problem(line, column, exc.message)
                return False

        direction = amount = None
        if m.direction == "two_columns":
            income = amount_in("income", m.income_column)
            expense = amount_in("expense", m.expense_column)
            if income is False or expense is False:
                pass
            elif income and expense:
                self.problem(
                    line,
                    m.expense_column,
                    _("Both “%(a)s” and “%(b)s” hold an amount; one of them must be empty.")
                    % {"a": m.income_column, "b": m.expense_column},
                )
            elif not income and not expense:
                self.problem(
                    line,
                    m.income_column,
                    _("Neither “%(a)s” nor “%(b)s” holds an amount.")
                    % {"a": m.income_column, "b": m.expense_column},
                )
            else:
                signed = income if income else -abs(expense)
                direction, amount = (INCOME, signed) if signed > 0 else (EXPENSE, -signed)
        elif m.direction == "signed":
            signed = amount_in("amount", m.amount_column)
            if signed is False:
                pass
            elif not signed:
                self.problem(line, m.amount_column, _("The amount is empty or zero."))
            else:
                direction, amount = (INCOME, signed) if signed > 0 else (EXPENSE, -signed)
        else:
            value = amount_in("amount", m.amount_column)
            word = values[slot["direction"]]
            if word in m.income_values:
                direction = INCOME
            elif word in m.expense_values:
                direction = EXPENSE
            elif word in m.neutral_values:
                direction = NEUTRAL
            else:
                known = [*m.income_values, *m.expense_values, *m.neutral_values]
                self.problem(
                    line,
                    m.direction_column,
                    _("“%(value)s” is none of the values the mapping knows (%(known)s).")
                    % {"value": word, "known": ", ".join(f"“{v}”" for v in known)},
                )
            if value is False:
                direction = None
            elif not value:
                self.problem(line, m.amount_column, _("The amount is empty or zero."))
                direction = None
            else:
                amount = abs(value)
        balance = None
        if "balance" in slot:
            balance = amount_in("balance", m.balance_column)
            if balance is None:
                self.problem(line, m.balance_column, _("The balance is empty."))
        if len(self.problems) > before or direction is None:
            return None
        serial = values[slot["serial"]] if "serial" in slot else ""
        counterparty = values[slot["counterparty"]] if "counterparty" in slot else ""
        account = values[slot["counterparty_account"]] if "counterparty_account" in slot else ""
        memo = [values[i] for i in self.memo_slots]
        memo = [p for p in memo if p and p not in NOTHING]
        return StatementLine(
            line,
            day,
            moment,
            direction,
            amount,
            balance,
            "" if counterparty in NOTHING else counterparty,
            "" if account in NOTHING else account,
            " ".join(dict.fromkeys(memo)) if len(memo) > 1 else (memo[0] if memo else ""),
            "" if serial in NOTHING else serial,
            values[slot["status"]] if "status" in slot else "",
        )

    # ------------------------------------------------------------------ completeness

    def _check_footer(self, parsed, footer_lines, summaries):
        m = self.mapping
        if m.footer_required:
            if not footer_lines:
                last = self.rows[-1][0] if self.rows else self.header_line
                self.problem(
                    last,
                    None,
                    _(
                        "The file ends without the summary line the bank writes below every statement: "
                        "it was cut off. Download the statement again."
                    ),
                )
                return
            parsed.checks.append("footer")
        if m.direction != "two_columns":
            return
        # ICBC: 人民币合计,,,,,,,,,"1,234.56 \t","9,876.54 \t", under the two amount columns.
        totals = parsed.totals()
        for line, cells in footer_lines:
            if "合计" not in _row_text(cells) or _summary_of(_row_text(cells))[0]:
                continue
            for name, direction in ((m.income_column, INCOME), (m.expense_column, EXPENSE)):
                position = self.index.get(name)
                if position is None or position >= len(cells):
                    continue
                try:
                    stated = parse_amount_fen(cells[position])
                except CellError as exc:
                    self.problem(line, name, exc.message)
                    continue
                if stated is None:
                    continue
                actual = totals[direction][1]
                if abs(stated) != actual:
                    self.problem(
                        line,
                        name,
                        _(
                            "The bank's total here is ¥%(stated)s but the lines above add up to ¥%(actual)s: "
                            "lines are missing or the file was altered."
                        )
                        % {"stated": fen_text(abs(stated)), "actual": fen_text(actual)},
                    )
                elif "totals" not in parsed.checks:
                    parsed.checks.append("totals")

    def _check_summaries(self, parsed, summaries, footer_lines):
        totals = parsed.totals()
        count = len(parsed.lines)
        for line, sums, total in summaries:
            if total is not None:
                if total != count:
                    self.problem(
                        line,
                        None,
                        _("The bank says the statement has %(stated)s lines, but the file has %(actual)s.")
                        % {"stated": total, "actual": count},
                    )
                elif "counts" not in parsed.checks:
                    parsed.checks.append("counts")
            for direction, (stated_count, stated_fen) in sums.items():
                actual_count, actual_fen = totals[direction]
                if (stated_count, stated_fen) != (actual_count, actual_fen):
                    self.problem(
                        line,
                        None,
                        _(
                            "The bank's summary says %(stated_n)s %(direction)s line(s) totalling ¥%(stated)s; "
                            "the file has %(actual_n)s totalling ¥%(actual)s: lines are missing or the file "
                            "was altered."
                        )
                        % {
                            "stated_n": stated_count,
                            "stated": fen_text(stated_fen),
                            "actual_n": actual_count,
                            "actual": fen_text(actual_fen),
                            "direction": _direction_label(direction),
                        },
                    )
                elif "totals" not in parsed.checks:
                    parsed.checks.append("totals")

    def _order_and_chain(self, parsed):
        """Which end of the file is the newest, then the running balance line by line.

        Dates decide when the first and last lines differ; otherwise (one day) the order
        in which the balances chain; otherwise the times; otherwise the layout's habit.
        A one-day file whose balances chain both ways (+100 then -100) is genuinely
        ambiguous and takes the layout's habit."""
        lines = parsed.lines
        m = self.mapping
        parsed.newest_first = m.newest_first
        if len(lines) >= 2:
            first, last = lines[0], lines[-1]
            if first.date != last.date:
                parsed.newest_first = first.date > last.date
            else:
                decided = False
                if m.balance_column:
                    forward = not _breaks(lines, newest_first=False, first_only=True)
                    backward = not _breaks(lines, newest_first=True, first_only=True)
                    if forward != backward:
                        parsed.newest_first, decided = backward, True
                if not decided and first.time and last.time and first.time != last.time:
                    parsed.newest_first = first.time > last.time
        if not m.balance_column or not lines:
            return
        for previous, current, expected in _breaks(lines, newest_first=parsed.newest_first):
            self.problem(
                current.line,
                m.balance_column,
                _(
                    "The running balance breaks between line %(prev)s and this line: ¥%(found)s where "
                    "¥%(expected)s follows from line %(prev)s. A line is missing or the file was altered."
                )
                % {
                    "prev": previous.line,
                    "found": fen_text(current.balance_fen),
                    "expected": fen_text(expected),
                },
            )
        chrono = parsed.chronological()
        parsed.opening_balance_fen = chrono[0].balance_fen - _moves(chrono[0])
        parsed.closing_balance_fen = chrono[-1].balance_fen
        parsed.checks.append("balance_chain")

    def _check_period(self, parsed):
        if not parsed.stated_period or None in parsed.stated_period:
            parsed.stated_period = None
            return
        start, end = parsed.stated_period
        for line in parsed.lines:
            if not start <= line.date <= end:
                self.problem(
                    line.line,
                    self.mapping.date_column,
                    _("%(date)s is outside the period the file states (%(start)s to %(end)s).")
                    % {"date": line.date, "start": start, "end": end},
                )
        parsed.checks.append("period")


def _breaks(lines, *, newest_first: bool, first_only: bool = False):
    """(previous line, line, the balance expected on it) wherever the chain breaks, in
    the file's order."""
    found = []
    for previous, current in pairwise(lines):
        if newest_first:  # current is the older line: previous = current + previous's amount
            expected = previous.balance_fen - _moves(previous)
        else:
            expected = previous.balance_fen + _moves(current)
        if current.balance_fen != expected:
            found.append((previous, current, expected))
            if first_only:
                break
    return found


def _moves(line: StatementLine) -> int:
    """What the line does to the running balance (neutral lines: nothing)."""
    return line.signed_fen


def _direction_label(direction: str) -> str:
    return {INCOME: _("income"), EXPENSE: _("expense"), NEUTRAL: _("neutral")}[direction]
