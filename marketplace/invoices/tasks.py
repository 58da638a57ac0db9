"""Background work of the invoices (huey, which finds this module): the period's issue.

Daily at 05:30, :func:`marketplace.invoices.services.invoices_issue_scheduled` issues,
for every territory, the invoices of the latest period that has ended: on the 1st of the
month the month (or quarter) just ended, the other days nothing new. Safe to run twice.
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from marketplace.invoices.services import invoices_issue_scheduled


@db_periodic_task(crontab(hour=5, minute=30))
def invoices_issue_periodic() -> int:
    """Daily: the invoices of the period that has just ended, for every territory."""
    return len(invoices_issue_scheduled())
