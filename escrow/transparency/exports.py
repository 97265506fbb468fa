"""Downloads of the escrow ledger.

* ``/c/<slug>/ledger/export.csv`` and ``.xlsx`` — the members' ledger rows (the page's
  columns) under the same filters as the page, for the same readers (``VIEW_FULL_LEDGER``).
  CSV streams any number of rows (UTF-8 with a BOM, so spreadsheet programs read the
  Chinese right); XLSX is built in openpyxl's write-only mode and refused above
  ``XLSX_MAX_ROWS`` (counted with a bounded query), with a message pointing to the CSV.
* ``/c/<slug>/ledger/export.jsonl?through=N`` — the public ledger export
  (docs/disclosures.md), streamed from ``escrow.transparency.public_export``; no log-in.

Rows are read oldest first in keyset chunks (``ledger_selectors.iter_ledger_rows``), so
memory stays flat however long the journal is.
"""

from __future__ import annotations

import csv
import tempfile
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from common.choices import choice_label
from common.files import file_response, named, private
from common.money import fen_to_yuan
from common.spreadsheet import cell_text
from escrow.ledger import selectors
from escrow.ledger.permissions import LEDGER_ENTRIES, access_ledger, public_ledger_compound
from escrow.models import Category, EntryKind
from escrow.transparency import ledger_selectors, public_export
from escrow.transparency.ledger_views import FILTER_PARAMS, filter_query, form_errors

XLSX_MAX_ROWS = 100_000  # one file a spreadsheet opens comfortably; beyond it, the CSV
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"


def _headers() -> list[str]:
    return [
        _("Entry"),
        _("Date"),
        _("Kind"),
        _("Category"),
        _("Counterparty"),
        _("Memo"),
        _("Money in (+) / out (−), yuan"),
        _("Cash balance after, yuan"),
        _("Entry total, yuan"),
        _("Reverses entry"),
        _("Payout request"),
        _("Hash"),
    ]


def _yuan(fen: int | None):
    return None if fen is None else fen_to_yuan(fen)


def _values(row: ledger_selectors.LedgerRow, *, xlsx: bool = False) -> list:
    """One row's cells: yuan as exact decimals (never floats), empty for "none"; text
    that people typed is made safe for spreadsheets (``common.spreadsheet``)."""
    entry = row.entry
    return [
        entry.sequence,
        entry.effective_date,
        choice_label(EntryKind, entry.kind),
        " / ".join(choice_label(Category, code) for code in row.categories),  # names, never codes
        cell_text(row.counterparty, xlsx=xlsx),
        cell_text(entry.memo, xlsx=xlsx),
        _yuan(row.cash_fen),
        _yuan(row.balance_fen),
        _yuan(entry.total),
        entry.reverses_sequence,
        row.payout_id,
        entry.hash,
    ]


def _filename(compound, extension: str) -> str:
    return f"{compound.slug}-ledger-{timezone.localdate():%Y%m%d}.{extension}"


def _load(request, slug):
    """(compound, filters) or a 400 page naming the bad filters."""
    compound, _standing = access_ledger(request.user, slug, LEDGER_ENTRIES)
    query = filter_query(request, compound)
    if not query.is_valid():
        return compound, None, _refusal(request, compound, errors=form_errors(query))
    return compound, query.filters(), None


def _refusal(request, compound, *, errors: dict | None = None, message: str = "", status: int = 400):
    params = {k: v for k, v in request.GET.items() if k in FILTER_PARAMS and v.strip()}
    return render(
        request,
        "escrow/ledger/export_refused.html",
        {
            "compound": compound,
            "errors": errors or {},
            "message": message,
            "csv_url": reverse("escrow:ledger-export-csv", args=[compound.slug])
            + (("?" + urlencode(params)) if params else ""),
        },
        status=status,
    )


class _Echo:
    """A file-like object whose write returns what it was given (csv → stream)."""

    def write(self, value):
        return value


def _csv_lines(compound, filters):
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(_headers())
    for row in ledger_selectors.iter_ledger_rows(compound, filters):
        values = _values(row)
        values[1] = values[1].isoformat()
        yield writer.writerow(["" if v is None else v for v in values])


@login_required
@require_GET
def ledger_export_csv(request, slug):
    compound, filters, refusal = _load(request, slug)
    if refusal is not None:
        return refusal
    response = StreamingHttpResponse(_csv_lines(compound, filters), content_type="text/csv; charset=utf-8")
    return private(named(response, _filename(compound, "csv")))


@login_required
@require_GET
def ledger_export_xlsx(request, slug):
    compound, filters, refusal = _load(request, slug)
    if refusal is not None:
        return refusal
    cap = XLSX_MAX_ROWS
    if ledger_selectors.count_entries_up_to(compound, filters, cap) > cap:
        return _refusal(
            request,
            compound,
            message=_(
                "More than %(cap)s entries match these filters: too many for one spreadsheet. "
                "Choose a shorter period or download the CSV file, which has no limit."
            )
            % {"cap": f"{cap:,}"},
        )
    from openpyxl import Workbook  # only an XLSX export needs it: imported here, not by every page

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Ledger")[:31])
    sheet.append(_headers())
    for row in ledger_selectors.iter_ledger_rows(compound, filters):
        sheet.append(_values(row, xlsx=True))
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 — FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return private(
        file_response(handle, filename=_filename(compound, "xlsx"), content_type=XLSX_CONTENT_TYPE)
    )


# --------------------------------------------------------------------------- public


@require_GET
def ledger_export_jsonl(request, slug):
    """The public ledger export: the header, then entries 1..through (docs/disclosures.md)."""
    compound = public_ledger_compound(slug)
    if compound is None:
        raise Http404
    through = None
    raw = request.GET.get("through", "").strip()
    if raw:
        head = selectors.chain_head(compound).entry_count
        # Plain ASCII digits only: int() would also take "+3", "1_000" or other scripts' digits.
        through = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 19 else None
        if through is None or through > head:
            return HttpResponse(
                _(
                    "through: give a whole number of entries from 0 to %(head)s (the chain's head), not “%(raw)s”."
                )
                % {"head": head, "raw": raw[:40]},
                status=400,
                content_type="text/plain; charset=utf-8",
            )
    try:
        public_export.export_through(compound, through)  # checked now, before the stream starts
    except ValueError:  # the head moved back? never — but say so rather than stream a broken file
        return HttpResponse(
            _("through: beyond the chain's head."), status=400, content_type="text/plain; charset=utf-8"
        )
    response = StreamingHttpResponse(
        public_export.iter_export_lines(compound, through=through),
        content_type="application/x-ndjson; charset=utf-8",
    )
    return named(response, f"{compound.slug}-ledger.jsonl")
