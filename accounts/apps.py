from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from allauth.mfa.totp.internal.auth import TOTP

        from accounts import checks  # noqa: F401 - registers the system checks
        from accounts.stepup import _mark_code_used

        # allauth remembers used TOTP codes in the cache, which is per process unless a
        # shared one is configured: keep them in the database instead (accounts.stepup).
        def mark_code_used(self, code):
            return _mark_code_used(self, code)

        mark_code_used.__wrapped_by_gongguan__ = True
        TOTP._mark_code_used = mark_code_used

        from allauth.mfa import signals

        from accounts.mfa_return import count_activation_as_a_fresh_factor

        signals.authenticator_added.connect(
            count_activation_as_a_fresh_factor, dispatch_uid="gongguan.activation_counts"
        )
