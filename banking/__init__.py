"""Bank and wallet statement files, read without Django models.

The escrow import service calls ``read_statement(data, mapping=…, account_key=…)`` and
gets a ``ParsedStatement`` (or a ``StatementError`` that refuses the file whole). See
docs/bank-statements.md.
"""

from banking.accounts import account_matches
from banking.amounts import parse_amount_fen
from banking.errors import Problem, StatementError
from banking.layouts import PRESETS, Mapping, preset_choices, recognise
from banking.statement import ParsedStatement, StatementLine, read_statement

__all__ = [
    "PRESETS",
    "Mapping",
    "ParsedStatement",
    "Problem",
    "StatementError",
    "StatementLine",
    "account_matches",
    "parse_amount_fen",
    "preset_choices",
    "read_statement",
    "recognise",
]
