"""The stand-alone disclosure verifier (tools/verify_disclosure.py).

The unit tests build a small ledger export by hand (hashes by the canonical rule of
escrow/hashing.py) and a disclosure whose figures were worked out by hand below, then
alter one thing at a time. The end-to-end test posts through the real services and
checks the app's own disclosure figures and export.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction

from escrow.ledger.hashing import entry_hash
from escrow.models import DEFAULT_CHART, GENESIS_HASH

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))
import verify_disclosure as verifier  # noqa: E402

COMPOUND = {"id": 7, "slug": "shangcheng", "name": "尚城国际"}
CHART = [
    {"code": code, "category": str(category), "kind": str(kind)} for code, category, kind in DEFAULT_CHART
]

# seq: (date, kind, memo, reverses, lines). The disclosure is 2026 Q2, closed at entry 9;
# entry 2 (Q1) and entry 10 (Q3, posted after the close) lie outside the period.
ENTRIES = {
    1: (
        "2026-01-02",
        "opening_balance",
        "Opening balance",
        None,
        [["1001", "D", 100000], ["3001", "C", 100000]],
    ),
    2: ("2026-03-15", "fee_payment", "物业费 收据A1", None, [["1001", "D", 20000], ["4001", "C", 20000]]),
    3: (
        "2026-04-05",
        "fee_payment",
        "物业费 银行到账 R1",
        None,
        [["1001", "D", 30000], ["4001", "C", 30000]],
    ),
    4: (
        "2026-04-06",
        "unidentified_receipt",
        "银行到账 R2",
        None,
        [["1001", "D", 5000], ["2101", "C", 5000]],
    ),
    5: (
        "2026-05-10",
        "payout",
        "Payout #3 to 某物业: 5月保洁",
        None,
        [["5101", "D", 9000], ["5102", "D", 3000], ["1001", "C", 12000]],
    ),
    6: ("2026-05-20", "payout", "Payout #4: 屋面维修", None, [["5201", "D", 8000], ["1001", "C", 8000]]),
    7: ("2026-06-01", "reversal", "Reversal of #6", 6, [["1001", "D", 8000], ["5201", "C", 8000]]),
    8: ("2026-06-02", "other_income", "停车费 6月", None, [["1001", "D", 1500], ["4101", "C", 1500]]),
    9: (
        "2026-06-30",
        "suspense_assignment",
        "R2 → 1栋1单元",
        None,
        [["2101", "D", 5000], ["4001", "C", 5000]],
    ),
    10: ("2026-07-02", "fee_payment", "物业费 收据A2", None, [["1001", "D", 7000], ["4001", "C", 7000]]),
}
THROUGH = 9

# Worked out by hand from ENTRIES:
#   opening = entries 1, 2 (before 04-01) on 1001 = 100000 + 20000 = 120000
#   in the period: entries 3..9 (7 entries); cash +30000 +5000 −12000 −8000 +8000 +1500 = +24500
#   income 4001 = 30000 + 5000 = 35000, 4101 = 1500 → 36500
#   expenses 5101 = 9000, 5102 = 3000, 5201 = 8000 − 8000 = 0 → 12000
#   other 2101 = 5000 − 5000 = 0, 3001 = 0 → 0
#   closing = 120000 + 36500 − 12000 + 0 = 144500
AMOUNTS = {"4001": 35000, "4101": 1500, "5101": 9000, "5102": 3000}
ITEMS = [(5, "5101", 9000), (5, "5102", 3000), (6, "5201", 8000), (7, "5201", -8000)]


def build_chain(entries=ENTRIES, compound_id=COMPOUND["id"]) -> list[dict]:
    records, prev = [], GENESIS_HASH
    for seq, (date, kind, memo, reverses, lines) in sorted(entries.items()):
        digest = entry_hash(
            compound_id=compound_id,
            sequence=seq,
            kind=kind,
            memo=memo,
            effective_date=dt.date.fromisoformat(date),
            reverses_sequence=reverses,
            lines=[tuple(line) for line in lines],
            prev_hash=prev,
        )
        records.append(
            {
                "seq": seq,
                "date": date,
                "kind": kind,
                "memo": memo,
                "reverses": reverses,
                "lines": sorted(lines),
                "prev": prev,
                "hash": digest,
                "counterparty": "1栋1单元***",
            }
        )
        prev = digest
    return records


def export_bytes(
    records: list[dict], *, entry_count: int | None = None, head: str | None = None, compound=COMPOUND
) -> bytes:
    header = {
        "format": "gongguan-ledger/1",
        "compound": compound,
        "accounts": CHART,
        "entry_count": len(records) if entry_count is None else entry_count,
        "head_hash": head if head is not None else (records[-1]["hash"] if records else GENESIS_HASH),
        "exported_at": "2026-11-26T10:00:00+08:00",
    }
    return b"".join(
        json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        for record in [header, *records]
    )


def digest_of(doc: dict) -> str:
    body = {k: v for k, v in doc.items() if k not in ("digest", "generated_at")}
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()


def make_disclosure(records: list[dict]) -> dict:
    def rows(kinds):
        return [
            {"code": a["code"], "category": a["category"], "amount": AMOUNTS.get(a["code"], 0)}
            for a in CHART
            if a["kind"] in kinds
        ]

    kinds = {e: ENTRIES[e][1] for e in ENTRIES}
    doc = {
        "format": "gongguan-disclosure/1",
        "compound": COMPOUND,
        "period": {"year": 2026, "quarter": 2, "start": "2026-04-01", "end": "2026-06-30"},
        "version": 1,
        "correction_reason": "",
        "supersedes_digest": None,
        "opening_balance": 120000,
        "income": rows({"income"}),
        "income_total": 36500,
        "expenses": rows({"expense"}),
        "expense_total": 12000,
        "other_movements": rows({"liability", "equity"}),
        "other_total": 0,
        "closing_balance": 144500,
        "expense_items": [
            {
                "entry": e,
                "date": ENTRIES[e][0],
                "kind": kinds[e],
                "code": code,
                "amount": amount,
                "payout": None,
            }
            for e, code, amount in ITEMS
        ],
        "collection": {
            "billed": 40000,
            "received": 35000,
            "rate": "87.5",
            "buildings": [{"building": "1栋", "billed": 40000, "received": 35000, "rate": "87.5"}],
        },
        "open_holds": {"count": 0, "amount": 0, "items": []},
        "entries_in_period": 7,
        "chain": {"entry_count": THROUGH, "head_hash": records[THROUGH - 1]["hash"]},
    }
    doc["digest"] = digest_of(doc)
    doc["generated_at"] = "2026-07-01T00:10:03+08:00"
    return doc


class Files:
    def __init__(self, tmp_path: Path):
        self.records = build_chain()
        self.doc = make_disclosure(self.records)
        self.disclosure = tmp_path / "disclosure.json"
        self.ledger = tmp_path / "ledger.jsonl"
        self.write()

    def write(self, *, doc=None, ledger: bytes | None = None) -> None:
        self.disclosure.write_text(
            json.dumps(doc or self.doc, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        self.ledger.write_bytes(ledger if ledger is not None else export_bytes(self.records))

    def verify(self):
        return verifier.verify(str(self.disclosure), str(self.ledger))


@pytest.fixture
def files(tmp_path):
    return Files(tmp_path)


def wheres(result) -> list[str]:
    return [d.where for d in result.differences]


def messages(result) -> str:
    return "\n".join(f"{d.where}: {d.message}" for d in result.differences)


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "verify_disclosure.py"), *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
        cwd=ROOT,
    )


# --------------------------------------------------------------------------- a true disclosure


def test_a_true_disclosure_is_verified(files):
    result = files.verify()
    assert result.ok, messages(result)
    assert (result.exit_code, result.differences, result.omitted) == (0, [], 0)
    assert result.summary["entries_checked"] == 10
    assert result.summary["entries_in_period"] == 7
    assert result.summary["head_hash"] == files.records[THROUGH - 1]["hash"]


def test_an_export_that_ends_at_the_disclosed_head_is_verified(files):
    files.write(ledger=export_bytes(files.records[:THROUGH]))
    result = files.verify()
    assert result.ok, messages(result)
    assert result.summary["entries_checked"] == THROUGH


def test_the_command_prints_verified_and_exits_0(files):
    done = run_cli(files.disclosure, files.ledger)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "VERIFIED"
    assert "尚城国际" in done.stdout and "2026 Q2 (2026-04-01 to 2026-06-30)" in done.stdout
    assert "10 entries checked" in done.stdout
    assert files.records[THROUGH - 1]["hash"] in done.stdout
    assert "closing ¥1,445.00" in done.stdout
    assert "collection rate 87.5 %" in done.stdout


def test_the_command_prints_json_on_request(files):
    files.doc["opening_balance"] += 1
    files.write()
    done = run_cli(files.disclosure, files.ledger, "--json")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert (data["status"], data["exit_code"]) == ("differences", 1)
    assert {"where": "opening_balance", "message": "disclosed ¥1,200.01, the ledger gives ¥1,200.00"} in data[
        "differences"
    ]


# --------------------------------------------------------------------------- an altered disclosure


def test_one_altered_amount_without_a_new_digest_is_named(files):
    doc = copy.deepcopy(files.doc)
    next(r for r in doc["expenses"] if r["code"] == "5101")["amount"] = 9100
    files.write(doc=doc)
    result = files.verify()
    assert result.status == "differences" and result.exit_code == 1
    assert wheres(result) == ["digest", "expenses 5101 nc_staff", "expense_total"], messages(result)
    assert result.differences[0].message.startswith("the disclosure file was altered")
    assert result.differences[1].message == "disclosed ¥91.00, the ledger gives ¥90.00"
    assert result.differences[2].message == "the list adds up to ¥121.00, not to the disclosed ¥120.00"
    done = run_cli(files.disclosure, files.ledger)
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == "NOT VERIFIED: 3 differences"
    assert "  - expenses 5101 nc_staff: disclosed ¥91.00, the ledger gives ¥90.00" in done.stdout


def test_one_altered_amount_with_a_recomputed_digest_is_still_caught(files):
    doc = copy.deepcopy(files.doc)
    next(r for r in doc["income"] if r["code"] == "4101")["amount"] = 2500
    doc["income_total"] = 37500
    doc["closing_balance"] = 145500
    doc["digest"] = digest_of(doc)
    files.write(doc=doc)
    result = files.verify()
    assert not result.ok
    assert wheres(result) == ["closing_balance", "income 4101 parking_income", "income_total"], messages(
        result
    )
    assert [d.message for d in result.differences] == [
        "disclosed ¥1,455.00, the ledger gives ¥1,445.00",
        "disclosed ¥25.00, the ledger gives ¥15.00",
        "disclosed ¥375.00, the ledger gives ¥365.00",
    ]


def test_an_altered_expense_item_is_named_by_entry_and_account(files):
    doc = copy.deepcopy(files.doc)
    doc["expense_items"][1]["amount"] = 2999
    doc["expense_items"][3]["date"] = "2026-06-02"
    doc["digest"] = digest_of(doc)
    files.write(doc=doc)
    result = files.verify()
    assert [(d.where, d.message) for d in result.differences] == [
        ("expense item (entry 5, 5102)", "disclosed ¥29.99, the ledger gives ¥30.00"),
        ("expense item (entry 7, 5201)", "date '2026-06-02', the ledger says '2026-06-01'"),
    ]


def test_a_missing_and_an_invented_expense_item_are_reported(files):
    doc = copy.deepcopy(files.doc)
    del doc["expense_items"][2]
    doc["expense_items"].append(
        {
            "entry": 8,
            "date": "2026-06-02",
            "kind": "other_income",
            "code": "5601",
            "amount": 100,
            "payout": None,
        }
    )
    doc["digest"] = digest_of(doc)
    files.write(doc=doc)
    result = files.verify()
    assert wheres(result) == ["expense item (entry 8, 5601)", "expense item (entry 6, 5201)"], messages(
        result
    )
    assert "missing from the disclosure (¥80.00 on 2026-05-20)" in result.differences[1].message


def test_wrong_entries_in_period_head_and_rate_are_reported(files):
    doc = copy.deepcopy(files.doc)
    doc["entries_in_period"] = 8
    doc["chain"]["head_hash"] = files.records[THROUGH]["hash"]
    doc["collection"]["buildings"][0]["rate"] = "88.0"
    doc["digest"] = digest_of(doc)
    files.write(doc=doc)
    result = files.verify()
    assert wheres(result) == ["chain.head_hash", "entries_in_period", "collection 1栋"], messages(result)
    assert "disclosed 8, the ledger has 7" in messages(result)
    assert "gives '87.5'" in messages(result)


def test_a_disclosure_of_another_compound_is_refused(files):
    other = {"id": 8, "slug": "yinquan", "name": "银泉广场"}
    records = build_chain(compound_id=8)
    files.write(doc=make_disclosure(records), ledger=export_bytes(records, compound=other))
    result = files.verify()
    assert [(d.where, d.message) for d in result.differences] == [
        ("compound", "the files are of different compounds (disclosure: id 7, export: id 8)")
    ]


def test_an_export_claiming_another_compound_id_does_not_recompute(files):
    files.write(ledger=export_bytes(files.records, compound={"id": 8, "slug": "x", "name": "x"}))
    result = files.verify()
    assert wheres(result)[:3] == ["entry 1", "entry 2", "entry 3"], messages(result)
    assert "compound" in wheres(result)


# --------------------------------------------------------------------------- an altered export


def _with(records: list[dict], seq: int, **changes) -> list[dict]:
    records = copy.deepcopy(records)
    records[seq - 1].update(changes)
    return records


def test_an_altered_memo_names_the_entry(files):
    files.write(ledger=export_bytes(_with(files.records, 5, memo="Payout #3 to 某物业: 5月保洁 (加班)")))
    result = files.verify()
    assert wheres(result) == ["entry 5"], messages(result)
    assert result.differences[0].message.startswith("the hash does not recompute, so the entry was altered")
    done = run_cli(files.disclosure, files.ledger)
    assert done.returncode == 1 and "  - entry 5: the hash does not recompute" in done.stdout


def test_an_altered_amount_names_the_entry_and_the_figures(files):
    lines = [["1001", "C", 8500], ["5201", "D", 8500]]
    files.write(ledger=export_bytes(_with(files.records, 6, lines=lines)))
    result = files.verify()
    assert wheres(result)[0] == "entry 6", messages(result)
    assert "closing_balance" in wheres(result)
    assert "expense item (entry 6, 5201)" in wheres(result)


def test_an_entry_rehashed_after_a_change_breaks_the_next_link(files):
    records = _with(files.records, 3, memo="物业费 银行到账 R1 改")
    records[2]["hash"] = verifier.entry_hash(COMPOUND["id"], records[2])
    files.write(ledger=export_bytes(records))
    result = files.verify()
    assert wheres(result) == ["entry 4"], messages(result)
    assert "the chain breaks here" in result.differences[0].message
    assert "not the hash of entry 3" in result.differences[0].message


def test_a_whole_chain_rebuilt_after_a_change_no_longer_ends_at_the_disclosed_head(files):
    entries = dict(ENTRIES)
    entries[5] = (*ENTRIES[5][:2], "Payout #3 to 另一家公司", *ENTRIES[5][3:])
    files.write(ledger=export_bytes(build_chain(entries)))
    result = files.verify()
    assert wheres(result) == ["chain.head_hash"], messages(result)


def test_an_unbalanced_entry_is_reported(files):
    records = _with(files.records, 8, lines=[["1001", "D", 1500], ["4101", "C", 1400]])
    records[7]["hash"] = verifier.entry_hash(COMPOUND["id"], records[7])
    files.write(ledger=export_bytes(records))
    result = files.verify()
    assert ("entry 8", "does not balance: debits ¥15.00, credits ¥14.00") in [
        (d.where, d.message) for d in result.differences
    ]


def test_a_deleted_line_is_a_gap(files):
    records = [r for r in files.records if r["seq"] != 6]
    files.write(ledger=export_bytes(records, entry_count=10, head=files.records[-1]["hash"]))
    result = files.verify()
    assert ("export", "entries missing: 6 (a gap before line 7)") in [
        (d.where, d.message) for d in result.differences
    ]
    assert "its header says 10 entries, the file holds 9" in messages(result)
    assert ("figures", "not compared: the export lacks entries the disclosure covers") in [
        (d.where, d.message) for d in result.differences
    ]


def test_a_repeated_line_is_reported(files):
    records = [*files.records[:5], files.records[4], *files.records[5:]]
    files.write(ledger=export_bytes(records, entry_count=10, head=files.records[-1]["hash"]))
    result = files.verify()
    assert wheres(result) == ["entry 5"], messages(result)
    assert "repeats or goes back in sequence" in result.differences[0].message


def test_a_file_cut_in_its_last_line(files):
    data = export_bytes(files.records)
    files.write(ledger=data[:-40])
    result = files.verify()
    assert result.exit_code == 1
    assert ("export", "cut short: its last line (11) is incomplete") in [
        (d.where, d.message) for d in result.differences
    ]
    assert "the file ends at entry 9" in messages(result)
    # Entries 1..9 were all there, so the disclosure's own figures still check out.
    assert "figures" not in wheres(result)


def test_a_file_cut_before_the_disclosed_head(files):
    data = export_bytes(files.records)
    cut = data.index(b'{"seq":8,') + 30
    files.write(ledger=data[:cut])
    result = files.verify()
    assert "chain.entry_count" in wheres(result)
    assert "the export ends at entry 7, before the disclosure's entry 9" in messages(result)
    assert "figures" in wheres(result)
    done = run_cli(files.disclosure, files.ledger)
    assert done.returncode == 1 and "cut short" in done.stdout


def test_a_garbled_line_in_the_middle(files):
    data = export_bytes(files.records).split(b"\n")
    data[3] = b'{"seq":3,"date":"2026-04-05" garbage'
    files.write(ledger=b"\n".join(data))
    result = files.verify()
    assert "line 4" in wheres(result) and "not a JSON entry" in messages(result)
    assert "entries missing: 3 (a gap before line 5)" in messages(result)


# --------------------------------------------------------------------------- unreadable input: exit 2


@pytest.mark.parametrize(
    ("which", "content", "expected"),
    [
        ("disclosure", b'{"format": "gongguan-disclosure/1", "compound": {"id"', "not valid JSON"),
        ("disclosure", b"\xff\xfe garbage", "not UTF-8"),
        ("disclosure", b'{"format": "something-else/1"}', "not a disclosure"),
        (
            "disclosure",
            b'{"format": "gongguan-disclosure/1", "compound": {"id": 7}}',
            "'period.year' is missing",
        ),
        ("ledger", b"not json at all\n", "the first line is not a JSON header"),
        ("ledger", b"", "empty file"),
        ("ledger", b'{"format": "gongguan-disclosure/1"}\n', "not a ledger export"),
    ],
)
def test_unreadable_input_exits_2_with_a_clear_message(files, which, content, expected):
    (files.disclosure if which == "disclosure" else files.ledger).write_bytes(content)
    result = files.verify()
    assert (result.status, result.exit_code) == ("error", 2)
    assert expected in result.error
    done = run_cli(files.disclosure, files.ledger)
    assert done.returncode == 2
    assert done.stderr.startswith("ERROR: ") and expected in done.stderr
    assert done.stdout == ""


def test_a_disclosed_amount_that_is_not_whole_fen_exits_2(files):
    doc = copy.deepcopy(files.doc)
    doc["expenses"][0]["amount"] = 90.5
    files.write(doc=doc)
    result = files.verify()
    assert result.exit_code == 2
    assert "expenses[0]: the field 'amount' should be a whole number, not 90.5" in result.error


def test_a_missing_file_exits_2(files, tmp_path):
    done = run_cli(files.disclosure, tmp_path / "nowhere.jsonl")
    assert done.returncode == 2 and "nowhere.jsonl: cannot be read" in done.stderr


# --------------------------------------------------------------------------- end to end (PostgreSQL)


@pytest.mark.django_db
def test_the_apps_own_disclosure_and_export_verify(world, postgres_only, tmp_path):
    from escrow.fees.services.payments import payment_record
    from escrow.ledger.services import credit, debit, ledger_post, ledger_post_batch, reversal_request
    from escrow.models import Category, EntryKind, JournalEntry
    from escrow.transparency.public_export import iter_export_lines
    from escrow.transparency.services import disclosure_figures, figures_digest, render_file
    from tests.escrow.ledger.helpers import open_escrow

    compound = world.a
    open_escrow(compound, opening_fen=500_000, opened_on=dt.date(2026, 1, 1))
    payment_record(
        compound=compound,
        unit=world.unit_a,
        amount_fen=128_88,
        method="cash",
        received_on=dt.date(2026, 3, 20),
        receipt_no="SC-1",
        actor=world.staff,
    )
    payment_record(
        compound=compound,
        unit=world.unit_a,
        amount_fen=257_76,
        method="wechat_pay",
        received_on=dt.date(2026, 4, 3),
        receipt_no="SC-2",
        actor=world.staff,
    )

    def post(kind, legs, memo, on, reverses=None):
        with transaction.atomic():
            return ledger_post(
                compound=compound, kind=kind, legs=legs, memo=memo, effective_date=on, actor=None
            ).entry

    post(
        EntryKind.PAYOUT,
        [
            debit(Category.NC_CLEANING, 60_000),
            debit(Category.NC_STAFF, 40_000),
            credit(Category.ESCROW_CASH, 100_000),
        ],
        "5月保洁与人员",
        dt.date(2026, 5, 31),
    )
    repair = post(
        EntryKind.PAYOUT,
        [debit(Category.REPAIRS, 33_333), credit(Category.ESCROW_CASH, 33_333)],
        "屋面维修",
        dt.date(2026, 6, 10),
    )
    with transaction.atomic():
        ledger_post_batch(
            compound=compound,
            requests=[reversal_request(repair, memo="冲销 屋面维修", effective_date=dt.date(2026, 6, 12))],
            actor=None,
        )
    post(
        EntryKind.OTHER_INCOME,
        [debit(Category.ESCROW_CASH, 9_900), credit(Category.PARKING_INCOME, 9_900)],
        "停车费",
        dt.date(2026, 6, 30),
    )
    post(
        EntryKind.OTHER_INCOME,
        [debit(Category.ESCROW_CASH, 1_00), credit(Category.INTEREST_INCOME, 1_00)],
        "利息 7月",
        dt.date(2026, 7, 21),
    )  # after the quarter: in the export, not in the figures
    assert JournalEntry.objects.filter(compound=compound).count() == 8

    figures = disclosure_figures(compound, 2026, 2, through=7)
    document = {**figures, "digest": figures_digest(figures), "generated_at": "2026-07-01T00:10:03+08:00"}
    disclosure = tmp_path / "disclosure.json"
    ledger = tmp_path / "ledger.jsonl"
    disclosure.write_bytes(render_file(document, "json"))
    ledger.write_bytes(b"".join(iter_export_lines(compound)))

    result = verifier.verify(str(disclosure), str(ledger))
    assert result.ok, messages(result)
    assert (result.summary["entries_checked"], result.summary["entries_in_period"]) == (8, 5)
    # The app's figures agree with a hand count too: 5000 + 128.88 before the quarter …
    assert (document["opening_balance"], document["closing_balance"]) == (
        512_888,
        512_888 + 257_76 + 9_900 - 100_000,
    )
    done = run_cli(disclosure, ledger)
    assert done.returncode == 0 and done.stdout.startswith("VERIFIED\n"), done.stdout + done.stderr

    altered = json.loads(disclosure.read_text(encoding="utf-8"))
    next(r for r in altered["expenses"] if r["category"] == "nc_cleaning")["amount"] = 60_001
    disclosure.write_text(json.dumps(altered, ensure_ascii=False), encoding="utf-8")
    result = verifier.verify(str(disclosure), str(ledger))
    assert not result.ok
    assert wheres(result)[:2] == ["digest", "expenses 5102 nc_cleaning"], messages(result)
    assert result.differences[1].message == "disclosed ¥600.01, the ledger gives ¥600.00"
    assert run_cli(disclosure, ledger).returncode == 1


# --------------------------------------------------------------------------- consistency (trusted head)


def _rebuilt(change_seq: int, upto: int = 10) -> list[dict]:
    """Every hash recomputed after entry ``change_seq``'s memo was changed: a history
    that verifies on its own."""
    entries = {seq: e for seq, e in ENTRIES.items() if seq <= upto}
    date, kind, memo, reverses, lines = entries[change_seq]
    entries[change_seq] = (date, kind, memo + " 改", reverses, lines)
    return build_chain(entries)


def test_the_first_export_is_trusted_and_its_head_stored(files, tmp_path):
    state = tmp_path / "trusted.json"
    files.write(ledger=export_bytes(files.records[:THROUGH]))
    result = verifier.check_consistency(str(files.ledger), str(state))
    assert result.ok, messages(result)
    stored = json.loads(state.read_text())["compounds"][str(COMPOUND["id"])]
    assert (stored["entry_count"], stored["head_hash"]) == (THROUGH, files.records[THROUGH - 1]["hash"])


def test_a_later_export_that_extends_the_trusted_head_is_consistent(files, tmp_path):
    state = tmp_path / "trusted.json"
    files.write(ledger=export_bytes(files.records[:THROUGH]))
    assert verifier.check_consistency(str(files.ledger), str(state)).ok
    files.write(ledger=export_bytes(files.records))  # one entry more
    result = verifier.check_consistency(str(files.ledger), str(state))
    assert result.ok, messages(result)
    assert json.loads(state.read_text())["compounds"][str(COMPOUND["id"])]["entry_count"] == 10


def test_a_rewritten_history_that_verifies_on_its_own_is_not_consistent(files, tmp_path):
    state = tmp_path / "trusted.json"
    files.write(ledger=export_bytes(files.records[:THROUGH]))
    assert verifier.check_consistency(str(files.ledger), str(state)).ok
    before = state.read_text()
    files.write(ledger=export_bytes(_rebuilt(5)))
    result = verifier.check_consistency(str(files.ledger), str(state))
    assert wheres(result) == ["consistency"], messages(result)
    assert f"entry {THROUGH} was trusted with the hash" in result.differences[0].message
    assert "rewritten" in result.differences[0].message
    assert state.read_text() == before  # the untrusted head is not stored


def test_an_export_shorter_than_the_trusted_head_is_not_consistent(files, tmp_path):
    state = tmp_path / "trusted.json"
    assert verifier.check_consistency(str(files.ledger), str(state)).ok  # 10 entries trusted
    files.write(ledger=export_bytes(files.records[:THROUGH]))
    result = verifier.check_consistency(str(files.ledger), str(state))
    assert wheres(result) == ["consistency"]
    assert "before entry 10 that was trusted" in result.differences[0].message


def test_the_command_keeps_state_with_a_disclosure_and_alone(files, tmp_path):
    state = tmp_path / "trusted.json"
    files.write(ledger=export_bytes(files.records[:THROUGH]))
    done = run_cli(files.disclosure, files.ledger, "--state", state)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "VERIFIED"
    assert "Stored:   this head is now the trusted one" in done.stdout
    files.write(ledger=export_bytes(_rebuilt(3, upto=THROUGH)))
    done = run_cli(files.ledger, "--state", state)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.splitlines()[:2] == [
        "NOT CONSISTENT: 1 difference",
        done.stdout.splitlines()[1],
    ]
    assert "- consistency: entry 9 was trusted" in done.stdout
    assert run_cli(files.ledger).returncode == 2  # one file needs --state


def test_a_damaged_state_file_exits_2(files, tmp_path):
    state = tmp_path / "trusted.json"
    state.write_text("{not json")
    done = run_cli(files.ledger, "--state", state)
    assert done.returncode == 2
    assert "not a verifier state file" in done.stderr
