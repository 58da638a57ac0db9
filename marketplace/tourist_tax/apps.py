"""The tourist tax's Django app: label ``tourist_tax``."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TouristTaxConfig(AppConfig):
    name = "marketplace.tourist_tax"
    label = "tourist_tax"
    verbose_name = _("Tourist tax")
    default_auto_field = "django.db.models.BigAutoField"
