"""Text cells that a spreadsheet shows as text (CSV and XLSX exports).

A cell starting with ``= + - @`` (or a tab or carriage return) is run as a formula by
Excel and WPS when a CSV is opened — and openpyxl stores such a string as a formula —
so free text that people typed (a payee, a purpose, a building name) gets a leading
apostrophe. XLSX also refuses control characters; they are dropped there.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The characters the XLSX format cannot hold (the same set openpyxl refuses).
_XLSX_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")


def cell_text(value, *, xlsx: bool = False) -> str:
    text = "" if value is None else str(value)
    if xlsx:
        text = _XLSX_ILLEGAL.sub("", text)
    return "'" + text if text.startswith(FORMULA_START) else text
