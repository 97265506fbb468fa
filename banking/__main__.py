"""python -m banking FILE [--json]: read a statement as the import would, post nothing.

Prints the layout, encoding, account, period, balances, the checks made and the lines
by kind (or everything as JSON); exits 0 when the file would be taken and 1 with the
refusal on stderr when it would not. Needs DJANGO_SETTINGS_MODULE (for the messages).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m banking", description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--json", action="store_true", help="print the whole parse as JSON")
    parser.add_argument("--account-key", default="", help="scope of the line identities")
    options = parser.parse_args(argv)

    import django

    django.setup()
    from banking import StatementError, read_statement
    from banking.amounts import fen_text

    try:
        parsed = read_statement(options.file.read_bytes(), account_key=options.account_key)
    except StatementError as exc:
        print(exc.message, file=sys.stderr)
        for problem in exc.problems[3:]:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if options.json:
        print(json.dumps(parsed.as_dict(), ensure_ascii=False, indent=1))
        return 0
    print(
        f"{parsed.layout_name} · {parsed.file_kind} · {parsed.encoding} · header on line {parsed.header_line}"
    )
    print(f"account {parsed.account_number or '—'} · {parsed.period_start} – {parsed.period_end}")
    if parsed.opening_balance_fen is not None:
        print(f"balance {fen_text(parsed.opening_balance_fen)} → {fen_text(parsed.closing_balance_fen)}")
    print(f"checked: {', '.join(parsed.checks) or '—'}")
    for kind, (count, fen) in sorted(parsed.by_kind().items()):
        print(f"  {kind:<12} {count:>7} lines  ¥{fen_text(fen)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
