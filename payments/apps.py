from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from payments import (
            personal_data,  # noqa: F401  (registers the Stripe payloads' export and erasure)
            stripe_accounts,  # noqa: F401  (registers the account and payout event handlers)
            stripe_disputes,  # noqa: F401  (registers the dispute handlers)
            stripe_handlers,  # noqa: F401  (registers the Stripe event handlers)
        )
