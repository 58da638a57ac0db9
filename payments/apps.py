from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        # Imported here, not at the top: these modules import models, which Django only
        # allows once every app is loaded (AppConfig.ready is the place it says so).
        from payments.providers import register_all
        from payments.stripe import (
            accounts,  # noqa: F401  (registers the account and payout event handlers)
            disputes,  # noqa: F401  (registers the dispute handlers)
            handlers,  # noqa: F401  (registers the Stripe event handlers)
            personal_data,  # noqa: F401  (registers the Stripe payloads' export and erasure)
        )

        # The order life cycle reaches the dev gateway and Stripe through its registry.
        register_all()
