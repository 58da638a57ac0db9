"""The Stripe payment provider: the adapter of :mod:`marketplace.orders.payment`'s protocol,
and the visitor's way to and back from Stripe Checkout.

``StripeGateway`` (registered by :mod:`payments.providers` and used when
``STRIPE_SECRET_KEY`` is set) sends the visitor to a Stripe Checkout Session (created on
their first visit to :func:`stripe_pay_view`) and refunds through Stripe after the refund
commits. It only delegates: sessions, transfers, refunds, webhooks and their handlers are
the ``payments`` app's Stripe modules. Each page acts only on the signed-in person's own
order (404 otherwise).
"""

from __future__ import annotations

import logging

import stripe
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from marketplace.models import Order, OrderStatus
from payments.stripe.checkout import checkout_session_for
from payments.stripe.refunds import refund_request

logger = logging.getLogger(__name__)


class StripeGateway:
    name = "stripe"

    def checkout_url(self, *, order, request) -> str:
        # The session is created when the visitor follows the link, not on every view.
        return reverse("stripe_pay", args=[order.reference])

    def refund(self, *, order, amount: int, idempotency_key: str) -> str:
        refund_request(order=order, amount=amount, idempotency_key=idempotency_key)
        return f"stripe:{idempotency_key}"


def _stripe_order(request, reference: str) -> Order:
    return get_object_or_404(
        Order, reference=reference, user=request.user, gateway=StripeGateway.name
    )


@login_required
@require_GET
def stripe_pay_view(request, reference: str):
    """Send the visitor to the order's Stripe Checkout page (created on the first visit)."""
    order = _stripe_order(request, reference)
    if not order.is_payable():
        messages.info(request, _("This order can no longer be paid."))
        return redirect("order_detail", reference=order.reference)
    try:
        payment = checkout_session_for(order=order, request=request)
    except stripe.StripeError:
        logger.exception("Checkout Session for %s could not be created", order.reference)
        messages.error(
            request,
            _("The payment service did not answer. Your places stay held: try again shortly."),
        )
        return redirect("order_detail", reference=order.reference)
    if not payment.session_open:
        messages.info(request, _("This order can no longer be paid."))
        return redirect("order_detail", reference=order.reference)
    return redirect(payment.session_url)


@login_required
@require_GET
def stripe_cancel_view(request, reference: str):
    """Back from Stripe without paying: the places stay held until the hold ends."""
    order = _stripe_order(request, reference)
    if order.status == OrderStatus.PENDING:
        messages.info(
            request,
            _(
                "Payment not made. Your places stay held until %(time)s: you can pay "
                "again from this page."
            )
            % {"time": timezone.localtime(order.hold_expires_at).strftime("%H:%M")},
        )
    return redirect("order_detail", reference=order.reference)
