"""Stays booked with their tourist tax, frozen and posted as the checkout will do it.

STAND-IN FOR THE CHECKOUT WIRING (branch ``i13-taxflow``). Until checkout computes the
tax itself, :func:`taxed_stay_book` books a stay through the real cart and checkout, then
does what that wiring will do before the payment: computes the quote with
:func:`marketplace.tourist_tax.selectors.quote_for` and freezes ``Booking.tax`` (cents,
only when the platform collects it: a non-professional host) and ``Booking.tax_details``
(the keys the wiring writes); then it pays through the real ``order_pay``, whose
``booking_ledger_post`` credits the tax to ``tax:tourist:<commune slug>``. Once the wiring
is merged, the middle step goes and the checkout's own numbers are used.
"""

import datetime as dt

from marketplace.models import Booking
from marketplace.orders.transitions import order_pay
from marketplace.tourist_tax.selectors import quote_for, rate_for
from tests.booking_helpers import book

DETAIL_KEYS = (
    "commune",
    "category",
    "rate_id",
    "rate_per_person_night",
    "persons_taxed",
    "exempt_persons",
    "nights",
    "base",
    "surcharges",
    "surcharge_rates",
    "proportional",
    "price_per_night",
    "registration_number",
    "host_is_professional",
    "collected_by_platform",
    "address",
)


def tax_details_for(*, booking: Booking, offer, quote, rate) -> dict:
    """``Booking.tax_details`` as the checkout wiring freezes it."""
    provider = booking.provider
    details = {
        "commune": provider.commune,
        "category": offer.tax_category,
        "rate_id": rate.pk if rate is not None else None,
        "rate_per_person_night": quote.rate_per_person_night,
        "persons_taxed": quote.persons_taxed,
        "exempt_persons": quote.exempt_persons,
        "nights": quote.nights,
        "base": quote.base,
        "surcharges": dict(quote.surcharges),
        "surcharge_rates": dict(quote.surcharge_rates),
        "proportional": quote.proportional,
        "price_per_night": quote.price_per_night,
        "registration_number": offer.registration_number,
        "host_is_professional": offer.host_is_professional,
        "collected_by_platform": not offer.host_is_professional,
        "address": f"{provider.address}, {provider.postcode} {provider.commune}",
    }
    assert tuple(details) == DETAIL_KEYS
    return details


def taxed_stay_book(
    visitor, offer, *, start: dt.date, end: dt.date, adults: int, minors: int = 0, paid_at
) -> Booking:
    """Book ``offer`` from ``start`` to ``end``, freeze its tourist tax, pay at ``paid_at``."""
    order = book(
        visitor,
        offer,
        pay=False,
        start=start.isoformat(),
        end=end.isoformat(),
        adults=adults,
        minors=minors,
    )
    booking = order.bookings.get()
    nights = (end - start).days
    site = booking.provider.site
    commune = booking.provider.commune
    quote = quote_for(
        site=site,
        commune=commune,
        category=offer.tax_category,
        on_date=start,
        nights=nights,
        adults=adults,
        minors=minors,
        price_per_night=booking.subtotal // nights,
    )
    rate = rate_for(site=site, commune=commune, category=offer.tax_category, on_date=start)
    details = tax_details_for(booking=booking, offer=offer, quote=quote, rate=rate)
    Booking.objects.filter(pk=booking.pk).update(
        tax=quote.total if details["collected_by_platform"] else 0, tax_details=details
    )
    order_pay(order_id=order.pk, payment_ref=f"test:{order.reference}", now=paid_at, notify=False)
    booking.refresh_from_db()
    return booking
