"""A published round's report in Chinese (A4 PDF): the total, each party with its
weight, the objective data with formulas, every item's points, the sign-offs."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from common.pdf import PDF_FONT_FAMILY

from .models import AssessmentRound


def round_report_pdf(rnd: AssessmentRound) -> bytes:
    """Rendered from the frozen result on each download, in the site's language."""
    from weasyprint import HTML

    context = {
        "round": rnd,
        "compound": rnd.compound,
        "result": rnd.result,
        "signoffs": list(rnd.signoffs.order_by("signed_at")),
        "font_family": PDF_FONT_FAMILY,
        "generated_at": timezone.now(),
    }
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string("assessments/report_pdf.html", context)
        return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
