"""Stays booked and paid with their tourist tax, through the real checkout.

The checkout computes the tax with the stay's quote and freezes ``Booking.tax`` and
``Booking.tax_details`` (:mod:`marketplace.stay_tax`); the real ``order_pay`` then posts
it to ``tax:tourist:<commune slug>`` (``booking_ledger_post``) on its payment date.
"""

import datetime as dt

from marketplace.models import Booking
from marketplace.orders.transitions import order_pay
from tests.booking_helpers import book


def taxed_stay_book(
    visitor, offer, *, start: dt.date, end: dt.date, adults: int, minors: int = 0, paid_at
) -> Booking:
    """Book ``offer`` from ``start`` to ``end`` and pay at ``paid_at``."""
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
    assert booking.tax_details, "the checkout froze the stay's tourist tax"
    order_pay(order_id=order.pk, payment_ref=f"test:{order.reference}", now=paid_at, notify=False)
    booking.refresh_from_db()
    return booking
