from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Marketplace")

    def ready(self):
        # At ready, Django's place for it: signal receivers and the simulation's line
        # source need the models loaded.
        from marketplace import ids, signals, simulation  # noqa: F401

        ids.install()
