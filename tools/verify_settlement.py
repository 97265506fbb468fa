#!/usr/bin/env python3
"""Check a Gongguan annual settlement against the year's four quarterly disclosures and
the compound's public ledger export.

    python3 tools/verify_settlement.py settlement.json ledger.jsonl q1.json q2.json q3.json q4.json

(one JSON per disclosure the settlement names: four, or in an escrow account's first year
those from the quarter it opened in).

Python 3.11+ standard library only (it shares the chain rule of tools/verify_disclosure.py,
which sits beside it). The format and every formula are in docs/settlements.md.

It checks: the settlement's digest; that each disclosure is the one the settlement names
(digest) and is itself intact; the hash chain of the export up to the settlement's chain
head; that the export's sums per account agree with each disclosure's income and
expenses; and re-derives every figure (fees received, necessary costs, other expenses,
reserve, distributable, score, band, rate, released, kept) from the journal, the scores
and the policy. Exit status 0 and "VERIFIED", 1 and the differences, 2 for unreadable input.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify_disclosure import GENESIS, InputError, entry_hash, read_header

SETTLEMENT_FORMAT = "gongguan-settlement/1"
TRANSFER_KIND = "owners_fund_transfer"
RELEASE_CATEGORY = "settlement_release"
NECESSARY_PREFIX = "nc_"


def canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest_of(document: dict) -> str:
    body = {k: v for k, v in document.items() if k not in ("digest", "generated_at")}
    return hashlib.sha256(canonical(body)).hexdigest()


def load_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot be read as JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a JSON object")
    return data


def arithmetic(*, fees, necessary, other, budget_monthly, months, totals, bands) -> dict:
    """The formulas of docs/settlements.md (the app's settlements/figures.py, repeated)."""
    reserve = budget_monthly * months if budget_monthly is not None else -((-necessary * months) // 12)
    distributable = fees - necessary - other - reserve
    values = [Decimal(str(t)) for t in totals]
    score = str((sum(values) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    points = int(Decimal(score))
    band = next(b for b in bands if b["low"] <= points <= b["high"])
    released = distributable * band["rate"] // 100 if distributable > 0 else 0
    kept = distributable - released if distributable > 0 else 0
    return {
        "fees_received": fees,
        "necessary_costs": necessary,
        "other_expenses": other,
        "reserve": reserve,
        "distributable": distributable,
        "score": score,
        "band": {"low": band["low"], "high": band["high"]},
        "release_rate": band["rate"],
        "renewal_recommended": bool(band["renew"]),
        "released": released,
        "kept": kept,
        "nothing_to_release": distributable <= 0,
    }


def verify(settlement_path: str, ledger_path: str, disclosure_paths: list[str]) -> list[str]:
    """The differences found (empty: verified). Raises InputError for unreadable input."""
    doc = load_json(settlement_path)
    if doc.get("format") != SETTLEMENT_FORMAT:
        raise InputError(f"{settlement_path}: not a settlement (format {doc.get('format')!r})")
    out = []
    if digest_of(doc) != doc.get("digest"):
        out.append("digest: the settlement's figures do not hash to its digest (something was altered)")
    year, inputs = doc["year"], doc["inputs"]
    named = {d["quarter"]: d for d in inputs["disclosures"]}
    disclosures = {}
    for path in disclosure_paths:
        d = load_json(path)
        quarter = d.get("period", {}).get("quarter")
        if d.get("period", {}).get("year") != year or quarter not in named:
            out.append(f"{path}: not a disclosure of {year} named by the settlement")
            continue
        if digest_of(d) != d.get("digest"):
            out.append(f"disclosure Q{quarter}: its figures do not hash to its digest")
        if d.get("digest") != named[quarter]["digest"]:
            out.append(f"disclosure Q{quarter}: not the version the settlement names (digest differs)")
        disclosures[quarter] = d
    missing = sorted(set(named) - set(disclosures))
    if missing:
        out.append("disclosures: missing " + ", ".join(f"Q{q}" for q in missing))

    through, head = inputs["chain"]["entry_count"], inputs["chain"]["head_hash"]
    sums = defaultdict(int)  # category → net debit of the year's entries (transfers excluded)
    quarter_sums = defaultdict(lambda: defaultdict(int))  # (quarter, through) → code → net debit
    try:
        fh = open(ledger_path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"{ledger_path}: cannot be read ({exc})") from None
    with fh:
        header = read_header(fh, ledger_path)
        if header["compound"]["id"] != doc["compound"]["id"]:
            out.append("export: the ledger export is of another compound")
        categories = {a["code"]: a["category"] for a in header["accounts"]}
        prev, reached = GENESIS, None
        for raw in fh:
            if not raw.strip():
                continue
            entry = json.loads(raw)
            if entry["seq"] > through:
                break
            if entry["prev"] != prev or entry_hash(header["compound"]["id"], entry) != entry["hash"]:
                out.append(f"entry {entry['seq']}: the hash chain does not recompute")
            prev = entry["hash"]
            reached = entry["seq"]
            if not entry["date"].startswith(f"{year}-"):
                continue
            quarter = (int(entry["date"][5:7]) - 1) // 3 + 1
            for code, side, amount in entry["lines"]:
                signed = amount if side == "D" else -amount
                for q in disclosures:
                    if q == quarter and entry["seq"] <= named[q]["entry_count"]:
                        quarter_sums[q][code] += signed
                if entry["kind"] != TRANSFER_KIND:
                    sums[categories[code]] += signed
    if reached != through or prev != head:
        out.append(f"export: the chain does not reach entry {through} with head {head[:12]}…")

    # The journal agrees with what each quarter disclosed.
    for q, d in sorted(disclosures.items()):
        for section, sign in (("income", -1), ("expenses", 1)):
            for row in d.get(section, []):
                if sign * quarter_sums[q].get(row["code"], 0) != row["amount"]:
                    out.append(
                        f"disclosure Q{q} {section} {row['code']}: the ledger gives "
                        f"{sign * quarter_sums[q].get(row['code'], 0)}, the disclosure {row['amount']}"
                    )

    kinds = {a["category"]: a["kind"] for a in header["accounts"]}
    fees = -sum(v for c, v in sums.items() if kinds.get(c) == "income")
    necessary = sum(v for c, v in sums.items() if c.startswith(NECESSARY_PREFIX))
    other = sum(
        v
        for c, v in sums.items()
        if kinds.get(c) == "expense" and not c.startswith(NECESSARY_PREFIX) and c != RELEASE_CATEGORY
    )
    policy = doc["policy"]
    expected = arithmetic(
        fees=fees,
        necessary=necessary,
        other=other,
        budget_monthly=inputs["budget_monthly_next_year"],
        months=policy["reserve_months"],
        totals=[s["total"] for s in inputs["scores"]],
        bands=policy["bands"],
    )
    for key, value in expected.items():
        stated = doc["figures"].get(key)
        if stated != value:
            out.append(f"{key}: the settlement says {stated!r}, re-derived {value!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not 3 <= len(args) <= 6:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        differences = verify(args[0], args[1], args[2:])
    except (InputError, KeyError, TypeError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    if not differences:
        print("VERIFIED")
        return 0
    print("DIFFERENCES")
    for line in differences:
        print(f"- {line}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
