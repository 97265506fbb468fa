"""The files of a settlement: JSON, CSV, HTML and PDF, each a pure function of the
document (the frozen figures plus ``digest`` and ``generated_at``), so a file rendered
again is the same file. The PDF shares the disclosures' font and running footer
(digest and generation time on every page)."""

from __future__ import annotations

import csv
import io
import json

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.money import fen_to_yuan, format_yuan
from common.pdf import PDF_FONT_FAMILY
from escrow.transparency.render import MONO_FONT_FAMILY, _css_content
from settlements.models import SettlementFormat

TEMPLATE = "settlements/document.html"
PDF_IDENTIFIER = b"gongguan-settlement"

# Figure keys in the order of DESIGN.md §7, with their labels.
MONEY_ROWS = [
    ("fees_received", gettext_lazy("Fees and other income received")),
    ("necessary_costs", gettext_lazy("Necessary costs paid")),
    ("other_expenses", gettext_lazy("Other approved expenses")),
    ("reserve", gettext_lazy("Reserve carried forward")),
    ("distributable", gettext_lazy("Distributable")),
    ("released", gettext_lazy("Released to the company")),
    ("kept", gettext_lazy("Kept in the owners' fund")),
]


# The formulas as the page shows them, in the reader's language. The document keeps its
# own words (``figures.FORMULAS``, part of the signed JSON and of its files); these only
# explain the figures on the settlement pages.
SHOWN_FORMULAS = {
    "fees_received": gettext_lazy(
        "Sum of the income accounts over the year (transfers to the owners' fund excluded)"
    ),
    "necessary_costs": gettext_lazy("Sum of the necessary-cost accounts (51xx) over the year"),
    "other_expenses": gettext_lazy(
        "Sum of the other expense accounts (52xx–56xx, settlement releases excluded) over the year"
    ),
    "reserve": gettext_lazy(
        "Next year's approved monthly budget × months; without a budget, necessary costs × months ÷ 12, rounded up"
    ),
    "distributable": gettext_lazy("Fees received − necessary costs − other expenses − reserve"),
    "score": gettext_lazy(
        "Mean of the totals of the year's closed quarterly rounds, rounded half up to 0.01"
    ),
    "release_rate": gettext_lazy("The rate of the band that holds the score (whole points, rounded down)"),
    "released": gettext_lazy(
        "Distributable × release rate ÷ 100, rounded down to the fen; 0 if nothing is distributable"
    ),
    "kept": gettext_lazy("Distributable − released; 0 if nothing is distributable"),
}


def document_of(settlement) -> dict:
    return {
        **settlement.figures,
        "digest": settlement.digest,
        "generated_at": timezone.localtime(settlement.generated_at).isoformat(timespec="seconds"),
    }


def rows(document: dict) -> list[dict]:
    """The figures as labelled rows: money in yuan, then the score, band and rate."""
    figures, formulas = document["figures"], document["formulas"]
    out = [
        {
            "key": key,
            "label": str(label),
            "value": format_yuan(figures[key]),
            "fen": figures[key],
            "formula": formulas[key],
            "explanation": SHOWN_FORMULAS[key],
        }
        for key, label in MONEY_ROWS
    ]
    band = figures["band"]
    out.insert(
        5,
        {
            "key": "score",
            "label": _("Score"),
            "value": figures["score"],
            "fen": None,
            "formula": formulas["score"],
            "explanation": SHOWN_FORMULAS["score"],
        },
    )
    out.insert(
        6,
        {
            "key": "release_rate",
            "label": _("Band and release rate"),
            "value": f"{band['low']}–{band['high']} · {figures['release_rate']} %",
            "fen": None,
            "formula": formulas["release_rate"],
            "explanation": SHOWN_FORMULAS["release_rate"],
        },
    )
    return out


def _context(document: dict, *, pdf: bool) -> dict:
    figures = document["figures"]
    context = {
        "pdf": pdf,
        "doc": document,
        "rows": rows(document),
        "figures": figures,
        "renewal_recommended": figures["renewal_recommended"],
        "nothing_to_release": figures["nothing_to_release"],
        "font_family": PDF_FONT_FAMILY,
        "mono_font_family": MONO_FONT_FAMILY,
    }
    if pdf:
        header = f"{document['compound']['name']} · {document['year']} · v{document['version']}"
        footer = (
            _("Digest (SHA-256): %(digest)s") % {"digest": document["digest"]}
            + "\n"
            + _("Generated at %(when)s") % {"when": document["generated_at"]}
        )
        context["css_header"] = _css_content(header)
        context["css_page"] = _css_content(_("Page %(page)s of %(pages)s"), counters=True)
        context["css_footer"] = _css_content(footer)
    return context


def render_csv(document: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Figure"), _("Key"), _("Amount (yuan)"), _("Value"), _("Formula")])
    for row in rows(document):
        writer.writerow(
            [
                row["label"],
                row["key"],
                "" if row["fen"] is None else str(fen_to_yuan(row["fen"])),
                row["value"],
                row["formula"],
            ]
        )
    writer.writerow([_("Digest of the figures (SHA-256)"), "digest", "", document["digest"], ""])
    writer.writerow([_("Generated at"), "generated_at", "", document["generated_at"], ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def render_html(document: dict) -> bytes:
    return render_to_string(TEMPLATE, _context(document, pdf=False)).encode("utf-8")


def render_pdf(document: dict) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(TEMPLATE, _context(document, pdf=True))
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf(
        pdf_identifier=PDF_IDENTIFIER
    )


def render_file(document: dict, fmt: str) -> bytes:
    """One file, in the site's default language (Chinese)."""
    with translation.override(settings.LANGUAGE_CODE):
        if fmt == SettlementFormat.JSON:
            return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8") + b"\n"
        if fmt == SettlementFormat.CSV:
            return render_csv(document)
        if fmt == SettlementFormat.HTML:
            return render_html(document)
        if fmt == SettlementFormat.PDF:
            return render_pdf(document)
    raise ValueError(fmt)
