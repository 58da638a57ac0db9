"""The dev payment provider: ``DevGateway`` and its "test payment" page.

The embedded default when no Stripe key is configured: the visitor is sent to an in-app
"test payment" page (:func:`dev_pay_view`) where they pay or abandon, and both go through
the same transitions as a real payment would
(:func:`marketplace.orders.transitions.order_pay`,
:func:`marketplace.orders.transitions.order_abandon`). Refunds are recorded and succeed at
once. It refuses to run when the settings say production. The page acts only on the
signed-in person's own order (404 otherwise). Nothing of Stripe here.
"""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from marketplace.models import CartLine, Order, OrderStatus, TerritorySettings
from marketplace.orders.audit import VISITOR
from marketplace.orders.transitions import order_abandon, order_pay


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
            outcome = order_pay(
                order_id=order.pk,
                payment_ref=f"dev_payment:{order.reference}",
                actor=VISITOR,
                by=request.user,
            )
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
    add_never_cache_headers(response)
    return response


def _abandon(request, order: Order) -> None:
    """Abandon ``order`` and tell the visitor what came back and when they may hold it."""
    lines = CartLine.objects.filter(cart__site=order.site, cart__user=request.user)
    before, booked = lines.count(), order.bookings.count()
    if not order_abandon(order_id=order.pk, by=request.user):
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
