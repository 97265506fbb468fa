from django import template

from common.money import format_yuan

register = template.Library()


@register.filter
def centi(value) -> str:
    """Hundredths of a m² (an integer) as a decimal string: 8950 → '89.50'."""
    value = int(value or 0)
    return f"{value // 100}.{value % 100:02d}"


@register.filter
def yuan(fen) -> str:
    """Integer fen as yuan text through the project's one converter."""

    return format_yuan(int(fen or 0))
