#!/usr/bin/env python3
"""Check a Gongguan quarterly disclosure against the compound's public ledger export.

    python3 tools/verify_disclosure.py disclosure.json ledger.jsonl [--json] [--state trusted.json]
    python3 tools/verify_disclosure.py ledger.jsonl --state trusted.json [--json]

With ``--state FILE`` the verifier also keeps the last chain head it trusted, per
compound, in a small JSON file (a consistency check, as Certificate Transparency clients
do): a later export must *extend* that head — hold the same hash at the same entry — or
it is reported, since an honest ledger only ever grows. The head is stored only when the
export checks out. Given only the export and ``--state``, just that check is made (every
hash and link of the export is still recomputed).

Python 3.11+ standard library only: no Django, nothing of the app is imported. The
formats and every rule are in docs/disclosures.md; the chain rule is the one of
escrow/hashing.py. The export is read line by line, so its length does not matter.

Exit status: 0 and "VERIFIED" when the chain recomputes to the disclosed head and
every figure the ledger determines matches; 1 and the list of differences otherwise;
2 when a file cannot be read as its format at all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import sys
import tempfile
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal

LEDGER_FORMAT = "gongguan-ledger/1"
DISCLOSURE_FORMAT = "gongguan-disclosure/1"
GENESIS = "0" * 64
MAX_LISTED = 50  # differences past this are counted, not listed
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SECTIONS = (  # disclosure list, its total, the account kinds it covers, sign of (debits − credits)
    ("income", "income_total", {"income"}, -1),
    ("expenses", "expense_total", {"expense"}, 1),
    ("other_movements", "other_total", {"liability", "equity"}, -1),
)


class InputError(Exception):
    """A file that cannot be read as its format at all (exit status 2)."""


@dataclass
class Difference:
    where: str  # "entry 17", "expenses 5101", "digest", "export", …
    message: str


@dataclass
class Result:
    status: str  # "verified", "differences" or "error"
    differences: list[Difference] = field(default_factory=list)
    omitted: int = 0  # differences found past MAX_LISTED
    summary: dict = field(default_factory=dict)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "verified"

    @property
    def exit_code(self) -> int:
        return {"verified": 0, "differences": 1, "error": 2}[self.status]


def canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"¥{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def short(digest) -> str:
    return f"{digest[:12]}…" if isinstance(digest, str) and len(digest) > 12 else repr(digest)


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_date(value) -> bool:
    if not isinstance(value, str) or not DATE_RE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


CHECKS = {
    "int": (is_int, "a whole number"),
    "str": (lambda v: isinstance(v, str), "text"),
    "list": (lambda v: isinstance(v, list), "a list"),
    "dict": (lambda v: isinstance(v, dict), "an object"),
    "date": (is_date, "a date (YYYY-MM-DD)"),
    "int|null": (lambda v: v is None or is_int(v), "a whole number or null"),
}


def need(obj, path: str, kind: str, where: str):
    """The value at ``path`` (dotted) of ``obj``, or InputError naming the field."""
    value = obj
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            raise InputError(f"{where}: the field '{path}' is missing")
        value = value[key]
    check, label = CHECKS[kind]
    if not check(value):
        raise InputError(f"{where}: the field '{path}' should be {label}, not {value!r}")
    return value


# --------------------------------------------------------------------------- reading


def load_disclosure(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text, so not a disclosure JSON file") from None
    except RecursionError:
        raise InputError(f"{path}: nested too deeply to be a disclosure") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno}); "
            "the file is damaged or cut short: download it again"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != DISCLOSURE_FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise InputError(
            f"{path}: not a disclosure (format should be '{DISCLOSURE_FORMAT}', found {found!r})"
        )
    for path_, kind in [
        ("compound.id", "int"),
        ("period.year", "int"),
        ("period.quarter", "int"),
        ("period.start", "date"),
        ("period.end", "date"),
        ("opening_balance", "int"),
        ("closing_balance", "int"),
        ("entries_in_period", "int"),
        ("expense_items", "list"),
        ("chain.entry_count", "int"),
        ("chain.head_hash", "str"),
        ("digest", "str"),
    ]:
        need(doc, path_, kind, path)
    for section, total, _kinds, _sign in SECTIONS:
        need(doc, section, "list", path)
        need(doc, total, "int", path)
        for i, row in enumerate(doc[section]):
            for key, kind in (("code", "str"), ("category", "str"), ("amount", "int")):
                need(row, key, kind, f"{path}: {section}[{i}]")
    for i, item in enumerate(doc["expense_items"]):
        for key, kind in (
            ("entry", "int"),
            ("date", "date"),
            ("kind", "str"),
            ("code", "str"),
            ("amount", "int"),
        ):
            need(item, key, kind, f"{path}: expense_items[{i}]")
    return doc


def read_header(fh, path: str) -> dict:
    first = fh.readline()
    if not first.strip():
        raise InputError(f"{path}: empty file, not a ledger export")
    try:
        header = json.loads(first.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InputError(f"{path}: the first line is not a JSON header; not a ledger export") from None
    if not isinstance(header, dict) or header.get("format") != LEDGER_FORMAT:
        found = header.get("format") if isinstance(header, dict) else None
        raise InputError(f"{path}: not a ledger export (format should be '{LEDGER_FORMAT}', found {found!r})")
    need(header, "compound.id", "int", path)
    need(header, "entry_count", "int", path)
    need(header, "head_hash", "str", path)
    for i, account in enumerate(need(header, "accounts", "list", path)):
        for key in ("code", "category", "kind"):
            need(account, key, "str", f"{path}: accounts[{i}]")
    if not any(a["category"] == "escrow_cash" for a in header["accounts"]):
        raise InputError(f"{path}: the header's chart has no escrow_cash account")
    return header


def entry_problem(entry, accounts: dict) -> str | None:
    """What makes a parsed line not an entry of the export, or None."""
    if not isinstance(entry, dict):
        return "not an entry object"
    for key, kind in (
        ("seq", "int"),
        ("date", "date"),
        ("kind", "str"),
        ("memo", "str"),
        ("reverses", "int|null"),
    ):
        if key not in entry or not CHECKS[kind][0](entry[key]):
            return f"the field '{key}' is missing or not {CHECKS[kind][1]}"
    for key in ("prev", "hash"):
        if not isinstance(entry.get(key), str):
            return f"the field '{key}' is missing or not text"
    lines = entry.get("lines")
    if not isinstance(lines, list) or not lines:
        return "the field 'lines' is missing or empty"
    for line in lines:
        ok = isinstance(line, list) and len(line) == 3 and line[1] in ("D", "C") and is_int(line[2])
        if not ok or line[2] <= 0:
            return f'the line {line!r} is not [account code, "D"|"C", amount in fen > 0]'
        if line[0] not in accounts:
            return f"the account {line[0]!r} is not in the header's chart"
    return None


def entry_hash(compound_id: int, entry: dict) -> str:
    body = {
        "compound": compound_id,
        "seq": entry["seq"],
        "kind": entry["kind"],
        "memo": entry["memo"],
        "date": entry["date"],
        "reverses": entry["reverses"],
        "lines": sorted([code, side, amount] for code, side, amount in entry["lines"]),
        "prev": entry["prev"],
    }
    return hashlib.sha256(canonical(body)).hexdigest()


# --------------------------------------------------------------------------- checking


class Checker:
    def __init__(self, doc: dict, header: dict):
        self.doc, self.header = doc, header
        self.result = Result(status="verified")
        self.accounts = {a["code"]: a for a in header["accounts"]}
        self.cash = {code for code, a in self.accounts.items() if a["category"] == "escrow_cash"}
        self.start, self.end = doc["period"]["start"], doc["period"]["end"]
        self.through = doc["chain"]["entry_count"]
        self.last_seq, self.last_hash, self.link_known = 0, GENESIS, True
        self.entries = 0
        self.incomplete = False  # an entry ≤ chain.entry_count is missing or unreadable
        self.head_at_through = GENESIS if self.through == 0 else None
        self.opening = self.closing = self.in_period = 0
        self.net: dict[str, int] = defaultdict(int)  # code → debits − credits in the period
        self.items: dict[tuple[int, str], dict] = {}

    def differ(self, where: str, message: str) -> None:
        self.result.status = "differences"
        if len(self.result.differences) < MAX_LISTED:
            self.result.differences.append(Difference(where, message))
        else:
            self.result.omitted += 1

    def feed(self, lineno: int, raw: bytes) -> None:
        if not raw.strip():
            return
        try:
            entry = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            if raw.endswith(b"\n"):
                self.differ(f"line {lineno}", "not a JSON entry: the export was altered or damaged")
            else:
                self.differ("export", f"cut short: its last line ({lineno}) is incomplete")
            self.link_known = False
            self.incomplete = self.incomplete or self.last_seq < self.through
            return
        problem = entry_problem(entry, self.accounts)
        if problem:
            self.differ(f"line {lineno}", f"not a valid entry: {problem}")
            self.link_known = False
            self.incomplete = self.incomplete or self.last_seq < self.through
            return
        seq = entry["seq"]
        if seq <= self.last_seq:
            self.differ(
                f"entry {seq}",
                f"line {lineno} repeats or goes back in sequence (after entry {self.last_seq})",
            )
            return
        if seq > self.last_seq + 1:
            missing = f"{self.last_seq + 1}" if seq == self.last_seq + 2 else f"{self.last_seq + 1}–{seq - 1}"
            self.differ("export", f"entries missing: {missing} (a gap before line {lineno})")
            self.link_known = False
            self.incomplete = self.incomplete or self.last_seq < self.through
        if self.link_known and entry["prev"] != self.last_hash:
            self.differ(
                f"entry {seq}",
                f"the chain breaks here: its prev {short(entry['prev'])} is not the hash of entry "
                f"{self.last_seq} ({short(self.last_hash)})",
            )
        recomputed = entry_hash(self.header["compound"]["id"], entry)
        if recomputed != entry["hash"]:
            self.differ(
                f"entry {seq}",
                f"the hash does not recompute, so the entry was altered "
                f"(stated {short(entry['hash'])}, recomputed {short(recomputed)})",
            )
        debits = sum(a for _c, side, a in entry["lines"] if side == "D")
        credits = sum(a for _c, side, a in entry["lines"] if side == "C")
        if debits != credits:
            self.differ(f"entry {seq}", f"does not balance: debits {yuan(debits)}, credits {yuan(credits)}")
        self.last_seq, self.last_hash, self.link_known = seq, entry["hash"], True
        self.entries += 1
        if seq == self.through:
            self.head_at_through = entry["hash"]
        if seq <= self.through:
            self.tally(entry)

    def tally(self, entry: dict) -> None:
        date = entry["date"]
        net: dict[str, int] = defaultdict(int)
        for code, side, amount in entry["lines"]:
            net[code] += amount if side == "D" else -amount
        cash = sum(net[code] for code in self.cash)
        if date < self.start:
            self.opening += cash
        if date <= self.end:
            self.closing += cash
        if self.start <= date <= self.end:
            self.in_period += 1
            for code in sorted(net):
                self.net[code] += net[code]
                if self.accounts[code]["kind"] == "expense":
                    self.items[(entry["seq"], code)] = {
                        "date": date,
                        "kind": entry["kind"],
                        "amount": net[code],
                    }

    def finish(self) -> Result:
        doc, header = self.doc, self.header
        if self.last_seq < header["entry_count"]:
            self.differ(
                "export",
                f"cut short: its header says {header['entry_count']} entries, "
                f"the file ends at entry {self.last_seq}",
            )
        elif self.last_seq > header["entry_count"]:
            self.differ(
                "export", f"the file has entries past the header's entry_count {header['entry_count']}"
            )
        elif self.entries < header["entry_count"]:
            self.differ(
                "export", f"its header says {header['entry_count']} entries, the file holds {self.entries}"
            )
        elif self.link_known and self.last_hash != header["head_hash"]:
            self.differ(
                "export", f"the header's head_hash {short(header['head_hash'])} is not the last entry's hash"
            )
        if header["compound"]["id"] != doc["compound"]["id"]:
            self.differ(
                "compound",
                f"the files are of different compounds (disclosure: id {doc['compound']['id']}, "
                f"export: id {header['compound']['id']})",
            )
        digest = hashlib.sha256(
            canonical({k: v for k, v in doc.items() if k not in ("digest", "generated_at")})
        ).hexdigest()
        if digest != doc["digest"]:
            self.differ(
                "digest",
                f"the disclosure file was altered: its digest does not recompute "
                f"(stated {short(doc['digest'])}, recomputed {short(digest)})",
            )
        self.check_period()
        if self.last_seq < self.through:
            self.incomplete = True
            self.differ(
                "chain.entry_count",
                f"the export ends at entry {self.last_seq}, before the disclosure's entry {self.through}: "
                f"download the export again",
            )
        elif self.head_at_through is None:
            self.differ("chain.head_hash", f"entry {self.through} is missing from the export")
        elif self.head_at_through != doc["chain"]["head_hash"]:
            self.differ(
                "chain.head_hash",
                f"disclosed {short(doc['chain']['head_hash'])}, but entry {self.through} of the export "
                f"has the hash {short(self.head_at_through)}",
            )
        if self.incomplete:
            self.differ("figures", "not compared: the export lacks entries the disclosure covers")
        else:
            self.check_figures()
        self.check_arithmetic()
        self.result.summary = self.summary()
        return self.result

    def check_period(self) -> None:
        period = self.doc["period"]
        year, quarter = period["year"], period["quarter"]
        if not 1 <= quarter <= 4 or not 1 <= year <= 9998:
            self.differ("period", f"{year} Q{quarter} is not a quarter")
            return
        start = dt.date(year, 3 * quarter - 2, 1)
        end = dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - dt.timedelta(days=1)
        if (self.start, self.end) != (start.isoformat(), end.isoformat()):
            self.differ("period", f"{self.start} to {self.end} is not {year} Q{quarter} ({start} to {end})")

    def compare(self, where: str, disclosed: int, recomputed: int) -> None:
        if disclosed != recomputed:
            self.differ(where, f"disclosed {yuan(disclosed)}, the ledger gives {yuan(recomputed)}")

    def check_figures(self) -> None:
        doc = self.doc
        self.compare("opening_balance", doc["opening_balance"], self.opening)
        self.compare("closing_balance", doc["closing_balance"], self.closing)
        for section, total_key, kinds, sign in SECTIONS:
            codes = sorted(code for code, a in self.accounts.items() if a["kind"] in kinds)
            listed = [row["code"] for row in doc[section]]
            for row in doc[section]:
                code = row["code"]
                if code not in codes:
                    self.differ(f"{section} {code}", "not an account of this kind in the export's chart")
                    continue
                if row["category"] != self.accounts[code]["category"]:
                    self.differ(
                        f"{section} {code}",
                        f"category {row['category']!r}, the export's chart says {self.accounts[code]['category']!r}",
                    )
                self.compare(f"{section} {code} {row['category']}", row["amount"], sign * self.net[code])
            for code in codes:
                if code not in listed:
                    self.differ(
                        f"{section} {code}",
                        f"missing from the disclosure (the ledger gives {yuan(sign * self.net[code])})",
                    )
            if listed != sorted(set(listed)) and set(listed) <= set(codes):
                self.differ(section, "not listed once each in code order")
            self.compare(total_key, doc[total_key], sum(sign * self.net[code] for code in codes))
        if doc["entries_in_period"] != self.in_period:
            self.differ(
                "entries_in_period", f"disclosed {doc['entries_in_period']}, the ledger has {self.in_period}"
            )
        self.check_items()

    def check_items(self) -> None:
        disclosed: dict[tuple[int, str], dict] = {}
        keys = []
        for item in self.doc["expense_items"]:
            key = (item["entry"], item["code"])
            keys.append(key)
            where = f"expense item (entry {key[0]}, {key[1]})"
            if key in disclosed:
                self.differ(where, "listed twice")
                continue
            disclosed[key] = item
            expected = self.items.get(key)
            if expected is None:
                self.differ(
                    where,
                    f"{yuan(item['amount'])} disclosed, but the ledger has no such expense in the period",
                )
                continue
            self.compare(where, item["amount"], expected["amount"])
            for name in ("date", "kind"):
                if item[name] != expected[name]:
                    self.differ(where, f"{name} {item[name]!r}, the ledger says {expected[name]!r}")
        for key, expected in sorted(self.items.items()):
            if key not in disclosed:
                self.differ(
                    f"expense item (entry {key[0]}, {key[1]})",
                    f"missing from the disclosure ({yuan(expected['amount'])} on {expected['date']})",
                )
        if keys != sorted(keys):
            self.differ("expense_items", "not in sequence order")

    def check_arithmetic(self) -> None:
        """Identities the disclosure must satisfy on its own figures."""
        doc = self.doc
        for section, total_key, _kinds, _sign in SECTIONS:
            listed = sum(row["amount"] for row in doc[section])
            if listed != doc[total_key]:
                self.differ(
                    total_key,
                    f"the list adds up to {yuan(listed)}, not to the disclosed {yuan(doc[total_key])}",
                )
        reconciled = doc["opening_balance"] + doc["income_total"] - doc["expense_total"] + doc["other_total"]
        if reconciled != doc["closing_balance"]:
            self.differ(
                "reconciliation",
                f"opening + income − expenses + other = {yuan(reconciled)}, "
                f"but closing_balance is {yuan(doc['closing_balance'])}",
            )
        collection = doc.get("collection") or {}
        for row in [collection, *(collection.get("buildings") or [])]:
            billed, received = row.get("billed"), row.get("received")
            if not (is_int(billed) and is_int(received)):
                continue
            rate = None
            if billed:
                rate = str(
                    (Decimal(received) * 100 / Decimal(billed)).quantize(Decimal("0.1"), ROUND_HALF_UP)
                )
            if row.get("rate") != rate:
                where = f"collection {row['building']}" if "building" in row else "collection"
                self.differ(
                    where, f"rate {row.get('rate')!r}, but {yuan(received)} ÷ {yuan(billed)} gives {rate!r}"
                )

    def summary(self) -> dict:
        doc = self.doc
        period = doc["period"]
        return {
            "compound": doc["compound"],
            "period": f"{period['year']} Q{period['quarter']} ({period['start']} to {period['end']})",
            "version": doc.get("version"),
            "entries_checked": self.entries,
            "chain_entry_count": self.through,
            "head_hash": doc["chain"]["head_hash"],
            "digest": doc["digest"],
            "entries_in_period": self.in_period,
            "opening_balance": doc["opening_balance"],
            "income_total": doc["income_total"],
            "expense_total": doc["expense_total"],
            "other_total": doc["other_total"],
            "closing_balance": doc["closing_balance"],
            "not_recomputable": {"collection": doc.get("collection"), "open_holds": doc.get("open_holds")},
        }


def verify(disclosure_path: str, ledger_path: str) -> Result:
    """Check the disclosure against the export; never raises for bad input."""
    try:
        doc = load_disclosure(str(disclosure_path))
        try:
            fh = open(ledger_path, "rb")  # noqa: SIM115 - closed below, read line by line
        except OSError as exc:
            raise InputError(f"{ledger_path}: cannot be read ({exc.strerror or exc})") from None
        with fh:
            checker = Checker(doc, read_header(fh, str(ledger_path)))
            for lineno, raw in enumerate(fh, start=2):
                checker.feed(lineno, raw)
    except InputError as exc:
        return Result(status="error", error=str(exc))
    return checker.finish()


# --------------------------------------------------------------------------- consistency (trusted head)

STATE_FORMAT = "gongguan-verifier-state/1"


def load_state(path: str) -> dict:
    """The trusted heads, {compound id (str): {"entry_count", "head_hash", "trusted_at"}}; an
    absent file is an empty state (first use)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        state = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InputError(f"{path}: not a verifier state file (not JSON)") from None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise InputError(f"{path}: not a verifier state file (format should be '{STATE_FORMAT}')")
    heads = need(state, "compounds", "dict", path)
    for key, head in heads.items():
        need(head, "entry_count", "int", f"{path}: compound {key}")
        need(head, "head_hash", "str", f"{path}: compound {key}")
    return heads


def save_state(path: str, heads: dict) -> None:
    """Written to a temporary file and renamed, so a crash never leaves half a state."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".verifier-state-", dir=folder)
    with os.fdopen(fd, "wb") as fh:
        fh.write(json.dumps({"format": STATE_FORMAT, "compounds": heads}, indent=2, sort_keys=True).encode())
    os.replace(tmp, path)


def scan_chain(ledger_path: str, want: int | None) -> tuple[dict, list[Difference], int, str, str | None]:
    """Read the export: recompute every hash and link. Returns the header, the differences,
    the last sequence and hash, and the hash of entry ``want`` (None when absent)."""
    differences: list[Difference] = []
    try:
        fh = open(ledger_path, "rb")  # noqa: SIM115 - closed below, read line by line
    except OSError as exc:
        raise InputError(f"{ledger_path}: cannot be read ({exc.strerror or exc})") from None
    with fh:
        header = read_header(fh, str(ledger_path))
        accounts = {a["code"]: a for a in header["accounts"]}
        last_seq, last_hash, at_want = 0, GENESIS, (GENESIS if want == 0 else None)
        for lineno, raw in enumerate(fh, start=2):
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                differences.append(
                    Difference(f"line {lineno}", "not a JSON entry: altered, damaged or cut short")
                )
                break
            problem = entry_problem(entry, accounts)
            if problem:
                differences.append(Difference(f"line {lineno}", f"not a valid entry: {problem}"))
                break
            if entry["seq"] != last_seq + 1 or entry["prev"] != last_hash:
                differences.append(
                    Difference(
                        f"entry {entry['seq']}", f"does not follow entry {last_seq} (gap or broken link)"
                    )
                )
                break
            if entry_hash(header["compound"]["id"], entry) != entry["hash"]:
                differences.append(
                    Difference(f"entry {entry['seq']}", "the hash does not recompute (altered)")
                )
                break
            last_seq, last_hash = entry["seq"], entry["hash"]
            if last_seq == want:
                at_want = last_hash
    if not differences and (last_seq, last_hash) != (header["entry_count"], header["head_hash"]):
        differences.append(
            Difference("export", "the header's entry_count/head_hash is not the file's last entry")
        )
    return header, differences, last_seq, last_hash, at_want


def check_consistency(ledger_path: str, state_path: str, result: Result | None = None) -> Result:
    """Does the export extend the head trusted last time? Stores the new head when it does
    (and when ``result``, the disclosure check, if any, found nothing)."""
    try:
        heads = load_state(state_path)
        first = scan_chain(ledger_path, None)[0]
        key = str(first["compound"]["id"])
        trusted = heads.get(key)
        header, differences, last_seq, last_hash, at_trusted = scan_chain(
            ledger_path, trusted["entry_count"] if trusted else None
        )
    except InputError as exc:
        return Result(status="error", error=str(exc))
    result = result or Result(status="verified")
    summary = {
        "compound": header["compound"],
        "trusted_before": trusted,
        "export_head": {"entry_count": last_seq, "head_hash": last_hash},
    }
    for difference in differences:
        result.status = "differences"
        result.differences.append(difference)
    if trusted is not None:
        count, head = trusted["entry_count"], trusted["head_hash"]
        if last_seq < count:
            result.status = "differences"
            result.differences.append(
                Difference(
                    "consistency",
                    f"the export ends at entry {last_seq}, before entry {count} that was trusted "
                    f"({short(head)}): history was cut",
                )
            )
        elif at_trusted != head and not differences:
            result.status = "differences"
            result.differences.append(
                Difference(
                    "consistency",
                    f"entry {count} was trusted with the hash {short(head)}; this export has "
                    f"{short(at_trusted)}: the history before it was rewritten",
                )
            )
    summary["stored"] = result.ok
    if result.ok:
        heads[key] = {
            "entry_count": last_seq,
            "head_hash": last_hash,
            "trusted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        save_state(state_path, heads)
    result.summary = {**result.summary, "consistency": summary}
    return result


def render_consistency(summary: dict) -> list[str]:
    before, now = summary["trusted_before"], summary["export_head"]
    if before is None:
        line = "Trusted:  no earlier head for this compound (first use)"
    else:
        line = f"Trusted:  entry {before['entry_count']} {before['head_hash']} (stored {before.get('trusted_at', '?')})"
    out = [line, f"Export:   ends at entry {now['entry_count']} {now['head_hash']}"]
    out.append(
        "Stored:   this head is now the trusted one"
        if summary["stored"]
        else "Stored:   nothing (not trusted)"
    )
    return out


# --------------------------------------------------------------------------- output

# The result's headline and labels; ``--lang zh`` prints them in Chinese (the
# differences themselves stay in English, with their entry numbers and amounts).
WORDS = {
    "en": {
        "verified": "VERIFIED",
        "not_verified": "NOT VERIFIED: {n} difference{s}",
        "consistent": "CONSISTENT",
        "not_consistent": "NOT CONSISTENT: {n} difference{s}",
        "error": "ERROR: {e}",
        "more": "  … and {n} more",
    },
    "zh": {
        "verified": "核验通过",
        "not_verified": "核验未通过：{n} 处不一致",
        "consistent": "与上次信任的链头一致",
        "not_consistent": "与上次信任的链头不一致：{n} 处",
        "error": "错误：{e}",
        "more": "  … 另有 {n} 处",
    },
}


def render(result: Result, lang: str = "en") -> str:
    words = WORDS[lang]
    if result.status == "error":
        return words["error"].format(e=result.error)
    s = result.summary
    out = []
    count = len(result.differences) + result.omitted
    plural = "s" if count != 1 else ""
    if "period" not in s:  # consistency only
        if result.ok:
            out.append(words["consistent"])
        else:
            out.append(words["not_consistent"].format(n=count, s=plural))
            out += [f"  - {d.where}: {d.message}" for d in result.differences]
        return "\n".join(out + render_consistency(s["consistency"]))
    if result.ok:
        out.append(words["verified"])
    else:
        out.append(words["not_verified"].format(n=count, s=plural))
        out += [f"  - {d.where}: {d.message}" for d in result.differences]
        if result.omitted:
            out.append(words["more"].format(n=result.omitted))
    compound = s["compound"]
    out += [
        f"Compound: {compound.get('name', '')} ({compound.get('slug', '')}, id {compound.get('id')})",
        f"Period:   {s['period']}, version {s['version']}",
        f"Chain:    {s['entries_checked']} entries checked; disclosed head (entry {s['chain_entry_count']}) "
        f"{s['head_hash']}",
        f"{'Figures: ' if result.ok else 'Disclosed:'} opening {yuan(s['opening_balance'])} + income {yuan(s['income_total'])} "
        f"− expenses {yuan(s['expense_total'])} + other {yuan(s['other_total'])} "
        f"= closing {yuan(s['closing_balance'])}; {s['entries_in_period']} entries in the period",
        f"Digest:   {s['digest']}",
    ]
    collection, holds = s["not_recomputable"]["collection"], s["not_recomputable"]["open_holds"]
    if isinstance(collection, dict) and isinstance(holds, dict):
        rate = collection.get("rate")
        out.append(
            "From billing and payout records (shown, not recomputable from the ledger): "
            f"collection rate {rate + ' %' if rate else 'n/a'}, open holds {holds.get('count')}"
            f" ({yuan(holds['amount']) if is_int(holds.get('amount')) else '?'})"
        )
    if "consistency" in s:
        out += render_consistency(s["consistency"])
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Check a Gongguan quarterly disclosure against the public ledger export."
    )
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="disclosure.json ledger.jsonl, or only ledger.jsonl with --state (consistency check)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--lang",
        choices=sorted(WORDS),
        default="en",
        help="the language of the result's headline (zh: Chinese)",
    )
    parser.add_argument(
        "--state",
        metavar="STATE.json",
        help="keep the last trusted chain head here and report an export that does not extend it",
    )
    args = parser.parse_args(argv)
    if len(args.files) > 2 or (len(args.files) == 1 and not args.state):
        parser.error("give disclosure.json and ledger.jsonl, or ledger.jsonl with --state")
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    if len(args.files) == 2:
        result = verify(*args.files)
        if args.state and result.status != "error":
            result = check_consistency(args.files[1], args.state, result)
    else:
        result = check_consistency(args.files[0], args.state)
    if args.json:
        print(json.dumps({**asdict(result), "exit_code": result.exit_code}, ensure_ascii=False, indent=2))
    elif result.status == "error":
        print(render(result, args.lang), file=sys.stderr)
    else:
        print(render(result, args.lang))
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
