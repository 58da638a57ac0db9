"""How an order is paid and refunded: the ``PaymentGateway`` interface and its dev version.

``DevGateway`` is the embedded default when no Stripe key is configured: the visitor is
sent to an in-app "test payment" page (:mod:`payments.views`) where they pay or abandon,
and both go through the same services as a real payment would
(:func:`payments.services.order_paid`, :func:`payments.services.order_abandon`). Refunds
are recorded and succeed at once. It refuses to run when the settings say production.
The Stripe gateway plugs into the same interface.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse


class PaymentGateway(Protocol):
    name: str

    def checkout_url(self, *, order, request) -> str:
        """Where to send the visitor to pay ``order``."""

    def refund(self, *, order, amount: int, idempotency_key: str) -> str:
        """Give ``amount`` cents of ``order``'s payment back; returns the refund's reference."""


class DevGateway:
    name = "dev"

    def __init__(self):
        if settings.PRODUCTION:
            raise ImproperlyConfigured(
                "The dev payment gateway cannot take payments in production; set STRIPE_SECRET_KEY."
            )

    def checkout_url(self, *, order, request) -> str:
        return reverse("dev_pay", args=[order.reference])

    def refund(self, *, order, amount: int, idempotency_key: str) -> str:
        return f"dev_refund:{idempotency_key}"


def gateway_for(order=None) -> PaymentGateway:
    """The gateway an order is paid with (the configured one for a new order)."""
    return DevGateway()
