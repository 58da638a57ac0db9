"""Who did what to an order or a booking: the transitions' entries in Wagtail's audit log.

Each transition of :mod:`marketplace.orders.transitions` calls :func:`record` once per
order or booking it changed, with the actor (a visitor, a provider's member, the
territory's staff, a periodic task, a payment provider's webhook, or the system) and
the transition's time. The entries are Wagtail ``ModelLogEntry`` rows: the order's and
the booking's admin history and Wagtail's site history report show them. The actions
and their labels are registered by ``marketplace.wagtail_hooks`` from :data:`ACTIONS`.
Nothing but logging here.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log

# Who made a transition (``data["actor"]`` of the entry; the user, when there is one, is
# the entry's user).
VISITOR = "visitor"
PROVIDER = "provider"
STAFF = "staff"
TASK = "task"
WEBHOOK = "webhook"
SYSTEM = "system"
ACTORS = (VISITOR, PROVIDER, STAFF, TASK, WEBHOOK, SYSTEM)

ORDER_PLACED = "comptoir.order.placed"
ORDER_PAID = "comptoir.order.paid"
ORDER_LATE_REFUNDED = "comptoir.order.late_refunded"
ORDER_ABANDONED = "comptoir.order.abandoned"
ORDER_EXPIRED = "comptoir.order.expired"
BOOKING_CANCELLED = "comptoir.booking.cancelled"
BOOKING_COMPLETED = "comptoir.booking.completed"

# action -> (label, message) for Wagtail's history views.
ACTIONS = {
    ORDER_PLACED: (_("Order placed"), _("Order placed: its places are held")),
    ORDER_PAID: (_("Order paid"), _("Order paid: its bookings are confirmed")),
    ORDER_LATE_REFUNDED: (
        _("Late payment refunded"),
        _("Paid after its hold expired, the places taken meanwhile: refunded in full"),
    ),
    ORDER_ABANDONED: (_("Payment abandoned"), _("Payment abandoned: its places are released")),
    ORDER_EXPIRED: (_("Hold expired"), _("Not paid in time: its places are released")),
    BOOKING_CANCELLED: (_("Booking cancelled"), _("Booking cancelled")),
    BOOKING_COMPLETED: (_("Booking completed"), _("Booking completed: it has taken place")),
}


def record(instance, action: str, *, actor: str, user=None, when=None, data=None):
    """One audit-log entry for ``instance`` (an order or a booking)."""
    if actor not in ACTORS:
        raise ValueError(f"Unknown actor {actor!r}")
    return log(
        instance=instance,
        action=action,
        user=user if getattr(user, "pk", None) else None,
        data={"actor": actor, **(data or {})},
        **({"timestamp": when} if when is not None else {}),
    )
