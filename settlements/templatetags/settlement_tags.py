"""``{% load settlement_tags %}{% compound_settlements compound %}``: the compound's latest
confirmed settlements, for its public page (beside the quarterly disclosures)."""

from django import template

from settlements.selectors import public_settlements

register = template.Library()


@register.inclusion_tag("settlements/_public_block.html")
def compound_settlements(compound):
    return {"compound": compound, "settlements": public_settlements(compound)}
