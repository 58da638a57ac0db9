"""The dev gateway's "test payment" page: pay or abandon a held order, as its owner."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from marketplace.models import Order, OrderStatus
from payments.gateways import DevGateway
from payments.services import order_abandon, order_paid


@login_required
@require_http_methods(["GET", "POST"])
def dev_pay_view(request, reference: str):
    DevGateway()  # refuses to run in production
    order = get_object_or_404(Order, reference=reference, user=request.user)
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
            order_abandon(order_id=order.pk)
            messages.info(request, _("Payment abandoned: the lines are back in your cart."))
            return redirect("cart")
        return redirect("order_detail", reference=order.reference)
    response = TemplateResponse(request, "payments/dev_pay.html", {"order": order})
    response["Cache-Control"] = "private, no-store"
    return response
