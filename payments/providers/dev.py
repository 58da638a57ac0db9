"""Payment pages: the dev gateway's "test payment" page, and the way to and back from
Stripe Checkout. Each acts only on the signed-in person's own order (404 otherwise)."""

import datetime as dt
import logging

import stripe
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from marketplace.models import CartLine, Order, OrderStatus, TerritorySettings
from payments.gateways import DevGateway, StripeGateway
from payments.services import order_abandon, order_paid
from payments.stripe_connect import checkout_session_for

logger = logging.getLogger(__name__)


@login_required
@require_http_methods(["GET", "POST"])
def dev_pay_view(request, reference: str):
    DevGateway()  # refuses to run in production
    order = get_object_or_404(
        Order, reference=reference, user=request.user, gateway=DevGateway.name
    )
    if request.method == "POST" and order.status in (
        OrderStatus.PENDING,
        OrderStatus.EXPIRED,
    ):
        if request.POST.get("action") == "pay":
            outcome = order_paid(order_id=order.pk, payment_ref=f"dev_payment:{order.reference}")
            if outcome == "late_refused":
                messages.error(
                    request,
                    _(
                        "Your payment arrived after your booking's hold expired and the places "
                        "were taken meanwhile: it has been refunded in full."
                    ),
                )
            else:
                messages.success(request, _("Payment received: your booking is confirmed."))
        elif request.POST.get("action") == "abandon" and order.status == OrderStatus.PENDING:
            _abandon(request, order)
            return redirect("cart")
        return redirect("order_detail", reference=order.reference)
    response = TemplateResponse(request, "payments/dev_pay.html", {"order": order})
    response["Cache-Control"] = "private, no-store"
    return response


def _abandon(request, order: Order) -> None:
    """Abandon ``order`` and tell the visitor what came back and when they may hold it."""
    lines = CartLine.objects.filter(cart__site=order.site, cart__user=request.user)
    before, booked = lines.count(), order.bookings.count()
    if not order_abandon(order_id=order.pk):
        return
    messages.info(request, _("Payment abandoned: the lines are back in your cart."))
    left_out = booked - (lines.count() - before)
    if left_out > 0:
        messages.warning(
            request,
            ngettext(
                "%(count)d line did not fit back in your cart (it is full).",
                "%(count)d lines did not fit back in your cart (it is full).",
                left_out,
            )
            % {"count": left_out},
        )
    minutes = TerritorySettings.for_site(order.site).hold_cooldown_minutes
    order.refresh_from_db(fields=["released_at"])
    if minutes and order.released_at:
        until = order.released_at + dt.timedelta(minutes=minutes)
        messages.info(
            request,
            _("So that others get their turn, you can book these again from %(time)s.")
            % {"time": timezone.localtime(until).strftime("%H:%M")},
        )


def _stripe_order(request, reference: str) -> Order:
    return get_object_or_404(
        Order, reference=reference, user=request.user, gateway=StripeGateway.name
    )


@login_required
@require_GET
def stripe_pay_view(request, reference: str):
    """Send the visitor to the order's Stripe Checkout page (created on the first visit)."""
    order = _stripe_order(request, reference)
    if order.status != OrderStatus.PENDING or order.hold_expires_at <= timezone.now():
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
