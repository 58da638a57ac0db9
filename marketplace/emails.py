"""What booking e-mails show: the order, its bookings grouped by provider, the breakdown."""

from commissions.selectors import beneficiary_names
from marketplace.models import Booking, Order


def _names(site_id: int, bookings) -> dict[str, str]:
    keys = {key for booking in bookings for key in booking.allocations}
    return beneficiary_names(site_id=site_id, keys=keys)


def order_email_context(order: Order) -> dict:
    bookings = list(order.bookings.select_related("provider").order_by("pk"))
    groups: dict[int, dict] = {}
    for booking in bookings:
        group = groups.setdefault(
            booking.provider_id, {"provider": booking.provider, "bookings": []}
        )
        group["bookings"].append(booking)
    return {
        "order": order,
        "bookings": bookings,
        "providers": list(groups.values()),
        "beneficiary_names": _names(order.site_id, bookings),
    }


def booking_email_context(booking: Booking) -> dict:
    refunds = list(booking.refunds.all())
    return {
        "order": booking.order,
        "booking": booking,
        "refund": refunds[-1] if refunds else None,
        "beneficiary_names": _names(booking.order.site_id, [booking]),
    }
