"""{% mfa_return_url as back %}: where a person setting up two-factor was going."""

from django import template

from accounts.mfa_return import return_url

register = template.Library()


@register.simple_tag(takes_context=True)
def mfa_return_url(context) -> str | None:
    return return_url(context.get("request"))
