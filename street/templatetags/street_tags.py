from decimal import Decimal
from html import escape  # what django.utils.html.escape does, without its lazy wrapper

from django import template
from django.conf import settings
from django.utils.formats import get_format, localize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.money import format_yuan
from street.permissions import dashboards_of
from street.selectors import MonthFigures

register = template.Library()


@register.filter
def yuan_or_na(fen):
    """'¥1,234.50', or "not yet available" (暂无数据) when there is no figure."""
    return format_yuan(fen) if isinstance(fen, int) else _("not yet available")


@register.filter
def or_na(value):
    return _("not yet available") if value is None or value == "" else value


@register.filter
def signed(value):
    if value is None:
        return ""
    return f"+{value}" if value > 0 else f"{value}"


@register.simple_tag
def street_dashboards(user):
    """The street dashboards this person may open (the home page's one-tap link)."""
    return dashboards_of(user)


# ------------------------------------------------------------------ the dashboard's rows
#
# A page of rows is 25 × 16 linked cells. Written as template tags, that is ~1,300 nodes a
# request and most of the page's time; here each row is one string built from the row's
# figures (every value escaped), with the texts and number format looked up once per page.


class _Page:
    """What every row of one page shares: the translated texts and the number format."""

    def __init__(self, flags_url: str):
        self.na = escape(_("not yet available"))
        self.late = f' <span class="badge badge-accent">{escape(_("late"))}</span>'
        self.flags_url = escape(flags_url)
        # The template prints numbers through ``localize``; with the usual format ("." and no
        # thousands separator, as in zh-hans and en) that is ``str`` / ``format(d, "f")``.
        self.plain = not settings.USE_THOUSAND_SEPARATOR and get_format("DECIMAL_SEPARATOR") == "."
        self._oldest: dict[int, str] = {}

    def text(self, value) -> str:
        """A figure as the template would print it (localized, escaped), or "not yet available"."""
        if value is None or value == "":
            return self.na
        if self.plain and isinstance(value, int | Decimal) and not isinstance(value, bool):
            return str(value) if isinstance(value, int) else format(value, "f")
        return escape(localize(value))

    def money(self, fen) -> str:
        return escape(format_yuan(fen)) if isinstance(fen, int) else self.na

    def trend(self, value) -> str:
        return "" if value is None else f' <span class="small muted">{escape(signed(value))}</span>'

    def oldest(self, days) -> str:
        if days is None:
            return ""
        if days not in self._oldest:
            label = ngettext("oldest %(days)s day", "oldest %(days)s days", days) % {"days": days}
            self._oldest[days] = f' <span class="small muted">{escape(label)}</span>'
        return self._oldest[days]


def _row_html(r, p: _Page, empty: MonthFigures) -> str:
    m = r.m or empty
    links = {k: escape(v) for k, v in r.links.items()}
    rate = r.collection_rate
    rate_text = p.na if rate is None else f"{p.text(rate)}%"
    compound = r.compound
    return "".join(
        (
            f'<tr data-compound="{escape(compound.slug)}"><th scope="row"><a href="{links["compound"]}">',
            f'{escape(compound.name)}</a><br><span class="muted small">{escape(compound.community.name)}</span></th>',
            f'<td class="num"><a href="{links["collection"]}">{rate_text}</a>{p.trend(r.collection_trend)}</td>',
            f'<td class="num"><a href="{links["ledger"]}">{p.money(m.escrow_balance_fen)}</a></td>',
            f'<td class="num"><a href="{links["payouts"]}">{p.money(r.available_fen)}</a></td>',
            f'<td class="num"><a href="{links["payouts"]}">{p.money(m.open_holds_fen)}</a></td>',
            f'<td class="num"><a href="{links["payouts"]}">{p.text(m.payouts_waiting)}</a>'
            f"{p.oldest(m.payouts_oldest_days)}</td>",
            f'<td><a href="{links["disclosures"]}">{p.text(m.disclosure_last)}</a>'
            f"{p.late if m.disclosure_late else ''}</td>",
            f'<td class="num"><a href="{links["score"]}">{p.text(m.score)}</a>{p.trend(r.score_trend)}</td>',
            f'<td class="num"><a href="{links["repairs"]}">{p.text(m.repairs_open)} / '
            f"{p.text(m.repairs_overdue)}</a></td>",
            f'<td class="num"><a href="{links["repairs"]}">{p.text(m.repairs_median_hours)}</a></td>',
            f'<td class="num"><a href="{links["meetings"]}">{p.text(r.meetings_held)}</a></td>',
            f'<td class="num"><a href="{links["meetings"]}">{p.text(r.topics_resolved)}</a></td>',
            f'<td class="num"><a href="{links["meetings"]}">{p.text(m.action_items_overdue)}</a></td>',
            f'<td class="num"><a href="{links["compound"]}">{p.text(m.stewards)}</a></td>',
            f'<td><a href="{links["settlement"]}">{p.text(r.settlement)}</a></td>',
            f'<td class="num"><a href="{p.flags_url}">{p.text(r.open_flags)}</a></td>',
            "</tr>",
        )
    )


@register.simple_tag
def dashboard_rows(rows, flags_url):
    """The ``<tr>`` of each dashboard row: the compound, then each figure linked to the page
    it comes from ("not yet available" where there is no figure, never 0)."""
    page = _Page(flags_url)
    empty = MonthFigures()  # a compound without a rollup row: every figure "not yet available"
    return mark_safe("\n".join(_row_html(r, page, empty) for r in rows))  # noqa: S308 - every part escaped above
