"""python -m banking FILE: the statement read as the import would, exit status and all."""

from __future__ import annotations

import json
from pathlib import Path

from banking.__main__ import main

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_a_good_file_prints_its_summary_and_exits_0(capsys):
    assert main([str(FIXTURES / "cmb.csv")]) == 0
    out = capsys.readouterr().out
    assert "gbk" in out and "balance_chain" in out and "unexplained" in out


def test_json(capsys):
    assert main([str(FIXTURES / "alipay.csv"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["layout"] == "alipay" and len(data["lines"]) == 7


def test_a_refused_file_exits_1_with_the_reason_on_stderr(capsys):
    assert main([str(FIXTURES / "icbc_balance_break.csv")]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "line 13" in captured.err
