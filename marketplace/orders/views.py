"""The cart and checkout pages: "Mon panier", add and remove a line, confirm and pay.

Views only (their templates are in ``marketplace/templates/marketplace/``): the cart is
:mod:`marketplace.orders.cart`, holds and orders :mod:`marketplace.orders.transitions`,
payment the provider of :mod:`marketplace.orders.payment`. Every POST is CSRF-protected and
acts only on the requester's own cart and orders; anything else is a 404 or a message,
never a change.
"""

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from commissions.selectors import beneficiary_names
from marketplace.localisation import source_language
from marketplace.models import OfferPage, Order
from marketplace.orders.access import email_verified
from marketplace.orders.cart import (
    cart_for,
    cart_line_add,
    cart_line_remove,
    cart_lines_priced,
)
from marketplace.orders.payment import configured_provider_name, provider_for
from marketplace.orders.receipts import order_refunds
from marketplace.orders.transitions import BookingError, checkout
from marketplace.selectors import bookings_localise, offers_localise
from marketplace.web import site_for_request


def cart_groups(priced) -> list[dict]:
    """Lines grouped by provider, in the order they were added."""
    groups: dict[int, dict] = {}
    for item in priced:
        provider = item.line.offer.provider
        group = groups.setdefault(provider.pk, {"provider": provider, "lines": []})
        group["lines"].append(item)
    return list(groups.values())


def cart_context(*, request, site) -> dict:
    cart = cart_for(request=request, site=site)
    priced = cart_lines_priced(cart=cart)
    # The offers' titles in the visitor's language (display only: checkout reads the
    # lines again, from the source offers).
    offers_localise([item.line.offer for item in priced])
    ok = [item for item in priced if item.ok]
    return {
        "cart": cart,
        "groups": cart_groups(priced),
        "lines": priced,
        "has_errors": any(not item.ok for item in priced),
        "subtotal": sum(item.commission.subtotal for item in ok),
        "visitor_fee": sum(item.commission.visitor_fee for item in ok),
        "tax": sum(item.tax for item in ok),
        "total": sum(item.visitor_total for item in ok),
        "checkout_key": cart.version if cart else "",
    }


@require_GET
def cart_view(request):
    site = site_for_request(request)
    context = cart_context(request=request, site=site)
    if request.user.is_authenticated:
        context["needs_verification"] = not email_verified(request.user)
    response = TemplateResponse(request, "marketplace/cart.html", context)
    add_never_cache_headers(response)
    return response


@require_POST
def cart_add_view(request, offer_id: int):
    site = site_for_request(request)
    offer = (
        OfferPage.objects.live()
        .filter(pk=offer_id, locale__language_code=source_language())
        .select_related("provider")
        .first()
    )
    if offer is None or offer.provider is None or offer.provider.site_id != site.pk:
        raise Http404(_("This offer does not exist."))
    cart = cart_for(request=request, site=site, create=True)
    try:
        cart_line_add(cart=cart, offer=offer, params=request.POST)
    except BookingError as error:
        messages.error(request, error.message)
        back = request.POST.get("next", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)
        return redirect(offer.get_url(request) or "cart")
    offers_localise([offer])  # the message names it in the visitor's language
    messages.success(request, _("Added to your cart: %(offer)s.") % {"offer": offer.title})
    return redirect("cart")


@require_POST
def cart_remove_view(request, line_id: int):
    cart = cart_for(request=request, site=site_for_request(request))
    if cart is None or not cart_line_remove(cart=cart, line_id=line_id):
        messages.error(request, _("This line is not in your cart."))
    else:
        messages.success(request, _("The line was removed from your cart."))
    return redirect("cart")


@login_required
@require_POST
def checkout_view(request):
    """Hold everything in the cart under one order, then go and pay.

    Rate-limited per account and per client address (``CHECKOUT_RATE_LIMITS``, through
    allauth's rate limits: the shared cache, the client address found with
    ``ALLAUTH_TRUSTED_PROXY_COUNT``); the territory's limits on what one account holds
    are the checkout service's (:mod:`marketplace.orders.hold_limits`), and so are the
    verified e-mail and the form's checks (:func:`marketplace.orders.transitions.checkout`).
    """
    site = site_for_request(request)
    if not ratelimit.consume(request, action="checkout", user=request.user):
        messages.error(
            request,
            _("Too many checkouts in a short time: wait a few minutes, then try again."),
        )
        return redirect("cart")
    cart = cart_for(request=request, site=site)
    try:
        order = checkout(
            cart=cart,
            user=request.user,
            checkout_key=request.POST.get("checkout_key", ""),
            priced_lines=cart_lines_priced(cart=cart),
            language=get_language() or "fr",
            gateway=configured_provider_name(),
        )
    except BookingError as error:
        # Refusals (unverified e-mail, stale form, empty cart, limits, capacity) and
        # "busy, try again" (rows locked too long by other checkouts) alike.
        messages.error(request, error.message)
        return redirect("cart")
    return redirect("order_detail", reference=order.reference)


@login_required
@require_GET
def order_view(request, reference: str):
    """An order of the signed-in person: pay it while it is held, or see how it ended."""
    order = get_object_or_404(
        Order.objects.select_related("site"), reference=reference, user=request.user
    )
    bookings = bookings_localise(order.bookings.select_related("provider").order_by("pk"))
    keys = {key for booking in bookings for key in booking.allocations}
    pay_url = ""
    if order.is_payable():
        pay_url = provider_for(order).checkout_url(order=order, request=request)
    response = TemplateResponse(
        request,
        "marketplace/order.html",
        {
            "order": order,
            "bookings": bookings,
            "pay_url": pay_url,
            # Back from Stripe's payment page: the webhook may not have arrived yet.
            "payment_processing": request.GET.get("paiement") == "ok" and order.status == "pending",
            "beneficiary_names": beneficiary_names(site_id=order.site_id, keys=keys),
            "refunds_with_receipt": order_refunds(order),
        },
    )
    add_never_cache_headers(response)
    return response
