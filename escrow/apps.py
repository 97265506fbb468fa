from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscrowConfig(AppConfig):
    name = "escrow"
    verbose_name = _("Escrow account")

    def ready(self):
        # Register the Celery tasks in every process, not only in workers: services queue
        # some of them by name (the disclosure build) so as not to import their own task.
        from escrow import tasks  # noqa: F401
