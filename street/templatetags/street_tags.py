from django import template
from django.utils.translation import gettext as _

from common.money import format_yuan
from street.permissions import dashboards_of

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
