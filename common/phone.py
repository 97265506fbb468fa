"""Phone numbers: mainland mobile numbers are accepted as typed and stored in E.164."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def normalize_phone(raw: str) -> str:
    """'138 0013 8000', '+86 138-0013-8000', '008613800138000' → '+8613800138000'.

    Raises ValidationError (code ``invalid_phone``) for anything else.
    """
    text = re.sub(r"[\s\-()]", "", raw or "")
    if text.startswith("00"):
        text = "+" + text[2:]
    if _CN_MOBILE.match(text):
        return "+86" + text
    if text.startswith("+86"):
        if _CN_MOBILE.match(text[3:]):
            return text
        raise ValidationError(
            _("“%(value)s” is not a mainland mobile number (11 digits starting with 1)."),
            code="invalid_phone",
            params={"value": raw},
        )
    if _E164.match(text):
        return text
    raise ValidationError(
        _("“%(value)s” is not a phone number. Use an 11-digit mobile number or +country code."),
        code="invalid_phone",
        params={"value": raw},
    )


def mask_phone(phone: str) -> str:
    """'+8613800138000' → '138****8000'."""
    digits = phone[3:] if phone.startswith("+86") else phone
    if len(digits) < 7:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"
