from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from commissions.transparency import register_distributed_source
        from payments import (
            personal_data,  # noqa: F401  (registers the Stripe payloads' export and erasure)
            stripe_accounts,  # noqa: F401  (registers the account and payout event handlers)
            stripe_disputes,  # noqa: F401  (registers the dispute handlers)
            stripe_handlers,  # noqa: F401  (registers the Stripe event handlers)
        )
        from payments.providers import register_all
        from payments.selectors import beneficiary_earnings

        # The order life cycle reaches the dev gateway and Stripe through its registry.
        register_all()

        # The public transparency page shows what the ledger says each beneficiary earned.
        register_distributed_source(beneficiary_earnings)
