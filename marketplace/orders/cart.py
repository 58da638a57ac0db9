"""The visitor's cart: lines from several providers, checked and priced like the offer page.

An anonymous visitor's cart is found through the session; a signed-in person's through
their account. When someone logs in, the session's cart is merged into theirs
(:func:`cart_merge`, called on allauth's ``user_logged_in``). A line is checked with the
same forms as the offer page's "your price" box (:mod:`marketplace.quotes`) when it is
added and again, with today's availability and prices, every time the cart is shown or
checked out; only checkout (:func:`marketplace.orders.transitions.checkout`) reserves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from commissions.engine import Quote
from commissions.selectors import beneficiary_names, live_rule_specs
from marketplace.commission import (
    PriceBreakdown,
    beneficiary_shares,
    commission_vat_rate,
    offer_commission_quote,
    service_date,
    vat_quoted,
)
from marketplace.localisation import source_language
from marketplace.models import Cart, CartLine, OfferKind, OfferPage, TerritorySettings
from marketplace.orders.errors import BookingError
from marketplace.pricing import PriceQuote
from marketplace.quotes import offer_quote
from marketplace.selectors import offer_availability

SESSION_KEY = "comptoir_cart:{site_id}"


@dataclass
class PricedLine:
    line: CartLine
    price: PriceQuote | None = None
    breakdown: PriceBreakdown | None = None
    error: str = ""

    @property
    def commission(self) -> Quote | None:
        return self.breakdown.commission_quote if self.breakdown else None

    @property
    def tax(self) -> int:
        """The tourist tax the visitor pays with this line (0 when none or on site)."""
        return self.breakdown.tax_charged if self.breakdown else 0

    @property
    def visitor_total(self) -> int:
        """What the visitor pays for this line: price, service fee and tourist tax."""
        return self.breakdown.total if self.breakdown else 0

    @property
    def ok(self) -> bool:
        return not self.error and self.commission is not None


def max_lines(site) -> int:
    """The territory's cap on lines per cart (and so per order)."""
    return TerritorySettings.for_site(site).max_lines_per_order


def _session_key(site) -> str:
    return SESSION_KEY.format(site_id=site.pk)


def cart_for(*, request, site, create: bool = False) -> Cart | None:
    """The cart of whoever makes ``request`` in territory ``site`` (created if asked)."""
    user = request.user
    if user.is_authenticated:
        cart = Cart.objects.filter(site=site, user=user).first()
        if cart is None and create:
            cart, _created = Cart.objects.get_or_create(site=site, user=user)
        return cart
    cart_id = request.session.get(_session_key(site))
    cart = Cart.objects.filter(pk=cart_id, site=site, user=None).first() if cart_id else None
    if cart is None and create:
        cart = Cart.objects.create(site=site)
        request.session[_session_key(site)] = cart.pk
    return cart


def _line_params(line: CartLine) -> dict:
    if line.offer.kind == OfferKind.STAY:
        params = {"start": line.start.isoformat(), "end": line.end.isoformat()}
        params["units"] = str(line.quantity)
        if line.adults is not None:
            params["adults"], params["minors"] = str(line.adults), str(line.minors or 0)
        if line.tax_exempt_persons:
            params["exempt_adults"] = str(line.tax_exempt_persons)
        return params
    if line.offer.kind == OfferKind.ACTIVITY:
        return {"slot": str(line.slot_id or ""), "persons": str(line.quantity)}
    return {"quantity": str(line.quantity)}


def _checked(*, offer, params: dict):
    """The offer page's form on ``params``: (form, price, tourist tax) or a BookingError
    (a stay whose tourist tax cannot be computed too: the offer page's message)."""
    availability = offer_availability(offer=offer)
    result = offer_quote(offer=offer, params=params, availability=availability)
    if not result.asked:
        raise BookingError(_("Choose dates, a time slot or a quantity first."))
    if result.quote is None:
        errors = [str(e) for errors in result.form.errors.values() for e in errors]
        raise BookingError(" ".join(errors) or _("This choice cannot be booked."))
    return result.form, result.quote, result.tax


def cart_line_add(*, cart: Cart, offer: OfferPage, params: dict) -> CartLine:
    """Check the visitor's choice on ``offer`` and put it in the cart."""
    offer = offer.specific
    if not offer.live or offer.provider is None or offer.provider.site_id != cart.site_id:
        raise BookingError(_("This offer cannot be booked."))
    if offer.locale.language_code != source_language():
        # A translation only lends its text: capacity, prices and bookings are the
        # source offer's (marketplace.localisation).
        raise BookingError(_("This offer cannot be booked."))
    limit = max_lines(cart.site)
    if cart.lines.count() >= limit:
        raise BookingError(_("A cart holds at most %(count)d lines.") % {"count": limit})
    form, _price, _tax = _checked(offer=offer, params=params)
    data = form.cleaned_data
    line = CartLine(cart=cart, offer=offer, quantity=1)
    if offer.kind == OfferKind.STAY:
        line.start, line.end = data["start"], data["end"]
        line.quantity = data["units"]
        line.adults, line.minors, line.guests = data["adults"], data["minors"], data["guests"]
        line.tax_exempt_persons = data["tax_exempt_persons"]
    elif offer.kind == OfferKind.ACTIVITY:
        line.slot_id, line.quantity = data["slot"], data["persons"]
    else:
        line.quantity = data["quantity"]
    with transaction.atomic():
        line.save()
        cart_touch(cart)
    return line


def cart_touch(cart: Cart) -> None:
    """A new version: a checkout form shown before this change is now stale."""
    cart.version = uuid.uuid4()
    cart.save(update_fields=["version", "updated_at"])


def cart_line_remove(*, cart: Cart, line_id) -> bool:
    """Remove one of this cart's lines (another cart's line id changes nothing)."""
    try:
        line_id = int(line_id)
    except (TypeError, ValueError):
        return False
    with transaction.atomic():
        deleted, _rows = CartLine.objects.filter(cart=cart, pk=line_id).delete()
        if deleted:
            cart_touch(cart)
    return bool(deleted)


def cart_lines(cart: Cart | None) -> list[CartLine]:
    if cart is None:
        return []
    return list(
        cart.lines.select_related(
            "offer", "offer__provider", "offer__listing_category", "slot"
        ).prefetch_related("offer__labels", "offer__provider__labels")
    )


def cart_lines_priced(*, cart: Cart | None, today: dt.date | None = None) -> list[PricedLine]:
    """Every line checked again against today's availability, priced, with its commission."""
    today = today or timezone.localdate()
    lines = cart_lines(cart)
    if not lines:
        return []
    specs = live_rule_specs(site_id=cart.site_id)
    priced = []
    taxes = {}  # id(item) -> its stay's tourist tax
    for line in lines:
        offer = line.offer.specific
        offer.provider = line.offer.provider
        offer.listing_category = line.offer.listing_category
        line.offer = offer
        item = PricedLine(line=line)
        if not offer.live:
            item.error = _("This offer is no longer available.")
            priced.append(item)
            continue
        try:
            form, item.price, tax = _checked(offer=offer, params=_line_params(line))
            if offer.kind == OfferKind.STAY and line.adults is None:
                # A line put in the cart before adults and minors were asked, without a
                # number of guests: what the form takes it for (one adult), shown in the
                # cart and booked as shown.
                data = form.cleaned_data
                line.adults, line.minors = data["adults"], data["minors"]
                line.guests = data["guests"]
            taxes[id(item)] = tax
        except BookingError as error:
            item.error = error.message
        priced.append(item)
    # Each line quoted once; then the beneficiaries' names in one query for all of them.
    valid = [item for item in priced if item.price is not None]
    commissions = [
        offer_commission_quote(
            offer=item.line.offer,
            subtotal=item.price.total,
            booked_on=today,
            service_on=cart_line_service_date(item.line, booked_on=today),
            specs=specs,
        )
        for item in valid
    ]
    keys = {key for commission in commissions for key in commission.allocations}
    names = beneficiary_names(site_id=cart.site_id, keys=keys)
    vat_rate = commission_vat_rate(cart.site_id) if valid else None
    for item, commission in zip(valid, commissions, strict=True):
        item.breakdown = PriceBreakdown(
            price_quote=item.price,
            commission_quote=commission,
            beneficiaries=beneficiary_shares(
                allocations=commission.allocations,
                site_id=cart.site_id,
                names=names,
                vat=vat_quoted(commission.allocations, rate=vat_rate),
            ),
            tax=taxes.get(id(item)),
        )
    return priced


def cart_line_service_date(line: CartLine, *, booked_on: dt.date) -> dt.date | None:
    """The date a season rule reads for this line: arrival, slot date, or booking date."""
    return service_date(
        kind=line.offer.kind,
        booked_on=booked_on,
        start=line.start,
        starts_at=line.slot.starts_at if line.slot_id else None,
    )


def cart_merge(*, source: Cart, target: Cart) -> int:
    """Move the lines of an anonymous cart into a person's cart; returns how many."""
    if source.pk == target.pk:
        return 0
    with transaction.atomic():
        room = max(max_lines(target.site) - target.lines.count(), 0)
        ids = list(source.lines.values_list("pk", flat=True)[:room])
        moved = CartLine.objects.filter(pk__in=ids).update(cart=target)
        source.delete()
        if moved:
            cart_touch(target)
    return moved


def cart_adopt(*, request, user, site) -> None:
    """On login: the session's cart becomes (or joins) the person's cart in this territory."""
    cart_id = request.session.pop(_session_key(site), None)
    anonymous = Cart.objects.filter(pk=cart_id, site=site, user=None).first() if cart_id else None
    if anonymous is None:
        return
    own = Cart.objects.filter(site=site, user=user).first()
    if own is None:
        anonymous.user = user
        anonymous.save(update_fields=["user", "updated_at"])
    else:
        cart_merge(source=anonymous, target=own)


def cart_restore(*, order) -> int:
    """Put an abandoned order's lines back in its owner's cart, to try again.

    Only as many as the territory's lines cap leaves room for beside what the cart
    already holds; returns how many went back.
    """
    if order.user_id is None:
        return 0
    with transaction.atomic():
        cart, _created = Cart.objects.get_or_create(site=order.site, user_id=order.user_id)
        cart = Cart.objects.select_for_update().get(pk=cart.pk)
        room = max(max_lines(cart.site) - cart.lines.count(), 0)
        lines = [
            CartLine(
                cart=cart,
                offer_id=booking.offer_id,
                start=booking.start if booking.kind == OfferKind.STAY else None,
                end=booking.end,
                slot_id=booking.slot_id,
                quantity=booking.quantity,
                guests=booking.guests,
                adults=booking.adults,
                minors=booking.minors,
                tax_exempt_persons=booking.tax_exempt_persons,
            )
            for booking in order.bookings.order_by("pk")[:room]
        ]
        CartLine.objects.bulk_create(lines)
        if lines:
            cart_touch(cart)
    return len(lines)


def cart_unrestore(*, order) -> int:
    """Take back out of its owner's cart the lines an abandoned order put back there.

    Called when a payment for that order arrives after all and confirms it, so the
    visitor is not offered to book the same thing twice. Returns how many went.
    """
    if order.user_id is None:
        return 0
    cart = Cart.objects.filter(site=order.site, user_id=order.user_id).first()
    if cart is None:
        return 0
    removed = 0
    for booking in order.bookings.all():
        line = cart.lines.filter(
            offer_id=booking.offer_id,
            start=booking.start if booking.kind == OfferKind.STAY else None,
            end=booking.end,
            slot_id=booking.slot_id,
            quantity=booking.quantity,
            adults=booking.adults,
            minors=booking.minors,
            tax_exempt_persons=booking.tax_exempt_persons,
        ).first()
        if line is not None:
            line.delete()
            removed += 1
    if removed:
        cart_touch(cart)
    return removed
