"""What booking e-mails show: the order, its bookings grouped by provider, the breakdown.

Each booking comes with its frozen breakdown (:func:`marketplace.commission.booking_breakdown`:
price lines, service fee, total, "of which X to <beneficiary>") and its cancellation
policy in words. Links are absolute: ``base_url`` is the territory's public address
(:func:`marketplace.web.public_url`, from ``settings.PUBLIC_URL``); templates add the
path with ``{% url %}``, which they render in the person's language (the tasks render
inside ``translation.override``).
"""

from django.urls import reverse

from commissions.selectors import beneficiary_names
from marketplace.commission import booking_breakdown
from marketplace.models import Booking, Order
from marketplace.orders.policies import policy_for
from marketplace.selectors import bookings_localise
from marketplace.web import public_url


def _names(site_id: int, bookings) -> dict[str, str]:
    keys = {key for booking in bookings for key in booking.allocations}
    return beneficiary_names(site_id=site_id, keys=keys)


def site_base_url(order: Order) -> str:
    """The territory's address for links in e-mails (no trailing slash)."""
    return public_url("/", site=order.site if order.site_id else None).removesuffix("/")


def admin_url() -> str:
    """The admin's home, where a provider sees its bookings."""
    return public_url(reverse("wagtailadmin_home"))


def booking_item(booking: Booking, *, names: dict[str, str]) -> dict:
    return {
        "booking": booking,
        "breakdown": booking_breakdown(booking, names=names),
        "policy": policy_for(booking.cancellation_policy),
    }


def order_email_context(order: Order) -> dict:
    # Titles in the order's language for the visitor (``title_shown``); the providers'
    # e-mails, in French, keep the recorded ``offer_title``.
    bookings = bookings_localise(
        order.bookings.select_related("provider").order_by("pk"), language=order.language
    )
    names = _names(order.site_id, bookings)
    items = [booking_item(booking, names=names) for booking in bookings]
    groups: dict[int, dict] = {}
    for item in items:
        booking = item["booking"]
        group = groups.setdefault(
            booking.provider_id, {"provider": booking.provider, "items": [], "net": 0}
        )
        group["items"].append(item)
        group["net"] += booking.provider_net
    return {
        "order": order,
        "bookings": bookings,
        "items": items,
        "providers": list(groups.values()),
        "beneficiary_names": names,
        "currency": order.currency,
        "base_url": site_base_url(order),
        "admin_url": admin_url(),
    }


def booking_email_context(booking: Booking) -> dict:
    order = booking.order
    bookings_localise([booking], language=order.language)
    refunds = list(booking.refunds.all())
    refund = refunds[-1] if refunds else None
    names = _names(order.site_id, [booking])
    return {
        "order": order,
        "booking": booking,
        "item": booking_item(booking, names=names),
        "refund": refund,
        "refund_percent": (
            round(100 * refund.fraction_numerator / refund.fraction_denominator)
            if refund and refund.fraction_denominator
            else 0
        ),
        "refunds": refunds,
        "beneficiary_names": names,
        "currency": order.currency,
        "base_url": site_base_url(order),
        "admin_url": admin_url(),
    }
