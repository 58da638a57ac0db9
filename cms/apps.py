from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Storefront")

    def ready(self):
        # Signal receivers and checks.
        from cms import account_mail, cache, checks, services  # noqa: F401
