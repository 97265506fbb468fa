"""allauth adapter: phone numbers live on our User; codes go out through accounts.sms."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.fields import PhoneField
from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.sms import send_sms
from common.phone import normalize_phone


class ChinaPhoneField(PhoneField):
    """Accepts '13800138000' as well as '+8613800138000'; validates, normalises to E.164."""

    def __init__(self, *args, **kwargs):
        kwargs["validators"] = []
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "placeholder": gettext_lazy("Mobile number"),
                    "autocomplete": "tel",
                    "type": "tel",
                    "inputmode": "tel",
                }
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = forms.CharField.clean(self, value)
        if not value:
            return value
        return normalize_phone(value)


def login_identifier(credentials: dict) -> str:
    """The identifier a log-in attempt actually used, normalised: ``phone:+8613800138000``
    or ``email:owner@example.org`` (a number typed with spaces or +86 is the same one)."""
    if credentials.get("phone"):
        raw = str(credentials["phone"])
        try:
            return "phone:" + normalize_phone(raw)
        except forms.ValidationError:
            return "phone?:" + raw.strip().lower()
    if credentials.get("email"):
        return "email:" + str(credentials["email"]).strip().lower()
    return "username:" + str(credentials.get("username") or "").strip().lower()


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The key of allauth's failed-log-in limit (ACCOUNT_RATE_LIMITS["login_failed"]).

        allauth keys it on the e-mail/username field, which a phone log-in leaves empty:
        five wrong phone log-ins then locked phone log-in for everybody. Here it is the
        identifier actually used *and* the client's address, so one person's (or an
        attacker's) failures lock only that identifier from that client; the per-IP
        part of the limit still caps guessing across many identifiers."""
        from allauth.core.internal.ratelimit import get_ip

        return f"{login_identifier(credentials)}|{get_ip(request)}"

    def is_open_for_signup(self, request):
        return settings.ACCOUNT_ALLOW_SIGNUPS

    def phone_form_field(self, **kwargs):
        return ChinaPhoneField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        return normalize_phone(phone)

    def set_phone(self, user, phone: str, verified: bool) -> None:
        user.phone = normalize_phone(phone)
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user):
        if not user.phone:
            return None
        return user.phone, user.phone_verified

    def set_phone_verified(self, user, phone: str) -> None:
        self.set_phone(user, phone, True)

    def get_user_by_phone(self, phone: str):
        from accounts.models import User

        try:
            phone = normalize_phone(phone)
        except forms.ValidationError:
            return None
        return User.objects.filter(phone=phone, is_active=True).order_by("pk").first()

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        send_sms(
            phone=phone, message=_("[Gongguan] Your code is %(code)s. Do not share it.") % {"code": code}
        )

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        send_sms(phone=phone, message=_("[Gongguan] No account uses this number."))

    def send_account_already_exists_sms(self, phone: str) -> None:
        send_sms(phone=phone, message=_("[Gongguan] An account already uses this number."))
