from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommissionsConfig(AppConfig):
    name = "commissions"
    verbose_name = _("Commissions")

    def ready(self):
        # Receivers of the models' signals: the go-live guards and the rule's preview.
        from commissions import golive, preview_views  # noqa: F401
