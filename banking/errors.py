"""Problems found in a statement file, and the one error that refuses a file whole.

Every problem names the file line (the number a text editor or a spreadsheet shows) and,
where there is one, the column by the name the bank's header gives it. The shape of
``StatementError.extra`` is the one ``escrow.fees.services.statements.StatementImportError`` already
uses, so the escrow service can pass it on unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from common.errors import ApplicationError

MAX_PROBLEMS = 200  # a file with more is wrong as a whole; list enough to see why


class StatementError(ApplicationError):
    """The file was refused; nothing in it may be posted. ``extra["rows"]`` lists every
    problem as ``{"row": line or None, "column": header name or None, "message": …}``."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        shown = "; ".join(str(p) for p in self.problems[:3])
        message = _(
            "The statement was refused as a whole; nothing in it was taken. %(n)s problem(s): %(shown)s"
        ) % {
            "n": len(self.problems),
            "shown": shown,
        }
        more = len(self.problems) - 3
        if more > 0:
            message += " " + _("(and %(more)s more)") % {"more": more}
        super().__init__(
            message,
            extra={
                "rows": [p.as_dict() for p in self.problems],
                "fields": {"file": [str(p) for p in self.problems]},
            },
        )


@dataclass(frozen=True)
class Problem:
    line: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"row": self.line, "column": self.column, "message": self.message}

    def __str__(self):
        where = []
        if self.line is not None:
            where.append(_("line %(n)s") % {"n": self.line})
        if self.column:
            where.append(_("column “%(c)s”") % {"c": self.column})
        return f"{', '.join(where)}: {self.message}" if where else self.message


class CellError(ValueError):
    """A single cell that cannot be read; the caller adds the line and the column."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
