"""The dashboard as CSV, XLSX (spreadsheet-safe cells) and a one-page A4 PDF brief in
Chinese for the monthly street-office meeting. Same rows and totals as the page."""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.files import file_response, private
from common.money import format_yuan
from common.pdf import PDF_FONT_FAMILY
from common.spreadsheet import cell_text
from street import selectors
from street.flags import describe, flag_link

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NO_DATA = "暂无数据"


def _money(fen):
    return NO_DATA if fen is None else format_yuan(fen, symbol=False)


def _v(value):
    return NO_DATA if value is None or value == "" else value


def header() -> list[str]:
    return [
        _("Compound"),
        _("Community"),
        _("Collection rate %"),
        _("Escrow balance (yuan)"),
        _("Available (yuan)"),
        _("Open holds (yuan)"),
        _("Payouts waiting"),
        _("Oldest waiting (days)"),
        _("Last disclosure"),
        _("Disclosure late"),
        _("Score"),
        _("Repairs open"),
        _("Repairs overdue"),
        _("Median hours to fix"),
        _("Meetings held"),
        _("Topics resolved"),
        _("Action items overdue"),
        _("Stewards"),
        _("Open flags"),
        _("Settlement"),
    ]


def row_values(r: selectors.Row) -> list:
    m = r.m
    late = None if not m or m.disclosure_late is None else (_("yes") if m.disclosure_late else _("no"))
    return [
        r.compound.name,
        r.compound.community.name,
        _v(r.collection_rate),
        _money(m.escrow_balance_fen if m else None),
        _money(r.available_fen),
        _money(m.open_holds_fen if m else None),
        _v(m.payouts_waiting if m else None),
        _v(m.payouts_oldest_days if m else None),
        _v(m.disclosure_last if m else None),
        _v(late),
        _v(m.score if m else None),
        _v(m.repairs_open if m else None),
        _v(m.repairs_overdue if m else None),
        _v(m.repairs_median_hours if m else None),
        r.meetings_held,
        r.topics_resolved,
        _v(m.action_items_overdue if m else None),
        _v(m.stewards if m else None),
        r.open_flags,
        _v(r.settlement),
    ]


def totals_values(t: selectors.Totals) -> list:
    return [
        _("Total: %(n)d compounds") % {"n": t.compounds},
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        f"{_v(t.score_then)} → {_v(t.score_now)}",
        "",
        "",
        "",
        t.meetings_held,
        t.topics_resolved,
        "",
        _v(t.stewards),
        "",
        _("Money managed (yuan): %(m)s") % {"m": format_yuan(t.money_managed_fen, symbol=False)},
    ]


def _name(dashboard, query, ext):
    return f"street-{dashboard.slug}-{query.month:%Y-%m}.{ext}"


def export_csv(dashboard, query):
    data = selectors.dashboard(dashboard.street_office, query)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header())
    for r in data["rows"]:
        writer.writerow([cell_text(v) for v in row_values(r)])
    writer.writerow([cell_text(v) for v in totals_values(data["totals"])])
    body = ("\ufeff" + out.getvalue()).encode("utf-8")
    return private(
        file_response(body, filename=_name(dashboard, query, "csv"), content_type="text/csv; charset=utf-8")
    )


def export_xlsx(dashboard, query):
    from openpyxl import Workbook  # only an XLSX export needs it

    data = selectors.dashboard(dashboard.street_office, query)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"{query.month:%Y-%m}")
    sheet.append(header())
    for r in data["rows"]:
        sheet.append([v if isinstance(v, int) else cell_text(v, xlsx=True) for v in row_values(r)])
    sheet.append(
        [v if isinstance(v, int) else cell_text(v, xlsx=True) for v in totals_values(data["totals"])]
    )
    handle = io.BytesIO()
    workbook.save(handle)
    return private(
        file_response(handle.getvalue(), filename=_name(dashboard, query, "xlsx"), content_type=XLSX)
    )


def brief_pdf(dashboard, query) -> bytes:
    from weasyprint import HTML  # loads its native libraries only when a PDF is rendered

    office = dashboard.street_office
    with translation.override("zh-hans"):  # the brief is Chinese whatever the reader browses in
        data = selectors.dashboard(office, query)
        flags = selectors.office_flags(office, status="open")
        for flag in flags:
            flag.link = flag_link(flag)
            flag.lines = describe(flag)
        html = render_to_string(
            "street/brief_pdf.html",
            {
                "dashboard": dashboard,
                "office": office,
                "query": query,
                "font_family": PDF_FONT_FAMILY,
                "generated_at": timezone.now(),
                "flags": flags[:8],
                "flag_count": len(flags),
                **data,
            },
        )
        return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def export_pdf(dashboard, query):
    body = brief_pdf(dashboard, query)
    return private(
        file_response(
            body, filename=_name(dashboard, query, "pdf"), content_type="application/pdf", inline=True
        )
    )


FORMATS = {"csv": export_csv, "xlsx": export_xlsx, "pdf": export_pdf}
