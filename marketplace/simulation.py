"""Real bookings as lines for the simulation of a draft commission rule.

``commissions`` imports nothing of ours, so it cannot read bookings: the marketplace
registers :func:`booking_lines` as its line source (``MarketplaceConfig.ready``). The
preview of a draft rule then quotes the territory's recent bookings with the draft and
with the live rules, each booking as the engine saw it when it was sold: its price
before fees, its date of booking, its date of service (what a season reads, as the cart
and checkout computed it: :func:`marketplace.commission.service_date`), and its offer's
scope as :func:`marketplace.commission.offer_commission_line` reads it today.
"""

import datetime as dt
from collections.abc import Iterator

from django.db.models import Prefetch

from commissions.dates import territory_date, territory_day_start
from commissions.engine import Line
from commissions.simulation import register_line_source
from marketplace.commission import PREFETCHED_LABELS, offer_commission_line, service_date
from marketplace.models import Booking, BookingStatus, Label

# Bookings that were sold and not cancelled: what a commission is really taken on.
SOLD_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)


@register_line_source
def booking_lines(*, site, since: dt.date, until: dt.date) -> Iterator[Line]:
    """The engine's ``Line`` of each confirmed or completed booking of ``site`` made from
    ``since`` to ``until`` (both days included, in the territory's time zone), oldest
    first. Three queries, whatever the number of bookings."""
    start = territory_day_start(since)
    end = territory_day_start(until + dt.timedelta(days=1))
    bookings = (
        Booking.objects.filter(
            order__site=site,
            status__in=SOLD_STATUSES,
            created_at__gte=start,
            created_at__lt=end,
        )
        .select_related("offer__provider", "offer__listing_category")
        .prefetch_related(
            Prefetch("offer__labels", queryset=Label.objects.order_by(), to_attr=PREFETCHED_LABELS),
            Prefetch("offer__provider__labels", queryset=Label.objects.order_by()),
        )
        .order_by("created_at", "pk")
    )
    for booking in bookings:
        yield offer_commission_line(
            offer=booking.offer,
            subtotal=booking.subtotal,
            booked_on=territory_date(booking.created_at),
            service_on=service_date(
                kind=booking.kind,
                booked_on=territory_date(booking.created_at),
                start=booking.start,
                starts_at=booking.starts_at,
            ),
        )
