"""Periodic tasks of the order life cycle (huey): each only calls a transition.

Named apart from the transitions they call (``holds_expire_every_minute`` calls
:func:`~marketplace.orders.transitions.holds_expire`), so that no task shadows a service.
Registered with huey by ``marketplace.tasks``, which imports this module.
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from marketplace.orders import audit
from marketplace.orders.transitions import bookings_complete, holds_expire


@db_periodic_task(crontab(minute="*"))
def holds_expire_every_minute() -> int:
    """Every minute: orders not paid in time give their capacity back."""
    return holds_expire(actor=audit.TASK)


@db_periodic_task(crontab(hour=2, minute=30))
def bookings_complete_daily() -> int:
    """Daily: stays and activities that are over become completed."""
    return bookings_complete(actor=audit.TASK)
