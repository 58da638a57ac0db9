"""How an order is paid and refunded: the ``PaymentGateway`` interface and its two versions.

``DevGateway`` is the embedded default when no Stripe key is configured: the visitor is
sent to an in-app "test payment" page (:mod:`payments.views`) where they pay or abandon,
and both go through the same services as a real payment would
(:func:`payments.services.order_paid`, :func:`payments.services.order_abandon`). Refunds
are recorded and succeed at once. It refuses to run when the settings say production.

``StripeGateway`` (when ``STRIPE_SECRET_KEY`` is set) sends the visitor to a Stripe
Checkout Session and refunds through Stripe after the refund commits
(:mod:`payments.stripe_connect`).
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
        """Give ``amount`` cents of ``order``'s payment back; returns the refund's reference.

        Called inside the transaction that records the refund: a gateway that calls out
        must do so after commit.
        """


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


class StripeGateway:
    name = "stripe"

    def checkout_url(self, *, order, request) -> str:
        # The session is created when the visitor follows the link, not on every view.
        return reverse("stripe_pay", args=[order.reference])

    def refund(self, *, order, amount: int, idempotency_key: str) -> str:
        from payments.stripe_refunds import refund_request

        refund_request(order=order, amount=amount, idempotency_key=idempotency_key)
        return f"stripe:{idempotency_key}"


def configured_gateway_name() -> str:
    """The gateway a new order is paid with: Stripe when a key is set, else the dev one."""
    return StripeGateway.name if settings.STRIPE_SECRET_KEY else DevGateway.name


def gateway_for(order=None) -> PaymentGateway:
    """The gateway an order is paid with (the configured one for a new order)."""
    name = order.gateway if order is not None else configured_gateway_name()
    return StripeGateway() if name == StripeGateway.name else DevGateway()
