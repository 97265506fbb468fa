from django import template

register = template.Library()


@register.filter
def centi(value) -> str:
    """Hundredths of a m² (an integer) as a decimal string: 8950 → '89.50'."""
    value = int(value or 0)
    return f"{value // 100}.{value % 100:02d}"
