"""The payment providers, registered with the order life cycle when Django starts.

:func:`register_all` (called from ``PaymentsConfig.ready()``) registers each provider with
:mod:`marketplace.orders.payment`: the dev gateway (:mod:`payments.providers.dev`, the
default when no Stripe key is configured) and Stripe (:mod:`payments.providers.stripe`,
when ``STRIPE_SECRET_KEY`` is set). Adding a provider is one new module here and one line
below. Only the registration lives here: each provider's code is in its own module.
"""

from __future__ import annotations

from django.conf import settings

from marketplace.orders.payment import register
from payments.providers.dev import DevGateway
from payments.providers.stripe import StripeGateway


def configured_gateway_name() -> str:
    """The provider a new order is paid with: Stripe when a key is set, else the dev one."""
    return StripeGateway.name if settings.STRIPE_SECRET_KEY else DevGateway.name


def register_all() -> None:
    register(DevGateway.name, DevGateway)
    register(StripeGateway.name, StripeGateway, default=configured_gateway_name)
