"""The invoices' Django app: label ``invoices``."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    name = "marketplace.invoices"
    label = "invoices"
    verbose_name = _("Invoices")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The e-mails of issued invoices subscribe to invoices_issued.
        from marketplace.invoices import delivery  # noqa: F401
