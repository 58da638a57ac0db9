"""Background work of the marketplace (huey): activity slots; where huey finds the rest.

Providers' application e-mails are in :mod:`marketplace.provider_notify`. The order life
cycle's tasks live in :mod:`marketplace.orders.notify` (e-mails) and
:mod:`marketplace.orders.tasks` (periodic); they are imported here, where huey looks.

Tasks take ids, re-read what they need and are safe to run twice.
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from marketplace import provider_notify  # noqa: F401  (huey finds the application e-mails here)
from marketplace.orders import notify, tasks  # noqa: F401  (huey finds the order tasks here)
from marketplace.services import activity_slots_extend_all


@db_periodic_task(crontab(hour=3, minute=0))
def activity_slots_extend() -> int:
    """Daily: every live activity has dated slots for the next 90 days."""
    return activity_slots_extend_all()
