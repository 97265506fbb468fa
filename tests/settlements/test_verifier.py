"""tools/verify_settlement.py run as a separate process on the app's own files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from escrow.transparency.public_export import iter_export_lines
from tests.settlements.helpers import settled_world
from tests.settlements.test_settlement import run

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def files(tmp_path, world, settlement, disclosures):
    paths = {"settlement": tmp_path / "settlement.json", "ledger": tmp_path / "ledger.jsonl"}
    paths["settlement"].write_bytes(bytes(settlement.files.get(format="json").content))
    paths["ledger"].write_bytes(b"".join(iter_export_lines(world.a)))
    quarters = []
    for d in disclosures:
        path = tmp_path / f"q{d.quarter}.json"
        path.write_bytes(bytes(d.files.get(format="json").content))
        quarters.append(path)
    return paths, quarters


def verify(paths, quarters):
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "verify_settlement.py"),
            str(paths["settlement"]),
            str(paths["ledger"]),
            *map(str, quarters),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_verifier_accepts_a_true_settlement_and_rejects_one_altered_figure(
    world, django_capture_on_commit_callbacks, tmp_path
):
    from escrow.models import Disclosure

    settled_world(world, django_capture_on_commit_callbacks)
    settlement = run(django_capture_on_commit_callbacks, world)
    disclosures = list(Disclosure.objects.filter(compound=world.a, year=2025).order_by("quarter"))
    paths, quarters = files(tmp_path, world, settlement, disclosures)
    result = verify(paths, quarters)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "VERIFIED"

    # One figure altered by one fen, the digest left as it was.
    doc = json.loads(paths["settlement"].read_text())
    doc["figures"]["released"] += 1
    paths["settlement"].write_text(json.dumps(doc, ensure_ascii=False))
    result = verify(paths, quarters)
    assert result.returncode == 1
    assert "released: the settlement says 21225188, re-derived 21225187" in result.stdout
    assert "digest" in result.stdout

    # The same alteration with a recomputed digest is still caught by the re-derivation.
    sys.path.insert(0, str(ROOT / "tools"))
    import verify_settlement

    doc["digest"] = verify_settlement.digest_of(doc)
    paths["settlement"].write_text(json.dumps(doc, ensure_ascii=False))
    result = verify(paths, quarters)
    assert result.returncode == 1
    assert "released" in result.stdout and "digest:" not in result.stdout


def test_verifier_refuses_unreadable_input(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("not json")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "verify_settlement.py"),
            str(bad),
            str(bad),
            str(bad),
            str(bad),
            str(bad),
            str(bad),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
