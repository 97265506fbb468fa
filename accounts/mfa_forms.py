"""allauth's two-factor forms with messages a signer can act on (MFA_FORMS).

allauth answers "Incorrect code." both for a wrong code and for a right code that was
just used (a TOTP code counts once); on a phone the second case looks like a typo. Here
the two read differently: a used code says to wait for the next one.
"""

from __future__ import annotations

from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.totp.internal.auth import validate_totp_code
from allauth.mfa.utils import decrypt
from django import forms
from django.utils.translation import gettext_lazy as _

WRONG_CODE = _(
    "That code is not right. Enter the six digits your authenticator app shows now for this account."
)
USED_CODE = _(
    "That code was already used. Wait for the next code in your authenticator app (a new one "
    "every 30 seconds) and enter it."
)


def _digits(code: str) -> str:
    return "".join((code or "").split())


def totp_code_already_used(user, code: str) -> bool:
    """A code right for the user's authenticator now, refused only because it was used."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None or not code:
        return False
    return validate_totp_code(decrypt(authenticator.data["secret"]), _digits(code))


CODE_INPUT = {"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}


class _DistinctMessages:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(CODE_INPUT)

    def clean_code(self):
        try:
            return super().clean_code()
        except forms.ValidationError as exc:
            if exc.code != "incorrect_code":  # e.g. too many attempts: allauth's words
                raise
            if totp_code_already_used(self.user, self.data.get("code", "")):
                raise forms.ValidationError(USED_CODE, code="code_used") from None
            raise forms.ValidationError(WRONG_CODE, code="incorrect_code") from None


class CodeAuthenticateForm(_DistinctMessages, AuthenticateForm):
    pass


class CodeReauthenticateForm(_DistinctMessages, ReauthenticateForm):
    pass


class CodeActivateTOTPForm(ActivateTOTPForm):
    """Activation: the same plain wording for a wrong code."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(CODE_INPUT)

    def clean_code(self):
        try:
            return super().clean_code()
        except forms.ValidationError as exc:
            if exc.code == "incorrect_code":
                raise forms.ValidationError(WRONG_CODE, code="incorrect_code") from None
            raise
