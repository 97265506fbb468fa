"""Template filters of the payout pages."""

from django import template
from django.utils.translation import gettext

from common.money import format_yuan
from escrow.models import PayoutCategory, PayoutStatus

register = template.Library()


@register.filter
def yuan(fen):
    """Integer fen → '¥1,234.50' (pages only; money stays in fen everywhere else)."""
    if fen is None or fen == "":
        return ""
    return format_yuan(int(fen))


@register.filter
def second_factor_label(method: str) -> str:
    return {"totp": gettext("authenticator code (TOTP)"), "webauthn": gettext("security key (WebAuthn)")}.get(
        method, method
    )


@register.filter
def status_label(value: str) -> str:
    """PayoutStatus label in one lookup (get_status_display translates every choice)."""
    try:
        return str(PayoutStatus(value).label)
    except ValueError:
        return value


@register.filter
def category_label(value: str) -> str:
    try:
        return str(PayoutCategory(value).label)
    except ValueError:
        return value
