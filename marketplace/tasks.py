"""Background work of the marketplace (huey): activity slots; where huey finds the rest.

Providers' application e-mails are in :mod:`marketplace.provider_notify`. The order life
cycle's tasks live in :mod:`marketplace.orders.notify` (e-mails) and
:mod:`marketplace.orders.tasks` (periodic); they are imported here, where huey looks.
The e-mails were declared here before issue 12 and keep the name they are queued under,
``marketplace.tasks.<name>`` (see ``QUEUED_AS`` in those modules): imported by name, so
that name also works in Python.

Tasks take ids, re-read what they need and are safe to run twice.
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from marketplace.orders import tasks  # noqa: F401  (huey finds the periodic order tasks here)
from marketplace.orders.notify import (
    booking_cancelled_notify,
    order_confirmed_notify,
    order_late_refunded_notify,
)
from marketplace.provider_notify import provider_application_notify, provider_decision_notify
from marketplace.services import activity_slots_extend_all

__all__ = [
    "activity_slots_extend",
    "booking_cancelled_notify",
    "order_confirmed_notify",
    "order_late_refunded_notify",
    "provider_application_notify",
    "provider_decision_notify",
]


@db_periodic_task(crontab(hour=3, minute=0))
def activity_slots_extend() -> int:
    """Daily: every live activity has dated slots for the next 90 days."""
    return activity_slots_extend_all()
