"""Benchmark: reading 100,000-line statements with ``banking.read_statement``.

Target (issue 9, step 7): 100,000 lines well under 5 s. Printed beside each figure:
lines per second, and the ratio to Python's plain ``csv.reader`` over the same bytes
(decode + split into cells, nothing checked), the floor any CSV reader in Python has.

No database: ``run(report)`` is picked up by ``python -m bench``; standalone:
``DJANGO_SETTINGS_MODULE=config.settings.test python -m bench.bench_banking``.
"""

from __future__ import annotations

import csv
import io
import os
import time

LINES = int(os.environ.get("BENCH_BANKING_LINES", "100000"))
TARGET_S = 5.0


def _plain_csv_seconds(data: bytes, encoding: str) -> float:
    started = time.perf_counter()
    text = data.decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows
    return time.perf_counter() - started


def run(report) -> None:
    from banking import read_statement, samples

    txs = samples.long_statement(LINES)
    cases = [
        ("ICBC CSV, UTF-8, padded cells", lambda: samples.icbc(txs, 10_000_000)[0], "utf-8"),
        ("CMB CSV, GBK", lambda: samples.cmb(txs, 10_000_000)[0], "gbk"),
        ("Alipay CSV, GBK, serials", lambda: samples.alipay(_with_serials(txs))[0], "gbk"),
    ]
    for name, build, encoding in cases:
        data = build()
        best = float("inf")
        for _attempt in range(2):
            started = time.perf_counter()
            parsed = read_statement(data, account_key="bench")
            best = min(best, time.perf_counter() - started)
        assert len(parsed.lines) == LINES, len(parsed.lines)
        floor = min(_plain_csv_seconds(data, encoding) for _ in range(2))
        report.target(f"{name}: {LINES:,} lines ({len(data) / 1e6:.1f} MB)", best, "s", at_most=TARGET_S)
        report(f"{name}: lines per second", f"{LINES / best:,.0f}")
        report.ratio(f"{name}: time / plain csv.reader", best, floor, note=f"csv.reader {floor:.3f} s")

    # Spreadsheets: openpyxl's read-only reader is the floor here, not csv.reader.
    xlsx_lines = min(LINES, 20_000)
    data = samples.abc(txs[:xlsx_lines], 10_000_000)[0]
    started = time.perf_counter()
    parsed = read_statement(data)
    seconds = time.perf_counter() - started
    assert len(parsed.lines) == xlsx_lines
    report(f"ABC XLSX: {xlsx_lines:,} lines ({len(data) / 1e6:.1f} MB)", f"{seconds:.3f} s")
    report("ABC XLSX: lines per second", f"{xlsx_lines / seconds:,.0f}")


def _with_serials(txs):
    from dataclasses import replace

    return [replace(t, serial=f"2025{i:012d}", time=t.time) for i, t in enumerate(txs)]


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()

    class _Print:
        def __call__(self, name, value, note=""):
            print(f"{name:<60} {value} {note}")

        def target(self, name, value, unit, *, at_most, note=""):
            print(
                f"{name:<60} {value:.3f} {unit}  [{'ok' if value <= at_most else 'MISS'}: ≤ {at_most} {unit}]"
            )

        def ratio(self, name, numerator, denominator, *, note="", target_max=None):
            print(f"{name:<60} {numerator / denominator:.2f}×  {note}")

    run(_Print())
