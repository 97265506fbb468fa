from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from allauth.mfa import signals

        from accounts import checks  # noqa: F401 - registers the system checks
        from accounts.mfa_return import count_activation_as_a_fresh_factor

        signals.authenticator_added.connect(
            count_activation_as_a_fresh_factor, dispatch_uid="gongguan.activation_counts"
        )
