from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = _("Annual settlement")

    def ready(self):
        from settlements import tasks  # noqa: F401  (registers the Celery tasks)
