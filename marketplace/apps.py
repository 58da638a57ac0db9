from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Marketplace")

    def ready(self):
        # At ready, Django's place for it: signal receivers, the simulation's line source
        # and the offer page's context (storefront) need the models loaded.
        from marketplace import ids, signals, simulation, storefront  # noqa: F401

        ids.install()
        storefront.install()
